"""Settings > Integrations > QuickBooks without QBO: access rules, saving, validation, CSRF."""

import json
from datetime import timedelta

import pytest

from webapp.extensions import db
from webapp.models import QboAccount, QboConnection, Role, utcnow

PAGE = "/settings/integrations/quickbooks"
HTMX = {"HX-Request": "true"}


def connect_locally(firm, user, days_left=90, failing=False):
    """A connection row as the OAuth callback leaves it (no tokens needed for the page)."""
    connection = QboConnection(
        firm_id=firm.id,
        realm_id="9130000000000001",
        company_name="Acme Books Inc.",
        refresh_token_encrypted=b"x",
        access_token_encrypted=b"x",
        access_expires_at=utcnow() + timedelta(hours=1),
        refresh_expires_at=utcnow() + timedelta(days=days_left),
        connected_by_id=user.id,
        connected_at=utcnow(),
        refresh_failing=failing,
    )
    db.session.add(connection)
    for qbo_id, name, kind, sub in [
        ("4", "Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
        ("35", "Checking", "Bank", "Checking"),
    ]:
        db.session.add(
            QboAccount(
                firm_id=firm.id,
                realm_id=connection.realm_id,
                qbo_id=qbo_id,
                name=name,
                account_type=kind,
                account_sub_type=sub,
            )
        )
    db.session.commit()
    return connection


def test_before_any_connection_only_undeposited_funds_is_offered(client, auth, owner):
    auth.login(owner)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Connect to QuickBooks" in page
    assert "Sync manually created payments with QuickBooks" in page
    assert "Define &#39;Deposit to&#39; account for payments" in page
    assert "Account for payments" in page
    assert page.count("<option") == 1 and "Undeposited Funds" in page


def test_the_connection_box_shows_the_company_and_the_token_dates(client, auth, owner):
    connect_locally(owner.firm, owner)
    auth.login(owner)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Acme Books Inc." in page
    assert "Test User" in page  # who connected
    assert "Refresh token expires" in page and "Access token expires" in page
    assert "Disconnect" in page
    assert "Reconnect" not in page
    assert "Checking (Bank)" in page


@pytest.mark.parametrize("days_left, failing", [(10, False), (90, True)])
def test_reconnect_is_offered_when_refresh_fails_or_expires_soon(
    client, auth, owner, days_left, failing
):
    connect_locally(owner.firm, owner, days_left=days_left, failing=failing)
    auth.login(owner)
    assert "Reconnect" in client.get(PAGE).get_data(as_text=True)


def test_the_payments_switch_saves_at_once_with_a_toast(client, auth, owner):
    auth.login(owner)
    response = client.post(f"{PAGE}/payments", data={}, headers=HTMX)
    assert response.status_code == 200
    assert b"<html" not in response.data and b'id="qbo-payments"' in response.data
    assert json.loads(response.headers["HX-Trigger"])["toast"]["message"].endswith("off.")
    db.session.refresh(owner.firm)
    assert owner.firm.sync_manual_payments is False
    client.post(f"{PAGE}/payments", data={"sync_manual_payments": "y"}, headers=HTMX)
    db.session.refresh(owner.firm)
    assert owner.firm.sync_manual_payments is True


def test_saving_a_deposit_account(client, auth, owner):
    connect_locally(owner.firm, owner)
    auth.login(owner)
    response = client.post(
        f"{PAGE}/deposit",
        data={"deposit_account_enabled": "y", "deposit_account": "35"},
        headers=HTMX,
    )
    assert response.status_code == 200
    db.session.refresh(owner.firm)
    assert owner.firm.deposit_account_enabled
    assert (owner.firm.deposit_account_qbo_id, owner.firm.deposit_account_name) == (
        "35",
        "Checking",
    )
    assert '<option selected value="35">' in response.get_data(as_text=True)


def test_an_unknown_deposit_account_is_refused_next_to_the_field(client, auth, owner):
    connect_locally(owner.firm, owner)
    auth.login(owner)
    response = client.post(
        f"{PAGE}/deposit",
        data={"deposit_account_enabled": "y", "deposit_account": "999"},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "Pick one of the accounts in the list." in response.get_data(as_text=True)
    db.session.refresh(owner.firm)
    assert owner.firm.deposit_account_qbo_id is None


def test_switching_the_deposit_account_off_means_undeposited_funds(client, auth, owner):
    owner.firm.deposit_account_enabled = True
    owner.firm.deposit_account_qbo_id = "35"
    connect_locally(owner.firm, owner)
    auth.login(owner)
    client.post(f"{PAGE}/deposit", data={"deposit_account": "35"}, headers=HTMX)
    db.session.refresh(owner.firm)
    assert not owner.firm.deposit_account_enabled and owner.firm.deposit_account_qbo_id is None


@pytest.mark.parametrize(
    "path", ["/connect", "/disconnect", "/payments", "/deposit", "/accounts/refresh"]
)
def test_staff_may_look_but_not_change(client, auth, make, path):
    staff = make.user(role=Role.STAFF)
    connect_locally(staff.firm, staff)
    auth.login(staff)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Only firm owners and admins can change these settings" in page
    assert "Disconnect" not in page and "<fieldset disabled" in page
    assert client.post(PAGE + path, headers=HTMX).status_code == 403


def test_admins_may_change_settings(client, auth, make):
    admin = make.user(role=Role.ADMIN)
    db.session.commit()
    auth.login(admin)
    assert client.post(f"{PAGE}/payments", data={}, headers=HTMX).status_code == 200


def test_changes_need_a_csrf_token(app, client, auth, owner):
    app.config["WTF_CSRF_ENABLED"] = True
    auth.login(owner)
    assert client.post(f"{PAGE}/payments", data={}, headers=HTMX).status_code == 400
    db.session.refresh(owner.firm)
    assert owner.firm.sync_manual_payments is True


def test_the_callback_needs_a_signed_in_manager(client):
    response = client.get(f"{PAGE}/callback?code=x&state=y&realmId=1")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "connected_ago, read, polls",
    [
        (timedelta(seconds=5), False, True),  # the worker is still reading the company
        (timedelta(seconds=5), True, False),  # read already: nothing to wait for
        (timedelta(minutes=2), False, False),  # no worker answered within a minute: give up
    ],
)
def test_the_deposit_section_polls_only_while_a_fresh_connection_is_being_read(
    client, auth, owner, connected_ago, read, polls
):
    connection = connect_locally(owner.firm, owner)
    connection.connected_at = utcnow() - connected_ago
    connection.accounts_fetched_at = utcnow() if read else None
    db.session.commit()
    auth.login(owner)
    page = client.get(PAGE).get_data(as_text=True)
    deposit = page[page.index('<section id="qbo-deposit"') :].split(">", 1)[0]
    assert ('hx-trigger="every 1s"' in deposit) is polls
