"""What happens in QuickBooks comes back: webhooks (both formats), CDC catch-up, applied changes.

A "QuickBooks user" here is the emulator's own pages and API over HTTP, as a person in QBO
would act; Ledgerbridge only learns of it through webhooks and CDC.
"""

import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import requests

from webapp.extensions import db
from webapp.models import (
    InvoiceStatus,
    Payment,
    PaymentSource,
    QboWebhookEvent,
    RemoteState,
    SyncReason,
    SyncStatus,
    utcnow,
)
from webapp.quickbooks.cdc_jobs import catch_up_all, request_catch_up
from webapp.quickbooks.state import mark_skipped
from webapp.quickbooks.sync import SYNC_OFF_FOR_PAYMENT
from webapp.quickbooks.webhooks import signature

pytestmark = pytest.mark.integration
WEBHOOK = "/settings/integrations/quickbooks/webhook"


def catch_up(firm, run_jobs):
    request_catch_up(firm.firm_id)
    run_jobs()


def deliver(client, app, payload) -> int:
    body = json.dumps(payload).encode()
    token = app.config["QBO_WEBHOOK_VERIFIER_TOKEN"]
    return client.post(
        WEBHOOK,
        data=body,
        headers={"intuit-signature": signature(token, body), "Content-Type": "application/json"},
    ).status_code


def cloud_event(realm, entity, entity_id, verb, event_id):
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "intuit.test",
        "type": f"qbo.{entity}.{verb}.v1",
        "datacontenttype": "application/json",
        "time": "2026-12-03T18:00:00.123456789Z",
        "intuitentityid": entity_id,
        "intuitaccountid": realm,
        "data": {},
    }


def test_intuit_signature_matches_intuits_test_vector():
    assert (
        signature("verify_me", b'{"stuff":"5"}') == "nfPLN16u3vMvv08ghDs+dOkLuirEVDy5wAeG/lmM2OA="
    )


def test_a_payment_received_in_quickbooks_is_imported_linked_and_the_invoice_follows(
    qbo_firm, synced_invoice, qbo_user, run_jobs
):
    received = qbo_user.receive_payment(synced_invoice.qbo_id, "449.00")
    catch_up(qbo_firm, run_jobs)

    [payment] = synced_invoice.payments
    assert payment.source is PaymentSource.QUICKBOOKS
    assert payment.qbo_status is SyncStatus.SYNCED
    assert payment.qbo_linked is True
    assert payment.qbo_id == received["Id"]
    assert payment.amount == Decimal("449.00")
    assert synced_invoice.balance == Decimal("1.00")
    assert synced_invoice.status is InvoiceStatus.PARTIALLY_PAID
    assert synced_invoice.qbo_balance == Decimal("1.00")
    # Catching up again changes nothing and duplicates nothing, here or in QBO.
    catch_up(qbo_firm, run_jobs)
    assert len(synced_invoice.payments) == 1
    assert len(qbo_firm.entities("Payment")) == 1


def test_a_payment_recorded_here_but_not_synced_is_linked_not_imported_twice(
    qbo_firm, synced_invoice, qbo_user, make, run_jobs
):
    mine = make.payment(synced_invoice, amount="450.00", sync_requested=False)
    db.session.flush()
    mark_skipped(mine, None, SyncReason.SYNC_OFF_FOR_PAYMENT, SYNC_OFF_FOR_PAYMENT)
    db.session.commit()
    received = qbo_user.receive_payment(synced_invoice.qbo_id, "450.00")
    catch_up(qbo_firm, run_jobs)

    assert synced_invoice.payments == [mine]
    assert mine.qbo_status is SyncStatus.SYNCED and mine.qbo_linked
    assert mine.qbo_id == received["Id"]
    assert len(qbo_firm.entities("Payment")) == 1


def test_an_amount_edited_in_quickbooks_flags_the_row_with_each_difference(
    qbo_firm, synced_payment, qbo_user, run_jobs
):
    current = qbo_user.read("Payment", synced_payment.qbo_id)
    qbo_user.post(
        "payment",
        {
            "Id": current["Id"],
            "SyncToken": current["SyncToken"],
            "sparse": True,
            "TxnDate": "2026-11-25",
        },
    )
    catch_up(qbo_firm, run_jobs)

    assert synced_payment.qbo_status is SyncStatus.SYNCED
    assert synced_payment.qbo_remote_state is RemoteState.CHANGED
    [difference] = synced_payment.qbo_remote_diff
    assert (difference["label"], difference["ours"], difference["theirs"]) == (
        "Date",
        "2026-11-20",
        "2026-11-25",
    )
    assert synced_payment.qbo_sync_token == str(int(current["SyncToken"]) + 1)


