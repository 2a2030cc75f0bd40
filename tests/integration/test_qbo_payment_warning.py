"""Record payment knows what QuickBooks already shows on the invoice, and asks before a duplicate."""

from decimal import Decimal

import pytest

from webapp.extensions import db
from webapp.models import Payment, PaymentSource, SyncStatus
from webapp.quickbooks.cdc_jobs import request_catch_up

pytestmark = pytest.mark.integration
HTMX = {"HX-Request": "true"}


@pytest.fixture
def paid_in_quickbooks(qbo_firm, synced_invoice, qbo_user, run_jobs):
    """200.00 of the 450.00 invoice received in QuickBooks, and imported by the catch-up."""
    qbo_user.receive_payment(synced_invoice.qbo_id, "200.00")
    request_catch_up(qbo_firm.firm_id)
    run_jobs()
    [received] = synced_invoice.payments
    assert received.source is PaymentSource.QUICKBOOKS
    return received


def record(client, invoice, amount="200.00", **extra):
    form = {
        "client_id": str(invoice.client_id),
        "invoice_id": str(invoice.id),
        "amount": amount,
        "received_on": "2026-12-03",
        "method": "check",
        "reference": "CHK-1045",
        "sync_to_qbo": "y",
        "origin": "payments",
        **extra,
    }
    return client.post("/billing/payments", data=form, headers=HTMX)


def test_the_dialog_warns_before_recording_a_payment_quickbooks_already_has(
    client, synced_invoice, paid_in_quickbooks
):
    response = record(client, synced_invoice)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    day = paid_in_quickbooks.received_on
    assert (
        f"QuickBooks already shows a payment of 200.00 on {day.day} {day:%b %Y} "
        f"for {synced_invoice.number}"
    ) in text
    for choice in ("Link to that payment instead", "Record without syncing", "Record anyway"):
        assert choice in text
    assert db.session.execute(db.select(Payment)).scalars().all() == [paid_in_quickbooks]


def test_link_to_that_payment_records_nothing_new_here_or_in_quickbooks(
    client, qbo_firm, synced_invoice, paid_in_quickbooks, run_jobs
):
    response = record(client, synced_invoice, qbo_choice="link")
    assert response.status_code == 200
    run_jobs()
    db.session.expire_all()
    assert synced_invoice.payments == [paid_in_quickbooks]
    assert paid_in_quickbooks.reference == "CHK-1045"
    assert paid_in_quickbooks.created_by_id == qbo_firm.user_id
    assert len(qbo_firm.entities("Payment")) == 1
    # Claimed by a person now: a later payment on the invoice is not warned about it again.
    assert record(client, synced_invoice, amount="150.00").status_code == 200


def test_record_without_syncing_keeps_it_out_of_quickbooks(
    client, qbo_firm, synced_invoice, paid_in_quickbooks, run_jobs
):
    response = record(client, synced_invoice, amount="150.00", qbo_choice="unsynced")
    assert response.status_code == 200
    run_jobs()
    mine = db.session.execute(
        db.select(Payment).where(Payment.source == PaymentSource.MANUAL)
    ).scalar_one()
    assert mine.qbo_status is SyncStatus.SKIPPED
    assert len(qbo_firm.entities("Payment")) == 1


def test_the_amount_field_knows_quickbooks_open_balance(client, synced_invoice):
    synced_invoice.qbo_balance = Decimal("1.00")  # as the catch-up last saw it
    db.session.commit()
    page = client.get(f"/billing/payments/new?invoice_id={synced_invoice.id}", headers=HTMX)
    text = page.get_data(as_text=True)
    assert 'value="1.00"' in text
    assert "QuickBooks shows 1.00 open on this invoice; Ledgerbridge shows 450.00." in text
    response = record(client, synced_invoice, amount="11.31")
    assert response.status_code == 422
    assert f"QuickBooks shows an open balance of 1.00 for {synced_invoice.number}" in (
        response.get_data(as_text=True)
    )
