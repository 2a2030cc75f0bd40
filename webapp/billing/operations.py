"""Invoice, payment and refund state changes shared by views, jobs and the seed command.

Each function mutates rows and flushes; the caller (a view or a job) owns the commit.
The one rule they all keep: an invoice's balance is its total minus its payments, and its
status follows from that balance. A refund does not reopen the invoice: QuickBooks books it as
a RefundReceipt, which pays money back to the customer without touching the invoice, so
QuickBooks keeps the invoice paid and so do we (README, "Refunds").
"""

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func

from ..extensions import db
from ..i18n import N_
from ..models import (
    ZERO,
    ClientAccount,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentSource,
    Refund,
    User,
)

CENT = Decimal("0.01")
INVOICE_PREFIX = "INV-"
_NUMBERED = re.compile(rf"^{INVOICE_PREFIX}(\d+)$")


class AmountTooLarge(Exception):
    """The amount is above what may still be paid (or refunded); `limit` is that maximum."""

    def __init__(self, limit: Decimal):
        super().__init__(N_("The amount is more than %(limit)s.") % {"limit": f"{limit:,.2f}"})
        self.limit = limit


def money(value: Decimal) -> Decimal:
    """Round to cents the way invoices are printed (half up), never through float."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def next_invoice_number(firm_id: int) -> str:
    """Return the next free number of the firm's INV-00001 sequence.

    Args:
        firm_id: the firm whose numbers are looked at; numbers are unique per firm only.
    """
    # Longest first, then highest: among "INV-<digits>" that is the numeric maximum,
    # without loading every number of a firm with many invoices.
    candidates = db.session.execute(
        db.select(Invoice.number)
        .where(Invoice.firm_id == firm_id, Invoice.number.like(f"{INVOICE_PREFIX}%"))
        .order_by(func.length(Invoice.number).desc(), Invoice.number.desc())
        .limit(50)
    ).scalars()
    highest = max((int(m.group(1)) for n in candidates if (m := _NUMBERED.match(n))), default=0)
    number = highest + 1
    while invoice_number_taken(firm_id, _format_number(number)):
        number += 1
    return _format_number(number)


def _format_number(number: int) -> str:
    return f"{INVOICE_PREFIX}{number:05d}"


def invoice_number_taken(firm_id: int, number: str, exclude_id: int | None = None) -> bool:
    query = db.select(Invoice.id).where(Invoice.firm_id == firm_id, Invoice.number == number)
    if exclude_id is not None:
        query = query.where(Invoice.id != exclude_id)
    return db.session.execute(query.limit(1)).first() is not None


def create_invoice(
    client: ClientAccount,
    *,
    number: str,
    issue_date: date,
    due_date: date,
    lines: list[tuple[str, Decimal, Decimal]],
    memo: str | None = None,
) -> Invoice:
    """Create an unpaid invoice whose total is the sum of its lines.

    Args:
        client: the client account billed (already checked to be the user's firm's).
        number: the invoice number, unique within the firm.
        issue_date: the invoice date.
        due_date: when payment is due (not before issue_date).
        lines: (description, quantity, unit price) for each line, in order.
        memo: an optional note.

    Raises:
        ValueError: there are no lines, or the total is not above zero.
    """
    if not lines:
        raise ValueError(N_("An invoice needs at least one line."))
    invoice = Invoice(
        firm_id=client.firm_id,
        client=client,
        number=number,
        issue_date=issue_date,
        due_date=due_date,
        memo=memo,
    )
    for position, (description, quantity, unit_price) in enumerate(lines):
        invoice.lines.append(
            InvoiceLine(
                position=position,
                description=description,
                quantity=Decimal(quantity),
                unit_price=money(unit_price),
                amount=line_amount(quantity, unit_price),
            )
        )
    invoice.total = sum((line.amount for line in invoice.lines), ZERO)
    if invoice.total <= 0:
        raise ValueError(N_("The invoice total must be more than 0."))
    invoice.balance = invoice.total
    invoice.status = InvoiceStatus.UNPAID
    db.session.add(invoice)
    db.session.flush()
    return invoice


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return money(Decimal(quantity) * Decimal(unit_price))


def recalculate_invoice(invoice: Invoice) -> Invoice:
    """Recompute the invoice's balance and status from its total and payments.

    Sums come from the database (after a flush), so rows added in this transaction count
    and rows in other sessions' open transactions do not.
    """
    db.session.flush()
    paid = db.session.execute(
        db.select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.invoice_id == invoice.id
        )
    ).scalar_one()
    invoice.balance = money(Decimal(invoice.total) - Decimal(paid))
    invoice.status = invoice_status_for(invoice.total, invoice.balance)
    db.session.flush()
    return invoice


def invoice_status_for(total: Decimal, balance: Decimal) -> InvoiceStatus:
    if balance <= 0:
        return InvoiceStatus.PAID
    if balance >= total:
        return InvoiceStatus.UNPAID
    return InvoiceStatus.PARTIALLY_PAID


def record_payment(
    invoice: Invoice,
    *,
    amount: Decimal,
    received_on: date,
    method: PaymentMethod,
    user: User | None,
    reference: str | None = None,
    description: str | None = None,
    sync_requested: bool = True,
    source: PaymentSource = PaymentSource.MANUAL,
) -> Payment:
    """Record a payment against an invoice and lower its balance in the same transaction.

    Args:
        invoice: the invoice paid (of the user's firm).
        amount: more than 0, at most two decimals, at most the open balance.
        received_on: the day the money arrived.
        method: cash, check, bank transfer, card or other.
        user: who recorded it (None for jobs and webhooks).
        reference: e.g. the check number.
        description: free text; a good place to say how a payment made in QuickBooks arrived.
        sync_requested: the "Sync this payment with QuickBooks" box.
        source: manual (default), online or quickbooks.

    Raises:
        AmountTooLarge: the amount is above the invoice's open balance.
        ValueError: the amount is not above zero.
    """
    amount = _positive_cents(amount)
    _lock(Invoice, invoice.id)
    if amount > invoice.balance:
        raise AmountTooLarge(invoice.balance)
    payment = Payment(
        firm_id=invoice.firm_id,
        client_id=invoice.client_id,
        invoice=invoice,
        amount=amount,
        refunded_amount=ZERO,
        received_on=received_on,
        method=method,
        reference=reference or None,
        description=description or None,
        source=source,
        sync_requested=sync_requested or source is not PaymentSource.MANUAL,
        created_by_id=user.id if user else None,
    )
    db.session.add(payment)
    recalculate_invoice(invoice)
    return payment


def _positive_cents(amount) -> Decimal:
    """The amount of a payment or refund, or ValueError: above zero, in whole cents."""
    amount = Decimal(amount)
    if amount <= 0 or amount != money(amount):
        raise ValueError(N_("The amount must be more than 0, with at most two decimals."))
    return amount


def refund_payment(
    payment: Payment,
    *,
    amount: Decimal,
    refunded_on: date,
    user: User | None,
    reason: str | None = None,
) -> Refund:
    """Refund part or all of a payment; the invoice stays as it was (a RefundReceipt in QBO).

    Raises:
        AmountTooLarge: the amount is above what is left to refund on the payment.
        ValueError: the amount is not above zero.
    """
    amount = _positive_cents(amount)
    _lock(Payment, payment.id)
    if amount > payment.refundable_amount:
        raise AmountTooLarge(payment.refundable_amount)
    refund = Refund(
        firm_id=payment.firm_id,
        payment=payment,
        amount=amount,
        refunded_on=refunded_on,
        reason=reason or None,
        created_by_id=user.id if user else None,
    )
    db.session.add(refund)
    payment.refunded_amount = money(payment.refunded_amount + amount)
    db.session.flush()
    return refund


def _lock(model, row_id: int) -> None:
    """Reload the row under FOR UPDATE (PostgreSQL) so two concurrent payments cannot overdraw it.

    SQLite ignores FOR UPDATE, but it serialises writers, and the check runs after the reload.
    """
    db.session.execute(
        db.select(model)
        .where(model.id == row_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
