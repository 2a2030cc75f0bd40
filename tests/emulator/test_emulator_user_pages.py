"""A person acting as the QuickBooks user: receive a payment on an invoice's page, edit, void or delete
a payment on its page, rename, deactivate or merge a customer. Each is a write like an API write."""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

import pytest

from qbo_emulator.webhooks import payload


@pytest.fixture
def books(manual_emu):
    """An API client on an emulator whose webhook events stay queued for inspection."""
    manual_emu.control.set_webhook("ledgerbridge-demo", "http://127.0.0.1:9/hook", "t")
    return manual_emu


def events(api, since: int = 0) -> list[tuple]:
    queued = api.control.webhook_events(api.realm)[since:]
    return [(e["entity"], e["entity_id"], e["operation"], e["deleted_id"]) for e in queued]


def pages(api) -> str:
    return f"/_emulator/{api.realm}"


def test_receive_payment_on_the_invoice_page(books):
    api = books
    customer = api.customer()
    invoice = api.invoice(customer["Id"], 1045.31)
    page = api.client.get(f"{pages(api)}/invoices/{invoice['Id']}").get_data(as_text=True)
    assert "Receive payment" in page and "1045.31" in page
    before = len(events(api))
    response = api.client.post(
        f"{pages(api)}/invoices/{invoice['Id']}/receive-payment",
        data={"amount": "1044.31", "txn_date": "2026-01-14", "ref": "CHK-7", "back": "detail"},
    )
    assert response.headers["Location"].endswith(f"/invoices/{invoice['Id']}")
    [payment] = api.control.entities(api.realm, "Payment")
    assert payment["TotalAmt"] == 1044.31 and payment["TxnDate"] == "2026-01-14"
    assert api.ok(api.get(f"invoice/{invoice['Id']}"), "Invoice")["Balance"] == 1.0
    assert events(api, before) == [
        ("Payment", payment["Id"], "Create", None),
        ("Invoice", invoice["Id"], "Update", None),
    ]
    page = api.client.get(f"{pages(api)}/invoices/{invoice['Id']}").get_data(as_text=True)
    assert f"Payment {payment['Id']}" in page and "1.00" in page


def test_a_bad_amount_is_shown_and_nothing_is_written(books):
    api = books
    invoice = api.invoice(api.customer()["Id"], 50)
    response = api.client.post(
        f"{pages(api)}/invoices/{invoice['Id']}/receive-payment",
        data={"amount": "fifty", "back": "detail"},
    )
    assert "must be a number" in unquote_plus(response.headers["Location"])
    assert api.control.entities(api.realm, "Payment") == []
    page = api.client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'role="alert"' in page and "must be a number" in page


def test_edit_a_payment_amount_and_date(books):
    api = books
    customer = api.customer()
    invoice = api.invoice(customer["Id"], 300)
    payment = api.ok(api.payment(customer["Id"], 300, [(invoice["Id"], 300)]), "Payment")
    url = f"{pages(api)}/payments/{payment['Id']}"
    assert "Edit payment" in api.client.get(url).get_data(as_text=True)
    before = len(events(api))
    api.client.post(f"{url}/edit", data={"amount": "250.00", "txn_date": "2026-01-10"})
    edited = api.ok(api.get(f"payment/{payment['Id']}"), "Payment")
    assert (edited["TotalAmt"], edited["TxnDate"], edited["SyncToken"]) == (250, "2026-01-10", "1")
    assert edited["Line"][0]["Amount"] == 250 and edited["UnappliedAmt"] == 0
    assert api.ok(api.get(f"invoice/{invoice['Id']}"), "Invoice")["Balance"] == 50
    assert events(api, before)[0] == ("Payment", payment["Id"], "Update", None)
    api.client.post(f"{url}/edit", data={"amount": "400.00"})
    raised = api.ok(api.get(f"payment/{payment['Id']}"), "Payment")
    assert raised["Line"][0]["Amount"] == 250 and raised["UnappliedAmt"] == 150
    response = api.client.post(f"{url}/edit", data={"amount": "1", "txn_date": "10/01/2026"})
    assert "2026-09-03" in unquote_plus(response.headers["Location"])
    assert api.ok(api.get(f"payment/{payment['Id']}"), "Payment")["SyncToken"] == "2"


