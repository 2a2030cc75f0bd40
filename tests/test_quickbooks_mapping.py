"""Rows as QBO JSON, requestids, and recognising a payment we created before."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from webapp.quickbooks import mapping
from webapp.quickbooks.webhooks import parse_events, signature


def test_requestid_is_deterministic_and_changes_with_the_generation():
    first = mapping.requestid("mh2k9x1c", "payment", 42, 0, "create")
    assert first == mapping.requestid("mh2k9x1c", "payment", 42, 0, "create")
    assert first != mapping.requestid("mh2k9x1c", "payment", 42, 1, "create")
    assert first != mapping.requestid("mh2k9x1c", "payment", 42, 0, "del3")
    assert len(mapping.requestid("mh2k9x1c", "payment", 10**12, 999, "del123456")) <= 50


def test_requestid_differs_between_firms_whose_rows_share_ids(make):
    """Two installs (or a rebuilt database) on one QBO company must not replay each other's writes."""
    first, second = make.firm(), make.firm()
    second.created_at = first.created_at + timedelta(milliseconds=1)
    namespaces = {mapping.firm_namespace(first), mapping.firm_namespace(second)}
    assert len(namespaces) == 2
    assert all(len(ns) == 8 for ns in namespaces)
    ids = {mapping.requestid(ns, "payment", 1, 0, "create") for ns in namespaces}
    assert len(ids) == 2


def test_requestid_never_exceeds_intuits_limit():
    with pytest.raises(ValueError):
        mapping.requestid("mh2k9x1c", "payment", 1, 0, "x" * 60)


def test_customer_names_lose_the_characters_intuit_forbids(make):
    firm = make.firm()
    client = make.client(firm, display_name="Acme: Dental\tLLC", address="12 Main St\nSpringfield")
    body = mapping.customer_payload(client)
    assert body["DisplayName"] == "Acme- Dental LLC"
    assert body["BillAddr"] == {"Line1": "12 Main St", "Line2": "Springfield"}


def test_invoice_lines_use_the_services_item_and_decimal_amounts(make):
    invoice = make.invoice(make.client(make.firm()), amount="450.10")
    body = mapping.invoice_payload(invoice, customer_id="58", item_id="1")
    [line] = body["Line"]
    assert line["Amount"] == 450.10
    assert line["SalesItemLineDetail"] == {
        "ItemRef": {"value": "1"},
        "Qty": 1.0,
        "UnitPrice": 450.10,
    }
    assert body["DocNumber"] == invoice.number and body["CustomerRef"] == {"value": "58"}


def test_payment_is_linked_to_its_invoice_and_tagged(make):
    invoice = make.invoice(make.client(make.firm()), amount="300.00")
    payment = make.payment(invoice, description="Paid at the front desk", reference="CHK-1")
    body = mapping.payment_payload(payment, "58", "130", "35")
    assert body["Line"] == [
        {"Amount": 300.0, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]}
    ]
    assert body["DepositToAccountRef"] == {"value": "35"}
    assert body["PrivateNote"].startswith(mapping.marker(payment))
    assert body["PaymentRefNum"] == "CHK-1"


def test_an_earlier_payment_of_ours_is_recognised_first(make):
    invoice = make.invoice(make.client(make.firm()), amount="300.00")
    payment = make.payment(invoice, received_on=date(2026, 11, 20))
    ours = {
        "Id": "9",
        "TotalAmt": 300.0,
        "TxnDate": "2026-11-20",
        "PrivateNote": mapping.marker(payment),
        "Line": [{"Amount": 300.0, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]}],
    }
    entered_in_qbo = dict(ours, Id="10", PrivateNote="received in QuickBooks")
    other_invoice = dict(
        ours, Id="11", Line=[{"LinkedTxn": [{"TxnId": "7", "TxnType": "Invoice"}]}]
    )
    edited_in_qbo = dict(ours, TotalAmt=250.0, TxnDate="2026-11-21")
    found = mapping.find_existing_payment([entered_in_qbo, other_invoice, ours], payment, "130")
    assert found == ours
    assert mapping.find_existing_payment([edited_in_qbo], payment, "130") == edited_in_qbo
    assert mapping.find_existing_payment([other_invoice], payment, "130") is None
    assert payment.amount == Decimal("300.00")


def test_a_payment_entered_in_quickbooks_is_linked_unless_another_row_holds_it(make):
    invoice = make.invoice(make.client(make.firm()), amount="300.00")
    payment = make.payment(invoice, amount="150.00", received_on=date(2026, 11, 20))
    other_row = make.payment(invoice, amount="150.00")
    line = [{"Amount": 150.0, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]}]
    entered = {"Id": "10", "TotalAmt": 150.0, "TxnDate": "2026-11-18", "Line": line}
    same_day = dict(entered, Id="12", TxnDate="2026-11-20")
    other_amount = dict(entered, Id="13", TotalAmt=100.0)
    other_rows = dict(entered, Id="14", PrivateNote=mapping.marker(other_row))

    def find(*candidates, taken=frozenset()):
        return mapping.find_existing_payment(list(candidates), payment, "130", taken=taken)

    assert find(entered) == entered
    assert find(entered, same_day) == same_day  # the same date is preferred
    assert find(entered, taken={"10"}) is None  # another row of ours is linked to it
    assert find(other_amount) is None
    assert find(other_rows) is None  # another row's lost create is that row's, not ours


def test_the_webhook_signature_matches_intuits_test_vector():
    assert (
        signature("verify_me", b'{"stuff":"5"}') == "nfPLN16u3vMvv08ghDs+dOkLuirEVDy5wAeG/lmM2OA="
    )


def test_both_webhook_formats_are_understood():
    legacy = {
        "eventNotifications": [
            {
                "realmId": "123",
                "dataChangeEvent": {
                    "entities": [
                        {"name": "Payment", "id": "163", "operation": "Delete"},
                        {"name": "Customer", "id": "1", "operation": "Update"},
                        {"name": "Vendor", "id": "5", "operation": "Update"},  # not ours
                    ]
                },
            }
        ]
    }
    cloud = [
        {
            "id": "88cd52aa",
            "type": "qbo.invoice.updated.v1",
            "time": "2026-12-03T18:00:00.123456789Z",
            "intuitaccountid": "123",
            "intuitentityid": "9",
        }
    ]

    def core(events):
        return [{k: e[k] for k in ("realm", "entity", "id", "operation")} for e in events]

    legacy_events = parse_events(legacy)
    assert core(legacy_events) == [
        {"realm": "123", "entity": "Payment", "id": "163", "operation": "delete"},
        {"realm": "123", "entity": "Customer", "id": "1", "operation": "update"},
    ]
    # Legacy entries have no id: their content is their identity, so a repeat is the same event.
    assert legacy_events[0]["event_id"] == parse_events(legacy)[0]["event_id"]
    assert legacy_events[0]["event_id"] != legacy_events[1]["event_id"]
    [invoice] = parse_events(cloud)
    assert core([invoice]) == [
        {"realm": "123", "entity": "Invoice", "id": "9", "operation": "updated"}
    ]
    assert invoice["event_id"] == "ce:88cd52aa"
    assert invoice["occurred_at"].isoformat() == "2026-12-03T18:00:00.123456+00:00"
