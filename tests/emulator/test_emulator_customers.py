"""Customer and name-list rules, SyncToken checking, envelopes."""

from __future__ import annotations

from emu_helpers import fault_code

SPEC_CUSTOMER = {
    "DisplayName": "Acme Dental LLC",
    "CompanyName": "Acme Dental LLC",
    "GivenName": "Dana",
    "FamilyName": "Reyes",
    "PrimaryEmailAddr": {"Address": "billing@acmedental.example"},
    "PrimaryPhone": {"FreeFormNumber": "(555) 555-0100"},
    "BillAddr": {
        "Line1": "12 Main St",
        "City": "Mountain View",
        "CountrySubDivisionCode": "CA",
        "PostalCode": "94043",
    },
    "PreferredDeliveryMethod": "Email",
}


def test_create_matches_intuit_shape(api):
    response = api.post("customer", SPEC_CUSTOMER, minorversion=75)
    customer = api.ok(response, "Customer")
    assert isinstance(customer["Id"], str) and customer["SyncToken"] == "0"
    assert customer["domain"] == "QBO" and customer["sparse"] is False
    assert customer["FullyQualifiedName"] == "Acme Dental LLC" and customer["Active"] is True
    assert customer["Balance"] == 0 and customer["CurrencyRef"]["value"] == "USD"
    assert set(customer["MetaData"]) == {"CreateTime", "LastUpdatedTime"}
    assert customer["MetaData"]["CreateTime"].endswith(("-08:00", "-07:00"))
    assert "time" in response.json and response.headers["intuit_tid"]
    assert (
        api.ok(api.get(f"customer/{customer['Id']}"), "Customer")["DisplayName"]
        == "Acme Dental LLC"
    )


def test_sparse_update_bumps_synctoken_and_stale_token_gives_5010(api):
    customer = api.customer(**{k: v for k, v in SPEC_CUSTOMER.items() if k != "DisplayName"})
    body = {
        "Id": customer["Id"],
        "SyncToken": "0",
        "sparse": True,
        "PrimaryEmailAddr": {"Address": "ap@acmedental.example"},
    }
    updated = api.ok(api.post("customer", body), "Customer")
    assert updated["SyncToken"] == "1" and updated["GivenName"] == "Dana"
    assert updated["PrimaryEmailAddr"]["Address"] == "ap@acmedental.example"
    stale = api.post("customer", body)
    assert stale.status_code == 400 and fault_code(stale) == "5010"
    assert stale.json["Fault"]["Error"][0]["Message"] == "Stale Object Error"


def test_full_update_nulls_fields_left_out(api):
    customer = api.customer(**{k: v for k, v in SPEC_CUSTOMER.items() if k != "DisplayName"})
    full = {"Id": customer["Id"], "SyncToken": "0", "DisplayName": "Acme Dental LLC"}
    updated = api.ok(api.post("customer", full), "Customer")
    assert "GivenName" not in updated and "PrimaryEmailAddr" not in updated


def test_display_name_unique_case_insensitively(api):
    api.customer("Acme Dental LLC")
    response = api.post("customer", {"DisplayName": "acme dental llc"})
    assert response.status_code == 400 and fault_code(response) == "6240"
    assert "already exists" in response.json["Fault"]["Error"][0]["Detail"]


def test_display_name_built_from_name_parts_and_required(api):
    assert api.customer(None, GivenName="Dana", FamilyName="Reyes")["DisplayName"] == "Dana Reyes"
    missing = api.post("customer", {"CompanyName": "No Name Inc"})
    assert fault_code(missing) == "2020"
    assert missing.json["Fault"]["Error"][0]["element"] == "DisplayName"


def test_display_name_rejects_colon_tab_newline(api):
    for bad in ("A:B", "A\tB", "A\nB"):
        response = api.post("customer", {"DisplayName": bad})
        assert response.status_code == 400, bad


def test_customer_deactivated_not_deleted_and_inactive_ref_gives_610(api):
    customer = api.customer()
    delete = api.post("customer", {"Id": customer["Id"], "SyncToken": "0"}, operation="delete")
    assert delete.status_code == 400
    inactive = api.ok(
        api.post(
            "customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Active": False}
        ),
        "Customer",
    )
    assert inactive["Active"] is False
    response = api.post(
        "invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [
                {
                    "Amount": 10,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        },
    )
    assert (
        fault_code(response) == "610" and "inactive" in response.json["Fault"]["Error"][0]["Detail"]
    )


def test_unknown_id_gives_610(api):
    response = api.get("customer/9999")
    assert response.status_code == 400 and fault_code(response) == "610"


def test_low_minorversion_is_served(api):
    assert api.get("preferences", minorversion=4).status_code == 200


def test_seeded_company(api):
    accounts = {a["Name"]: a for a in api.q("select * from Account")["Account"]}
    assert accounts["Undeposited Funds"]["Id"] == "4"
    assert accounts["Undeposited Funds"]["AccountType"] == "Other Current Asset"
    assert accounts["Undeposited Funds"]["AccountSubType"] == "UndepositedFunds"
    assert (
        accounts["Checking"]["AccountType"] == "Bank"
        and accounts["Savings"]["AccountType"] == "Bank"
    )
    assert accounts["Petty Cash"]["AccountType"] == "Other Current Asset"
    types = [a["AccountType"] for a in accounts.values()]
    assert "Accounts Receivable" in types and types.count("Expense") == 2 and "Income" in types
    item = api.q("select * from Item where Name = 'Services'")["Item"][0]
    assert (
        item["Type"] == "Service"
        and item["IncomeAccountRef"]["value"] == accounts["Services"]["Id"]
    )
    info = api.ok(api.get(f"companyinfo/{api.realm}"), "CompanyInfo")
    assert info["CompanyName"] == "Demo Sandbox Company"
    assert api.ok(api.get("preferences"), "Preferences")["Id"]


def test_item_and_account_rules(api):
    item = api.post(
        "item", {"Name": "Bookkeeping", "Type": "Service", "IncomeAccountRef": {"value": "79"}}
    )
    assert api.ok(item, "Item")["IncomeAccountRef"]["name"] == "Services"
    assert (
        fault_code(
            api.post(
                "item",
                {"Name": "Bookkeeping", "Type": "Service", "IncomeAccountRef": {"value": "79"}},
            )
        )
        == "6240"
    )
    assert fault_code(api.post("item", {"Name": "X", "Type": "Service"})) == "2020"
    assert (
        fault_code(
            api.post("item", {"Name": "Y", "Type": "Service", "IncomeAccountRef": {"value": "999"}})
        )
        == "610"
    )
    account = api.ok(api.post("account", {"Name": "Operating", "AccountType": "Bank"}), "Account")
    assert account["Classification"] == "Asset" and account["CurrentBalance"] == 0