def test_a_payment_voided_in_quickbooks_says_so_on_the_row(
    qbo_firm, synced_payment, qbo_user, run_jobs
):
    current = qbo_user.read("Payment", synced_payment.qbo_id)
    qbo_user.post(
        "payment",
        {"Id": current["Id"], "SyncToken": current["SyncToken"], "sparse": True},
        operation="update",
        include="void",
    )
    catch_up(qbo_firm, run_jobs)

    assert synced_payment.qbo_status is SyncStatus.NOT_SYNCED
    assert synced_payment.qbo_remote_state is RemoteState.VOIDED
    assert synced_payment.qbo_message == "This was voided in QuickBooks."


def test_both_webhook_formats_are_stored_once_per_event(qbo_app, client, qbo_firm, run_jobs):
    realm = qbo_firm.realm_id
    cloud = [cloud_event(realm, "payment", "901", "created", "evt-1")]
    legacy = {
        "eventNotifications": [
            {
                "realmId": realm,
                "dataChangeEvent": {
                    "entities": [
                        {
                            "name": "Invoice",
                            "id": "902",
                            "operation": "Update",
                            "lastUpdated": "2026-12-03T10:00:00-0800",
                        }
                    ]
                },
            }
        ]
    }
    for payload in (cloud, legacy, cloud, legacy):  # Intuit repeats deliveries
        assert deliver(client, qbo_app, payload) == 200
    events = db.session.execute(db.select(QboWebhookEvent)).scalars().all()
    assert sorted((e.entity, e.entity_id, e.operation) for e in events) == [
        ("Invoice", "902", "update"),
        ("Payment", "901", "created"),
    ]
    assert {e.occurred_at.isoformat() for e in events} == {
        "2026-12-03T18:00:00.123456+00:00",
        "2026-12-03T18:00:00+00:00",
    }
    run_jobs()  # the catch-up the deliveries asked for
    db.session.expire_all()
    assert all(e.processed_at is not None for e in events)


def test_a_cloudevents_delivery_from_the_emulator_flags_a_deleted_payment(
    qbo_app, qbo_firm, synced_payment, qbo_user, served_app, run_jobs
):
    control = qbo_firm.emulator.control
    control.set_webhook(
        "ledgerbridge-demo",
        f"{served_app}{WEBHOOK}",
        verifier_token=qbo_app.config["QBO_WEBHOOK_VERIFIER_TOKEN"],
        format="cloudevents",
    )
    try:
        current = qbo_user.read("Payment", synced_payment.qbo_id)
        qbo_user.post(
            "payment", {"Id": current["Id"], "SyncToken": current["SyncToken"]}, operation="delete"
        )
        control.deliver_webhooks()
    finally:
        control.set_webhook("ledgerbridge-demo", "")
    run_jobs()
    assert synced_payment.qbo_status is SyncStatus.NOT_SYNCED
    assert synced_payment.qbo_remote_state is RemoteState.DELETED
    assert synced_payment.qbo_message == "This was deleted in QuickBooks."


def test_reordered_versions_leave_the_newest_one(qbo_firm, synced_payment, qbo_user):
    from webapp.quickbooks.remote import apply_objects

    first = qbo_user.read("Payment", synced_payment.qbo_id)
    qbo_user.post(
        "payment",
        {
            "Id": first["Id"],
            "SyncToken": first["SyncToken"],
            "sparse": True,
            "TxnDate": "2026-11-21",
        },
    )
    second = qbo_user.read("Payment", synced_payment.qbo_id)
    qbo_user.post(
        "payment",
        {
            "Id": first["Id"],
            "SyncToken": second["SyncToken"],
            "sparse": True,
            "TxnDate": "2026-11-22",
        },
    )
    third = qbo_user.read("Payment", synced_payment.qbo_id)
    for version in (third, second, third, first):  # late and repeated deliveries
        apply_objects(qbo_firm.firm_id, qbo_firm.realm_id, "Payment", [version])
    assert synced_payment.qbo_remote_diff[0]["theirs"] == "2026-11-22"
    assert synced_payment.qbo_sync_token == third["SyncToken"]


