"""Every answer carries Intuit's `intuit_tid` header; accounting answers, faults included, carry `time`."""

from __future__ import annotations

from emu_helpers import basic, fault_code


def test_unrouted_accounting_urls_answer_with_a_fault(api):
    for response, status in (
        (api.get("customer/1/unknown/path"), 404),
        (api.client.get(api.url("customer"), headers=api.headers), 405),
        (api.client.put(api.url("customer"), headers=api.headers), 405),
    ):
        assert response.status_code == status and response.is_json
        assert fault_code(response) == str(status)
        assert response.json["time"].startswith("2026-01-15T09:00:00")
        assert response.headers["intuit_tid"]


def test_faults_and_auth_errors_have_time_and_tid(api, emu_client, realm):
    for response in (
        emu_client.get(f"/v3/company/{realm}/customer/1"),  # no bearer: 401 / 3200
        emu_client.get("/v3/company/404404/customer/1", headers=api.headers),  # unknown realm
        api.get("customer/999999"),  # 610
        api.query("select * from Nothing"),  # 4000
    ):
        assert response.status_code >= 400
        assert set(response.json) == {"Fault", "time"} and response.headers["intuit_tid"]


def test_oauth_control_and_page_responses_have_intuit_tid(emu_client, realm):
    token_error = emu_client.post(
        "/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": "nope"},
        headers=basic(),
    )
    assert token_error.status_code == 400 and token_error.json["error"] == "invalid_grant"
    responses = [
        token_error,
        emu_client.post("/v2/oauth2/tokens/revoke", json={"token": "nope"}, headers=basic()),
        emu_client.get("/.well-known/openid_configuration"),
        emu_client.get("/connect/oauth2?client_id=unknown"),
        emu_client.get("/_emulator/api/companies"),
        emu_client.get(f"/_emulator/{realm}/invoices"),
        emu_client.get("/_emulator/nope/invoices"),
    ]
    tids = [r.headers.get("intuit_tid") for r in responses]
    assert all(tids) and len(set(tids)) == len(tids)


def test_replayed_response_keeps_its_body_but_gets_a_new_tid(api):
    body = {"DisplayName": "Replay Co"}
    first = api.post("customer", body, requestid="rid-envelope")
    again = api.post("customer", body, requestid="rid-envelope")
    assert again.get_data() == first.get_data()
    assert again.headers["intuit_tid"] != first.headers["intuit_tid"]


LINE = {
    "Amount": 5,
    "DetailType": "SalesItemLineDetail",
    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
}


def test_bodies_with_wrong_json_types_get_a_400_fault_not_a_crash(api, control, realm):
    customer = api.customer()
    bad = [
        ("customer", {"DisplayName": 5}),
        ("customer", {"DisplayName": "Typed", "PrimaryEmailAddr": "a@b.example"}),
        (
            "invoice",
            {
                "CustomerRef": {"value": customer["Id"]},
                "Line": [{**LINE, "SalesItemLineDetail": "x"}],
            },
        ),
        (
            "payment",
            {
                "TotalAmt": 5,
                "CustomerRef": {"value": customer["Id"]},
                "Line": [{"Amount": 5, "LinkedTxn": "x"}],
            },
        ),
    ]
    for entity, body in bad:
        response = api.post(entity, body)
        assert response.status_code == 400 and fault_code(response) == "500", (entity, body)
        assert "time" in response.json
    assert [c["Id"] for c in control.entities(realm, "Customer")] == [customer["Id"]]
    assert control.entities(realm, "Invoice") == control.entities(realm, "Payment") == []


def test_a_malformed_batch_item_is_its_own_fault(api):
    body = {
        "BatchItemRequest": [
            "x",
            {"bId": "2", "operation": "create", "Customer": {"DisplayName": "Batch Co"}},
        ]
    }
    response = api.post("batch", body)
    assert response.status_code == 200
    first, second = response.json["BatchItemResponse"]
    assert first["bId"] is None and first["Fault"]["Error"][0]["code"] == "500"
    assert second["Customer"]["DisplayName"] == "Batch Co"


def test_an_emulator_bug_still_answers_as_a_system_fault(emu_app, api):
    def boom(realm):
        raise RuntimeError("bug")

    emu_app.add_url_rule("/v3/company/<realm>/boom", "boom", boom)
    response = api.get("boom")
    assert response.status_code == 500 and response.is_json
    assert response.json["Fault"]["type"] == "SystemFault" and "time" in response.json


def test_control_api_and_revoke_refuse_wrong_types_with_400(emu_client, realm):
    assert emu_client.post("/_emulator/api/companies", json={"name": 5}).status_code == 400
    assert emu_client.post("/_emulator/api/clock/advance", json={"seconds": "x"}).status_code == 400
    assert emu_client.get("/_emulator/api/requests?limit=abc").status_code == 400
    faults = f"/_emulator/api/companies/{realm}/faults"
    assert emu_client.post(faults, json={"latency_ms": "abc"}).status_code == 400
    revoke = emu_client.post(
        "/v2/oauth2/tokens/revoke",
        data="[1]",
        headers={**basic(), "Content-Type": "application/json"},
    )
    assert revoke.status_code == 200  # nothing to revoke; like an unknown token
