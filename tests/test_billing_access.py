"""Every clients and billing endpoint answers 404 for another firm's (or an unknown) id,
refuses a POST without a CSRF token, and needs a signed-in user."""

import pytest

from webapp.extensions import db

HX = {"HX-Request": "true"}

# (method, url template, extra form data template); {client}, {invoice}, {payment} are the
# other firm's ids.
ENDPOINTS = [
    ("get", "/clients/{client}/row", None),
    ("get", "/clients/{client}/history", None),
    ("post", "/clients/{client}/sync", None),
    ("post", "/clients/{client}/unsync", None),
    ("get", "/billing/invoices/{invoice}/row", None),
    ("get", "/billing/invoices/{invoice}/history", None),
    ("post", "/billing/invoices/{invoice}/sync", None),
    ("get", "/billing/invoices/new?client_id={client}", None),
    ("post", "/billing/invoices", {"client_id": "{client}"}),
    ("get", "/billing/payments/{payment}/row", None),
    ("get", "/billing/payments/{payment}/history", None),
    ("post", "/billing/payments/{payment}/sync", None),
    ("post", "/billing/payments/{payment}/unsync", None),
    ("get", "/billing/payments/{payment}/refund", None),
    ("post", "/billing/payments/{payment}/refund", {"amount": "1.00"}),
    ("get", "/billing/payments/new?invoice_id={invoice}", None),
    ("get", "/billing/payments/new?client_id={client}", None),
    ("get", "/billing/payments/new/invoices?client_id={client}", None),
    ("post", "/billing/payments", {"client_id": "{client}", "invoice_id": "{invoice}"}),
]


@pytest.fixture
def other_firm(make):
    """Ids of a client, an invoice and a payment that belong to another firm."""
    client = make.client(make.firm())
    invoice = make.invoice(client, "100.00")
    payment = make.payment(invoice, "10.00")
    db.session.commit()
    return {"client": client.id, "invoice": invoice.id, "payment": payment.id}


def fill(template, ids):
    return template.format(**ids)


@pytest.mark.parametrize(("method", "url", "data"), ENDPOINTS)
@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_another_firms_id_is_a_404(client, user, other_firm, method, url, data, headers):
    form = {k: fill(v, other_firm) for k, v in (data or {}).items()}
    response = getattr(client, method)(fill(url, other_firm), data=form, headers=headers)
    assert response.status_code == 404
    db.session.rollback()
    from webapp.models import Payment, Refund, SyncEvent

    assert db.session.scalar(db.select(db.func.count(Payment.id))) == 1
    assert db.session.scalar(db.select(db.func.count(Refund.id))) == 0
    assert db.session.scalar(db.select(db.func.count(SyncEvent.id))) == 0


UNKNOWN = {"client": 987654, "invoice": 987654, "payment": 987654}
HUGE = {"client": 10**20, "invoice": 10**20, "payment": 10**20}


@pytest.mark.parametrize(("method", "url", "data"), ENDPOINTS)
@pytest.mark.parametrize("ids", [UNKNOWN, HUGE], ids=["unknown", "too-large"])
def test_unknown_ids_are_a_404_not_a_500(client, user, method, url, data, ids):
    form = {k: fill(v, ids) for k, v in (data or {}).items()}
    response = getattr(client, method)(fill(url, ids), data=form, headers=HX)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/clients/",
        "/clients/1/sync",
        "/billing/invoices",
        "/billing/payments",
        "/billing/payments/1/refund",
    ],
)
def test_a_post_without_csrf_token_is_a_400(app, client, user, other_firm, url):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(url, data={"display_name": "Acme"}, headers=HX)
    assert response.status_code == 400
    assert "toast" in response.headers["HX-Trigger"]


def test_a_post_with_the_csrf_token_from_the_form_passes(app, client, user):
    import re

    app.config["WTF_CSRF_ENABLED"] = True
    form = client.get("/clients/new", headers=HX).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    response = client.post(
        "/clients/", data={"display_name": "Acme", "csrf_token": token}, headers=HX
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/clients/poll",
        "/clients/new",
        "/billing/invoices/poll",
        "/billing/invoices/new",
        "/billing/payments",
        "/billing/payments/poll",
        "/billing/payments/new",
    ],
)
def test_pages_and_fragments_need_a_signed_in_user(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