def test_a_lost_webhook_is_recovered_by_the_scheduled_catch_up(
    qbo_app, qbo_firm, synced_invoice, qbo_user, run_jobs
):
    qbo_user.receive_payment(synced_invoice.qbo_id, "450.00")  # no webhook reaches us
    connection = qbo_firm.connection
    connection.cdc_checked_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert catch_up_all() == 1
    run_jobs()
    assert [p.source for p in synced_invoice.payments] == [PaymentSource.QUICKBOOKS]
    assert synced_invoice.status is InvoiceStatus.PAID


def test_webhook_work_throttled_by_quickbooks_is_retried_and_never_lost(
    qbo_app, client, qbo_firm, synced_invoice, qbo_user, run_jobs
):
    received = qbo_user.receive_payment(synced_invoice.qbo_id, "450.00")
    control = qbo_firm.emulator.control
    control.set_faults(qbo_firm.realm_id, error_429_rate=1.0)
    try:
        event = cloud_event(qbo_firm.realm_id, "payment", received["Id"], "created", "evt-429")
        assert deliver(client, qbo_app, [event]) == 200
        run_jobs()  # the job and both retries meet 429
    finally:
        control.clear_faults(qbo_firm.realm_id)
    stored = db.session.execute(db.select(QboWebhookEvent)).scalar_one()
    assert stored.processed_at is None
    assert "did not answer" in qbo_firm.connection.cdc_error
    assert synced_invoice.payments == []

    catch_up(qbo_firm, run_jobs)  # the next scheduled catch-up
    db.session.expire_all()
    assert stored.processed_at is not None
    assert [p.qbo_id for p in synced_invoice.payments] == [received["Id"]]
    assert qbo_firm.connection.cdc_error is None


def test_a_company_out_of_reach_for_30_days_is_re_read_in_full(
    qbo_firm, synced_payment, qbo_user, run_jobs
):
    current = qbo_user.read("Payment", synced_payment.qbo_id)
    qbo_user.post(
        "payment", {"Id": current["Id"], "SyncToken": current["SyncToken"]}, operation="delete"
    )
    connection = qbo_firm.connection
    connection.cdc_synced_through = utcnow() - timedelta(days=31)
    db.session.commit()
    catch_up(qbo_firm, run_jobs)
    assert "30 days" in qbo_firm.connection.cdc_error
    assert synced_payment.qbo_status is SyncStatus.SYNCED  # nothing applied blindly

    request_catch_up(qbo_firm.firm_id, full=True)
    run_jobs()
    assert qbo_firm.connection.cdc_error is None
    assert qbo_firm.connection.cdc_synced_through > utcnow() - timedelta(minutes=1)
    assert synced_payment.qbo_remote_state is RemoteState.DELETED


