"""Batch calls resent with their requestid, bId rules, and CDC pages of at most 1,000 objects."""

from __future__ import annotations

from emu_helpers import Api, fault_code

from qbo_emulator import create_app
from qbo_emulator.entities import Books


def payment_items(api, count: int) -> tuple[list[dict], str]:
    customer = api.customer()
    items = []
    for n in range(count):
        invoice = api.invoice(customer["Id"], 100)
        link = [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
        payment = {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 100}
        payment["Line"] = [{"Amount": 100, "LinkedTxn": link}]
        items.append({"bId": f"p{n}", "operation": "create", "Payment": payment})
    return items, customer["Id"]


def test_a_batch_resent_with_its_requestid_gets_the_same_answer_and_creates_nothing(
    api, control, realm
):
    items, _ = payment_items(api, 3)
    body = {"BatchItemRequest": items}
    first = api.post("batch", body, requestid="batch-0001")
    again = api.post("batch", body, requestid="batch-0001")
    assert first.status_code == again.status_code == 200
    assert again.get_data() == first.get_data()
    assert len(control.entities(realm, "Payment")) == 3
    reused = api.post("batch", {"BatchItemRequest": items[:1]}, requestid="batch-0001")
    assert reused.status_code == 400 and fault_code(reused) == "600"


def test_a_lost_batch_answer_is_recovered_by_resending_with_the_same_requestid(api, control, realm):
    items, _ = payment_items(api, 30)
    body = {"BatchItemRequest": items}
    control.set_faults(realm, lost_response_rate=1.0)
    assert api.post("batch", body, requestid="lost-batch").status_code == 500
    control.clear_faults(realm)
    answer = api.ok(api.post("batch", body, requestid="lost-batch"))["BatchItemResponse"]
    assert sorted(item["bId"] for item in answer) == sorted(f"p{n}" for n in range(30))
    assert all(item["Payment"]["UnappliedAmt"] == 0 for item in answer)
    assert len(control.entities(realm, "Payment")) == 30


def test_one_failing_item_fails_alone(api, control, realm):
    items, _ = payment_items(api, 2)
    items[1]["Payment"]["Line"][0]["Amount"] = 500  # more than the invoice's open balance
    answer = api.ok(api.post("batch", {"BatchItemRequest": items}))["BatchItemResponse"]
    assert "Payment" in answer[0] and answer[1]["Fault"]["Error"][0]["code"] == "6000"
    assert len(control.entities(realm, "Payment")) == 1


def test_bid_is_required_and_unique(api, control, realm):
    create = {"operation": "create", "Customer": {"DisplayName": "No bId"}}
    answer = api.ok(api.post("batch", {"BatchItemRequest": [create]}))["BatchItemResponse"]
    assert answer[0]["Fault"]["Error"][0]["element"] == "bId"
    twice = [
        {"bId": "same", "operation": "create", "Customer": {"DisplayName": "A"}},
        {"bId": "same", "operation": "create", "Customer": {"DisplayName": "B"}},
    ]
    response = api.post("batch", {"BatchItemRequest": twice})
    assert response.status_code == 400 and "same" in response.json["Fault"]["Error"][0]["Detail"]
    assert control.entities(realm, "Customer") == []


def seed_customers(app, realm: str, count: int, clock, step: float) -> None:
    state = app.extensions["qbo_emulator"]
    books = Books(state.store, realm, clock, state.emit)
    with state.store.tx():
        for n in range(count):
            books.create("Customer", {"DisplayName": f"Customer {n:05d}"})
            clock.advance(step)


def cdc(api, since: str, entities: str = "Customer,Invoice"):
    response = api.get("cdc", entities=entities, changedSince=since)
    return api.ok(response)["CDCResponse"][0]["QueryResponse"]


def test_cdc_caps_a_response_at_1000_objects_oldest_first_and_continues(api, emu_app, realm, clock):
    since = "2026-01-15T09:00:00-08:00"
    seed_customers(emu_app, realm, 1500, clock, 1.0)
    api.reauth()  # the seeding moved the frozen clock by 25 minutes
    customers, invoices = cdc(api, since)
    assert len(customers["Customer"]) == 1000 and invoices == {}
    assert customers["Customer"][0]["DisplayName"] == "Customer 00000"
    last = customers["Customer"][-1]["MetaData"]["LastUpdatedTime"]
    rest = cdc(api, last)[0]["Customer"]
    assert rest[0]["Id"] == customers["Customer"][-1]["Id"]  # same time again: nothing skipped
    assert len(rest) == 501


def test_cdc_cap_per_entity_when_configured(tmp_path, clock):
    config = {"DATABASE": str(tmp_path / "e.db"), "CDC_LIMIT_SCOPE": "entity"}
    app = create_app(config, clock=clock)
    control = app.extensions["qbo_emulator"].control
    realm = control.demo_realm_id()
    seed_customers(app, realm, 1001, clock, 0.0)
    api = Api(app.test_client(), control, realm)
    customers, accounts = cdc(api, "2026-01-15", "Customer,Account")
    assert len(customers["Customer"]) == 1000 and len(accounts["Account"]) == 8
    app.extensions["qbo_emulator"].dispatcher.stop()


def test_cdc_window_and_date_forms(api, clock):
    api.customer("Recent")
    assert cdc(api, "2026-01-15")[0]["Customer"]  # a date alone is Intuit's own example
    assert cdc(api, "2026-01-15T08:00:00 00:00")[0]["Customer"]  # "+" sent unencoded
    assert cdc(api, "2025-12-16T09:00:00-08:00")[0]["Customer"]  # exactly 30 days back
    too_old = api.get("cdc", entities="Customer", changedSince="2025-12-16T08:59:00-08:00")
    assert too_old.status_code == 400
    assert "older than fixed days" in too_old.json["Fault"]["Error"][0]["Detail"]
