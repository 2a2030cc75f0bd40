"""Demo data: one firm with realistic clients, invoices, payments and refunds, inserted in bulk.

Everything is planned in memory first (amounts as Decimal, balances computed from the planned
payments and refunds), then written with Core `insert()` and lists of dicts, so 100,000 payments
take seconds rather than minutes. The random generator has a fixed seed: the same arguments give
the same data.

Sync statuses: rows are seeded as Not synced or Skipped only. Synced, Syncing… and Failed rows are
left to real syncs against QuickBooks (or the emulator): a seeded "Synced" row would claim a QBO Id
that exists in no company, and a seeded "Failed" row an answer QuickBooks never gave.
"""

import os
import random
import time
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select

from ..extensions import db
from ..models import (
    ClientAccount,
    Firm,
    Invoice,
    InvoiceLine,
    Payment,
    Refund,
    Role,
    SyncEvent,
    SyncStatus,
    User,
)
from ..planner import refresh_planner_statistics
from .plan import Plan, plan_rows

DEMO_FIRM = "Demo Accounting LLP"
DEMO_EMAIL = "demo@ledgerbridge.test"
STAFF_EMAIL = "staff@ledgerbridge.test"
DEFAULT_PASSWORD = "ledgerbridge-demo"
RANDOM_SEED = 2026  # the same arguments always give the same data


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


def seed_demo(clients: int = 20, invoices: int = 60, payments: int = 80) -> SeedResult:
    """Create the demo firm, its two users and its billing data, unless the firm exists.

    The users' password is `demo_password()`; no row is dated after today.

    Args:
        clients: number of client accounts.
        invoices: number of invoices, spread over the clients.
        payments: number of payments, spread over the invoices (never above an invoice's total).

    Returns:
        What was created; `created` is False when the demo firm already existed.
    """
    started = time.perf_counter()
    existing = db.session.execute(select(Firm).filter_by(name=DEMO_FIRM)).scalar_one_or_none()
    if existing is not None:
        return SeedResult(firm_id=existing.id, created=False)
    today = date.today()
    rng = random.Random(RANDOM_SEED)

    firm = Firm(name=DEMO_FIRM, currency="USD", sync_manual_payments=True)
    db.session.add(firm)
    for email, name, role in (
        (DEMO_EMAIL, "Jordan Ellis", Role.OWNER),
        (STAFF_EMAIL, "Riley Chen", Role.STAFF),
    ):
        user = User(firm=firm, email=email, name=name, role=role)
        user.set_password(demo_password())
        db.session.add(user)
    db.session.flush()
    owner_id = firm.users[0].id

    plan = plan_rows(
        rng, firm.id, owner_id, clients, max(invoices, 1 if payments else 0), payments, today
    )
    counts = _write(plan, firm.id, owner_id)
    db.session.commit()
    refresh_planner_statistics()
    return SeedResult(
        firm_id=firm.id, created=True, **counts, seconds=time.perf_counter() - started
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


def _write(plan: Plan, firm_id: int, owner_id: int) -> dict:
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
