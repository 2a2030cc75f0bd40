"""Words for the demo data: client names, services, addresses, payment notes and refund reasons."""

import random

from ..models import PaymentMethod

# The first clients of the demo firm: a mix of small businesses, households and trusts.
CLIENTS = (
    "Harbor View Dental PLLC",
    "Maria Gonzalez",
    "Northwind Traders",
    "Okafor Family Trust",
    "Bluebird Bakery LLC",
    "Chen & Patel Architects",
    "David and Sarah Kim",
    "Summit Ridge Landscaping",
    "Green Valley Veterinary Clinic",
    "Lopez Construction Inc.",
    "Priya Raman",
    "Riverside Yoga Studio",
    "Thompson Auto Repair",
    "Evergreen Property Management",
    "Nguyen Nail Salon",
    "Brightside Pediatrics PC",
    "Walsh Plumbing & Heating",
    "Aisha Mohammed",
    "Copper Kettle Cafe",
    "Fischer Engineering Group",
    "Sunset Realty Partners",
    "Marcus Johnson",
    "Lakeside Montessori School",
    "Ortega Trucking LLC",
    "Hannah and Luke Becker",
    "Pinecrest Wealth Advisors",
    "Silverline Photography",
    "Ramirez Family Farm",
    "Ivy Lane Interiors",
    "Patel Pharmacy",
    "Keystone Roofing Co.",
    "Emily Zhang",
    "Cornerstone Church of Madison",
    "Atlas Fitness Center",
    "Blue Ridge Brewing Company",
    "Sofia Rossi",
)

FIRST = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Carlos", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty", "Wei", "Sandra",
    "Mark", "Ashley", "Ahmed", "Kimberly", "Steven", "Emily", "Paul", "Donna", "Andrew", "Michelle",
    "Kenji", "Carol", "Joshua", "Amanda", "Kevin", "Melissa", "Brian", "Deborah", "Olumide", "Laura",
)  # fmt: skip
LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez",
    "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen",
    "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell",
)  # fmt: skip
PLACES = (
    "Harbor", "Summit", "Riverside", "Maple", "Cedar", "Granite", "Lakeside", "Prairie", "Coastal",
    "Willow", "Redwood", "Meadow", "Valley", "Northgate", "Oakmont", "Ironwood", "Bayview", "Aspen",
    "Sterling", "Union", "Pioneer", "Crescent", "Hillside", "Juniper", "Beacon", "Frontier",
)  # fmt: skip
TRADES = (
    "Dental", "Bakery", "Landscaping", "Plumbing", "Electric", "Veterinary Clinic", "Auto Repair",
    "Realty", "Consulting", "Design Studio", "Fitness", "Roofing", "Catering", "Law Group",
    "Pediatrics", "Physical Therapy", "Brewing", "Hardware", "Florist", "Cleaning Services",
    "Insurance Agency", "Bookstore", "Coffee Roasters", "Tutoring", "Moving & Storage",
)  # fmt: skip
SUFFIXES = ("LLC", "Inc.", "Co.", "PLLC", "Group", "& Sons", "Partners", "")

# (description, lowest unit price, highest unit price, quantities): what the firm bills for.
SERVICES = (
    ("Monthly bookkeeping, {month}", 250, 900, ("1",)),
    ("Payroll processing ({month})", 60, 180, ("1", "2", "4")),
    ("Form 1040 individual income tax return", 350, 1200, ("1",)),
    ("Form 1120-S S corporation return", 900, 2500, ("1",)),
    ("Form 1065 partnership return", 800, 2200, ("1",)),
    ("Quarterly estimated tax planning", 150, 400, ("1",)),
    ("Sales tax filing", 75, 250, ("1", "3")),
    ("Advisory call (hours)", 120, 250, ("0.5", "1", "1.5", "2")),
    ("Year-end adjusting entries", 300, 800, ("1",)),
    ("1099 preparation and filing (per form)", 15, 40, ("3", "5", "12")),
    ("IRS notice response", 200, 600, ("1",)),
    ("Financial statement review", 1200, 4000, ("1",)),
    ("QuickBooks cleanup (hours)", 95, 160, ("2", "4", "6", "10")),
)


def client_names(count: int, rng: random.Random) -> list[str]:
    """Return `count` distinct, plausible client names (the curated ones first)."""
    names = list(CLIENTS[:count])
    seen = set(names)
    while len(names) < count:
        if rng.random() < 0.45:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        else:
            name = f"{rng.choice(PLACES)} {rng.choice(TRADES)} {rng.choice(SUFFIXES)}".strip()
        if name in seen:
            # Common names repeat in a large client list; a city keeps them apart, as firms do.
            name = f"{name} ({rng.choice(PLACES)} {len(names)})"
        seen.add(name)
        names.append(name)
    return names


STREETS = (
    "Main Street", "Oak Avenue", "Harbor Road", "Maple Drive", "Cedar Lane", "Market Street",
    "Elm Street", "Lakeview Boulevard", "Mill Road", "Pine Court", "Union Avenue", "Hillcrest Way",
)  # fmt: skip
CITIES = (
    "Portland, OR 97204", "Austin, TX 78701", "Madison, WI 53703", "Raleigh, NC 27601",
    "Boise, ID 83702", "Burlington, VT 05401", "Tucson, AZ 85701", "Columbus, OH 43215",
)  # fmt: skip
MANUAL_METHODS = (
    PaymentMethod.CHECK, PaymentMethod.CHECK, PaymentMethod.CHECK, PaymentMethod.BANK_TRANSFER,
    PaymentMethod.BANK_TRANSFER, PaymentMethod.CASH, PaymentMethod.OTHER,
)  # fmt: skip
MANUAL_DESCRIPTIONS = (
    "Payment for {number}",
    "Paid at the year-end meeting",
    "Dropped off at reception",
)
METHOD_DESCRIPTIONS = {
    PaymentMethod.CHECK: "Check mailed to the office for {number}",
    PaymentMethod.BANK_TRANSFER: "Bank transfer for {number}",
    PaymentMethod.CASH: "Paid in cash at the office",
    PaymentMethod.OTHER: "Paid by money order",
}
REFUND_REASONS = (
    "Overpaid: paid the invoice twice",
    "Engagement cancelled; unused retainer returned",
    "Courtesy discount agreed after billing",
    "Duplicate card charge",
)
