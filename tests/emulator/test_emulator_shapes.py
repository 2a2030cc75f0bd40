"""Our JSON carries the top-level fields Intuit's API reference shows for Customer, Invoice,
Payment, Account and Item, and those of its webhook payloads."""

from __future__ import annotations

import json

from emu_helpers import Api, basic

from qbo_emulator import create_app

# Top-level keys of the spec's examples (values that a create can't set, e.g. PaymentMethodRef, left out).
CUSTOMER_KEYS = {
    "Id", "SyncToken", "domain", "sparse", "DisplayName", "CompanyName", "GivenName", "FamilyName",
    "FullyQualifiedName", "PrimaryEmailAddr", "PrimaryPhone", "BillAddr", "Active", "Job", "BillWithParent",
    "Taxable", "Balance", "BalanceWithJobs", "PreferredDeliveryMethod", "CurrencyRef", "MetaData",
}  # fmt: skip
INVOICE_KEYS = {
    "Id", "SyncToken", "domain", "sparse", "DocNumber", "TxnDate", "DueDate", "CustomerRef", "Line",
    "TotalAmt", "Balance", "EmailStatus", "PrintStatus", "BillEmail", "LinkedTxn", "CurrencyRef", "MetaData",
}  # fmt: skip
PAYMENT_KEYS = {
    "Id", "SyncToken", "domain", "sparse", "CustomerRef", "TxnDate", "TotalAmt", "UnappliedAmt",
    "DepositToAccountRef", "PaymentRefNum", "PrivateNote", "ProcessPayment", "Line", "CurrencyRef", "MetaData",
}  # fmt: skip
ACCOUNT_KEYS = {
    "Name", "SubAccount", "FullyQualifiedName", "Active", "Classification", "AccountType", "AccountSubType",
    "CurrentBalance", "CurrentBalanceWithSubAccounts", "CurrencyRef", "domain", "sparse", "Id", "SyncToken",
    "MetaData",
}  # fmt: skip
ITEM_KEYS = {
    "Id", "SyncToken", "domain", "sparse", "Name", "FullyQualifiedName", "Description", "Active", "Type",
    "UnitPrice", "Taxable", "IncomeAccountRef", "MetaData",
}  # fmt: skip


def test_spec_examples_round_trip(api):
    customer = api.customer(
        "Acme Dental LLC",
        CompanyName="Acme Dental LLC",
        GivenName="Dana",
        FamilyName="Reyes",
        PrimaryEmailAddr={"Address": "billing@acmedental.example"},
        PrimaryPhone={"FreeFormNumber": "(555) 555-0100"},
        BillAddr={"Line1": "12 Main St", "City": "Mountain View", "PostalCode": "94043"},
        PreferredDeliveryMethod="Email",
    )
    assert set(customer) >= CUSTOMER_KEYS
    item = api.ok(
        api.post(
            "item",
            {
                "Name": "Bookkeeping",
                "Description": "Monthly bookkeeping service",
                "Type": "Service",
                "UnitPrice": 450,
                "IncomeAccountRef": {"value": "79"},
            },
        ),
        "Item",
    )
    assert set(item) >= ITEM_KEYS
    minimal_invoice = {
        "CustomerRef": {"value": customer["Id"]},
        "Line": [
            {
                "Amount": 450,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": item["Id"]},
                    "Qty": 1,
                    "UnitPrice": 450,
                },
            }
        ],
    }
    invoice = api.ok(api.post("invoice", minimal_invoice), "Invoice")
    assert set(invoice) >= INVOICE_KEYS
    assert invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"] == {
        "value": item["Id"],
        "name": "Bookkeeping",
    }
    payment = api.payment(
        customer["Id"],
        450.0,
        [(invoice["Id"], 450.0)],
        PaymentRefNum="10045",
        PrivateNote="ext:stripe:pi_3Q",
    )
    payment = api.ok(payment, "Payment")
    assert set(payment) >= PAYMENT_KEYS
    assert payment["DepositToAccountRef"] == {"value": "4", "name": "Undeposited Funds"}
    [undeposited] = api.q("select * from Account where Name = 'Undeposited Funds'")["Account"]
    assert set(undeposited) >= ACCOUNT_KEYS and undeposited["CurrentBalance"] == 450.0
    assert json.loads(json.dumps(payment))["TotalAmt"] == 450.0  # amounts are JSON numbers


def test_configured_client_and_wrong_company_token(tmp_path, clock):
    app = create_app(
        {
            "DATABASE": str(tmp_path / "c.db"),
            "CLIENTS": [
                {
                    "client_id": "prod-app",
                    "client_secret": "s3cret",
                    "redirect_uris": ["https://billing.example/qbo/callback"],
                    "webhook_url": "http://127.0.0.1:9/hooks",
                    "verifier_token": "tok",
                }
            ],
        },
        clock=clock,
    )
    client = app.test_client()
    control = app.extensions["qbo_emulator"].control
    params = {
        "client_id": "prod-app",
        "response_type": "code",
        "scope": "com.intuit.quickbooks.accounting",
        "state": "s",
    }
    registered = client.get(
        "/connect/oauth2",
        query_string={**params, "redirect_uri": "https://billing.example/qbo/callback"},
    )
    assert registered.status_code == 200
    other = client.get(
        "/connect/oauth2", query_string={**params, "redirect_uri": "https://billing.example/other"}
    )
    assert other.status_code == 400
    token = client.post(
        "/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        headers=basic("prod-app", "s3cret"),
    )
    assert token.json == {
        "error": "invalid_grant",
        "error_description": "Incorrect or invalid refresh token",
    }
    api = Api(client, control, control.demo_realm_id(), client_id="prod-app")
    api.customer()
    assert [e["client_id"] for e in control.webhook_events()] == ["prod-app"]
    elsewhere = control.create_company("Elsewhere")
    api.realm = elsewhere
    response = api.get("preferences")
    assert response.status_code == 403 and response.json["Fault"]["Error"][0]["code"] == "3100"
    app.extensions["qbo_emulator"].dispatcher.stop()
