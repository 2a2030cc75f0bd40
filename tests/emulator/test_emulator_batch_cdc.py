"""Batch (at most 30 independent items, per-item faults, HTTP 200) and CDC (30 days, tombstones)."""

from __future__ import annotations

from emu_helpers import fault_code


def test_batch_items_are_independent_with_per_item_faults(api):
    existing = api.customer("Taken Name")
    body = {
        "BatchItemRequest": [
            {"bId": "bid1", "operation": "create", "Customer": {"DisplayName": "Fresh Name"}},
            {"bId": "bid2", "operation": "create", "Customer": {"DisplayName": "Taken Name"}},
            {
                "bId": "bid3",
                "operation": "update",
                "Customer": {"Id": existing["Id"], "SyncToken": "7", "sparse": True},
            },
            {
                "bId": "bid4",
                "operation": "create",
                "Invoice": {"CustomerRef": {"value": "9999"}, "Line": []},
            },
            {"bId": "bid5", "Query": "select * from Customer where DisplayName = 'Taken Name'"},
        ]
    }
    response = api.post("batch", body)
    assert response.status_code == 200 and "time" in response.json
    items = {item["bId"]: item for item in response.json["BatchItemResponse"]}
    assert items["bid1"]["Customer"]["DisplayName"] == "Fresh Name"
    assert items["bid2"]["Fault"]["Error"][0]["code"] == "6240"
    assert items["bid3"]["Fault"]["Error"][0]["code"] == "5010"
    assert items["bid4"]["Fault"]["Error"][0]["code"] == "610"
    assert items["bid5"]["QueryResponse"]["Customer"][0]["Id"] == existing["Id"]
    assert api.q("select count(*) from Customer") == {"totalCount": 2}


def test_batch_delete_and_void(api):
    customer = api.customer()
    invoice = api.invoice(customer["Id"], 20)
    payment = api.ok(api.payment(customer["Id"], 20), "Payment")
    body = {
        "BatchItemRequest": [
            {"bId": "d", "operation": "delete", "Invoice": {"Id": invoice["Id"], "SyncToken": "0"}},
            {
                "bId": "v",
                "operation": "update",
                "optionsData": "void",
                "Payment": {"Id": payment["Id"], "SyncToken": "0", "sparse": True},
            },
        ]
    }
    items = {i["bId"]: i for i in api.ok(api.post("batch", body))["BatchItemResponse"]}
    assert items["d"]["Invoice"]["status"] == "Deleted"
    assert items["v"]["Payment"]["TotalAmt"] == 0


def test_batch_limit_is_30(api):
    items = [{"bId": f"q{n}", "Query": "select count(*) from Customer"} for n in range(31)]
    assert api.post("batch", {"BatchItemRequest": items[:30]}).status_code == 200
    too_many = api.post("batch", {"BatchItemRequest": items})
    assert too_many.status_code == 400 and fault_code(too_many) == "1040"


def test_cdc_returns_changes_and_tombstones(api, clock):
    old = api.customer("Old Co")
    clock.advance(3000)
    since = "2026-01-15T09:30:00-08:00"
    new = api.customer("New Co")
    invoice = api.invoice(old["Id"], 10)
    api.ok(api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete"))
    response = api.get("cdc", entities="Customer,Invoice,Payment", changedSince=since)
    groups = api.ok(response)["CDCResponse"][0]["QueryResponse"]
    customers, invoices, payments = groups
    assert [c["Id"] for c in customers["Customer"]] == [new["Id"]]
    assert invoices["Invoice"] == [
        {
            "Id": invoice["Id"],
            "status": "Deleted",
            "domain": "QBO",
            "MetaData": invoices["Invoice"][0]["MetaData"],
        }
    ]
    assert payments == {}


def test_cdc_window_is_30_days(api):
    too_old = api.get("cdc", entities="Customer", changedSince="2025-11-01T00:00:00-08:00")
    assert too_old.status_code == 400
    assert fault_code(api.get("cdc", entities="Customer")) == "2020"
