"""The company pages under /_emulator/ show what the API did, and their actions work like API writes."""

from __future__ import annotations


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
