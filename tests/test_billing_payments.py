"""Payments tab: list and menu per status, and Record payment (its "Sync this payment with QuickBooks" box)."""

import json
import re
from decimal import Decimal

import pytest

from webapp.extensions import db
from webapp.models import (
    InvoiceStatus,
    Payment,
    PaymentMethod,
    Refund,
    SyncReason,
    SyncStatus,
)
from webapp.quickbooks.state import mark_skipped
from webapp.quickbooks.sync import SYNC_OFF_FOR_PAYMENT

HX = {"HX-Request": "true"}
RESULTS = {**HX, "HX-Target": "payments-results"}


def row_html(body: str, payment_id: int) -> str:
    match = re.search(rf'<tr id="payment-{payment_id}".*?</tr>', body, re.S)
    assert match, f"row payment-{payment_id} not in response"
    return match.group(0)


def payment_ids(body: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="payment-(\d+)"', body)]


def counts() -> tuple[int, int]:
    """(payments, refunds) as committed: a rolled-back view leaves nothing behind."""
    db.session.rollback()
    return (
        db.session.scalar(db.select(db.func.count(Payment.id))),
        db.session.scalar(db.select(db.func.count(Refund.id))),
    )


def test_tab_lists_the_payment_columns(client, make, user, invoice):
    payment = make.payment(
        invoice, "75.50", method=PaymentMethod.BANK_TRANSFER, description="Paid through QBO"
    )
    db.session.commit()
    body = client.get("/billing/payments").text
    for header in ("Date", "Client", "Invoice", "Amount", "Method", "Description", "QuickBooks"):
        assert f">{header}</th>" in body
    assert 'role="tab" href="/billing/payments" aria-selected="true">Payments' in body
    assert "<h1>Payments</h1>" in body
    assert ">Record payment</a>" in body
    row = row_html(body, payment.id)
    assert '<time datetime="2026-11-20">Nov 20, 2026</time>' in row
    for text in ("2026-11-20", "Acme Ltd", invoice.number, "75.50", "Bank transfer"):
        assert text in row
    assert "Paid through QBO" in row


def test_filters_by_quickbooks_status_method_and_client_name(client, make, user, invoice):
    cash = make.payment(invoice, "10.00", method=PaymentMethod.CASH)
    synced = make.synced(make.payment(invoice, "10.00"))
    other = make.payment(make.invoice(make.client(user.firm, display_name="Bolt")), "5.00")
    db.session.commit()

    def listed(query):
        return sorted(payment_ids(client.get(f"/billing/payments?{query}", headers=RESULTS).text))

    assert listed("method=cash") == [cash.id]
    assert listed("qbo=synced") == [synced.id]
    assert listed("q=bolt") == [other.id]
    assert listed("q=acme&qbo=not_synced") == [cash.id]
    assert listed("method=wire") == sorted([cash.id, synced.id, other.id])


def test_fifty_payments_a_page_newest_first(client, make, user, invoice):
    made = [make.payment(invoice, "1.00") for _ in range(51)]
    db.session.commit()
    first = client.get("/billing/payments?method=check").text
    assert payment_ids(first) == [p.id for p in reversed(made)][:50]
    assert f'href="/billing/payments?after={made[1].id}&amp;method=check"' in first
    second = client.get(f"/billing/payments?after={made[1].id}&method=check").text
    assert payment_ids(second) == [made[0].id]


def test_empty_state_says_what_to_do(client, user):
    body = client.get("/billing/payments").text
    assert "No payments yet. Record one with the button above." in body


@pytest.mark.parametrize(
    ("status", "sync", "unsync"),
    [
        (SyncStatus.NOT_SYNCED, True, False),
        (SyncStatus.FAILED, True, False),
        (SyncStatus.SKIPPED, True, False),
        (SyncStatus.SYNCED, False, True),
        (SyncStatus.SYNCING, False, False),
        (SyncStatus.UNSYNCING, False, False),
    ],
)
def test_row_menu_follows_the_status(client, make, user, invoice, status, sync, unsync):
    payment = make.payment(invoice, "50.00", qbo_status=status)
    db.session.commit()
    row = row_html(client.get("/billing/payments").text, payment.id)
    assert ("Sync payment to QuickBooks" in row) is sync
    assert ("Unsync payment from QuickBooks" in row) is unsync
    assert "Refund payment" in row
    assert "View sync history" in row
    assert ('name="watch"' in row) is (not status.is_final)


def test_unsync_warns_that_refunds_go_too(client, make, user, invoice, connected):
    payment = make.synced(make.payment(invoice, "50.00"))
    db.session.commit()
    row = row_html(client.get("/billing/payments").text, payment.id)
    confirm = re.search(r'hx-confirm="([^"]*)"', row).group(1)
    assert "deleted from QuickBooks, and so are its refunds" in confirm


def test_refund_item_only_while_something_is_left_to_refund(client, make, user, invoice):
    payment = make.payment(invoice, "50.00")
    make.refund(payment, "50.00")
    db.session.commit()
    row = row_html(client.get("/billing/payments").text, payment.id)
    assert "Refund payment" not in row
    assert "Refunded in full" in row


def test_skipped_row_shows_its_reason(client, make, user, invoice):
    payment = make.payment(invoice, "50.00")
    db.session.flush()
    mark_skipped(payment, user, SyncReason.SYNC_OFF_FOR_PAYMENT, SYNC_OFF_FOR_PAYMENT)
    db.session.commit()
    row = row_html(client.get("/billing/payments").text, payment.id)
    assert 'title="Sync turned off for this payment"' in row
    assert '<small class="sync-detail skipped">Sync turned off for this payment' in row


# Record payment -------------------------------------------------------------------------------


@pytest.mark.parametrize("firm_default", [True, False])
def test_record_payment_form_presets_the_box_from_the_firm_setting(
    client, user, invoice, firm_default
):
    user.firm.sync_manual_payments = firm_default
    db.session.commit()
    body = client.get("/billing/payments/new", headers=HX).text
    assert body.lstrip().startswith('<form id="payment-form"')
    box = re.search(r'<input[^>]*name="sync_to_qbo"[^>]*>', body).group(0)
    assert ("checked" in box) is firm_default
    assert 'type="checkbox"' in box


def test_the_box_sits_right_under_description_with_the_tip(client, user, invoice):
    body = client.get("/billing/payments/new", headers=HX).text
    labels = re.findall(r"<label[^>]*>([^<]*)</label>|(Sync this payment with QuickBooks)", body)
    names = [a or b for a, b in labels]
    assert names[-2:] == ["Description", "Sync this payment with QuickBooks"]
    assert "Tip: if the client paid through QuickBooks, say so here" in body
    assert body.index("Tip: if the client paid") < body.index("Sync this payment with QuickBooks")
    for label in ("Client", "Invoice", "Amount", "Date", "Method", "Reference"):
        assert f">{label}</label>" in body
    for method in ("Cash", "Check", "Bank transfer", "Card", "Other"):
        assert f">{method}</option>" in body


def test_from_an_invoice_row_the_invoice_and_its_open_balance_are_chosen(
    client, make, user, invoice
):
    make.payment(invoice, "80.00")
    db.session.commit()
    body = client.get(
        f"/billing/payments/new?invoice_id={invoice.id}&origin=invoices", headers=HX
    ).text
    assert f'<option selected value="{invoice.client_id}">Acme Ltd</option>' in body
    assert re.search(rf'<option selected value="{invoice.id}">{invoice.number} ', body)
    assert 'name="amount"' in body and 'value="120.00"' in body
    assert 'name="origin" type="hidden" value="invoices"' in body


def test_changing_the_client_reloads_its_open_invoices_and_the_amount(client, make, user, invoice):
    paid = make.invoice(invoice.client, "10.00")
    make.payment(paid)
    make.invoice(make.client(user.firm), "999.00")  # another client's
    db.session.commit()
    response = client.get(
        f"/billing/payments/new/invoices?client_id={invoice.client_id}", headers=HX
    )
    body = response.text
    assert body.lstrip().startswith('<div id="payment-invoice-field">')
    options = re.findall(r'<option[^>]*value="(\d+)"', body)
    assert options == [str(invoice.id)]
    assert '<div id="payment-amount-field" hx-swap-oob="true">' in body
    assert 'value="200.00"' in body


def payment_data(invoice, **overrides):
    data = {
        "client_id": str(invoice.client_id),
        "invoice_id": str(invoice.id),
        "amount": "150.00",
        "received_on": "2026-11-27",
        "method": "bank_transfer",
        "reference": "TX-42",
        "description": "Paid through QuickBooks",
        "sync_to_qbo": "y",
        "origin": "payments",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_recording_a_payment_updates_the_invoice_and_puts_the_row_on_top(client, user, invoice):
    response = client.post("/billing/payments", data=payment_data(invoice), headers=HX)
    assert response.status_code == 200, response.text
    payment = db.session.execute(db.select(Payment)).scalar_one()
    assert (payment.amount, payment.method, payment.reference) == (
        Decimal("150.00"),
        PaymentMethod.BANK_TRANSFER,
        "TX-42",
    )
    assert payment.sync_requested is True
    # Not connected to QuickBooks: the payment waits as Not synced, it is not Skipped.
    assert payment.qbo_status is SyncStatus.NOT_SYNCED
    db.session.refresh(invoice)
    assert (invoice.balance, invoice.status) == (Decimal("50.00"), InvoiceStatus.PARTIALLY_PAID)
    assert response.headers["HX-Retarget"] == "#payments-body"
    assert response.headers["HX-Reswap"] == "afterbegin"
    assert response.text.startswith(f'<tr id="payment-{payment.id}" class="just-added"')
    events = json.loads(response.headers["HX-Trigger"])
    assert "close-dialog" in events
    assert events["toast"]["level"] == "success"


def test_clearing_the_box_skips_the_payment_with_the_reason(client, user, invoice):
    response = client.post(
        "/billing/payments", data=payment_data(invoice, sync_to_qbo=None), headers=HX
    )
    assert response.status_code == 200
    payment = db.session.execute(db.select(Payment)).scalar_one()
    assert payment.sync_requested is False
    assert payment.qbo_status is SyncStatus.SKIPPED
    assert payment.qbo_message == "Sync turned off for this payment"
    assert "Skipped" in response.text
    assert "Sync turned off for this payment" in response.text
    assert "Sync payment to QuickBooks" in response.text


def test_paying_the_full_balance_marks_the_invoice_paid(client, user, invoice):
    client.post("/billing/payments", data=payment_data(invoice, amount="200"), headers=HX)
    db.session.refresh(invoice)
    assert (invoice.balance, invoice.status) == (Decimal("0.00"), InvoiceStatus.PAID)


def test_recorded_from_the_invoices_tab_the_invoice_row_updates_in_place(client, user, invoice):
    response = client.post(
        "/billing/payments", data=payment_data(invoice, origin="invoices"), headers=HX
    )
    assert response.status_code == 200
    assert response.headers["HX-Reswap"] == "none"
    assert "HX-Retarget" not in response.headers
    assert response.text.startswith(f'<template><tr id="invoice-{invoice.id}" hx-swap-oob="true">')
    assert "Partially paid" in response.text and "50.00" in response.text
    assert "close-dialog" in json.loads(response.headers["HX-Trigger"])


def test_recording_without_js_redirects_to_the_tab_it_came_from(client, user, invoice):
    response = client.post("/billing/payments", data=payment_data(invoice, origin="invoices"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/billing/invoices"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "0"}, "amount", "The amount must be more than 0."),
        ({"amount": "-10.00"}, "amount", "The amount must be more than 0."),
        ({"amount": "10.001"}, "amount", "Use at most two decimals."),
        ({"amount": "ten"}, "amount", "Enter an amount, like 125.00."),
        ({"amount": ""}, "amount", "Enter an amount, like 125.00."),
        ({"amount": "Infinity"}, "amount", "Enter an amount, like 125.00."),
        ({"amount": "1e2"}, "amount", "Enter an amount, like 125.00."),
        ({"amount": "١٢"}, "amount", "Enter an amount, like 125.00."),
        ({"amount": "200.01"}, "amount", "The open balance is 200.00; enter at most that."),
        ({"received_on": "2026-13-45"}, "received_on", "Enter a date like 2026-11-27."),
        ({"received_on": "yesterday"}, "received_on", "Enter a date like 2026-11-27."),
        ({"method": "bitcoin"}, "method", "Not a valid choice."),
        ({"reference": "r" * 101}, "reference", "cannot be longer than 100"),
        ({"description": "d" * 1001}, "description", "cannot be longer than 1000"),
        ({"client_id": ""}, "client_id", "Choose a client."),
        ({"invoice_id": ""}, "invoice_id", "Choose an invoice."),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_written(
    client, user, invoice, overrides, field, message
):
    response = client.post("/billing/payments", data=payment_data(invoice, **overrides), headers=HX)
    body = response.text
    assert response.status_code == 422
    assert body.lstrip().startswith('<form id="payment-form"')
    assert f'<small class="field-error" id="{field}-error">' in body
    error = re.search(rf'id="{field}-error">([^<]*)<', body).group(1)
    assert message in error.replace("&#39;", "'")
    assert counts() == (0, 0)
    db.session.refresh(invoice)
    assert invoice.balance == Decimal("200.00")


def test_an_invoice_of_another_client_is_refused(client, make, user, invoice):
    bolt = make.client(user.firm)
    db.session.commit()
    data = payment_data(invoice, client_id=str(bolt.id))
    response = client.post("/billing/payments", data=data, headers=HX)
    assert response.status_code == 422
    assert "That invoice belongs to another client." in response.text
    assert counts() == (0, 0)


def test_a_paid_invoice_takes_no_more_payments(client, make, user, invoice):
    make.payment(invoice)
    db.session.commit()
    response = client.post("/billing/payments", data=payment_data(invoice), headers=HX)
    assert response.status_code == 422
    assert "That invoice is already paid in full." in response.text


def test_a_refunds_quickbooks_status_shows_on_its_payments_row(client, make, user, invoice):
    payment = make.synced(make.payment(invoice, "50.00"))
    make.refund(
        payment,
        "10.00",
        qbo_status=SyncStatus.FAILED,
        qbo_message="QuickBooks refused it (code 6000): Business Validation Error: No account",
        qbo_error_code="6000",
    )
    make.refund(payment, "5.00", qbo_status=SyncStatus.SYNCING)
    db.session.commit()
    row = row_html(client.get("/billing/payments").text, payment.id)
    assert 'Refund 10.00: <span class="badge badge-failed">Failed</span>' in row
    assert "Business Validation Error: No account" in row
    assert 'Refund 5.00: <span class="badge badge-syncing">Syncing…</span>' in row
    # The payment is Synced, but its refund is pending: the row is watched until it settles.
    assert f'name="watch" value="{payment.id}:synced/failed/syncing"' in row
