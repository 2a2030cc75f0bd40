"""OAuth 2.0: consent page, code exchange, refresh rotation with 24 h grace, revoke, discovery."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from emu_helpers import Api, basic, fault_code

from qbo_emulator import create_app

REDIRECT = "http://127.0.0.1:5000/qbo/callback"
AUTH_PARAMS = {
    "client_id": "ledgerbridge-demo",
    "response_type": "code",
    "scope": "com.intuit.quickbooks.accounting",
    "redirect_uri": REDIRECT,
    "state": "st-123",
}


def connect(client, **form):
    response = client.post("/connect/oauth2", data={**AUTH_PARAMS, "action": "connect", **form})
    assert response.status_code == 302, response.get_data(as_text=True)
    return parse_qs(urlparse(response.headers["Location"]).query)


def exchange(client, code, redirect_uri=REDIRECT, auth=None):
    return client.post(
        "/oauth2/v1/tokens/bearer",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
        headers=auth or basic(),
    )


def refresh(client, token):
    return client.post(
        "/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": token},
        headers=basic(),
    )


def test_consent_page_lists_companies_and_carries_params(emu_client):
    page = emu_client.get("/connect/oauth2", query_string=AUTH_PARAMS).get_data(as_text=True)
    assert 'name="realm_id"' in page and "Demo Sandbox Company" in page
    assert 'name="new_company_name"' in page and "or create a sandbox company" in page
    assert 'name="action" value="connect"' in page and 'value="cancel"' in page
    assert 'name="state" value="st-123"' in page and 'action="/connect/oauth2"' in page


def test_cancel_redirects_with_access_denied(emu_client):
    response = emu_client.post("/connect/oauth2", data={**AUTH_PARAMS, "action": "cancel"})
    params = parse_qs(urlparse(response.headers["Location"]).query)
    assert params == {"error": ["access_denied"], "state": ["st-123"]}


def test_unregistered_redirect_is_refused(emu_client):
    response = emu_client.get(
        "/connect/oauth2", query_string={**AUTH_PARAMS, "redirect_uri": "https://evil.example/cb"}
    )
    assert response.status_code == 400


def test_connect_exchange_and_call_api(emu_client, realm):
    params = connect(emu_client, realm_id=realm)
    assert params["state"] == ["st-123"] and params["realmId"] == [realm]
    response = exchange(emu_client, params["code"][0])
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["x_refresh_token_expires_in"] == 8726400 and body["refresh_token"]
    api = emu_client.get(
        f"/v3/company/{realm}/companyinfo/{realm}",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert api.json["CompanyInfo"]["CompanyName"] == "Demo Sandbox Company"


def test_connect_can_create_a_new_company(emu_client, control):
    params = connect(emu_client, new_company_name="Reyes Dental")
    realm = params["realmId"][0]
    assert {"realmId": realm, "name": "Reyes Dental"} in control.list_companies()


def test_code_is_single_use_and_client_checked(emu_client, realm):
    code = connect(emu_client, realm_id=realm)["code"][0]
    assert exchange(emu_client, code, auth=basic(secret="wrong")).status_code == 401
    assert exchange(emu_client, code).status_code == 200
    again = exchange(emu_client, code)
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"


def test_code_expires(emu_client, realm, clock):
    code = connect(emu_client, realm_id=realm)["code"][0]
    clock.advance(301)
    assert exchange(emu_client, code).json["error"] == "invalid_grant"


def test_refresh_rotates_with_24h_grace_for_previous(emu_client, realm, clock):
    first = exchange(emu_client, connect(emu_client, realm_id=realm)["code"][0]).json
    second = refresh(emu_client, first["refresh_token"]).json
    assert second["refresh_token"] != first["refresh_token"]
    clock.advance(23 * 3600)
    grace = refresh(emu_client, first["refresh_token"])
    assert grace.status_code == 200 and grace.json["refresh_token"] == second["refresh_token"]
    clock.advance(2 * 3600)
    late = refresh(emu_client, first["refresh_token"])
    assert late.status_code == 400 and late.json["error"] == "invalid_grant"
    assert refresh(emu_client, second["refresh_token"]).status_code == 200


def test_access_token_expires_after_an_hour(api, clock):
    assert api.get("preferences").status_code == 200
    clock.advance(3601)
    response = api.get("preferences")
    assert response.status_code == 401 and fault_code(response) == "3200"
    assert "time" in response.json and response.headers["intuit_tid"]


def test_missing_or_bad_bearer_gives_3200(emu_client, realm):
    response = emu_client.get(f"/v3/company/{realm}/preferences")
    assert response.status_code == 401 and fault_code(response) == "3200"
    response = emu_client.get(
        f"/v3/company/{realm}/preferences", headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401 and response.json["Fault"]["type"] == "AUTHENTICATION"


def test_control_expire_tokens(api, emu_client, realm):
    assert emu_client.post(f"/_emulator/api/companies/{realm}/expire-tokens").status_code == 200
    assert fault_code(api.get("preferences")) == "3200"


def test_revoke_json_and_form(emu_client, control, realm):
    for send in ("json", "form"):
        api = Api(emu_client, control, realm)
        kwargs = {send if send == "json" else "data": {"token": api.tokens["refresh_token"]}}
        assert (
            emu_client.post("/v2/oauth2/tokens/revoke", headers=basic(), **kwargs).status_code
            == 200
        )
        assert api.get("preferences").status_code == 401
        assert refresh(emu_client, api.tokens["refresh_token"]).json["error"] == "invalid_grant"


def test_discovery_document_points_at_emulator(emu_client):
    doc = emu_client.get("/.well-known/openid_configuration").json
    for key in (
        "authorization_endpoint",
        "token_endpoint",
        "revocation_endpoint",
        "issuer",
        "jwks_uri",
        "userinfo_endpoint",
    ):
        assert doc[key].startswith("http://localhost"), key
    assert doc["token_endpoint"].endswith("/oauth2/v1/tokens/bearer")


def test_intuit_like_daily_rotation_keeps_the_token_for_24h(tmp_path, clock):
    app = create_app(
        {"DATABASE": str(tmp_path / "daily.db"), "REFRESH_TOKEN_ROTATION_SECONDS": 86400},
        clock=clock,
    )
    client, control = app.test_client(), app.extensions["qbo_emulator"].control
    try:
        first = control.issue_tokens("ledgerbridge-demo", control.demo_realm_id())
        clock.advance(3600)
        same = refresh(client, first["refresh_token"]).json
        assert same["refresh_token"] == first["refresh_token"]
        assert same["access_token"] != first["access_token"] and same["expires_in"] == 3600
        clock.advance(23 * 3600)  # the refresh token is a day old now: it rotates
        rotated = refresh(client, first["refresh_token"]).json["refresh_token"]
        assert rotated != first["refresh_token"]
        clock.advance(23 * 3600)
        assert refresh(client, first["refresh_token"]).json["refresh_token"] == rotated
        clock.advance(2 * 3600)
        assert refresh(client, first["refresh_token"]).json == {
            "error": "invalid_grant",
            "error_description": "Incorrect or invalid refresh token",
        }
    finally:
        app.extensions["qbo_emulator"].dispatcher.stop()
