"""Crafted requests a browser never sends still get an answer, never a 500, and write nothing.

Each case here was once a 500 (found by fuzzing every route): lenient id parsing, huge or
non-ASCII digits, Decimal overflow, non-ASCII text in constant-time comparisons, malformed
webhook bodies, and NUL characters, which PostgreSQL refuses in text parameters.
"""

import io
import json
import re

import pytest

from tests.factories import PASSWORD
from webapp.extensions import db
from webapp.models import ClientAccount, Invoice, Payment, Refund
from webapp.quickbooks.webhooks import signature
from webapp.settings.views import STATE_KEY

HX = {"HX-Request": "true"}
WEBHOOK = "/settings/integrations/quickbooks/webhook"


def count(model) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


def payment_form(invoice, **overrides):
    data = {
        "client_id": str(invoice.client_id),
        "invoice_id": str(invoice.id),
        "amount": "50.00",
        "received_on": "2026-11-27",
        "method": "check",
        "origin": "payments",
    }
    return data | overrides


@pytest.mark.parametrize("bad_id", ["²", "-5", "+1", "5_0", "1" * 5000])
def test_a_malformed_client_or_invoice_id_is_a_field_error_and_records_nothing(
    client, invoice, bad_id
):
    for field, message in (("client_id", "Choose a client."), ("invoice_id", "Choose an invoice.")):
        response = client.post(
            "/billing/payments", data=payment_form(invoice, **{field: bad_id}), headers=HX
        )
        assert response.status_code == 422
        assert message in response.text
    response = client.post(
        "/billing/invoices",
        data={"client_id": bad_id, "number": "X-1", "lines-0-description": "Work"},
        headers=HX,
    )
    assert response.status_code == 422
    assert "Choose a client." in response.text
    assert count(Payment) == 0 and count(Invoice) == 1


@pytest.mark.parametrize("watch", ["²:syncing", "-1:syncing", "9" * 30 + ":syncing"])
def test_pollers_ignore_malformed_watch_ids(client, user, watch):
    for path in ("/clients/poll", "/billing/invoices/poll", "/billing/payments/poll"):
        response = client.get(path, query_string={"watch": watch}, headers=HX)
        assert response.status_code == 286, path  # nothing watched is pending


def test_invoice_line_keys_with_huge_or_foreign_indices_are_ignored(client, invoice):
    huge = "lines-" + "9" * 5000 + "-quantity"
    assert client.get("/billing/invoices/new/line", query_string={huge: "1"}).status_code == 200
    response = client.post(
        "/billing/invoices",
        data={
            "client_id": str(invoice.client_id),
            "number": "X-2",
            "lines-0-description": "Audit",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "10.00",
            huge: "1",
            "lines-²-quantity": "1",
        },
        headers=HX,
    )
    assert response.status_code == 200
    assert db.session.execute(db.select(Invoice).filter_by(number="X-2")).scalar_one().total == 10


def test_the_running_total_survives_numbers_too_big_for_decimal(client, user):
    huge = {"lines-0-quantity": "1e999999", "lines-0-unit_price": "1e999999"}
    response = client.get("/billing/invoices/new/total", query_string=huge)
    assert response.status_code == 200
    assert "0.00" in response.text
    response = client.post("/billing/invoices", data=huge | {"number": "X-3"}, headers=HX)
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/clients/", "phone"),
        ("/clients/", "address"),
        ("/billing/payments", "reference"),
        ("/billing/payments", "description"),
        ("/billing/invoices", "lines-0-description"),
    ],
)
def test_nul_characters_are_refused_next_to_the_field(client, invoice, path, field):
    forms = {
        "/clients/": {"display_name": "Bluebird Bakery"},
        "/billing/payments": payment_form(invoice),
        "/billing/invoices": {
            "client_id": str(invoice.client_id),
            "number": "X-4",
            "lines-0-description": "Audit",
            "lines-0-unit_price": "10.00",
        },
    }
    data = forms[path] | {field: "before\x00after"}
    response = client.post(path, data=data, headers=HX)
    assert response.status_code == 422
    assert "Remove the control characters from this text." in response.text
    assert (count(ClientAccount), count(Invoice), count(Payment)) == (1, 1, 0)


