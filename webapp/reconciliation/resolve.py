"""Settle a row that QuickBooks changed, deleted or voided, without calling QuickBooks.

"Take QuickBooks' version" copies QBO's values (kept in the row's list of differences) onto
the row, only where our own rules still hold afterwards. "Keep only in Ledgerbridge" ends the
link to an object QuickBooks deleted, voided or merged away. "Keep Ledgerbridge's version"
sends our version to QBO and lives with the sync jobs (webapp/quickbooks). Callers commit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ..billing.operations import line_amount, money, recalculate_invoice
from ..extensions import db
from ..i18n import N_
from ..models import (
    ClientAccount,
    Invoice,
    InvoiceLine,
    Payment,
    Refund,
    RemoteState,
    SyncReason,
    SyncStatus,
)
from ..quickbooks.state import mark_skipped, record_history

GONE = (RemoteState.DELETED, RemoteState.VOIDED, RemoteState.MERGED)
KEPT_HERE = {
    RemoteState.DELETED: N_("Kept only in Ledgerbridge after it was deleted in QuickBooks"),
    RemoteState.VOIDED: N_("Kept only in Ledgerbridge after it was voided in QuickBooks"),
    RemoteState.MERGED: N_("Kept only in Ledgerbridge after it was merged in QuickBooks"),
}


class CannotResolve(Exception):
    """The action does not apply to the row as it is now; the message says why."""


def can_take_theirs(record) -> bool:
    differences = record.qbo_remote_diff or []
    return (
        record.qbo_remote_state is RemoteState.CHANGED
        and bool(differences)
        and all(d.get("safe") for d in differences)
    )


def take_theirs(record, user) -> None:
    """Copy QuickBooks' values onto the row and clear the flag."""
    if not can_take_theirs(record):
        raise CannotResolve(
            N_(
                "QuickBooks' version cannot be taken here: it would change the customer or the "
                "invoice a payment is applied to, or leave less than what was paid or refunded. "
                "Keep Ledgerbridge's version, or change it in QuickBooks."
            )
        )
    if isinstance(record, ClientAccount):
        _take_client(record, record.qbo_remote_diff)
    else:
        for difference in record.qbo_remote_diff:
            _take(record, difference["field"], difference["value"])
    summary = "; ".join(f"{d['label']}: {d['theirs']}" for d in record.qbo_remote_diff)
    record.qbo_remote_state = None
    record.qbo_remote_diff = None
    record_history(
        record,
        user,
        "take_quickbooks",
        "synced",
        message=N_("Took QuickBooks' version. %(changes)s") % {"changes": summary},
    )
    if isinstance(record, Payment):
        recalculate_invoice(record.invoice)
    elif isinstance(record, Refund):
        recalculate_invoice(record.payment.invoice)
    elif isinstance(record, Invoice):
        recalculate_invoice(record)


def _take(record, field: str, value) -> None:
    if field == "date":
        day = date.fromisoformat(value)
        if isinstance(record, Payment):
            record.received_on = day
        elif isinstance(record, Refund):
            record.refunded_on = day
        else:
            record.issue_date = day
    elif field == "due_date":
        record.due_date = date.fromisoformat(value)
    elif field == "account":
        record.qbo_deposit_account_id = value
    elif field == "amount" and isinstance(record, Payment):
        record.amount = money(Decimal(value))
    elif field == "amount" and isinstance(record, Refund):
        payment = record.payment
        payment.refunded_amount = money(payment.refunded_amount - record.amount + Decimal(value))
        record.amount = money(Decimal(value))
    elif field == "lines":
        _take_lines(record, value)
    elif field == "total":
        pass  # the total follows the lines, taken with them
    else:
        raise CannotResolve(N_("QuickBooks' %(field)s cannot be taken here.") % {"field": field})


def _take_lines(invoice: Invoice, lines: list[dict]) -> None:
    invoice.lines.clear()
    db.session.flush()
    for position, line in enumerate(lines):
        quantity = Decimal(line["quantity"])
        unit_price = money(Decimal(line["unit_price"]))
        amount = money(Decimal(line["amount"]))
        if line_amount(quantity, unit_price) != amount:
            quantity, unit_price = Decimal("1"), amount
        invoice.lines.append(
            InvoiceLine(
                position=position,
                description=line["description"][:4000] or "(no description)",
                quantity=quantity,
                unit_price=unit_price,
                amount=amount,
            )
        )
    invoice.total = sum((line.amount for line in invoice.lines), Decimal("0.00"))


def _take_client(client: ClientAccount, differences: list[dict]) -> None:
    for difference in differences:
        if difference["field"] == "name":
            taken = db.session.execute(
                db.select(ClientAccount.id).where(
                    ClientAccount.firm_id == client.firm_id,
                    ClientAccount.display_name == difference["value"],
                    ClientAccount.id != client.id,
                )
            ).first()
            if taken:
                raise CannotResolve(
                    N_('Another client is already named "%(name)s" here.')
                    % {"name": difference["value"]}
                )
            client.display_name = difference["value"]
        elif difference["field"] == "email":
            client.email = difference["value"]


def keep_here(record, user) -> None:
    """End the link to an object QuickBooks deleted, voided or merged: the row is Skipped."""
    if record.qbo_remote_state not in GONE or record.qbo_status is not SyncStatus.NOT_SYNCED:
        raise CannotResolve(
            N_("Only a row deleted, voided or merged in QuickBooks can be kept here.")
        )
    kept = KEPT_HERE[record.qbo_remote_state]
    record.qbo_remote_state = None
    record.qbo_remote_diff = None
    mark_skipped(record, user, SyncReason.KEPT_IN_LEDGERBRIDGE, kept, "keep_here")
