"""Vendors: created, read, queried and renamed like the other name lists, and sharing one list of
names with customers, so a customer cannot take a vendor's DisplayName (6240) until it is renamed."""

from __future__ import annotations

from urllib.parse import unquote_plus

from emu_helpers import fault_code

LANDLORD = "Evergreen Property Management"


def test_a_vendor_is_created_read_and_found_by_its_display_name(api):
    vendor = api.ok(api.post("vendor", {"DisplayName": f"  {LANDLORD} "}), "Vendor")
    assert vendor["DisplayName"] == LANDLORD and vendor["Active"] is True
    assert (vendor["SyncToken"], vendor["domain"]) == ("0", "QBO")
    assert api.ok(api.get(f"vendor/{vendor['Id']}"), "Vendor") == vendor
    found = api.q(f"select * from Vendor where DisplayName = '{LANDLORD}'")
    assert [v["Id"] for v in found["Vendor"]] == [vendor["Id"]]
    assert "Vendor" not in api.q("select * from Vendor where DisplayName = 'Someone Else'")


def test_a_vendor_name_is_built_from_its_parts_or_required(api):
    built = api.ok(api.post("vendor", {"GivenName": "Ana", "FamilyName": "Ortiz"}), "Vendor")
    assert built["DisplayName"] == "Ana Ortiz"
    missing = api.post("vendor", {"CompanyName": "No Name Supply"})
    assert fault_code(missing) == "2020"
    assert missing.json["Fault"]["Error"][0]["element"] == "DisplayName"


def test_a_customer_cannot_take_a_vendors_name_on_create_or_update(api):
    api.ok(api.post("vendor", {"DisplayName": LANDLORD}), "Vendor")
    refused = api.post("customer", {"DisplayName": LANDLORD})
    assert refused.status_code == 400 and fault_code(refused) == "6240"
    error = refused.json["Fault"]["Error"][0]
    assert error["Message"] == "Duplicate Name Exists Error"
    assert "Another customer, vendor or employee is already using this name" in error["Detail"]
    # The emulator's choice: names compare case-insensitively and trimmed.
    assert fault_code(api.post("customer", {"DisplayName": LANDLORD.upper()})) == "6240"

    customer = api.customer("Evergreen Property")
    renamed = {
        "Id": customer["Id"],
        "SyncToken": customer["SyncToken"],
        "sparse": True,
        "DisplayName": LANDLORD,
    }
    assert fault_code(api.post("customer", renamed)) == "6240"
    assert api.ok(api.get(f"customer/{customer['Id']}"), "Customer")["DisplayName"] == (
        "Evergreen Property"
    )
    assert "Customer" not in api.q(f"select * from Customer where DisplayName = '{LANDLORD}'")


def test_a_vendor_cannot_take_a_customers_name(api):
    api.customer(LANDLORD)
    assert fault_code(api.post("vendor", {"DisplayName": LANDLORD})) == "6240"


def test_renaming_the_vendor_frees_the_name_for_the_customer(api):
    vendor = api.ok(api.post("vendor", {"DisplayName": LANDLORD}), "Vendor")
    body = {"Id": vendor["Id"], "SyncToken": "0", "sparse": True}
    renamed = api.ok(api.post("vendor", {**body, "DisplayName": f"{LANDLORD} (rent)"}), "Vendor")
    assert renamed["SyncToken"] == "1"
    assert api.customer(LANDLORD)["DisplayName"] == LANDLORD


def test_the_vendors_page_adds_and_renames_vendors_as_the_quickbooks_user(api):
    pages = f"/_emulator/{api.realm}/vendors"
    added = api.client.post(pages, data={"display_name": LANDLORD})
    assert added.status_code == 302 and added.headers["Location"].endswith("/vendors")
    [vendor] = api.control.entities(api.realm, "Vendor")
    page = api.client.get(pages).get_data(as_text=True)
    assert "<h1>Vendors of Demo Sandbox Company</h1>" in page and LANDLORD in page

    api.customer("Acme Dental LLC")
    taken = api.client.post(
        f"{pages}/{vendor['Id']}/rename", data={"display_name": "Acme Dental LLC"}
    )
    assert "6240 Duplicate Name Exists Error" in unquote_plus(taken.headers["Location"])

    api.client.post(f"{pages}/{vendor['Id']}/rename", data={"display_name": "Evergreen (rent)"})
    [vendor] = api.control.entities(api.realm, "Vendor")
    assert (vendor["DisplayName"], vendor["SyncToken"]) == ("Evergreen (rent)", "1")
    assert api.customer(LANDLORD)["DisplayName"] == LANDLORD
