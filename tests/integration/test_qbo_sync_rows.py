"""Each kind of row through the real chain: request → RQ job → client → emulator over HTTP."""

import json
from decimal import Decimal

import pytest

from tests.support.qbo import committed
from webapp.extensions import db
from webapp.models import Payment, PaymentSource, SyncEvent, SyncReason, SyncStatus
from webapp.quickbooks.state import SyncAction, start
from webapp.quickbooks.sync import (
    SyncNotAllowed,
    SyncStart,
    enqueue_row_job,
    request_sync,
    sync_after_create,
)

pytestmark = pytest.mark.integration


def test_client_becomes_a_qbo_customer(qbo_firm, books, sync):
    client, _, _ = books
    sync(client, qbo_firm.user)
    assert client.qbo_status is SyncStatus.SYNCED
    customers = qbo_firm.entities("Customer")
    assert [c["DisplayName"] for c in customers] == ["Acme Dental LLC"]
    assert client.qbo_id == customers[0]["Id"]
    assert client.qbo_sync_token == customers[0]["SyncToken"]
    assert client.qbo_realm_id == qbo_firm.realm_id
    events = db.session.execute(db.select(SyncEvent).filter_by(record_id=client.id)).scalars()
    assert [(e.action, e.outcome) for e in events] == [("sync", "queued"), ("sync", "synced")]


def test_client_links_an_existing_customer_with_the_same_name(qbo_firm, books, sync, qbo_user):
    made = qbo_user.post("customer", {"DisplayName": "Acme Dental LLC"})["Customer"]
    client, _, _ = books
    sync(client, qbo_firm.user)
    assert client.qbo_status is SyncStatus.SYNCED
    assert client.qbo_id == made["Id"]
    assert len(qbo_firm.entities("Customer")) == 1


def test_a_vendor_with_the_same_name_fails_with_what_to_do(qbo_firm, books, sync, qbo_user):
    qbo_user.post("vendor", {"DisplayName": "Acme Dental LLC"})
    client, _, _ = books
    sync(client, qbo_firm.user)
    assert client.qbo_status is SyncStatus.FAILED
    assert client.qbo_reason == SyncReason.NAME_CLASH.value
    assert client.qbo_error_code == "6240"  # QuickBooks' code and words stay on the row
    assert "Duplicate Name Exists Error: The name supplied already exists." in client.qbo_message
    assert "give the client another name here (Edit client), then sync again" in client.qbo_message
    assert qbo_firm.entities("Customer") == []


def test_invoice_sync_is_refused_until_the_client_is_synced(qbo_firm, books, sync):
    client, invoice, _ = books
    with pytest.raises(SyncNotAllowed, match="Sync the client account first"):
        request_sync(invoice, qbo_firm.user)
    assert invoice.qbo_status is SyncStatus.NOT_SYNCED
    sync(client, qbo_firm.user)
    sync(invoice, qbo_firm.user)
    assert invoice.qbo_status is SyncStatus.SYNCED
    [qbo_invoice] = qbo_firm.entities("Invoice")
    assert qbo_invoice["DocNumber"] == invoice.number
    assert qbo_invoice["CustomerRef"]["value"] == client.qbo_id
    assert qbo_invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"]["name"] == "Services"
    assert Decimal(str(qbo_invoice["TotalAmt"])) == Decimal("450.00")


def test_invoices_of_synced_clients_sync_when_created(qbo_firm, make, sync, run_jobs):
    client = make.client(qbo_firm.firm)
    db.session.commit()
    sync(client, qbo_firm.user)
    invoice = make.invoice(client, amount="120.00")
    assert committed(sync_after_create(invoice, qbo_firm.user)) is SyncStart.STARTED
    run_jobs()
    assert invoice.qbo_status is SyncStatus.SYNCED
    assert len(qbo_firm.entities("Invoice")) == 1


def test_a_manual_payment_with_the_box_cleared_is_skipped_and_not_sent(
    qbo_firm, make, sync, run_jobs
):
    client = make.client(qbo_firm.firm)
    db.session.commit()
    sync(client, qbo_firm.user)
    invoice = make.invoice(client)
    sync_after_create(invoice, qbo_firm.user)
    run_jobs()
    payment = make.payment(invoice, sync_requested=False, source=PaymentSource.MANUAL)
    assert sync_after_create(payment, qbo_firm.user) is None
    run_jobs()
    assert payment.qbo_status is SyncStatus.SKIPPED
    assert payment.qbo_message == "Sync turned off for this payment"
    assert qbo_firm.entities("Payment") == []


def test_payment_goes_to_undeposited_funds_by_default_and_syncs_its_invoice_first(
    qbo_firm, books, sync
):
    client, invoice, payment = books
    sync(client, qbo_firm.user)
    sync(payment, qbo_firm.user)
    assert invoice.qbo_status is SyncStatus.SYNCED  # synced first, by the payment's job
    assert payment.qbo_status is SyncStatus.SYNCED
    [qbo_payment] = qbo_firm.entities("Payment")
    assert qbo_payment["DepositToAccountRef"]["name"] == "Undeposited Funds"
    assert qbo_payment["Line"][0]["LinkedTxn"] == [{"TxnId": invoice.qbo_id, "TxnType": "Invoice"}]
    assert payment.qbo_deposit_account_id == qbo_payment["DepositToAccountRef"]["value"]
    [qbo_invoice] = qbo_firm.entities("Invoice")
    assert qbo_invoice["Balance"] == 0


