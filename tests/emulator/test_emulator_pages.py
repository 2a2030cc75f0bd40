"""The company pages under /_emulator/ show what the API did, and their actions work like API writes."""

from __future__ import annotations

from urllib.parse import urlencode

from qbo_emulator.templates import BASE_STYLE


def test_index_lists_companies_and_creates_one(emu_client, control):
    page = emu_client.get("/_emulator/").get_data(as_text=True)
    assert "<title>QBO emulator companies" in page and "Demo Sandbox Company" in page
    response = emu_client.post("/_emulator/companies", data={"name": "Page Co"})
    assert response.status_code == 302
    assert "Page Co" in [c["name"] for c in control.list_companies()]


def test_invoice_page_receive_payment(api, emu_client, realm, control):
    customer = api.customer()
    invoice = api.invoice(customer["Id"], 300)
    page = emu_client.get(f"/_emulator/{realm}/invoices").get_data(as_text=True)
    assert "<h1>Invoices of Demo Sandbox Company</h1>" in page
    assert (
        "Receive payment" in page
        and 'name="deposit_account"' in page
        and "Undeposited Funds" in page
    )
    assert "300.00" in page
    response = emu_client.post(
        f"/_emulator/{realm}/invoices/{invoice['Id']}/receive-payment",
        data={"amount": "100.00", "deposit_account": "35", "ref": "CHK-9"},
    )
    assert response.status_code == 302
    [payment] = control.entities(realm, "Payment")
    assert payment["DepositToAccountRef"] == {"value": "35", "name": "Checking"}
    assert payment["Line"][0]["LinkedTxn"] == [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
    assert payment["PaymentRefNum"] == "CHK-9"
    assert api.ok(api.get(f"invoice/{invoice['Id']}"), "Invoice")["Balance"] == 200.0
    page = emu_client.get(f"/_emulator/{realm}/invoices").get_data(as_text=True)
    assert f"Payment {payment['Id']}" in page and "200.00" in page

    payments = emu_client.get(f"/_emulator/{realm}/payments").get_data(as_text=True)
    assert "<h1>Payments of Demo Sandbox Company</h1>" in payments
    assert "Checking" in payments and f"Invoice {invoice['Id']}" in payments
    assert ">Void<" in payments and ">Delete<" in payments


def test_payment_void_and_delete_buttons(api, emu_client, realm, control):
    customer = api.customer()
    invoice = api.invoice(customer["Id"], 60)
    first = api.ok(api.payment(customer["Id"], 30, [(invoice["Id"], 30)]), "Payment")
    second = api.ok(api.payment(customer["Id"], 30, [(invoice["Id"], 30)]), "Payment")
    emu_client.post(f"/_emulator/{realm}/payments/{first['Id']}/void")
    emu_client.post(f"/_emulator/{realm}/payments/{second['Id']}/delete")
    statuses = {
        p["Id"]: (p.get("status"), p["TotalAmt"]) for p in control.entities(realm, "Payment")
    }
    assert statuses == {first["Id"]: (None, 0.0), second["Id"]: ("Deleted", 30.0)}
    assert api.ok(api.get(f"invoice/{invoice['Id']}"), "Invoice")["Balance"] == 60.0


def test_failed_page_action_shows_the_fault(api, emu_client, realm):
    customer = api.customer()
    payment = api.ok(api.payment(customer["Id"], 10), "Payment")
    api.ok(
        api.post(
            "deposit",
            {
                "DepositToAccountRef": {"value": "35"},
                "Line": [
                    {"Amount": 10, "LinkedTxn": [{"TxnId": payment["Id"], "TxnType": "Payment"}]}
                ],
            },
        )
    )
    response = emu_client.post(
        f"/_emulator/{realm}/payments/{payment['Id']}/delete", follow_redirects=True
    )
    assert "6540" in response.get_data(as_text=True)


def test_refund_and_accounts_pages(api, emu_client, realm, control):
    customer = api.customer()
    line = {
        "Amount": 25,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
    }
    refund = api.ok(
        api.post(
            "refundreceipt",
            {
                "CustomerRef": {"value": customer["Id"]},
                "DepositToAccountRef": {"value": "35"},
                "Line": [line],
            },
        ),
        "RefundReceipt",
    )
    refunds = emu_client.get(f"/_emulator/{realm}/refunds").get_data(as_text=True)
    assert "<h1>Refund receipts of Demo Sandbox Company</h1>" in refunds and "25.00" in refunds
    accounts = emu_client.get(f"/_emulator/{realm}/accounts").get_data(as_text=True)
    assert "<h1>Chart of accounts of Demo Sandbox Company</h1>" in accounts and "-25.00" in accounts
    emu_client.post(f"/_emulator/{realm}/refunds/{refund['Id']}/delete")
    assert control.entities(realm, "RefundReceipt")[0]["status"] == "Deleted"
    customers = emu_client.get(f"/_emulator/{realm}/customers").get_data(as_text=True)
    assert (
        "<h1>Customers of Demo Sandbox Company</h1>" in customers and "Acme Dental LLC" in customers
    )
    assert emu_client.get("/_emulator/nope/invoices").status_code == 404


def test_every_page_shares_one_stylesheet(api, emu_client, realm):
    invoice = api.invoice(api.customer()["Id"], 40)
    api.ok(api.payment(invoice["CustomerRef"]["value"], 40, [(invoice["Id"], 40)]))
    consent = {
        "client_id": "ledgerbridge-demo",
        "response_type": "code",
        "scope": "com.intuit.quickbooks.accounting",
        "redirect_uri": "http://127.0.0.1:8000/cb",
        "state": "s",
    }
    urls = [
        "/connect/oauth2?" + urlencode(consent),
        "/connect/oauth2?client_id=unknown",  # the authorization error page
        "/_emulator/",
        *(
            f"/_emulator/{realm}/{p}"
            for p in ("customers", "invoices", "payments", "refunds", "accounts")
        ),
    ]
    for url in urls:
        html = emu_client.get(url).get_data(as_text=True)
        assert BASE_STYLE in html and '<meta name="viewport"' in html, url
    page = emu_client.get(urls[0]).get_data(as_text=True)
    assert '<select id="realm_id" name="realm_id">' in page and 'name="new_company_name"' in page
    assert (
        '<button class="primary" type="submit" name="action" value="connect">Connect</button>'
        in page
    )
    assert '<button type="submit" name="action" value="cancel">Cancel</button>' in page
    invoices = emu_client.get(urls[4]).get_data(as_text=True)
    assert 'aria-current="page">Invoices</a>' in invoices and ">Paid</span>" in invoices
    assert 'aria-current="page">All companies</a>' in emu_client.get("/_emulator/").get_data(
        as_text=True
    )


def test_voided_payment_shows_a_badge_and_no_void_button(api, emu_client, realm):
    customer = api.customer()
    payment = api.ok(api.payment(customer["Id"], 15, PrivateNote="typo"), "Payment")
    emu_client.post(f"/_emulator/{realm}/payments/{payment['Id']}/void")
    html = emu_client.get(f"/_emulator/{realm}/payments").get_data(as_text=True)
    row = html[html.index(f'id="payment-{payment["Id"]}"') :].split("</tr>")[0]
    assert ">Voided</span>" in row and "Voided - typo" in row
    assert ">Void</button>" not in row and ">Delete</button>" in row
