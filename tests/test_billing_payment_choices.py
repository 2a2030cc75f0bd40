"""Record payment at a firm's real size: each select holds at most 100 choices, and a search
field under it finds the rest (clients by name, a client's open invoices by number)."""

import re
from datetime import date, timedelta

from webapp.billing.payment_choices import CHOICES_SHOWN
from webapp.extensions import db
from webapp.models import Payment

HX = {"HX-Request": "true"}


def options(html: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S)
    assert select, f"no {name} select"
    return re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select.group(0))


def test_a_small_firm_gets_every_client_and_no_search(client, make, user):
    for name in ("Acme Ltd", "Birch Bakery", "Cedar Clinic"):
        make.client(user.firm, display_name=name)
    db.session.commit()
    form = client.get("/billing/payments/new", headers=HX).text
    assert [label for _, label in options(form, "client_id")][1:] == [
        "Acme Ltd",
        "Birch Bakery",
        "Cedar Clinic",
    ]
    assert 'name="client_q"' not in form


def test_a_firm_of_many_clients_lists_the_first_hundred_and_finds_the_rest_by_name(
    client, make, user
):
    for n in range(CHOICES_SHOWN + 30):
        make.client(user.firm, display_name=f"Client {n:03d}")
    make.client(make.firm(), display_name="Client 999 of another firm")
    db.session.commit()

    form = client.get("/billing/payments/new", headers=HX).text
    listed = [label for _, label in options(form, "client_id")][1:]
    assert len(listed) == CHOICES_SHOWN and listed[0] == "Client 000"
    assert 'name="client_q"' in form
    assert "Only the first 100 clients by name are listed" in form

    found = client.get("/billing/clients/options?client_q=client 12", headers=HX).text
    assert found.lstrip().startswith('<div id="client-select">')
    assert [label for _, label in options(found, "client_id")][1:] == [
        f"Client {n}" for n in range(120, 130)
    ]
    nothing = client.get("/billing/clients/options?client_q=999", headers=HX).text
    assert options(nothing, "client_id") == [("", "No client matches")]


def test_a_client_of_many_open_invoices_lists_the_oldest_due_and_finds_the_rest_by_number(
    client, make, user
):
    acme = make.client(user.firm, display_name="Acme Ltd")
    first = date(2026, 1, 1)
    invoices = [
        make.invoice(acme, "50.00", number=f"INV-{n:04d}", due_date=first + timedelta(days=n))
        for n in range(CHOICES_SHOWN + 20)
    ]
    db.session.commit()
    url = f"/billing/payments/new/invoices?client_id={acme.id}"

    field = client.get(url, headers=HX).text
    listed = options(field, "invoice_id")[1:]
    assert len(listed) == CHOICES_SHOWN
    assert listed[0][1].startswith("INV-0000 ·") and listed[-1][1].startswith("INV-0099 ·")
    assert 'name="invoice_q"' in field

    found = client.get(f"{url}&invoice_q=0110", headers=HX).text
    assert [label.split(" ·")[0] for _, label in options(found, "invoice_id")[1:]] == ["INV-0110"]
    # Chosen beyond the first hundred, it stays chosen, with its balance as the amount.
    last = invoices[-1]
    chosen = client.get(f"{url}&invoice_id={last.id}", headers=HX).text
    assert re.search(rf'<option selected value="{last.id}">INV-0119 ·', chosen)
    assert 'value="50.00"' in chosen
    # A search that does not match it leaves it chosen and listed, beside what matches.
    searched = client.get(f"{url}&invoice_id={last.id}&invoice_q=0110", headers=HX).text
    assert [label.split(" ·")[0] for _, label in options(searched, "invoice_id")[1:]] == [
        "INV-0119",
        "INV-0110",
    ]


def test_a_payment_on_an_invoice_beyond_the_first_hundred_is_recorded(client, make, user):
    acme = make.client(user.firm, display_name="Acme Ltd")
    first = date(2026, 1, 1)
    invoices = [
        make.invoice(acme, "50.00", due_date=first + timedelta(days=n))
        for n in range(CHOICES_SHOWN + 5)
    ]
    db.session.commit()
    last = invoices[-1]
    form = {"client_id": acme.id, "invoice_id": last.id, "received_on": "2026-11-20"}

    refused = client.post("/billing/payments", data={**form, "amount": "80.00"}, headers=HX)
    assert refused.status_code == 422  # more than the open balance; the choice is kept
    assert re.search(rf'<option selected value="{last.id}">', refused.text)
    recorded = client.post("/billing/payments", data={**form, "amount": "50.00"}, headers=HX)
    assert recorded.status_code == 200
    assert db.session.scalar(db.select(Payment.invoice_id)) == last.id


def test_new_invoice_offers_the_same_bounded_client_select_and_keeps_the_chosen_one(
    client, make, user
):
    clients = [make.client(user.firm, display_name=f"Client {n:03d}") for n in range(110)]
    db.session.commit()
    last = clients[-1]
    form = client.get(f"/billing/invoices/new?client_id={last.id}", headers=HX).text
    listed = options(form, "client_id")
    assert len(listed) == CHOICES_SHOWN + 2  # the placeholder, the first 100, and the chosen one
    assert re.search(rf'<option selected value="{last.id}">Client 109</option>', form)
    assert 'name="client_q"' in form
