"""Demo data: one firm with realistic clients, invoices, payments and refunds, inserted in bulk.

Everything is planned in memory first (amounts as Decimal, balances computed from the planned
payments and refunds), then written with Core `insert()` and lists of dicts, so 100,000 payments
take seconds rather than minutes. The random generator has a fixed seed: the same arguments give
the same data.

Sync statuses: rows are seeded as Not synced, Skipped or Failed only. Synced and Syncing… rows are
left to real syncs against QuickBooks (or the emulator), because a seeded "Synced" row would claim
a QBO Id that exists in no company.
"""

import os
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from .extensions import db
from .models import (
    ClientAccount,
    Firm,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentSource,
    Refund,
    Role,
    SyncEvent,
    SyncReason,
    SyncStatus,
    User,
)
from .seed_names import SERVICES, client_names

DEMO_FIRM = "Demo Accounting LLP"
DEMO_EMAIL = "demo@ledgerbridge.test"
STAFF_EMAIL = "staff@ledgerbridge.test"
DEFAULT_PASSWORD = "ledgerbridge-demo"
CENT = Decimal("0.01")

NAME_CLASH_MESSAGE = (
    "Duplicate Name Exists Error: The name supplied already exists. Another customer, vendor or "
    "employee is already using this name. Rename the client account or the QuickBooks vendor, "
    "then sync again."
)
DUPLICATE_NUMBER_MESSAGE = (
    "Duplicate Document Number Error: You must specify a different number. This number has "
    'already been used. Turn off "Custom transaction numbers" in QuickBooks or renumber the '
    "invoice, then sync again."
)
CLIENT_FIRST_MESSAGE = "Sync the client account first"
UNAVAILABLE_MESSAGE = "QuickBooks did not answer in time. Nothing was created; sync again to retry."
ALREADY_IN_QBO_MESSAGE = "Received in QuickBooks; not sent back to avoid a duplicate"
SKIPPED_MESSAGE = "Sync turned off for this payment"


def demo_password() -> str:
    """The demo users' password: DEMO_PASSWORD if set, else the documented default."""
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD


@dataclass
class SeedResult:
    firm_id: int
    created: bool
    clients: int = 0
    invoices: int = 0
    payments: int = 0
    refunds: int = 0
    seconds: float = 0.0


@dataclass
class _Plan:
    clients: list[dict] = field(default_factory=list)
    invoices: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)  # invoice_id holds the invoice's index
    payments: list[dict] = field(default_factory=list)  # invoice_id/client_id hold indexes
    refunds: list[tuple[int, dict]] = field(default_factory=list)  # (payment index, row)


def demo_firm_exists() -> bool:
    return db.session.execute(select(Firm.id).filter_by(name=DEMO_FIRM)).first() is not None


def seed_demo(
    clients: int = 20,
    invoices: int = 60,
    payments: int = 80,
    password: str | None = None,
    today: date | None = None,
    seed: int = 2026,
) -> SeedResult:
    """Create the demo firm, its two users and its billing data, unless the firm exists.

    Args:
        clients: number of client accounts.
        invoices: number of invoices, spread over the clients.
        payments: number of payments, spread over the invoices (never above an invoice's total).
        password: the users' password (default: `demo_password()`).
        today: the last date any row may carry (default: today).
        seed: seed of the random generator.

    Returns:
        What was created; `created` is False when the demo firm already existed.
    """
    started = time.perf_counter()
    existing = db.session.execute(select(Firm).filter_by(name=DEMO_FIRM)).scalar_one_or_none()
    if existing is not None:
        return SeedResult(firm_id=existing.id, created=False)
    today = today or date.today()
    rng = random.Random(seed)

    firm = Firm(name=DEMO_FIRM, currency="USD", sync_manual_payments=True)
    db.session.add(firm)
    for email, name, role in (
        (DEMO_EMAIL, "Jordan Ellis", Role.OWNER),
        (STAFF_EMAIL, "Riley Chen", Role.STAFF),
    ):
        user = User(firm=firm, email=email, name=name, role=role)
        user.set_password(password or demo_password())
        db.session.add(user)
    db.session.flush()
    owner_id = firm.users[0].id

    plan = _plan(
        rng, firm.id, owner_id, clients, max(invoices, 1 if payments else 0), payments, today
    )
    counts = _write(plan, firm.id, owner_id)
    db.session.commit()
    return SeedResult(
        firm_id=firm.id, created=True, **counts, seconds=time.perf_counter() - started
    )


