"""Signing out ends the session on the server, a password change ends the other sessions, and the
remember-me cookie is HttpOnly, SameSite=Lax, Secure over HTTPS and lives two weeks."""

import re
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from tests.factories import PASSWORD, Factory
from webapp.extensions import db
from webapp.models import User

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def owner(app):
    """An owner as plain data, with no app context left open: each request then gets its own
    app context (and Flask-Login its own `g`), as in production."""
    with app.app_context():
        user = Factory().user()
        db.session.commit()
        return SimpleNamespace(id=user.id, email=user.email)


def sign_in(client, user, password=PASSWORD, remember=False):
    data = {"email": user.email, "password": password}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302
    return response


def copy_cookies(source, target) -> None:
    """What a thief does with a copied cookie jar."""
    for name in ("session", "remember_token"):
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def test_a_session_cookie_copied_before_sign_out_is_refused_after_it(app, owner):
    browser, thief = app.test_client(), app.test_client()
    sign_in(browser, owner)
    copy_cookies(browser, thief)
    assert thief.get("/clients/").status_code == 200  # the copy works while signed in
    browser.post("/logout")
    response = thief.get("/clients/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_remember_me_cookie_copied_before_sign_out_is_refused_after_it(app, owner):
    browser, thief = app.test_client(), app.test_client()
    sign_in(browser, owner, remember=True)
    stolen = browser.get_cookie("remember_token").value
    thief.set_cookie("remember_token", stolen)
    assert thief.get("/clients/").status_code == 200  # the cookie alone signs in
    browser.post("/logout")
    assert thief.get("/clients/").status_code == 302
    later = app.test_client()
    later.set_cookie("remember_token", stolen)
    assert later.get("/clients/").status_code == 302


def test_a_session_id_without_its_token_is_refused(client, owner):
    with client.session_transaction() as session:
        session["_user_id"] = str(owner.id)  # what cookies carried before session tokens
    assert client.get("/clients/").status_code == 302


def test_deactivating_a_user_ends_their_sessions(app, owner):
    browser = app.test_client()
    sign_in(browser, owner)
    with app.app_context():
        db.session.get(User, owner.id).active = False
        db.session.commit()
    assert browser.get("/clients/").status_code == 302


def change_password(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        },
    )


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(app, owner):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, owner)
    sign_in(phone, owner)
    response = change_password(laptop)
    assert response.status_code == 302
    assert "Your password is changed." in laptop.get("/clients/", follow_redirects=True).text
    assert phone.get("/clients/").status_code == 302
    # The new password works, the old one does not.
    again = app.test_client()
    assert (
        again.post("/login", data={"email": owner.email, "password": PASSWORD}).status_code == 422
    )
    sign_in(again, owner, NEW_PASSWORD)


def test_a_wrong_current_password_changes_nothing(app, client, owner):
    sign_in(client, owner)
    response = change_password(client, current="not it")
    assert response.status_code == 422
    assert "That is not your current password." in response.text
    response = change_password(client, new="short")
    assert response.status_code == 422
    assert "Use 8 to 200 characters." in response.text
    response = change_password(client, confirm="something else entirely")
    assert response.status_code == 422
    assert "The two new passwords are not the same." in response.text
    assert client.get("/clients/").status_code == 200
    with app.app_context():
        assert db.session.get(User, owner.id).check_password(PASSWORD)


def test_the_password_page_is_linked_from_every_page(client, owner):
    sign_in(client, owner)
    page = client.get("/clients/").text
    assert re.search(r'<a href="/account/password"[^>]*>Change password</a>', page)
    assert client.get("/account/password").status_code == 200


def test_the_password_page_needs_a_signed_in_user(client):
    assert client.get("/account/password").status_code == 302


def test_the_create_user_command_cannot_take_over_an_existing_account(runner, owner):
    result = runner.invoke(
        args=["create-user", owner.email, "--firm", "Other", "--password", "x" * 12]
    )
    assert result.exit_code != 0


def test_the_remember_me_cookie_is_httponly_lax_and_two_weeks(client, owner):
    response = sign_in(client, owner, remember=True)
    header = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")
    )
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header  # plain HTTP here: a Secure cookie would never come back
    expires = re.search(r"Expires=([^;]+)", header).group(1)
    lifetime = datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT") - datetime.utcnow()
    assert timedelta(days=13) < lifetime <= timedelta(days=14)


def test_the_remember_me_cookie_is_secure_when_served_over_https(app, client, owner):
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    response = sign_in(client, owner, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    assert all("Secure" in header for header in cookies), cookies
