"""Webhooks: Intuit's payloads, the intuit-signature HMAC, ordered delivery and retries."""

from __future__ import annotations

import json

from emu_helpers import Receiver

from qbo_emulator.webhooks import sign

TOKEN = "verify_me"


def test_signature_matches_intuit_test_vector():
    assert sign(b'{"stuff":"5"}', "verify_me") == "nfPLN16u3vMvv08ghDs+dOkLuirEVDy5wAeG/lmM2OA="


def entities_of(body: bytes) -> list[dict]:
    note = json.loads(body)["eventNotifications"]
    assert len(note) == 1
    return note[0]["dataChangeEvent"]["entities"]


def test_legacy_payload_signed_for_every_change(api, emu_client, realm, receiver):
    response = emu_client.put(
        "/_emulator/api/apps/ledgerbridge-demo/webhook",
        json={"url": receiver.url, "verifier_token": TOKEN, "format": "legacy"},
    )
    assert response.status_code == 200
    customer = api.customer()
    invoice = api.invoice(customer["Id"], 50)
    api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="void")
    got = receiver.wait_for(3)
    assert len(got) == 3
    for headers, body in got:
        assert headers["Intuit-Signature"] == sign(body, TOKEN)
        assert json.loads(body)["eventNotifications"][0]["realmId"] == realm
    seen = [(e["name"], e["id"], e["operation"]) for _, body in got for e in entities_of(body)]
    assert seen == [
        ("Customer", customer["Id"], "Create"),
        ("Invoice", invoice["Id"], "Create"),
        ("Invoice", invoice["Id"], "Void"),
    ]
    assert entities_of(got[0][1])[0]["lastUpdated"] == "2026-01-15T09:00:00-0800"


def test_cloudevents_format(api, control, realm, receiver):
    control.set_webhook("ledgerbridge-demo", receiver.url, TOKEN, format="cloudevents")
    customer = api.customer()
    [(headers, body)] = receiver.wait_for(1)
    [event] = json.loads(body)
    assert event["specversion"] == "1.0" and event["type"] == "qbo.customer.created.v1"
    assert event["intuitentityid"] == customer["Id"] and event["intuitaccountid"] == realm
    assert headers["Intuit-Signature"] == sign(body, TOKEN)


def test_failed_delivery_retries_on_schedule_and_holds_later_events(manual_emu, clock):
    api, control, realm = manual_emu, manual_emu.control, manual_emu.realm
    rec = Receiver(fail_first=2)
    try:
        control.set_webhook("ledgerbridge-demo", rec.url, TOKEN, format="legacy")
        first = api.customer("First")
        second = api.customer("Second")

        def statuses():
            return [(e["status"], e["attempts"]) for e in control.webhook_events(realm)]

        assert control.deliver_webhooks() is True
        # Only the head of the queue was tried; the second event waits behind the failed first.
        assert rec.attempts == 1 and rec.received == []
        assert statuses() == [("pending", 1), ("pending", 0)]

        clock.advance(9)  # schedule in this app: 10, 20, 30 seconds
        assert control.deliver_webhooks() is False and rec.attempts == 1
        clock.advance(1)
        assert control.deliver_webhooks() is True
        assert rec.attempts == 2 and statuses() == [("pending", 2), ("pending", 0)]

        clock.advance(19)
        assert control.deliver_webhooks() is False and rec.attempts == 2
        clock.advance(1)
        control.deliver_webhooks()  # first succeeds, then the second is due at once
        control.deliver_webhooks()
        ids = [entities_of(body)[0]["id"] for _, body in rec.received]
        assert ids == [first["Id"], second["Id"]]
        assert statuses() == [("delivered", 3), ("delivered", 1)]
        assert control.deliver_webhooks() is False  # nothing left to send
    finally:
        rec.close()


def test_page_actions_fire_webhooks(api, control, emu_client, realm, receiver):
    control.set_webhook("ledgerbridge-demo", receiver.url, TOKEN, format="legacy")
    invoice = api.invoice(api.customer()["Id"], 75)
    receiver.wait_for(2)
    emu_client.post(
        f"/_emulator/{realm}/invoices/{invoice['Id']}/receive-payment", data={"amount": "75.00"}
    )
    got = receiver.wait_for(4)
    ops = [(e["name"], e["operation"]) for _, body in got[2:] for e in entities_of(body)]
    assert ops == [("Payment", "Create"), ("Invoice", "Update")]


def test_no_events_for_apps_not_connected(emu_client, control, receiver):
    control.set_webhook("ledgerbridge-demo", receiver.url, TOKEN)
    other = control.create_company("Unconnected")
    emu_client.post(f"/_emulator/{other}/payments/1/delete")
    assert control.webhook_events(other) == []


def test_every_page_action_queues_its_webhooks(manual_emu):
    api, control, realm = manual_emu, manual_emu.control, manual_emu.realm
    client = api.client
    control.set_webhook("ledgerbridge-demo", "http://127.0.0.1:9/unreachable", TOKEN)
    customer = api.customer()
    invoice = api.invoice(customer["Id"], 90)
    line = {
        "Amount": 5,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
    }
    refund = api.ok(
        api.post("refundreceipt", {"DepositToAccountRef": {"value": "35"}, "Line": [line]}),
        "RefundReceipt",
    )
    before = len(control.webhook_events(realm))

    pages = f"/_emulator/{realm}"
    for amount in ("30.00", "20.00"):
        client.post(f"{pages}/invoices/{invoice['Id']}/receive-payment", data={"amount": amount})
    first, second = (p["Id"] for p in control.entities(realm, "Payment"))
    client.post(f"{pages}/payments/{first}/void")
    client.post(f"{pages}/payments/{second}/delete")
    client.post(f"{pages}/refunds/{refund['Id']}/delete")

    queued = [
        (e["entity"], e["entity_id"], e["operation"])
        for e in control.webhook_events(realm)[before:]
    ]
    assert queued == [
        ("Payment", first, "Create"),
        ("Invoice", invoice["Id"], "Update"),
        ("Payment", second, "Create"),
        ("Invoice", invoice["Id"], "Update"),
        ("Payment", first, "Void"),
        ("Invoice", invoice["Id"], "Update"),
        ("Payment", second, "Delete"),
        ("Invoice", invoice["Id"], "Update"),
        ("RefundReceipt", refund["Id"], "Delete"),
    ]
