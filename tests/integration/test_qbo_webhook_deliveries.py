"""Webhook deliveries from QuickBooks: both formats, signed, stored before they are answered,
and harmless when duplicated, reordered or throttled on the way to being applied.

The emulator delivers to the app on a real port (`webhooks_to_app`); the rest of what comes back
from QuickBooks (CDC catch-up, the changes applied to rows) is in test_qbo_two_way.py.
"""

import json
from decimal import Decimal

import pytest

from webapp.extensions import db
from webapp.models import InvoiceStatus, QboWebhookEvent, RemoteState, SyncStatus
from webapp.quickbooks.cdc_jobs import request_catch_up
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
    qbo_app, qbo_firm, synced_payment, qbo_user, webhooks_to_app, run_jobs
):
    control = qbo_firm.emulator.control
    with webhooks_to_app(format="cloudevents"):
        current = qbo_user.read("Payment", synced_payment.qbo_id)
        qbo_user.post(
            "payment", {"Id": current["Id"], "SyncToken": current["SyncToken"]}, operation="delete"
        )
        control.deliver_webhooks()
    run_jobs()
    assert synced_payment.qbo_status is SyncStatus.NOT_SYNCED
    assert synced_payment.qbo_remote_state is RemoteState.DELETED
    assert synced_payment.qbo_message == "This was deleted in QuickBooks."


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


def test_duplicated_and_reordered_deliveries_import_one_payment(
    qbo_app, qbo_firm, synced_invoice, qbo_user, webhooks_to_app, run_jobs
):
    control = qbo_firm.emulator.control
    control.set_faults(
        qbo_firm.realm_id,
        webhook_duplicate_rate=1.0,
        webhook_reorder_rate=0.5,
        webhook_reorder_ms=1,
    )
    try:
        with webhooks_to_app():
            qbo_user.receive_payment(synced_invoice.qbo_id, "200.00")
            qbo_user.receive_payment(synced_invoice.qbo_id, "250.00")
            for _ in range(5):
                control.deliver_webhooks()
            run_jobs()
    finally:
        control.clear_faults(qbo_firm.realm_id)
    events = db.session.execute(db.select(QboWebhookEvent)).scalars().all()
    assert len({e.event_id for e in events}) == len(events)  # each stored once
    assert sorted(p.amount for p in synced_invoice.payments) == [
        Decimal("200.00"),
        Decimal("250.00"),
    ]
    assert synced_invoice.status is InvoiceStatus.PAID
    assert len(qbo_firm.entities("Payment")) == 2
