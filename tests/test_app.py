"""The app factory, sign-in, and the deny-by-default rule for pages."""

import pytest

from tests.factories import PASSWORD
from webapp.extensions import db


def test_healthz_is_public(app, client, redis_url):
    app.config["REDIS_URL"] = redis_url
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_healthz_is_503_when_redis_is_down(app, client):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "failed": ["redis"]}


@pytest.mark.parametrize(
    "path", ["/", "/clients/", "/billing/invoices", "/settings/integrations/quickbooks"]
)
def test_pages_need_a_signed_in_user(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_login_with_right_password_signs_in(client, owner):
    response = client.post("/login", data={"email": owner.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/clients/").status_code == 200


def test_login_with_wrong_password_says_so_next_to_the_field(client, owner):
    response = client.post("/login", data={"email": owner.email, "password": "nope"})
    assert response.status_code == 422
    assert b"Email or password is not right." in response.data
    assert client.get("/clients/").status_code == 302


def test_login_ignores_an_offsite_next(client, owner):
    response = client.post(
        "/login?next=//evil.example/", data={"email": owner.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_logout(client, auth, owner):
    auth.login(owner)
    assert client.post("/logout").status_code == 302
    assert client.get("/clients/").status_code == 302


def test_fragment_responses_vary_on_hx_request(client, auth, owner):
    auth.login(owner)
    assert "HX-Request" in client.get("/clients/").headers["Vary"]


def test_unknown_page_is_a_404_page(client, auth, owner):
    auth.login(owner)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"does not exist" in response.data


def test_password_is_hashed_with_scrypt(make):
    user = make.user()
    db.session.flush()
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password(PASSWORD)