def test_no_payment_is_imported_for_an_invoice_ledgerbridge_does_not_know(
    qbo_firm, synced_invoice, qbo_user, run_jobs
):
    customer = qbo_user.post("customer", {"DisplayName": "Walk-in Customer"})["Customer"]
    line = {
        "Amount": 20,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
    }
    other = qbo_user.post("invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line]})
    qbo_user.receive_payment(other["Invoice"]["Id"], "20.00")
    catch_up(qbo_firm, run_jobs)
    assert db.session.execute(db.select(Payment)).scalars().all() == []


@pytest.fixture
def served_app(qbo_app):
    """The app on a real port, so the emulator can deliver webhooks to it."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, qbo_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_reconnecting_catches_up_on_what_happened_while_disconnected(
    client, qbo_firm, synced_invoice, qbo_user, connect_qbo, run_jobs
):
    assert client.post("/settings/integrations/quickbooks/disconnect").status_code in (200, 302)
    received = qbo_user.receive_payment(synced_invoice.qbo_id, "450.00")
    # No catch-up had run before the disconnect, and the reconnect comes a second later: what
    # was received meanwhile must still be read (the reconnect does not restart the clock).
    time.sleep(1.1)
    assert connect_qbo(client, qbo_firm.realm_id).status_code == 302
    run_jobs()  # the accounts and the catch-up the reconnect asked for
    assert [p.qbo_id for p in synced_invoice.payments] == [received["Id"]]


def test_duplicated_and_reordered_deliveries_import_one_payment(
    qbo_app, qbo_firm, synced_invoice, qbo_user, served_app, run_jobs
):
    control = qbo_firm.emulator.control
    control.set_webhook(
        "ledgerbridge-demo",
        f"{served_app}{WEBHOOK}",
        verifier_token=qbo_app.config["QBO_WEBHOOK_VERIFIER_TOKEN"],
    )
    control.set_faults(
        qbo_firm.realm_id,
        webhook_duplicate_rate=1.0,
        webhook_reorder_rate=0.5,
        webhook_reorder_ms=1,
    )
    try:
        qbo_user.receive_payment(synced_invoice.qbo_id, "200.00")
        qbo_user.receive_payment(synced_invoice.qbo_id, "250.00")
        for _ in range(5):
            control.deliver_webhooks()
        run_jobs()
    finally:
        control.clear_faults(qbo_firm.realm_id)
        control.set_webhook("ledgerbridge-demo", "")
    events = db.session.execute(db.select(QboWebhookEvent)).scalars().all()
    assert len({e.event_id for e in events}) == len(events)  # each stored once
    assert sorted(p.amount for p in synced_invoice.payments) == [
        Decimal("200.00"),
        Decimal("250.00"),
    ]
    assert synced_invoice.status is InvoiceStatus.PAID
    assert len(qbo_firm.entities("Payment")) == 2


def test_a_customer_merged_in_quickbooks_shows_on_the_client_row(
    client, qbo_firm, synced_invoice, qbo_user, run_jobs
):
    survivor = qbo_user.post("customer", {"DisplayName": "Harbor Dental Group"})["Customer"]
    merged = synced_invoice.client
    response = requests.post(
        f"{qbo_user.url}/_emulator/{qbo_user.realm}/customers/{merged.qbo_id}/merge",
        data={"into": survivor["Id"]},
        timeout=5,
    )
    assert response.status_code in (200, 302, 303)
    catch_up(qbo_firm, run_jobs)
    assert merged.qbo_remote_state is RemoteState.MERGED
    assert merged.qbo_status is SyncStatus.NOT_SYNCED
    # Its invoice moved to the other customer in QuickBooks: that shows on the invoice.
    assert synced_invoice.qbo_remote_state is RemoteState.CHANGED
    assert [d["label"] for d in synced_invoice.qbo_remote_diff] == ["Customer"]
    page = client.get("/clients/").get_data(as_text=True)
    assert "Merged in QuickBooks" in page and "Keep only in Ledgerbridge" in page


def test_a_change_to_a_row_a_job_holds_is_applied_by_the_next_catch_up(
    qbo_firm, synced_payment, qbo_user, run_jobs
):
    qbo_user.edit("Payment", synced_payment.qbo_id, TxnDate="2026-11-29")
    synced_payment.qbo_status = SyncStatus.SYNCING  # as while a job works on it
    db.session.commit()
    catch_up(qbo_firm, run_jobs)
    assert synced_payment.qbo_remote_state is None  # left to the job

    synced_payment.qbo_status = SyncStatus.SYNCED  # the job is done
    db.session.commit()
    catch_up(qbo_firm, run_jobs)
    assert synced_payment.qbo_remote_state is RemoteState.CHANGED
    assert synced_payment.qbo_remote_diff[0]["theirs"] == "2026-11-29"


def test_an_invoice_voided_in_quickbooks_says_so_on_the_row(
    client, qbo_firm, synced_invoice, qbo_user, run_jobs
):
    current = qbo_user.read("Invoice", synced_invoice.qbo_id)
    qbo_user.post(
        "invoice", {"Id": current["Id"], "SyncToken": current["SyncToken"]}, operation="void"
    )
    catch_up(qbo_firm, run_jobs)
    assert synced_invoice.qbo_remote_state is RemoteState.VOIDED
    assert synced_invoice.qbo_status is SyncStatus.NOT_SYNCED
    page = client.get("/billing/invoices").get_data(as_text=True)
    assert "Voided in QuickBooks" in page and "Keep only in Ledgerbridge" in page