def test_payment_of_an_unsynced_client_is_refused_before_anything_is_sent(qbo_firm, books):
    _, invoice, payment = books
    with pytest.raises(SyncNotAllowed, match="Sync the client account first"):
        request_sync(payment, qbo_firm.user)
    assert payment.qbo_status is SyncStatus.NOT_SYNCED
    assert qbo_firm.entities("Payment") == []


def test_a_payment_job_whose_client_left_quickbooks_fails_with_the_reason(
    qbo_firm, books, run_jobs
):
    """The client was unsynced between the click and the job: the job checks again."""
    _, invoice, payment = books
    assert start(payment, SyncAction.SYNC, qbo_firm.user)
    enqueue_row_job(SyncAction.SYNC, payment, qbo_firm.user.id)
    run_jobs()
    assert payment.qbo_status is SyncStatus.FAILED
    assert payment.qbo_message == "Sync the client account first"
    assert invoice.qbo_status is SyncStatus.NOT_SYNCED
    assert qbo_firm.entities("Payment") == []


def test_a_new_payment_of_an_unsynced_client_says_why_it_was_not_sent(
    qbo_firm, make, client, run_jobs
):
    """The box asked for QuickBooks, but the customer is not there yet: the row says so at once."""
    invoice = make.invoice(make.client(qbo_firm.firm), amount="300.00")
    db.session.commit()
    form = {
        "client_id": str(invoice.client_id),
        "invoice_id": str(invoice.id),
        "amount": "300.00",
        "received_on": "2026-11-27",
        "method": "check",
        "sync_to_qbo": "y",
        "origin": "payments",
    }
    response = client.post("/billing/payments", data=form, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Sync the client account first" in response.text
    toast = json.loads(response.headers["HX-Trigger"])["toast"]
    assert toast["message"].endswith("Not sent to QuickBooks: Sync the client account first.")
    assert toast["level"] == "warning"
    run_jobs()
    payment = db.session.execute(db.select(Payment)).scalar_one()
    assert payment.qbo_status is SyncStatus.FAILED
    assert payment.qbo_reason == SyncReason.CLIENT_NOT_SYNCED.value
    events = db.session.execute(db.select(SyncEvent).filter_by(record_type="payment")).scalars()
    assert [(e.action, e.outcome) for e in events] == [("create", "failed")]
    assert qbo_firm.entities("Payment") == []


def test_payment_goes_to_the_chosen_deposit_account(qbo_firm, books, sync, client):
    response = client.post(
        "/settings/integrations/quickbooks/deposit",
        data={"deposit_account_enabled": "y", "deposit_account": "35"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    account, _, payment = books
    sync(account, qbo_firm.user)
    sync(payment, qbo_firm.user)
    [qbo_payment] = qbo_firm.entities("Payment")
    assert qbo_payment["DepositToAccountRef"] == {"value": "35", "name": "Checking"}


def test_an_inactive_deposit_account_fails_with_a_reason_that_says_so(
    qbo_firm, books, sync, client, qbo_user
):
    client.post(
        "/settings/integrations/quickbooks/deposit",
        data={"deposit_account_enabled": "y", "deposit_account": "36"},
    )
    qbo_user.edit("Account", "36", Active=False)  # "Savings" made inactive in QuickBooks
    account, _, payment = books
    sync(account, qbo_firm.user)
    sync(payment, qbo_firm.user)
    assert payment.qbo_status is SyncStatus.FAILED
    assert payment.qbo_reason == SyncReason.DEPOSIT_ACCOUNT_INVALID.value
    assert '"Savings" no longer exists in QuickBooks or is inactive' in payment.qbo_message
    assert qbo_firm.entities("Payment") == []


def test_refund_becomes_a_refund_receipt_from_the_payments_deposit_account(
    qbo_firm, books, sync, make, run_jobs
):
    client, _, payment = books
    sync(client, qbo_firm.user)
    sync(payment, qbo_firm.user)
    refund = make.refund(payment, "50.00")
    assert committed(sync_after_create(refund, qbo_firm.user)) is SyncStart.STARTED
    run_jobs()
    assert refund.qbo_status is SyncStatus.SYNCED
    [receipt] = qbo_firm.entities("RefundReceipt")
    assert receipt["TotalAmt"] == 50.0
    assert receipt["DepositToAccountRef"]["value"] == payment.qbo_deposit_account_id
    assert receipt["CustomerRef"]["value"] == client.qbo_id


def test_after_fixing_a_name_clash_in_quickbooks_sync_again_goes_through(
    qbo_firm, books, sync, qbo_user
):
    vendor = qbo_user.post("vendor", {"DisplayName": "Acme Dental LLC"})["Vendor"]
    client, _, _ = books
    sync(client, qbo_firm.user)
    assert client.qbo_reason == SyncReason.NAME_CLASH.value
    assert client.qbo_sync_generation == 1  # refused: nothing to replay, the next try is new
    # The user renames the vendor in QuickBooks, as the reason says.
    qbo_user.edit("Vendor", vendor["Id"], DisplayName="Acme Dental Supplies")
    # QBO answers a repeated requestid with its first answer, the refusal: a new one is needed.
    sync(client, qbo_firm.user)
    assert client.qbo_status is SyncStatus.SYNCED
    assert [c["DisplayName"] for c in qbo_firm.entities("Customer")] == ["Acme Dental LLC"]
