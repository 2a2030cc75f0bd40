"""Connecting, disconnecting and reconnecting a QuickBooks company through the real OAuth flow."""

import pytest

from webapp.extensions import db
from webapp.models import QboAccount, Role, SyncStatus
from webapp.quickbooks import oauth

pytestmark = pytest.mark.integration


def test_connecting_stores_encrypted_tokens_and_reads_the_company(qbo_firm, qbo_app):
    connection = qbo_firm.connection
    assert connection.is_connected
    assert connection.realm_id == qbo_firm.realm_id
    assert connection.company_name.startswith("Test Company")
    assert connection.connected_by_id == qbo_firm.user_id
    token = oauth.decrypt(qbo_app.config, connection.access_token_encrypted)
    assert token and token.encode() not in connection.access_token_encrypted
    assert connection.refresh_expires_at > connection.access_expires_at


def test_connecting_caches_the_companys_deposit_accounts(qbo_firm):
    names = {
        a.name
        for a in db.session.execute(db.select(QboAccount).filter_by(firm_id=qbo_firm.firm_id))
        .scalars()
        .all()
    }
    assert {"Undeposited Funds", "Checking", "Savings", "Petty Cash"} <= names
    assert "Services" not in names  # an Income account is never a deposit account


def test_the_settings_page_shows_the_connection(qbo_firm, client):
    page = client.get("/settings/integrations/quickbooks").get_data(as_text=True)
    assert "Test Company" in page
    assert "Disconnect" in page
    assert "Last successful call" in page
    assert "Checking (Bank)" in page


def test_a_forged_state_is_refused(qbo_app, client, auth, owner, qbo_company):
    auth.login(owner)
    client.post("/settings/integrations/quickbooks/connect")
    response = client.get(
        f"/settings/integrations/quickbooks/callback?code=x&state=forged&realmId={qbo_company}"
    )
    assert response.status_code == 302
    assert db.session.execute(db.select(oauth.QboConnection)).first() is None


def test_cancel_on_the_consent_page_connects_nothing(
    qbo_app, client, auth, owner, qbo_company, connect_qbo
):
    auth.login(owner)
    response = connect_qbo(client, qbo_company, action="cancel")
    assert response.status_code == 302
    assert db.session.execute(db.select(oauth.QboConnection)).first() is None


def test_staff_cannot_connect(qbo_app, client, auth, make):
    staff = make.user(role=Role.STAFF)
    db.session.commit()
    auth.login(staff)
    assert client.post("/settings/integrations/quickbooks/connect").status_code == 403


def test_disconnect_revokes_and_keeps_qbo_ids_then_reconnect_resumes(
    qbo_firm, client, make, run_jobs, connect_qbo
):
    account = make.client(qbo_firm.firm, display_name="Resume Dental")
    make.synced(account, qbo_id="77", realm_id=qbo_firm.realm_id)
    db.session.commit()
    old_access = oauth.decrypt(
        client.application.config, qbo_firm.connection.access_token_encrypted
    )

    response = client.post(
        "/settings/integrations/quickbooks/disconnect", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Reconnect" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not qbo_firm.connection.is_connected
    assert account.qbo_id == "77" and account.qbo_status is SyncStatus.SYNCED
    # The revoked token no longer works at the emulator.
    import requests

    api = f"{qbo_firm.emulator.url}/v3/company/{qbo_firm.realm_id}/companyinfo/{qbo_firm.realm_id}"
    assert (
        requests.get(api, headers={"Authorization": f"Bearer {old_access}"}, timeout=5).status_code
        == 401
    )

    assert connect_qbo(client, qbo_firm.realm_id).status_code == 302
    db.session.expire_all()
    assert qbo_firm.connection.is_connected
    assert account.qbo_id == "77"


def test_connecting_a_different_company_is_refused_while_rows_point_at_the_old_one(
    qbo_firm, client, make, connect_qbo, qbo_emulator
):
    account = make.client(qbo_firm.firm)
    make.synced(account, qbo_id="12", realm_id=qbo_firm.realm_id)
    db.session.commit()
    other = qbo_emulator.control.create_company("Another Company")
    response = connect_qbo(client, other)
    assert response.status_code == 302
    page = client.get("/settings/integrations/quickbooks").get_data(as_text=True)
    assert "different QuickBooks company" in page
    db.session.expire_all()
    assert qbo_firm.connection.realm_id == qbo_firm.realm_id


def test_right_after_connecting_the_deposit_section_polls_until_the_company_is_read(
    qbo_app, client, auth, make, qbo_company, connect_qbo, run_jobs
):
    import re
    from html import unescape

    page_url, htmx = "/settings/integrations/quickbooks", {"HX-Request": "true"}
    user = make.user()
    db.session.commit()
    auth.login(user)
    assert connect_qbo(client, qbo_company).status_code == 302
    # The job that reads the company name and its accounts has not run yet.
    page = client.get(page_url).get_data(as_text=True)
    assert "Reading the company name…" in page
    deposit = re.search(r'<section id="qbo-deposit"[^>]*>', page).group(0)
    assert 'hx-trigger="every 1s"' in deposit
    poll_url = unescape(re.search(r'hx-get="([^"]+)"', deposit).group(1))

    pending = client.get(poll_url, headers=htmx).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in pending  # still reading: keep polling
    assert "hx-swap-oob" not in pending

    run_jobs()
    final = client.get(poll_url, headers=htmx).get_data(as_text=True)
    assert "every 1s" not in final  # no trigger in the final markup: the poller stops
    assert "Checking (Bank)" in final
    box = final[final.index('<article id="qbo-connection"') :]
    assert box.startswith('<article id="qbo-connection" class="qbo-connection" hx-swap-oob="true">')
    company = db.session.execute(db.select(oauth.QboConnection)).scalar_one().company_name
    assert company.startswith("Test Company") and company in box
    assert "Reading the company name…" not in box
    assert "every 1s" not in client.get(page_url).get_data(as_text=True)  # a reload: no poller