def _at(day: date, rng: random.Random) -> datetime:
    return datetime(
        day.year, day.month, day.day, rng.randint(8, 18), rng.randint(0, 59), tzinfo=UTC
    )


def _status(balance: Decimal, total: Decimal) -> InvoiceStatus:
    if balance <= 0:
        return InvoiceStatus.PAID
    return InvoiceStatus.UNPAID if balance >= total else InvoiceStatus.PARTIALLY_PAID


def _split(amount: Decimal, parts: int, rng: random.Random) -> list[Decimal]:
    """Split `amount` into `parts` positive cent amounts that add up to it exactly."""
    cents = int(amount / CENT)
    parts = min(parts, cents)
    cuts = sorted(rng.sample(range(1, cents), parts - 1)) if parts > 1 else []
    edges = [0, *cuts, cents]
    return [Decimal(b - a) * CENT for a, b in zip(edges, edges[1:], strict=False)]


def _sync(status: SyncStatus, reason: SyncReason | None = None, message=None, code=None) -> dict:
    return {
        "qbo_status": status,
        "qbo_reason": reason.value if reason else None,
        "qbo_message": message,
        "qbo_error_code": code,
    }


NOT_SYNCED = _sync(SyncStatus.NOT_SYNCED)


def _plan(rng, firm_id, owner_id, n_clients, n_invoices, n_payments, today) -> _Plan:
    plan = _Plan()
    n_clients = max(n_clients, 1 if n_invoices else 0)
    # One client clashes with a QBO vendor name: QBO fault 6240 on its last sync attempt.
    clash = 2 if n_clients > 2 else None
    for i, name in enumerate(client_names(n_clients, rng)):
        created = _at(today - timedelta(days=rng.randint(200, 400)), rng)
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:20]
        plan.clients.append(
            {
                "firm_id": firm_id,
                "display_name": name,
                "email": f"billing@{slug}.test" if " " in name else f"{slug}@example.test",
                "phone": f"(555) {rng.randint(200, 989):03d}-{rng.randint(0, 9999):04d}",
                "address": f"{rng.randint(10, 9800)} {rng.choice(STREETS)}, {rng.choice(CITIES)}",
                "active": i % 37 != 36,
                "created_at": created,
                "qbo_status_changed_at": created,
                **(
                    _sync(SyncStatus.FAILED, SyncReason.NAME_CLASH, NAME_CLASH_MESSAGE, "6240")
                    if i == clash
                    else NOT_SYNCED
                ),
            }
        )

    balances: list[Decimal] = []
    for i in range(n_invoices):
        client_index = i % n_clients
        issued = today - timedelta(days=rng.randint(0, 180))
        total = Decimal(0)
        for position in range(rng.choice((1, 1, 2, 2, 3, 4))):
            description, low, high, qty_choices = rng.choice(SERVICES)
            quantity = Decimal(rng.choice(qty_choices))
            unit_price = Decimal(rng.randrange(low, high + 1, 5))
            amount = (quantity * unit_price).quantize(CENT)
            total += amount
            plan.lines.append(
                {
                    "invoice_id": i,
                    "position": position,
                    "description": description.format(month=issued.strftime("%B %Y")),
                    "quantity": quantity,
                    "unit_price": unit_price,
                    "amount": amount,
                }
            )
        failed = i % 29 == 7 and client_index != clash
        plan.invoices.append(
            {
                "firm_id": firm_id,
                "client_id": client_index,
                "number": f"INV-{1001 + i:05d}",
                "issue_date": issued,
                "due_date": issued + timedelta(days=rng.choice((15, 30, 30, 45))),
                "total": total,
                "memo": None,
                "created_at": (stamp := _at(issued, rng)),
                "qbo_status_changed_at": stamp,
                **(
                    _sync(SyncStatus.FAILED, SyncReason.QBO_FAULT, DUPLICATE_NUMBER_MESSAGE, "6140")
                    if failed
                    else NOT_SYNCED
                ),
            }
        )
        balances.append(total)

    _plan_payments(plan, rng, balances, n_payments, clash, owner_id, today)
    for invoice, balance in zip(plan.invoices, balances, strict=True):
        invoice["balance"] = balance
        invoice["status"] = _status(balance, invoice["total"])
    return plan