def test_a_nul_in_a_refund_reason_is_refused(client, invoice, make):
    payment = make.payment(invoice, "50.00")
    db.session.commit()
    response = client.post(
        f"/billing/payments/{payment.id}/refund",
        data={"amount": "10.00", "refunded_on": "2026-11-27", "reason": "x\x00"},
        headers=HX,
    )
    assert response.status_code == 422
    assert "Remove the control characters" in response.text
    assert count(Refund) == 0


def test_search_and_sign_in_accept_a_nul_without_failing(client, user):
    for path in ("/clients/", "/billing/invoices", "/billing/payments"):
        assert client.get(path, query_string={"q": "Acme\x00"}).status_code == 200
    client.post("/logout")
    response = client.post("/login", data={"email": "a\x00b@example.com", "password": "x"})
    assert response.status_code == 422  # like every form: a field message, status 422
    assert "Remove the control characters from this text." in response.text


def test_an_oauth_state_with_non_ascii_characters_is_a_mismatch(client, user):
    with client.session_transaction() as session:
        session[STATE_KEY] = "expected-state"
    response = client.get(
        "/settings/integrations/quickbooks/callback",
        query_string={"state": "é", "code": "c", "realmId": "1"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/settings/integrations/quickbooks")


def test_a_webhook_with_a_non_ascii_signature_is_refused(app, client):
    app.config["QBO_WEBHOOK_VERIFIER_TOKEN"] = "verifier"
    response = client.post(WEBHOOK, data=b"[]", headers={"intuit-signature": "é"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "payload",
    [
        {"eventNotifications": 5},
        "ab",
        [1],
        [None],
        {"eventNotifications": [{"dataChangeEvent": {"entities": [1]}}]},
        {"eventNotifications": [{"dataChangeEvent": "x"}]},
    ],
)
def test_a_signed_webhook_of_the_wrong_shape_is_accepted_with_no_events(app, client, payload):
    app.config["QBO_WEBHOOK_VERIFIER_TOKEN"] = "verifier"
    body = json.dumps(payload).encode()
    response = client.post(
        WEBHOOK, data=body, headers={"intuit-signature": signature("verifier", body)}
    )
    assert response.status_code == 200
    assert response.json == {"accepted": 0}


def test_a_signed_webhook_nested_too_deep_for_json_is_a_400(app, client):
    app.config["QBO_WEBHOOK_VERIFIER_TOKEN"] = "verifier"
    body = b"[" * 100_000 + b"]" * 100_000
    response = client.post(
        WEBHOOK, data=body, headers={"intuit-signature": signature("verifier", body)}
    )
    assert response.status_code == 400


# Text fields sent as multipart file parts (curl -F 'display_name=@file.txt') ---------------------

FILE_PART_MESSAGE = "Type this in; a file cannot be sent here."


def as_file(data: dict, field: str) -> dict:
    """`data` with `field` sent as an uploaded file, the way `curl -F 'field=@file.txt'` does."""
    return data | {field: (io.BytesIO(b"Bluebird Bakery"), "file.txt")}


@pytest.fixture
def csrf_token(app, client, user):
    """CSRF protection on, as in production; the token the signed-in user's pages carry."""
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/clients/").text
    return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/clients/", "display_name"),
        ("/clients/", "email"),
        ("/clients/", "phone"),
        ("/clients/", "address"),
        ("/billing/invoices", "number"),
        ("/billing/invoices", "lines-0-description"),
        ("/billing/invoices", "lines-0-quantity"),
        ("/billing/invoices", "lines-0-unit_price"),
        ("/billing/payments", "amount"),
        ("/billing/payments", "reference"),
        ("/billing/payments", "description"),
        ("/billing/payments", "method"),
        ("/billing/payments", "received_on"),
        ("/billing/payments", "client_id"),
    ],
)
def test_a_text_field_sent_as_a_file_is_refused_next_to_the_field(
    client, invoice, csrf_token, path, field
):
    forms = {
        "/clients/": {"display_name": "Bluebird Bakery", "phone": "555"},
        "/billing/payments": payment_form(invoice),
        "/billing/invoices": {
            "client_id": str(invoice.client_id),
            "number": "X-5",
            "lines-0-description": "Audit",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "10.00",
        },
    }
    data = as_file(forms[path] | {"csrf_token": csrf_token}, field)
    response = client.post(path, data=data, headers=HX)
    assert response.status_code == 422
    assert FILE_PART_MESSAGE in response.text
    assert (count(ClientAccount), count(Invoice), count(Payment)) == (1, 1, 0)


@pytest.mark.parametrize("field", ["amount", "refunded_on", "reason"])
def test_a_refund_field_sent_as_a_file_is_refused(client, invoice, make, csrf_token, field):
    payment = make.payment(invoice, "50.00")
    db.session.commit()
    data = {"amount": "10.00", "refunded_on": "2026-11-27", "reason": "Overpaid"}
    response = client.post(
        f"/billing/payments/{payment.id}/refund",
        data=as_file(data | {"csrf_token": csrf_token}, field),
        headers=HX,
    )
    assert response.status_code == 422
    assert FILE_PART_MESSAGE in response.text
    assert count(Refund) == 0


@pytest.mark.parametrize("field", ["email", "password"])
def test_sign_in_with_a_file_for_email_or_password_is_refused(app, client, owner, field):
    app.config["WTF_CSRF_ENABLED"] = True
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text)
    data = {"csrf_token": token.group(1), "email": owner.email, "password": PASSWORD}
    response = client.post("/login", data=as_file(data, field))
    assert response.status_code == 422
    assert FILE_PART_MESSAGE in response.text
    assert client.get("/clients/").status_code == 302


