"""Invoice, Payment, RefundReceipt and Deposit rules."""

from __future__ import annotations

from emu_helpers import fault_code


def test_invoice_minimal_create_computes_totals_and_docnumber(api):
    customer = api.customer()
    minimal = {
        "CustomerRef": {"value": customer["Id"]},
        "Line": [
            {
                "Amount": 450,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": 450},
            }
        ],
    }
    invoice = api.ok(api.post("invoice", minimal), "Invoice")
    assert invoice["TotalAmt"] == 450.0 and invoice["Balance"] == 450.0
    assert invoice["DocNumber"] and invoice["TxnDate"] == "2026-01-15"
    assert invoice["CustomerRef"] == {"value": customer["Id"], "name": "Acme Dental LLC"}
    assert (
        invoice["Line"][0]["Id"] == "1"
        and invoice["Line"][0]["DetailType"] == "SalesItemLineDetail"
    )
    assert invoice["Line"][-1]["DetailType"] == "SubTotalLineDetail"
    second = api.invoice(customer["Id"], 10)
    assert int(second["DocNumber"]) == int(invoice["DocNumber"]) + 1


def test_invoice_required_fields(api):
    customer = api.customer()
    no_lines = api.post("invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": []})
    assert (
        fault_code(no_lines) == "2020" and no_lines.json["Fault"]["Error"][0]["element"] == "Line"
    )
    line = {
        "Amount": 5,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
    }
    no_customer = api.post("invoice", {"Line": [line]})
    assert no_customer.json["Fault"]["Error"][0]["element"] == "CustomerRef"
    bad_item = dict(line, SalesItemLineDetail={"ItemRef": {"value": "999"}})
    assert (
        fault_code(
            api.post("invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [bad_item]})
        )
        == "610"
    )


def test_unapplied_payment_minimum_create(api):
    customer = api.customer()
    payment = api.ok(api.payment(customer["Id"], 25.0), "Payment")
    assert payment["UnappliedAmt"] == 25.0 and payment["Line"] == []
    assert payment["DepositToAccountRef"] == {"value": "4", "name": "Undeposited Funds"}
    assert api.ok(api.get(f"customer/{customer['Id']}"), "Customer")["Balance"] == -25.0


def test_linked_payment_lowers_balance_and_delete_restores(api):
    customer = api.customer()
    invoice = api.invoice(customer["Id"], 450)
    payment = api.ok(api.payment(customer["Id"], 300, [(invoice["Id"], 300)]), "Payment")
    assert payment["UnappliedAmt"] == 0
    after = api.ok(api.get(f"invoice/{invoice['Id']}"), "Invoice")
    assert after["Balance"] == 150.0 and after["LinkedTxn"] == [
        {"TxnId": payment["Id"], "TxnType": "Payment"}
    ]
    assert after["SyncToken"] == "1"
    deleted = api.post(
        "payment", {"Id": payment["Id"], "SyncToken": payment["SyncToken"]}, operation="delete"
    )
    assert api.ok(deleted, "Payment") == {"status": "Deleted", "domain": "QBO", "Id": payment["Id"]}
    restored = api.ok(api.get(f"invoice/{invoice['Id']}"), "Invoice")
    assert restored["Balance"] == 450.0 and restored["LinkedTxn"] == []
    assert fault_code(api.get(f"payment/{payment['Id']}")) == "610"


def test_void_payment_zeroes_it_and_restores_invoice(api):
    customer = api.customer()
    invoice = api.invoice(customer["Id"], 100)
    payment = api.ok(
        api.payment(customer["Id"], 100, [(invoice["Id"], 100)], PrivateNote="stripe:pi_1"),
        "Payment",
    )
    body = {"Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True}
    voided = api.ok(api.post("payment", body, operation="update", include="void"), "Payment")
    assert voided["TotalAmt"] == 0 and voided["UnappliedAmt"] == 0 and voided["Line"] == []
    assert voided["PrivateNote"].startswith("Voided") and voided["SyncToken"] == "1"
    assert api.ok(api.get(f"invoice/{invoice['Id']}"), "Invoice")["Balance"] == 100.0


def test_void_invoice(api):
    invoice = api.invoice(api.customer()["Id"], 80)
    voided = api.ok(
        api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="void"), "Invoice"
    )
    assert (
        voided["TotalAmt"] == 0
        and voided["Balance"] == 0
        and voided["PrivateNote"].startswith("Voided")
    )
    assert voided["Line"][0]["Amount"] == 0


def test_payment_rules(api):
    customer, other = api.customer(), api.customer("Other Co")
    invoice = api.invoice(customer["Id"], 100)
    over = api.payment(customer["Id"], 150, [(invoice["Id"], 150)])
    assert over.status_code == 400 and fault_code(over) == "6000"
    wrong_customer = api.payment(other["Id"], 50, [(invoice["Id"], 50)])
    assert fault_code(wrong_customer) == "6000"
    expense = api.payment(customer["Id"], 10, DepositToAccountRef={"value": "8"})
    assert fault_code(expense) == "6000"
    checking = api.ok(
        api.payment(customer["Id"], 10, DepositToAccountRef={"value": "35"}), "Payment"
    )
    assert checking["DepositToAccountRef"]["name"] == "Checking"
    assert fault_code(api.post("payment", {"TotalAmt": 5})) == "2020"
    assert fault_code(api.payment("9999", 5)) == "610"


def test_deposited_payment_cannot_change(api):
    customer = api.customer()
    payment = api.ok(api.payment(customer["Id"], 40), "Payment")
    deposit = api.post(
        "deposit",
        {
            "DepositToAccountRef": {"value": "35"},
            "Line": [
                {
                    "Amount": 40,
                    "LinkedTxn": [{"TxnId": payment["Id"], "TxnType": "Payment", "TxnLineId": "0"}],
                }
            ],
        },
    )
    deposit = api.ok(deposit, "Deposit")
    body = {
        "Id": payment["Id"],
        "SyncToken": payment["SyncToken"],
        "sparse": True,
        "PrivateNote": "x",
    }
    assert fault_code(api.post("payment", body)) == "6540"
    assert fault_code(api.post("payment", body, operation="delete")) == "6540"
    assert fault_code(api.post("payment", body, operation="update", include="void")) == "6540"
    accounts = {a["Name"]: a for a in api.q("select * from Account")["Account"]}
    assert (
        accounts["Checking"]["CurrentBalance"] == 40.0
        and accounts["Undeposited Funds"]["CurrentBalance"] == 0
    )
    api.ok(
        api.post(
            "deposit", {"Id": deposit["Id"], "SyncToken": deposit["SyncToken"]}, operation="delete"
        )
    )
    assert api.post("payment", body).status_code == 200


def test_refund_receipt_rules(api):
    customer = api.customer()
    line = {
        "Amount": 30,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": 30},
    }
    missing_account = api.post(
        "refundreceipt", {"CustomerRef": {"value": customer["Id"]}, "Line": [line]}
    )
    assert fault_code(missing_account) == "2020"
    assert missing_account.json["Fault"]["Error"][0]["element"] == "DepositToAccountRef"
    no_line = api.post("refundreceipt", {"DepositToAccountRef": {"value": "35"}, "Line": []})
    assert fault_code(no_line) == "2020"
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
    assert refund["TotalAmt"] == 30.0
    accounts = {a["Name"]: a for a in api.q("select * from Account")["Account"]}
    assert accounts["Checking"]["CurrentBalance"] == -30.0
    gone = api.post("refundreceipt", {"Id": refund["Id"], "SyncToken": "0"}, operation="delete")
    assert gone.json["RefundReceipt"]["status"] == "Deleted"


def test_account_balances_follow_payments(api):
    customer = api.customer()
    invoice = api.invoice(customer["Id"], 200)
    api.ok(api.payment(customer["Id"], 120, [(invoice["Id"], 120)]))
    accounts = {a["Name"]: a for a in api.q("select * from Account")["Account"]}
    assert accounts["Undeposited Funds"]["CurrentBalance"] == 120.0
    assert accounts["Accounts Receivable (A/R)"]["CurrentBalance"] == 80.0
    assert accounts["Services"]["CurrentBalance"] == 200.0


def test_amount_must_match_qty_times_unit_price(api):
    customer = api.customer()
    line = {
        "Amount": 100,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 2, "UnitPrice": 40},
    }
    response = api.post("invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line]})
    assert fault_code(response) == "6070"


def test_full_update_keeps_line_ids_and_replaces_lines(api):
    customer = api.customer()
    invoice = api.invoice(customer["Id"], 100, 50)
    kept = dict(invoice["Line"][0], Amount=120)
    kept["SalesItemLineDetail"] = dict(kept["SalesItemLineDetail"], UnitPrice=120)
    body = {
        "Id": invoice["Id"],
        "SyncToken": invoice["SyncToken"],
        "CustomerRef": invoice["CustomerRef"],
        "Line": [kept, invoice["Line"][-1]],  # the SubTotalLine is read-only and ignored
    }
    updated = api.ok(api.post("invoice", body), "Invoice")
    assert [line.get("Id") for line in updated["Line"]] == ["1", None]
    assert (
        updated["TotalAmt"] == 120.0 and updated["Balance"] == 120.0 and updated["SyncToken"] == "1"
    )
    assert updated["DocNumber"] == invoice["DocNumber"]


def test_invoice_with_payments_cannot_drop_below_applied(api):
    customer = api.customer()
    invoice = api.invoice(customer["Id"], 100)
    api.ok(api.payment(customer["Id"], 80, [(invoice["Id"], 80)]))
    current = api.ok(api.get(f"invoice/{invoice['Id']}"), "Invoice")
    line = dict(current["Line"][0], Amount=50)
    line["SalesItemLineDetail"] = dict(line["SalesItemLineDetail"], UnitPrice=50)
    body = {"Id": current["Id"], "SyncToken": current["SyncToken"], "sparse": True, "Line": [line]}
    assert fault_code(api.post("invoice", body)) == "6000"
    delete = api.post(
        "invoice", {"Id": current["Id"], "SyncToken": current["SyncToken"]}, operation="delete"
    )
    assert fault_code(delete) == "6000"


def test_deposit_account_must_be_bank_or_other_current_asset_on_every_write(api):
    customer = api.customer()
    line = {
        "Amount": 5,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
    }
    # 4 Undeposited Funds and 37 Petty Cash (Other Current Asset), 36 Savings (Bank) are allowed.
    for account in ("4", "36", "37"):
        api.ok(api.payment(customer["Id"], 5, DepositToAccountRef={"value": account}))
        refund = {"DepositToAccountRef": {"value": account}, "Line": [line]}
        api.ok(api.post("refundreceipt", refund))
    # 84 Accounts Receivable, 79 Services (Income), 8 Bank Charges (Expense) are not.
    for account in ("84", "79", "8"):
        assert (
            fault_code(api.payment(customer["Id"], 5, DepositToAccountRef={"value": account}))
            == "6000"
        )
        refund = {"DepositToAccountRef": {"value": account}, "Line": [line]}
        assert fault_code(api.post("refundreceipt", refund)) == "6000"
    payment = api.ok(api.payment(customer["Id"], 5), "Payment")
    moved = {"Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True}
    assert (
        fault_code(api.post("payment", {**moved, "DepositToAccountRef": {"value": "8"}})) == "6000"
    )
    assert api.ok(
        api.post("payment", {**moved, "DepositToAccountRef": {"value": "35"}}), "Payment"
    )["DepositToAccountRef"] == {"value": "35", "name": "Checking"}
