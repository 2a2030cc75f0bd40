"""Security headers on every kind of response, no caching of signed-in pages, size limits."""

import pytest

from webapp.extensions import db
from webapp.models import ClientAccount
from webapp.security import CONTENT_SECURITY_POLICY

HX = {"HX-Request": "true"}
WEBHOOK = "/settings/integrations/quickbooks/webhook"


def csp(response) -> str:
    return response.headers.get("Content-Security-Policy") or response.headers.get(
        "Content-Security-Policy-Report-Only", ""
    )


def assert_security_headers(response) -> None:
    policy = csp(response)
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy and "unsafe" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/clients/", {}, 200),  # a page
        ("/clients/", HX | {"HX-Target": "clients-results"}, 200),  # a fragment
        ("/billing/invoices/new", HX, 200),  # a dialog form
        ("/no-such-page", {}, 404),  # an error page
        ("/billing/invoices/999999/row", HX, 404),  # an error fragment
        ("/static/css/app.css", {}, 200),  # a static file
    ],
)
def test_signed_in_responses_carry_the_security_headers(client, user, path, headers, status):
    response = client.get(path, headers=headers)
    assert response.status_code == status
    assert_security_headers(response)


@pytest.mark.parametrize("path", ["/login", "/healthz", "/clients/"])
def test_anonymous_responses_carry_them_too(client, path):
    assert_security_headers(client.get(path))


def test_the_webhook_and_a_405_carry_them(client):
    assert_security_headers(client.post(WEBHOOK, data=b"[]"))
    assert_security_headers(client.get(WEBHOOK))


def test_signed_in_pages_and_fragments_are_never_cached(client, user):
    for headers in ({}, HX | {"HX-Target": "clients-results"}):
        assert client.get("/clients/", headers=headers).headers["Cache-Control"] == "no-store"
    assert client.get("/no-such-page").headers["Cache-Control"] == "no-store"
    # Static files hold nothing private and may be cached.
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def test_hsts_only_when_cookies_are_https_only(app, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    app.config["SESSION_COOKIE_SECURE"] = True
    assert client.get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_the_policy_is_enforced_when_configured(app, client):
    app.config["CONTENT_SECURITY_POLICY_ENFORCED"] = True
    response = client.get("/login")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "Content-Security-Policy-Report-Only" not in response.headers


def test_a_body_over_one_mebibyte_is_refused_and_writes_nothing(client, user):
    response = client.post(
        "/clients/", data={"display_name": "Big", "address": "x" * (1024 * 1024)}, headers=HX
    )
    assert response.status_code == 413
    assert "too large" in response.headers["HX-Trigger"]
    assert_security_headers(response)
    count = db.session.execute(db.select(db.func.count()).select_from(ClientAccount)).scalar_one()
    assert count == 0


def test_the_webhook_takes_at_most_256_kib(app, client):
    app.config["QBO_WEBHOOK_VERIFIER_TOKEN"] = "verifier"
    response = client.post(WEBHOOK, data=b" " * (256 * 1024 + 1), headers={"intuit-signature": "x"})
    assert response.status_code == 413
    # A body just under the limit is read and judged on its signature.
    response = client.post(WEBHOOK, data=b" " * (256 * 1024), headers={"intuit-signature": "x"})
    assert response.status_code == 401
