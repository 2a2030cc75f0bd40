"""What test_every_screen*.py share: the app's words in each language and where things sit.

The Dutch is copied from webapp/translations/nl/LC_MESSAGES/messages.po, not read from it, so a
wrong or missing translation fails the test instead of passing along with it.
"""

from playwright.sync_api import Page

DUTCH = {
    "Amount": "Bedrag",
    "Cancel": "Annuleren",
    "Clients": "Klanten",
    "Failed": "Mislukt",
    "Invoices": "Facturen",
    "Last synced": "Laatst gesynchroniseerd",
    "Menu": "Menu",
    "More actions": "Meer acties",
    "New invoice": "Nieuwe factuur",
    "Not synced": "Niet gesynchroniseerd",
    "Payments": "Betalingen",
    "Record payment": "Betaling boeken",
    "Refund": "Terugbetalen",
    "Refund payment": "Betaling terugbetalen",
    "Settings": "Instellingen",
    "Sign out": "Uitloggen",
    "Sync history": "Synchronisatiegeschiedenis",
    "Sync manually created payments with QuickBooks": (
        "Met de hand geboekte betalingen met QuickBooks synchroniseren"
    ),
    "Sync payment to QuickBooks": "Betaling met QuickBooks synchroniseren",
    "Synced": "Gesynchroniseerd",
    "Syncing…": "Synchroniseren…",
    "Time zone for times shown": "Tijdzone voor getoonde tijden",
    "View sync history": "Synchronisatiegeschiedenis bekijken",
}


def words(language: str):
    """`say("More actions")`: the app's words in `language` ("en" or "nl")."""

    def say(english: str) -> str:
        return english if language == "en" else DUTCH[english]

    return say


def inside_viewport(page: Page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["x"] >= -1
        and box["y"] >= -1
        and box["x"] + box["width"] <= size["width"] + 1
        and box["y"] + box["height"] <= size["height"] + 1
    )


def on_top(page: Page, locator) -> bool:
    """The element is what a tap at its centre reaches (nothing pinned or scrolled over it)."""
    return locator.evaluate(
        """(el) => {
            const r = el.getBoundingClientRect();
            const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            return hit !== null && (hit === el || el.contains(hit));
        }"""
    )


def whole(page: Page, locator) -> bool:
    """The middle of the element and of each of its edges, on each line it spans, is on screen
    and is what a tap there reaches: nothing (a pinned column, a neighbour pulled up over it)
    covers part of it. (Not the corners: a pill badge's rounded corners are not part of it.)"""
    locator.scroll_into_view_if_needed()
    return inside_viewport(page, locator) and locator.evaluate(
        """(el) => {
            const reached = ([x, y]) => {
                const hit = document.elementFromPoint(x, y);
                return hit !== null && (hit === el || el.contains(hit));
            };
            return [...el.getClientRects()].every((r) => {
                const x = r.left + r.width / 2, y = r.top + r.height / 2;
                return [[x, y], [r.left + 3, y], [r.right - 3, y], [x, r.top + 3], [x, r.bottom - 3]].every(reached);
            });
        }"""
    )


def readable(page: Page, locator) -> bool:
    """On screen and not covered: a user at this width can read (or tap) it."""
    locator.scroll_into_view_if_needed()
    return inside_viewport(page, locator) and on_top(page, locator)


def no_sideways_page_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
