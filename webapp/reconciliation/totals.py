"""Ledgerbridge's totals against QuickBooks' for a period, per client, from the local copy.

QuickBooks' side is what the rows know of their QBO objects (kept fresh by webhooks and CDC):
a row not in QuickBooks counts nothing there, a row changed there counts QuickBooks' amount,
a row deleted or voided there counts nothing. So the page costs no call to QuickBooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..i18n import amount, day, translated
from ..i18n import lazy_gettext as _l
from ..models import ZERO, ClientAccount, Invoice, Payment, Refund, SyncStatus

KINDS = ("invoices", "payments", "refunds", "open_balance")
LABELS = {
    "invoices": _l("Invoices"),
    "payments": _l("Payments"),
    "refunds": _l("Refunds"),
    "open_balance": _l("Open balance"),
}


@dataclass
class Mismatch:
    kind: str  # "invoice", "payment", "refund"
    record: object
    what: str  # e.g. "INV-01045" or "Payment of 450.00 on 2026-09-03"
    ours: Decimal
    theirs: Decimal | None  # None: not in QuickBooks
    reason: str


@dataclass
class ClientTotals:
    client: ClientAccount
    ours: dict = field(default_factory=lambda: dict.fromkeys(KINDS, ZERO))
    theirs: dict = field(default_factory=lambda: dict.fromkeys(KINDS, ZERO))
    mismatches: list[Mismatch] = field(default_factory=list)

    def differs(self, kind: str) -> bool:
        return self.ours[kind] != self.theirs[kind]


def _theirs_amount(record, ours: Decimal, field_name: str) -> tuple[Decimal | None, str]:
    """What QuickBooks holds for the row's amount, and why it differs (empty if it does not)."""
    state = record.qbo_remote_state
    if state is not None and state.value in ("deleted", "voided", "merged"):
        return None, state.label
    if record.qbo_status is not SyncStatus.SYNCED:
        reason = _("Not in QuickBooks (%(status)s)", status=record.qbo_status.label)
        if record.qbo_message:
            reason = f"{reason}: {translated(record.qbo_message)}"
        return None, reason
    for difference in record.qbo_remote_diff or []:
        if difference["field"] == field_name:
            theirs = Decimal(difference["theirs"].replace(",", ""))
            return theirs, _("Changed in QuickBooks")
    if state is not None:
        labels = ", ".join(translated(d["label"]) for d in record.qbo_remote_diff or [])
        if labels:
            return ours, _("Changed in QuickBooks (%(fields)s)", fields=labels)
        return ours, state.label
    return ours, ""


def reconcile(firm_id: int, start: date, end: date, client_id: int | None = None):
    """Totals per client for rows dated within [start, end], with every mismatch.

    Returns:
        [ClientTotals] for clients with any row in the period, by name.
    """
    clients: dict[int, ClientTotals] = {}

    def totals_of(client) -> ClientTotals:
        return clients.setdefault(client.id, ClientTotals(client))

    invoices = db.select(Invoice).where(
        Invoice.firm_id == firm_id, Invoice.issue_date.between(start, end)
    )
    payments = db.select(Payment).where(
        Payment.firm_id == firm_id, Payment.received_on.between(start, end)
    )
    refunds = (
        db.select(Refund)
        .join(Payment, Refund.payment_id == Payment.id)
        .where(Refund.firm_id == firm_id, Refund.refunded_on.between(start, end))
    )
    if client_id is not None:
        invoices = invoices.where(Invoice.client_id == client_id)
        payments = payments.where(Payment.client_id == client_id)
        refunds = refunds.where(Payment.client_id == client_id)

    for invoice in db.session.execute(invoices.options(joinedload(Invoice.client))).scalars():
        row = totals_of(invoice.client)
        theirs, reason = _theirs_amount(invoice, invoice.total, "total")
        row.ours["invoices"] += invoice.total
        row.ours["open_balance"] += invoice.balance
        row.theirs["invoices"] += theirs or ZERO
        their_balance = invoice.qbo_balance if invoice.qbo_balance is not None else invoice.balance
        if theirs is None:
            their_balance = ZERO
        row.theirs["open_balance"] += their_balance
        if reason:
            row.mismatches.append(
                Mismatch("invoice", invoice, invoice.number, invoice.total, theirs, reason)
            )
        elif their_balance != invoice.balance:
            row.mismatches.append(
                Mismatch(
                    "invoice",
                    invoice,
                    _("%(number)s open balance", number=invoice.number),
                    invoice.balance,
                    their_balance,
                    _("Open balance differs in QuickBooks"),
                )
            )
    for payment in db.session.execute(
        payments.options(joinedload(Payment.client), joinedload(Payment.invoice))
    ).scalars():
        row = totals_of(payment.client)
        theirs, reason = _theirs_amount(payment, payment.amount, "amount")
        row.ours["payments"] += payment.amount
        row.theirs["payments"] += theirs or ZERO
        if reason:
            what = _(
                "Payment of %(amount)s on %(date)s for %(number)s",
                amount=amount(payment.amount),
                date=day(payment.received_on),
                number=payment.invoice.number,
            )
            row.mismatches.append(
                Mismatch("payment", payment, what, payment.amount, theirs, reason)
            )
    for refund in db.session.execute(
        refunds.options(joinedload(Refund.payment).joinedload(Payment.client))
    ).scalars():
        row = totals_of(refund.payment.client)
        theirs, reason = _theirs_amount(refund, refund.amount, "amount")
        row.ours["refunds"] += refund.amount
        row.theirs["refunds"] += theirs or ZERO
        if reason:
            what = _(
                "Refund of %(amount)s on %(date)s",
                amount=amount(refund.amount),
                date=day(refund.refunded_on),
            )
            row.mismatches.append(Mismatch("refund", refund, what, refund.amount, theirs, reason))
    return sorted(clients.values(), key=lambda totals: totals.client.display_name.lower())
