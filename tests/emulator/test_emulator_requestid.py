"""requestid: replay byte for byte, Fault 600 on reuse with another request, scope and TTL."""

from __future__ import annotations

from emu_helpers import Api, fault_code


def count(control, realm, entity):
    return len(control.entities(realm, entity))


def test_same_request_replays_byte_for_byte(api, control, realm, clock):
    body = {"DisplayName": "Replay Co"}
    first = api.post("customer", body, requestid="req-1", minorversion=75)
    clock.advance(5)
    second = api.post("customer", body, requestid="req-1", minorversion=75)
    assert first.status_code == second.status_code == 200
    assert first.get_data() == second.get_data()
    assert count(control, realm, "Customer") == 1


def test_same_id_different_request_gives_600(api, control, realm):
    api.post("customer", {"DisplayName": "One"}, requestid="req-2")
    response = api.post("customer", {"DisplayName": "Two"}, requestid="req-2")
    assert response.status_code == 400 and fault_code(response) == "600"
    assert count(control, realm, "Customer") == 1


def test_fault_responses_replay_too(api):
    first = api.post("customer", {"CompanyName": "nameless"}, requestid="req-3")
    again = api.post("customer", {"CompanyName": "nameless"}, requestid="req-3")
    assert first.status_code == again.status_code == 400 and first.get_data() == again.get_data()


def test_requestids_are_scoped_per_company_and_client(api, emu_client, control, emu_app):
    other_realm = control.create_company("Second Co")
    other = Api(emu_client, control, other_realm)
    assert api.post("customer", {"DisplayName": "Same"}, requestid="shared").status_code == 200
    assert other.post("customer", {"DisplayName": "Same"}, requestid="shared").status_code == 200
    assert count(control, other_realm, "Customer") == 1


def test_requestid_expires_after_ttl(api, control, realm, clock, emu_app):
    ttl = emu_app.config["REQUESTID_TTL_SECONDS"]
    customer = api.customer()
    body = {"TotalAmt": 5, "CustomerRef": {"value": customer["Id"]}}
    api.ok(api.post("payment", body, requestid="pay-1"))
    clock.advance(ttl + 1)
    api.reauth()
    api.ok(api.post("payment", body, requestid="pay-1"))
    assert count(control, realm, "Payment") == 2


def test_lost_response_then_retry_with_requestid_finds_the_payment(api, control, realm):
    customer = api.customer()
    invoice = api.invoice(customer["Id"], 90)
    control.set_faults(realm, lost_response_rate=1.0)
    body = {
        "TotalAmt": 90,
        "CustomerRef": {"value": customer["Id"]},
        "Line": [{"Amount": 90, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
    }
    lost = api.post("payment", body, requestid="pay-lost")
    assert lost.status_code == 500 and lost.json["Fault"]["type"] == "SystemFault"
    assert count(control, realm, "Payment") == 1
    control.clear_faults(realm)
    retry = api.post("payment", body, requestid="pay-lost")
    assert retry.status_code == 200 and retry.json["Payment"]["TotalAmt"] == 90
    assert count(control, realm, "Payment") == 1
    assert api.ok(api.get(f"invoice/{invoice['Id']}"), "Invoice")["Balance"] == 0
