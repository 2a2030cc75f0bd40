"""Security headers on every kind of response, no caching of signed-in pages, size limits."""

import json
import re
from pathlib import Path

import pytest

from webapp.extensions import db
from webapp.models import ClientAccount
from webapp.security import CONTENT_SECURITY_POLICY

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
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


def test_a_server_error_carries_them(app, client, user):
    def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/broken-for-this-test", view_func=broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer with the 500 page, as in production
    response = client.get("/broken-for-this-test")
    assert response.status_code == 500
    assert "Nothing was saved" in response.text
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


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


def test_the_policy_is_enforced_and_can_be_switched_to_report_only(app, client):
    response = client.get("/login")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    app.config["CONTENT_SECURITY_POLICY_ENFORCED"] = False
    response = client.get("/login")
    assert response.headers["Content-Security-Policy-Report-Only"] == CONTENT_SECURITY_POLICY
    assert "Content-Security-Policy" not in response.headers


# What the policy forbids, as it appears in a template: inline <script>, on* handlers, hx-on,
# htmx trigger filters and js: values (both evaluated by htmx), style attributes.
FORBIDDEN = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>"),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "hx-on": re.compile(r"hx-on"),
    "trigger filter": re.compile(r"hx-trigger=(\"[^\"]*\[|'[^']*\[)"),
    "js: value": re.compile(r"(hx-vals|hx-vars)=[\"'](js|javascript):"),
    "style attribute": re.compile(r"\sstyle\s*="),
}


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=str)
def test_no_template_needs_what_the_policy_forbids(template):
    text = re.sub(r"\{#.*?#\}", "", template.read_text(), flags=re.S)  # not Jinja comments
    found = [name for name, pattern in FORBIDDEN.items() if pattern.search(text)]
    assert found == [], template


def test_htmx_is_told_not_to_eval_or_inject_styles():
    config = re.search(
        r'name="htmx-config" content=\'([^\']+)\'', (TEMPLATES / "base.html").read_text()
    )
    settings = json.loads(config.group(1))
    assert settings["allowEval"] is False
    assert settings["includeIndicatorStyles"] is False


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
