"""Unsync through the real chain: what leaves QuickBooks, in which order, and what stays.

A payment's refunds go before the payment; a client or invoice is only unlinked (QuickBooks keeps
customers and invoices); a stale SyncToken is read again once; a refund still syncing is waited
for. The rows come from the `books` fixture (tests/integration/conftest.py).
"""

import pytest

from tests.support.qbo import committed
from webapp.extensions import db
from webapp.models import SyncStatus
from webapp.quickbooks import mapping
from webapp.quickbooks.sync import (
    SyncStart,
    request_sync,
    request_unsync,
)

pytestmark = pytest.mark.integration


def test_unsync_payment_deletes_its_refunds_then_the_payment(qbo_firm, books, sync, make, run_jobs):
    client, _, payment = books
    sync(client, qbo_firm.user)
    sync(payment, qbo_firm.user)
    refunds = [make.refund(payment, "20.00"), make.refund(payment, "30.00")]
    db.session.commit()
    for refund in refunds:
        sync(refund, qbo_firm.user)
    generation = payment.qbo_sync_generation
    assert committed(request_unsync(payment, qbo_firm.user)) is SyncStart.STARTED
    assert payment.qbo_status is SyncStatus.UNSYNCING
    run_jobs()
    assert qbo_firm.entities("RefundReceipt") == []
    assert qbo_firm.entities("Payment") == []
    assert payment.qbo_status is SyncStatus.NOT_SYNCED and payment.qbo_id is None
    assert payment.qbo_sync_generation == generation + 1
    assert all(r.qbo_status is SyncStatus.NOT_SYNCED and r.qbo_id is None for r in refunds)
    deletes = [
        r["requestid"].split("-")[2]  # lb-<firm>-<type>-...
        for r in qbo_firm.emulator.control.requests(qbo_firm.realm_id)
        if "-del" in (r["requestid"] or "")
    ]
    assert deletes == ["refund", "refund", "payment"]  # the refunds first, then the payment
    # Syncing again creates a new QBO payment (a fresh requestid), not a replay of the deleted one.
    sync(payment, qbo_firm.user)
    assert payment.qbo_status is SyncStatus.SYNCED
    assert len(qbo_firm.entities("Payment")) == 1


def test_unsync_client_unlinks_its_invoices_and_deletes_no_customer(
    qbo_firm, books, sync, run_jobs
):
    client, invoice, _ = books
    sync(client, qbo_firm.user)
    sync(invoice, qbo_firm.user)
    request_unsync(client, qbo_firm.user)
    run_jobs()
    assert client.qbo_status is SyncStatus.NOT_SYNCED
    assert invoice.qbo_status is SyncStatus.NOT_SYNCED and invoice.qbo_id is None
    assert len(qbo_firm.entities("Customer")) == 1
    assert len(qbo_firm.entities("Invoice")) == 1
    # Syncing again links the same customer and invoice instead of duplicating them.
    sync(client, qbo_firm.user)
    sync(invoice, qbo_firm.user)
    assert len(qbo_firm.entities("Customer")) == 1
    assert len(qbo_firm.entities("Invoice")) == 1


def test_unsync_rereads_a_stale_synctoken_once_and_deletes(
    qbo_firm, books, sync, run_jobs, monkeypatch, qbo_user
):
    from webapp.quickbooks.client import QboClient

    client, _, payment = books
    sync(client, qbo_firm.user)
    sync(payment, qbo_firm.user)
    original_read = QboClient.read
    edited = []

    def read_then_someone_edits(self, entity, entity_id):
        current = original_read(self, entity, entity_id)
        if entity == "Payment" and not edited:
            # Someone edits the payment in QuickBooks between our read and our delete.
            edited.append(True)
            qbo_user.edit("Payment", entity_id, PrivateNote="edited")
        return current

    monkeypatch.setattr(QboClient, "read", read_then_someone_edits)
    request_unsync(payment, qbo_firm.user)
    run_jobs()
    assert edited == [True]
    assert payment.qbo_status is SyncStatus.NOT_SYNCED
    assert qbo_firm.entities("Payment") == []
    deletes = [
        (r["requestid"], r["status"])
        for r in qbo_firm.emulator.control.requests(qbo_firm.realm_id)
        if (r["requestid"] or "").startswith(
            f"lb-{mapping.firm_namespace(qbo_firm.firm)}-payment-{payment.id}-g0-del"
        )
    ]
    assert [status for _, status in deletes] == [400, 200]  # 5010 stale, then the retry


def test_unsync_payment_waits_for_a_refund_still_syncing(
    qbo_firm, books, sync, make, run_jobs, client
):
    from webapp.quickbooks import jobs

    account, _, payment = books
    sync(account, qbo_firm.user)
    sync(payment, qbo_firm.user)
    refund = make.refund(payment, "25.00")
    db.session.commit()
    assert (
        committed(request_sync(refund, qbo_firm.user)) is SyncStart.STARTED
    )  # its job is queued, not yet run
    assert committed(request_unsync(payment, qbo_firm.user)) is SyncStart.STARTED
    # The unsync job runs first (as a second worker would) and must not delete the payment
    # from under the refund's job, which would then book a receipt for a payment QBO lost.
    jobs.run_unsync("payment", payment.id, qbo_firm.user_id)
    db.session.expire_all()
    assert payment.qbo_status is SyncStatus.SYNCED
    assert payment.qbo_message == (
        "Unsync failed: A refund of this payment is still being synced. "
        "Unsync again when it is done."
    )
    assert len(qbo_firm.entities("Payment")) == 1
    row = client.get(
        f"/billing/payments/{payment.id}/row", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "Unsync failed: A refund of this payment is still being synced." in row
    run_jobs()  # the refund's job, then the unsync queued behind it (its row is no longer pending)
    assert refund.qbo_status is SyncStatus.SYNCED
    assert committed(request_unsync(payment, qbo_firm.user)) is SyncStart.STARTED
    run_jobs()
    assert payment.qbo_status is SyncStatus.NOT_SYNCED
    assert refund.qbo_status is SyncStatus.NOT_SYNCED
    assert qbo_firm.entities("RefundReceipt") == [] and qbo_firm.entities("Payment") == []