def test_void_and_delete_from_the_payment_page(books):
    api = books
    customer = api.customer()
    invoice = api.invoice(customer["Id"], 80)
    first = api.ok(api.payment(customer["Id"], 40, [(invoice["Id"], 40)]), "Payment")
    second = api.ok(api.payment(customer["Id"], 40, [(invoice["Id"], 40)]), "Payment")
    voided = api.client.post(f"{pages(api)}/payments/{first['Id']}/void", data={"back": "detail"})
    assert voided.headers["Location"].endswith(f"/payments/{first['Id']}")
    assert "Voided" in api.client.get(voided.headers["Location"]).get_data(as_text=True)
    deleted = api.client.post(
        f"{pages(api)}/payments/{second['Id']}/delete", data={"back": "detail"}
    )
    assert deleted.headers["Location"].endswith("/payments")
    assert api.ok(api.get(f"invoice/{invoice['Id']}"), "Invoice")["Balance"] == 80


def test_rename_and_deactivate_a_customer(books):
    api = books
    customer = api.customer("Acme Dental")
    api.customer("Taken Name")
    invoice = api.invoice(customer["Id"], 10)
    url = f"{pages(api)}/customers/{customer['Id']}"
    page = api.client.get(url).get_data(as_text=True)
    assert "Rename" in page and "Make inactive" in page and "Merge" in page
    before = len(events(api))
    api.client.post(f"{url}/rename", data={"display_name": "Acme Dental Group"})
    read = api.ok(api.get(f"invoice/{invoice['Id']}"), "Invoice")
    assert read["CustomerRef"]["name"] == "Acme Dental Group"
    taken = api.client.post(f"{url}/rename", data={"display_name": "taken name"})
    assert "6240" in unquote_plus(taken.headers["Location"])
    api.client.post(f"{url}/active", data={"active": "0"})
    assert api.ok(api.get(f"customer/{customer['Id']}"), "Customer")["Active"] is False
    api.client.post(f"{url}/active", data={"active": "1"})
    assert api.ok(api.get(f"customer/{customer['Id']}"), "Customer")["Active"] is True
    assert [e[2] for e in events(api, before)] == ["Update", "Update", "Update"]


def test_merge_a_customer_into_another(books):
    api = books
    merged, survivor = api.customer("Acme Old"), api.customer("Acme")
    invoice = api.invoice(merged["Id"], 100)
    payment = api.ok(api.payment(merged["Id"], 30, [(invoice["Id"], 30)]), "Payment")
    before = len(events(api))
    response = api.client.post(
        f"{pages(api)}/customers/{merged['Id']}/merge", data={"into": survivor["Id"]}
    )
    assert response.headers["Location"].endswith(f"/customers/{survivor['Id']}")
    for entity, obj in (("invoice", invoice), ("payment", payment)):
        moved = api.ok(api.get(f"{entity}/{obj['Id']}"))
        assert moved[entity.capitalize()]["CustomerRef"] == {
            "value": survivor["Id"],
            "name": "Acme",
        }
    assert api.ok(api.get(f"customer/{survivor['Id']}"), "Customer")["Balance"] == 70
    assert api.get(f"customer/{merged['Id']}").status_code == 400
    assert events(api, before) == [
        ("Invoice", invoice["Id"], "Update", None),
        ("Payment", payment["Id"], "Update", None),
        ("Customer", survivor["Id"], "Merge", merged["Id"]),
    ]
    cdc = api.ok(api.get("cdc", entities="Customer", changedSince="2026-01-15"))
    gone = [
        c for c in cdc["CDCResponse"][0]["QueryResponse"][0]["Customer"] if c["Id"] == merged["Id"]
    ]
    assert gone[0]["status"] == "Deleted"
    itself = api.client.post(
        f"{pages(api)}/customers/{survivor['Id']}/merge", data={"into": survivor["Id"]}
    )
    assert "merged into itself" in unquote_plus(itself.headers["Location"])


def test_a_merge_event_names_the_merged_customer_in_both_formats(books):
    api = books
    merged, survivor = api.customer("Old"), api.customer("New")
    api.client.post(f"{pages(api)}/customers/{merged['Id']}/merge", data={"into": survivor["Id"]})
    event = api.control.webhook_events(api.realm)[-1]
    [cloud] = json.loads(payload(event, "cloudevents"))
    assert cloud["type"] == "qbo.customer.merged.v1"
    assert (cloud["intuitentityid"], cloud["data"]) == (survivor["Id"], {"deletedId": merged["Id"]})
    legacy = json.loads(payload(event, "legacy"))["eventNotifications"][0]
    [entity] = legacy["dataChangeEvent"]["entities"]
    assert (entity["operation"], entity["id"], entity["deletedId"]) == (
        "Merge",
        survivor["Id"],
        merged["Id"],
    )
