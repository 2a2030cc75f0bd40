"""POST /{entity}/{id}/send: the invoice is marked EmailSent and an "Emailed" webhook event is queued."""

from __future__ import annotations

from emu_helpers import fault_code


def send(api, entity_id, **params):
    return api.client.post(
        api.url(f"invoice/{entity_id}/send"),
        query_string=params,
        headers={**api.headers, "Content-Type": "application/octet-stream"},
    )


def test_send_invoice_marks_it_sent(api, control, realm):
    control.set_webhook("ledgerbridge-demo", "http://127.0.0.1:9/unreachable", "token")
    invoice = api.invoice(api.customer()["Id"], 120)
    assert invoice["EmailStatus"] == "NotSet" and "BillEmail" not in invoice
    nowhere = send(api, invoice["Id"])
    assert (
        fault_code(nowhere) == "2020"
        and nowhere.json["Fault"]["Error"][0]["element"] == "BillEmail"
    )
    assert fault_code(send(api, invoice["Id"], sendTo="not-an-address")) == "6000"

    sent = api.ok(send(api, invoice["Id"], sendTo="ap@acmedental.example"), "Invoice")
    assert sent["EmailStatus"] == "EmailSent" and sent["SyncToken"] == "1"
    assert sent["BillEmail"] == {"Address": "ap@acmedental.example"}
    assert sent["DeliveryInfo"] == {
        "DeliveryType": "Email",
        "DeliveryTime": "2026-01-15T09:00:00-08:00",
    }
    assert api.ok(api.get(f"invoice/{invoice['Id']}"), "Invoice")["EmailStatus"] == "EmailSent"
    last = control.webhook_events(realm)[-1]
    assert (last["entity"], last["entity_id"], last["operation"]) == (
        "Invoice",
        invoice["Id"],
        "Emailed",
    )


def test_send_needs_a_sendable_existing_object(api):
    payment = api.ok(api.payment(api.customer()["Id"], 5), "Payment")
    response = api.client.post(api.url(f"payment/{payment['Id']}/send"), headers=api.headers)
    assert response.status_code == 400 and fault_code(response) == "500"
    assert fault_code(send(api, "99999", sendTo="a@b.example")) == "610"
