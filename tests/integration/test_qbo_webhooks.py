"""Intuit webhooks: the emulator calls our endpoint over HTTP, a job re-reads what changed."""

import json

import pytest
import requests

from webapp.extensions import db
from webapp.models import SyncStatus
from webapp.quickbooks.sync import request_sync
from webapp.quickbooks.webhooks import signature

pytestmark = pytest.mark.integration


@pytest.fixture
def synced_payment(qbo_firm, make, run_jobs):
    client = make.client(qbo_firm.firm)
    invoice = make.invoice(client)
    payment = make.payment(invoice)
    db.session.commit()
    for record in (client, payment):
        request_sync(record, qbo_firm.user)
        run_jobs()
    assert payment.qbo_status is SyncStatus.SYNCED
    return payment


def test_a_payment_deleted_in_quickbooks_becomes_not_synced(
    qbo_app, qbo_firm, synced_payment, webhooks_to_app, run_jobs
):
    control = qbo_firm.emulator.control
    with webhooks_to_app():
        tokens = control.issue_tokens("ledgerbridge-demo", qbo_firm.realm_id)
        response = requests.post(
            f"{qbo_firm.emulator.url}/v3/company/{qbo_firm.realm_id}/payment?operation=delete",
            json={"Id": synced_payment.qbo_id, "SyncToken": synced_payment.qbo_sync_token},
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            timeout=5,
        )
        assert response.status_code == 200
        control.deliver_webhooks()
        delivered = [
            e for e in control.webhook_events(qbo_firm.realm_id) if e["status"] == "delivered"
        ]
        assert delivered
    run_jobs()
    assert synced_payment.qbo_status is SyncStatus.NOT_SYNCED
    assert synced_payment.qbo_id is None
    assert synced_payment.qbo_message == "This was deleted in QuickBooks."


def test_a_webhook_with_a_bad_signature_is_refused(qbo_app, client):
    body = json.dumps({"eventNotifications": []}).encode()
    response = client.post(
        "/settings/integrations/quickbooks/webhook",
        data=body,
        headers={
            "intuit-signature": signature("wrong-token", body),
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 401


def test_a_signed_webhook_needs_no_login_or_csrf(qbo_app, client):
    qbo_app.config["WTF_CSRF_ENABLED"] = True
    body = json.dumps({"eventNotifications": []}).encode()
    response = client.post(
        "/settings/integrations/quickbooks/webhook",
        data=body,
        headers={
            "intuit-signature": signature(qbo_app.config["QBO_WEBHOOK_VERIFIER_TOKEN"], body),
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 200


def test_the_echo_of_our_own_create_is_recognised_and_costs_no_call(
    qbo_app, qbo_firm, make, webhooks_to_app, run_jobs
):
    from webapp.models import QboWebhookEvent

    control = qbo_firm.emulator.control
    with webhooks_to_app():
        client = make.client(qbo_firm.firm)
        db.session.commit()
        request_sync(client, qbo_firm.user)
        run_jobs()
        assert client.qbo_status is SyncStatus.SYNCED
        calls = len(control.requests(qbo_firm.realm_id))
        control.deliver_webhooks()  # QuickBooks tells us of the customer we just made
    run_jobs()  # an echo that arrived before our job stored the create is settled here
    events = db.session.scalars(db.select(QboWebhookEvent)).all()
    assert [(e.entity, e.entity_id) for e in events] == [("Customer", client.qbo_id)]
    assert events[0].processed_at is not None
    assert len(control.requests(qbo_firm.realm_id)) == calls  # no catch-up call for it


def test_an_echo_delivered_before_our_job_stored_the_create_still_costs_no_call(
    qbo_firm, make, run_jobs
):
    """QuickBooks may deliver a create's webhook before the create's answer is stored here: the
    event waits in the inbox, and its processing recognises the echo before any catch-up."""
    from datetime import UTC, datetime

    from webapp.models import QboWebhookEvent
    from webapp.quickbooks.cdc_jobs import request_inbox_processing

    client = make.client(qbo_firm.firm)
    db.session.commit()
    request_sync(client, qbo_firm.user)
    run_jobs()
    event = QboWebhookEvent(
        event_id="early-echo",
        realm_id=qbo_firm.realm_id,
        entity="Customer",
        entity_id=client.qbo_id,
        operation="created",
        occurred_at=datetime.now(UTC),
    )
    db.session.add(event)
    db.session.commit()
    calls = len(qbo_firm.emulator.control.requests(qbo_firm.realm_id))
    request_inbox_processing(qbo_firm.realm_id)
    run_jobs()
    assert db.session.get(QboWebhookEvent, event.id).processed_at is not None
    assert len(qbo_firm.emulator.control.requests(qbo_firm.realm_id)) == calls