def test_a_json_body_fills_no_field(client, invoice, csrf_token):
    response = client.post(
        "/clients/",
        json={"display_name": 5, "email": ["a"], "phone": {"x": 1}},
        headers=HX | {"X-CSRFToken": csrf_token},
    )
    assert response.status_code == 422
    assert "Enter the client&#39;s name." in response.text
    assert count(ClientAccount) == 1


def test_every_form_of_the_app_reads_text_parts_only():
    """New forms get the file-part and JSON protection by deriving from TextForm."""
    import pkgutil
    from importlib import import_module

    from flask_wtf import FlaskForm

    import webapp
    from webapp.forms import TextForm

    for module in pkgutil.walk_packages(webapp.__path__, "webapp."):
        if module.name.endswith(".forms"):
            import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    forms = [cls for cls in subclasses(FlaskForm) if cls.__module__.startswith("webapp.")]
    assert len(forms) >= 7
    assert [cls.__name__ for cls in forms if not issubclass(cls, TextForm)] == []


def test_the_deposit_account_sent_as_a_file_is_refused(client, user, csrf_token):
    response = client.post(
        "/settings/integrations/quickbooks/deposit",
        data=as_file({"csrf_token": csrf_token, "deposit_account_enabled": "y"}, "deposit_account"),
        headers=HX,
    )
    assert response.status_code == 422
    assert FILE_PART_MESSAGE in response.text


def test_the_payments_switch_sent_as_a_file_is_refused(client, user, csrf_token):
    response = client.post(
        "/settings/integrations/quickbooks/payments",
        data=as_file({"csrf_token": csrf_token}, "sync_manual_payments"),
        headers=HX,
    )
    assert response.status_code == 422
    assert FILE_PART_MESSAGE in response.text
    db.session.refresh(user.firm)
    assert user.firm.sync_manual_payments is True