def _plan_payments(plan, rng, balances, n_payments, clash, owner_id, today) -> None:
    n_invoices = len(plan.invoices)
    if not n_payments or not n_invoices:
        return
    # About a quarter of the invoices stay unpaid (when there are payments enough for the rest).
    payable = [i for i in range(n_invoices) if i % 4 != 3] if n_payments >= n_invoices else []
    payable = payable or list(range(n_invoices))
    per_invoice = [0] * n_invoices
    for k in range(n_payments):
        per_invoice[payable[k % len(payable)]] += 1

    for i, count in enumerate(per_invoice):
        if not count:
            continue
        invoice = plan.invoices[i]
        total = invoice["total"]
        # Most paying invoices are paid in full; some only in part.
        paid = (
            total
            if rng.random() < 0.65
            else (total * Decimal(rng.randint(30, 85)) / 100).quantize(CENT)
        )
        for amount in _split(max(paid, CENT * count), count, rng):
            _plan_payment(plan, rng, i, amount, clash, owner_id, today)
            balances[i] -= amount

    # A few payments are partly or fully refunded; the invoice balance goes back up.
    for index, payment in enumerate(plan.payments):
        if index % 31 != 5:
            continue
        amount = payment["amount"] if index % 2 else (payment["amount"] / 2).quantize(CENT)
        if amount <= 0:
            continue
        refunded_on = min(payment["received_on"] + timedelta(days=rng.randint(1, 20)), today)
        payment["refunded_amount"] = amount
        balances[payment["invoice_id"]] += amount
        plan.refunds.append(
            (
                index,
                {
                    "firm_id": payment["firm_id"],
                    "amount": amount,
                    "refunded_on": refunded_on,
                    "reason": rng.choice(REFUND_REASONS),
                    "created_by_id": owner_id,
                    "created_at": (stamp := _at(refunded_on, rng)),
                    "qbo_status_changed_at": stamp,
                    **NOT_SYNCED,
                },
            )
        )


def _plan_payment(plan, rng, invoice_index, amount, clash, owner_id, today) -> None:
    invoice = plan.invoices[invoice_index]
    k = len(plan.payments)
    issued = invoice["issue_date"]
    received = issued + timedelta(days=rng.randint(0, min(40, (today - issued).days)))
    roll = k % 20
    source = (
        PaymentSource.QUICKBOOKS
        if roll in (3, 13)
        else PaymentSource.ONLINE
        if roll in (1, 6, 9, 16, 19)
        else PaymentSource.MANUAL
    )
    sync_requested = not (source is PaymentSource.MANUAL and roll in (2, 8, 14, 17))
    if source is PaymentSource.ONLINE:
        method, reference = PaymentMethod.CARD, f"ch_{rng.getrandbits(48):012x}"
        description = "Paid online through the client portal"
    elif source is PaymentSource.QUICKBOOKS:
        method = rng.choice((PaymentMethod.BANK_TRANSFER, PaymentMethod.CHECK))
        reference = f"QB-{rng.randint(1000, 9999)}"
        description = (
            "Received through QuickBooks (QuickBooks Payments); recorded here for the balance"
        )
    else:
        method = rng.choice(MANUAL_METHODS)
        reference = {
            PaymentMethod.CHECK: f"Check #{rng.randint(1001, 9999)}",
            PaymentMethod.BANK_TRANSFER: f"ACH {rng.getrandbits(24):06X}",
        }.get(method)
        described = rng.choice((*MANUAL_DESCRIPTIONS, METHOD_DESCRIPTIONS[method]))
        description = described.format(number=invoice["number"])

    if not sync_requested:
        state = _sync(SyncStatus.SKIPPED, SyncReason.SYNC_OFF_FOR_PAYMENT, SKIPPED_MESSAGE)
    elif source is PaymentSource.QUICKBOOKS:
        state = _sync(SyncStatus.SKIPPED, SyncReason.ALREADY_IN_QBO, ALREADY_IN_QBO_MESSAGE)
    elif invoice["client_id"] == clash:
        state = _sync(SyncStatus.FAILED, SyncReason.CLIENT_NOT_SYNCED, CLIENT_FIRST_MESSAGE)
    elif k % 23 == 11:
        state = _sync(SyncStatus.FAILED, SyncReason.QBO_UNAVAILABLE, UNAVAILABLE_MESSAGE)
    else:
        state = NOT_SYNCED
    plan.payments.append(
        {
            "firm_id": invoice["firm_id"],
            "client_id": invoice["client_id"],
            "invoice_id": invoice_index,
            "amount": amount,
            "refunded_amount": Decimal("0.00"),
            "received_on": received,
            "method": method,
            "reference": reference,
            "description": description,
            "source": source,
            "sync_requested": sync_requested,
            "created_by_id": owner_id if source is PaymentSource.MANUAL else None,
            "created_at": (stamp := _at(received, rng)),
            "qbo_status_changed_at": stamp,
            **state,
        }
    )


