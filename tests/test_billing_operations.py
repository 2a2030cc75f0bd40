"""Invoice numbers, totals, payments and refunds at the operations layer (no HTTP).

The rule protected everywhere: balance = total - payments + refunds, and the status follows it.
"""

from datetime import date
from decimal import Decimal

import pytest

from webapp.billing.operations import (
    AmountTooLarge,
    create_invoice,
    next_invoice_number,
    recalculate_invoice,
    record_payment,
    refund_payment,
)
from webapp.clients.operations import create_client, display_name_taken
from webapp.extensions import db
from webapp.models import InvoiceStatus, Payment, PaymentMethod, Refund

TODAY = date(2026, 11, 27)


def pay(invoice, amount, user=None, **kwargs):
    return record_payment(
        invoice,
        amount=Decimal(amount),
        received_on=TODAY,
        method=PaymentMethod.CHECK,
        user=user,
        **kwargs,
    )


def refund(payment, amount):
    return refund_payment(payment, amount=Decimal(amount), refunded_on=TODAY, user=None)


def expected_balance(invoice) -> Decimal:
    payments = db.session.execute(db.select(Payment).filter_by(invoice_id=invoice.id)).scalars()
    refunds = db.session.execute(
        db.select(Refund).join(Payment).where(Payment.invoice_id == invoice.id)
    ).scalars()
    # A refund does not reopen the invoice: QuickBooks books it as a RefundReceipt.
    assert all(r.amount > 0 for r in refunds)
    return invoice.total - sum(p.amount for p in payments)


def test_first_invoice_number_of_a_firm(make):
    firm = make.firm()
    assert next_invoice_number(firm.id) == "INV-00001"


def test_next_number_follows_the_highest_inv_number_and_ignores_custom_ones(make):
    firm = make.firm()
    client = make.client(firm)
    for number in ("INV-00009", "INV-00060", "INV-00010", "SPECIAL-99999", "INV-7a"):
        make.invoice(client, number=number)
    assert next_invoice_number(firm.id) == "INV-00061"


def test_invoice_numbers_are_per_firm(make):
    other = make.firm()
    make.invoice(make.client(other), number="INV-00500")
    firm = make.firm()
    assert next_invoice_number(firm.id) == "INV-00001"


def test_next_number_grows_past_five_digits(make):
    firm = make.firm()
    make.invoice(make.client(firm), number="INV-99999")
    assert next_invoice_number(firm.id) == "INV-100000"


def test_create_invoice_totals_lines_with_decimal(make):
    client = make.client(make.firm())
    invoice = create_invoice(
        client,
        number="INV-00001",
        issue_date=TODAY,
        due_date=TODAY,
        lines=[
            ("Bookkeeping", Decimal("3"), Decimal("33.33")),
            ("Payroll", Decimal("1.5"), Decimal("0.15")),  # 0.225 rounds half up to 0.23
            ("Advice", Decimal("0.1"), Decimal("0.10")),  # 0.01
        ],
    )
    assert [line.amount for line in invoice.lines] == [
        Decimal("99.99"),
        Decimal("0.23"),
        Decimal("0.01"),
    ]
    assert invoice.total == Decimal("100.23")
    assert invoice.balance == invoice.total
    assert invoice.status is InvoiceStatus.UNPAID


def test_create_invoice_refuses_a_zero_total(make):
    client = make.client(make.firm())
    with pytest.raises(ValueError):
        create_invoice(
            client,
            number="INV-00001",
            issue_date=TODAY,
            due_date=TODAY,
            lines=[("Free advice", Decimal("1"), Decimal("0"))],
        )


def test_partial_then_full_payment_moves_the_status(make):
    invoice = make.invoice(make.client(make.firm()), "100.00")
    pay(invoice, "30.00")
    assert (invoice.balance, invoice.status) == (Decimal("70.00"), InvoiceStatus.PARTIALLY_PAID)
    pay(invoice, "70.00")
    assert (invoice.balance, invoice.status) == (Decimal("0.00"), InvoiceStatus.PAID)


