"""Before a payment is recorded by hand: does QuickBooks already show one on that invoice?

Read from the local copy of QuickBooks (payments imported from it, the invoice's open balance
there), kept fresh by webhooks and the CDC catch-up, so the dialog never calls QuickBooks.
The seed problem: a client pays through QuickBooks while staff also record the payment here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import format_date
from flask_babel import gettext as _

from ..extensions import db
from ..i18n import N_, amount
from ..models import Invoice, Payment, PaymentSource, SyncStatus

CHOICES = ("link", "unsynced", "anyway")


@dataclass
class QboWarning:
    message: str
    payment: Payment | None  # the QBO payment to link to, when there is one


def open_in_quickbooks(invoice: Invoice | None) -> Decimal | None:
    """QuickBooks' open balance for the invoice, when it is lower than ours (else None)."""
    if invoice is None or invoice.qbo_status is not SyncStatus.SYNCED:
        return None
    if invoice.qbo_balance is None or invoice.qbo_balance >= invoice.balance:
        return None
    return invoice.qbo_balance


def unclaimed_qbo_payment(invoice: Invoice) -> Payment | None:
    """A payment received in QuickBooks and imported here that no one has recorded by hand yet."""
    return db.session.execute(
        db.select(Payment)
        .where(
            Payment.invoice_id == invoice.id,
            Payment.source == PaymentSource.QUICKBOOKS,
            Payment.qbo_status == SyncStatus.SYNCED,
            Payment.created_by_id.is_(None),
        )
        .order_by(Payment.received_on.desc(), Payment.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def warning_for(invoice: Invoice) -> QboWarning | None:
    if invoice.qbo_status is not SyncStatus.SYNCED:
        return None
    received = unclaimed_qbo_payment(invoice)
    if received is not None:
        return QboWarning(
            _(
                "QuickBooks already shows a payment of %(amount)s on %(date)s for %(number)s",
                amount=amount(received.amount),
                date=format_date(received.received_on, "d MMM yyyy"),
                number=invoice.number,
            ),
            received,
        )
    open_there = open_in_quickbooks(invoice)
    if open_there is not None:
        return QboWarning(
            _(
                "QuickBooks shows an open balance of %(theirs)s for %(number)s, not %(ours)s: a "
                "payment may already be recorded there",
                theirs=amount(open_there),
                number=invoice.number,
                ours=amount(invoice.balance),
            ),
            None,
        )
    return None


def link_to(received: Payment, user, method, reference, description) -> None:
    """Record the hand-entered details on the payment QuickBooks already has, instead of a new one."""
    from ..quickbooks.state import record_history

    received.method = method
    received.reference = reference or received.reference
    received.description = description or received.description
    received.created_by_id = user.id
    record_history(
        received,
        user,
        "link",
        "synced",
        message=N_("Recorded by hand as QuickBooks payment %(id)s; no second payment made")
        % {"id": received.qbo_id},
    )