def _insert_returning_ids(model, rows: list[dict]) -> list[int]:
    """Insert rows in one executemany; return their new ids in the order given."""
    if not rows:
        return []
    table = model.__table__
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite cannot keep RETURNING in parameter order for a multi-row INSERT, so SQLAlchemy
        # would fall back to one statement per row. A plain executemany runs in order, and the
        # firm is new, so its rows read back by id are exactly these, in this order.
        db.session.execute(insert(table), rows)
        ids = db.session.execute(
            select(table.c.id).where(table.c.firm_id == rows[0]["firm_id"]).order_by(table.c.id)
        )
        return list(ids.scalars())
    result = db.session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    )
    return list(result.scalars())


def _insert(model, rows: list[dict]) -> None:
    if rows:
        db.session.execute(insert(model.__table__), rows)


def _write(plan: _Plan, firm_id: int, owner_id: int) -> dict:
    client_ids = _insert_returning_ids(ClientAccount, plan.clients)
    for invoice in plan.invoices:
        invoice["client_id"] = client_ids[invoice["client_id"]]
    invoice_ids = _insert_returning_ids(Invoice, plan.invoices)
    for line in plan.lines:
        line["invoice_id"] = invoice_ids[line["invoice_id"]]
    _insert(InvoiceLine, plan.lines)
    for payment in plan.payments:
        payment["client_id"] = client_ids[payment["client_id"]]
        payment["invoice_id"] = invoice_ids[payment["invoice_id"]]
    payment_ids = _insert_returning_ids(Payment, plan.payments)
    refunds = []
    for payment_index, refund in plan.refunds:
        refunds.append({**refund, "payment_id": payment_ids[payment_index]})
    _insert(Refund, refunds)

    # History for every row that is not Not synced, as the creation rules and jobs would write it.
    events = []
    for record_type, rows, ids in (
        ("client", plan.clients, client_ids),
        ("invoice", plan.invoices, invoice_ids),
        ("payment", plan.payments, payment_ids),
    ):
        for row, record_id in zip(rows, ids, strict=True):
            status = row["qbo_status"]
            if status is SyncStatus.NOT_SYNCED:
                continue
            skipped = status is SyncStatus.SKIPPED
            events.append(
                {
                    "firm_id": firm_id,
                    "record_type": record_type,
                    "record_id": record_id,
                    "user_id": row.get("created_by_id") or (None if skipped else owner_id),
                    "created_at": row["qbo_status_changed_at"],
                    "action": "create" if skipped else "sync",
                    "outcome": "skipped" if skipped else "failed",
                    "qbo_id": None,
                    "request_summary": None,
                    "message": row["qbo_message"]
                    + (
                        f" (QuickBooks error {row['qbo_error_code']})"
                        if row["qbo_error_code"]
                        else ""
                    ),
                }
            )
    _insert(SyncEvent, events)
    return {
        "clients": len(client_ids),
        "invoices": len(invoice_ids),
        "payments": len(payment_ids),
        "refunds": len(refunds),
    }


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
