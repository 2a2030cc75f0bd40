"""The demo data planned in memory: every row as a dict, balances worked out before any insert.

Rows refer to each other by list index (an invoice's `client_id` is its client's index in
`clients`); the writer swaps indexes for ids as it inserts. Which rows are Skipped, and why, is
decided here. Nothing is seeded as Synced or Failed (see seed.py): a failure needs a real answer
from QuickBooks, and the demo's tour makes real syncs against the emulator.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from ..i18n import N_
from ..models import InvoiceStatus, PaymentMethod, PaymentSource, SyncReason, SyncStatus
from .names import (
    CITIES,
    MANUAL_DESCRIPTIONS,
    MANUAL_METHODS,
    METHOD_DESCRIPTIONS,
    REFUND_REASONS,
    SERVICES,
    STREETS,
    client_names,
)

CENT = Decimal("0.01")

ALREADY_IN_QBO_MESSAGE = N_("Received in QuickBooks; not sent back to avoid a duplicate")
SKIPPED_MESSAGE = N_("Sync turned off for this payment")


@dataclass
class Plan:
    clients: list[dict] = field(default_factory=list)
    invoices: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)  # invoice_id holds the invoice's index
    payments: list[dict] = field(default_factory=list)  # invoice_id/client_id hold indexes
    refunds: list[tuple[int, dict]] = field(default_factory=list)  # (payment index, row)


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


def _sync(status: SyncStatus, reason: SyncReason | None = None, message=None) -> dict:
    return {
        "qbo_status": status,
        "qbo_reason": reason.value if reason else None,
        "qbo_message": message,
        "qbo_error_code": None,
    }


NOT_SYNCED = _sync(SyncStatus.NOT_SYNCED)


def plan_rows(rng, firm_id, owner_id, n_clients, n_invoices, n_payments, today) -> Plan:
    plan = Plan()
    n_clients = max(n_clients, 1 if n_invoices else 0)
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
                **NOT_SYNCED,
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
                **NOT_SYNCED,
            }
        )
        balances.append(total)

    _plan_payments(plan, rng, balances, n_payments, owner_id, today)
    for invoice, balance in zip(plan.invoices, balances, strict=True):
        invoice["balance"] = balance
        invoice["status"] = _status(balance, invoice["total"])
    return plan


def _plan_payments(plan, rng, balances, n_payments, owner_id, today) -> None:
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
            _plan_payment(plan, rng, i, amount, owner_id, today)
            balances[i] -= amount

    # A few payments are partly or fully refunded; the invoice stays paid, as in QuickBooks.
    for index, payment in enumerate(plan.payments):
        if index % 31 != 5:
            continue
        amount = payment["amount"] if index % 2 else (payment["amount"] / 2).quantize(CENT)
        if amount <= 0:
            continue
        refunded_on = min(payment["received_on"] + timedelta(days=rng.randint(1, 20)), today)
        payment["refunded_amount"] = amount
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


def _plan_payment(plan, rng, invoice_index, amount, owner_id, today) -> None:
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