def test_payment_above_the_open_balance_is_refused_and_nothing_changes(make):
    invoice = make.invoice(make.client(make.firm()), "100.00")
    with pytest.raises(AmountTooLarge) as refused:
        pay(invoice, "100.01")
    assert refused.value.limit == Decimal("100.00")
    assert invoice.balance == Decimal("100.00")
    assert db.session.execute(db.select(Payment)).first() is None


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.001"])
def test_payment_amount_must_be_positive_cents(make, amount):
    invoice = make.invoice(make.client(make.firm()), "100.00")
    with pytest.raises(ValueError):
        pay(invoice, amount)


def test_payment_remembers_the_sync_box_and_who_recorded_it(make):
    user = make.user()
    invoice = make.invoice(make.client(user.firm))
    payment = pay(invoice, "10.00", user=user, sync_requested=False, description="Paid in QBO")
    assert payment.sync_requested is False
    assert payment.created_by_id == user.id
    assert payment.description == "Paid in QBO"
    assert payment.client_id == invoice.client_id


def test_a_refund_leaves_the_invoice_paid_as_quickbooks_does(make):
    # QuickBooks books a refund as a RefundReceipt, which does not reopen the invoice; the app
    # keeps the same open balance so a later payment is not refused there (code 6000).
    invoice = make.invoice(make.client(make.firm()), "100.00")
    payment = pay(invoice, "100.00")
    refund(payment, "40.00")
    assert payment.refunded_amount == Decimal("40.00")
    assert payment.refundable_amount == Decimal("60.00")
    assert (invoice.balance, invoice.status) == (Decimal("0.00"), InvoiceStatus.PAID)
    refund(payment, "60.00")
    assert payment.refundable_amount == Decimal("0.00")
    assert (invoice.balance, invoice.status) == (Decimal("0.00"), InvoiceStatus.PAID)
    with pytest.raises(AmountTooLarge):
        pay(invoice, "0.01")


def test_refund_above_what_is_left_is_refused(make):
    invoice = make.invoice(make.client(make.firm()), "100.00")
    payment = pay(invoice, "50.00")
    refund(payment, "20.00")
    with pytest.raises(AmountTooLarge) as refused:
        refund(payment, "30.01")
    assert refused.value.limit == Decimal("30.00")
    assert invoice.balance == Decimal("50.00")


def test_balance_invariant_holds_through_a_sequence_of_payments_and_refunds(make):
    invoice = make.invoice(make.client(make.firm()), "1000.00")
    steps = [
        ("pay", "250.00"),
        ("pay", "0.01"),
        ("refund", "100.00"),
        ("pay", "349.99"),
        ("refund", "0.01"),
        ("pay", "400.00"),
    ]
    payments = []
    for kind, amount in steps:
        if kind == "pay":
            payments.append(pay(invoice, amount))
        else:
            refund(next(p for p in payments if p.refundable_amount >= Decimal(amount)), amount)
        assert invoice.balance == expected_balance(invoice)
    assert invoice.balance == Decimal("0.00")
    assert invoice.status is InvoiceStatus.PAID
    db.session.commit()
    db.session.expire_all()
    assert invoice.balance == expected_balance(invoice) == Decimal("0.00")


def test_recalculate_invoice_repairs_a_wrong_balance(make):
    invoice = make.invoice(make.client(make.firm()), "100.00")
    payment = pay(invoice, "60.00")
    refund(payment, "10.00")
    invoice.balance = Decimal("999.00")
    invoice.status = InvoiceStatus.PAID
    recalculate_invoice(invoice)
    assert (invoice.balance, invoice.status) == (Decimal("40.00"), InvoiceStatus.PARTIALLY_PAID)


def test_client_names_are_unique_per_firm_ignoring_case(make):
    firm, other = make.firm(), make.firm()
    create_client(firm.id, display_name="  Acme Ltd ", email="a@example.test")
    assert display_name_taken(firm.id, "ACME LTD")
    assert not display_name_taken(other.id, "Acme Ltd")
