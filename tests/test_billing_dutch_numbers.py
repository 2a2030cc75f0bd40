"""Record payment, Refund payment and New invoice take amounts as a Dutch bookkeeper types them
("10,50", "1.234,56") and prefill them as every list shows them ("72,00"); English is unchanged."""

import re
from decimal import Decimal

from tests.test_billing_payments import counts, payment_data, row_html
from webapp.extensions import db
from webapp.models import Invoice, Payment, Refund

DUTCH = {"Accept-Language": "nl-NL,nl;q=0.9"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}
HX = {"HX-Request": "true"}


def amount_input(body: str) -> str:
    match = re.search(r'<input[^>]*name="amount"[^>]*>', body)
    assert match, "no amount input"
    return match.group(0)


def test_a_payment_typed_with_a_decimal_comma_records_10_00(client, user, invoice):
    response = client.post(
        "/billing/payments", data=payment_data(invoice, amount="10,00"), headers=HX | DUTCH
    )
    assert response.status_code == 200, response.text
    payment = db.session.execute(db.select(Payment)).scalar_one()
    assert payment.amount == Decimal("10.00")
    assert "10,00" in row_html(response.text, payment.id)
    db.session.refresh(invoice)
    assert invoice.balance == Decimal("190.00")


def test_the_number_pads_point_is_read_as_decimals_in_dutch_too(client, user, invoice):
    client.post("/billing/payments", data=payment_data(invoice, amount="10.50"), headers=DUTCH)
    assert db.session.execute(db.select(Payment.amount)).scalar_one() == Decimal("10.50")


def test_a_decimal_comma_before_two_digits_is_decimals_in_english(client, user, invoice):
    client.post("/billing/payments", data=payment_data(invoice, amount="10,50"), headers=ENGLISH)
    assert db.session.execute(db.select(Payment.amount)).scalar_one() == Decimal("10.50")


def test_a_refused_amount_comes_back_as_typed_with_a_dutch_example(client, user, invoice):
    response = client.post(
        "/billing/payments", data=payment_data(invoice, amount="tien,5 euro"), headers=HX | DUTCH
    )
    assert response.status_code == 422
    assert 'value="tien,5 euro"' in amount_input(response.text)
    assert "Vul een bedrag in, zoals 125,00." in response.text
    assert counts() == (0, 0)


def test_an_amount_above_the_balance_comes_back_as_typed(client, user, invoice):
    # Dutch thousands grouping: 1.234,56 is more than the 200,00 still open.
    response = client.post(
        "/billing/payments", data=payment_data(invoice, amount="1.234,56"), headers=HX | DUTCH
    )
    assert response.status_code == 422
    assert 'value="1.234,56"' in amount_input(response.text)
    assert "Het openstaande saldo is 200,00; vul hoogstens dat in." in response.text
    assert counts() == (0, 0)


def test_the_open_balance_is_prefilled_in_the_users_notation(client, make, user, invoice):
    make.payment(invoice, "128.00")
    db.session.commit()
    url = f"/billing/payments/new?invoice_id={invoice.id}"
    assert 'value="72,00"' in amount_input(client.get(url, headers=HX | DUTCH).text)
    assert 'value="72.00"' in amount_input(client.get(url, headers=HX | ENGLISH).text)
    options = f"/billing/payments/new/invoices?client_id={invoice.client_id}"
    assert 'value="72,00"' in amount_input(client.get(options, headers=HX | DUTCH).text)


def test_the_refund_form_offers_what_is_left_in_dutch_and_takes_a_decimal_comma(
    client, make, user, invoice
):
    payment = make.payment(invoice, "72.00")
    db.session.commit()
    url = f"/billing/payments/{payment.id}/refund"
    assert 'value="72,00"' in amount_input(client.get(url, headers=HX | DUTCH).text)
    assert 'value="72.00"' in amount_input(client.get(url, headers=HX | ENGLISH).text)
    response = client.post(
        url, data={"amount": "10,50", "refunded_on": "2026-11-28"}, headers=HX | DUTCH
    )
    assert response.status_code == 200, response.text
    assert db.session.execute(db.select(Refund.amount)).scalar_one() == Decimal("10.50")
    assert "10,50 van de betaling" in response.headers["HX-Trigger"]


def new_invoice(client_id, quantity, price):
    return {
        "client_id": str(client_id),
        "number": "INV-00001",
        "issue_date": "2026-11-27",
        "due_date": "2026-12-27",
        "lines-0-description": "Bookkeeping",
        "lines-0-quantity": quantity,
        "lines-0-unit_price": price,
    }


def test_invoice_lines_take_dutch_quantities_and_prices(client, make, user):
    acme = make.client(user.firm)
    db.session.commit()
    data = new_invoice(acme.id, "1,5", "1.000,00")
    response = client.post("/billing/invoices", data=data, headers=HX | DUTCH)
    assert response.status_code == 200, response.text
    invoice = db.session.execute(db.select(Invoice)).scalar_one()
    line = invoice.lines[0]
    assert (line.quantity, line.unit_price, invoice.total) == (
        Decimal("1.5"),
        Decimal("1000.00"),
        Decimal("1500.00"),
    )


def test_a_refused_invoice_line_comes_back_as_typed(client, make, user):
    acme = make.client(user.firm)
    db.session.commit()
    data = new_invoice(acme.id, "1,5", "33,333")
    response = client.post("/billing/invoices", data=data, headers=HX | DUTCH)
    assert response.status_code == 422
    assert 'value="1,5"' in response.text and 'value="33,333"' in response.text
    assert "Gebruik hoogstens twee decimalen." in response.text


def test_the_new_invoice_form_and_its_running_total_speak_dutch_numbers(client, make, user):
    body = client.get("/billing/invoices/new", headers=HX | DUTCH).text
    assert 'placeholder="0,00"' in body
    total = client.get(
        "/billing/invoices/new/total?lines-0-quantity=1,5&lines-0-unit_price=1.000,00",
        headers=HX | DUTCH,
    ).text
    assert "<strong>1.500,00</strong>" in total
