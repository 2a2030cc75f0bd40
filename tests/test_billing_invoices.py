"""Invoices tab: list, filters, the row menu (Sync greyed out until the client is synced),
New invoice with server-side totals and numbering, and the invoice sync action."""

import json
import re
from decimal import Decimal

import pytest

from webapp.extensions import db
from webapp.models import Invoice, InvoiceStatus, SyncStatus

HX = {"HX-Request": "true"}
RESULTS = {**HX, "HX-Target": "invoices-results"}


def row_html(body: str, invoice_id: int) -> str:
    match = re.search(rf'<tr id="invoice-{invoice_id}".*?</tr>', body, re.S)
    assert match, f"row invoice-{invoice_id} not in response"
    return match.group(0)


def numbers(body: str) -> list[str]:
    # The first cell after the row's selection checkbox.
    return re.findall(
        r'<tr id="invoice-\d+"[^>]*>\s*<td class="select-cell">.*?</td>\s*<td>([^<]*)</td>', body
    )


def invoice_count() -> int:
    db.session.rollback()
    return db.session.scalar(db.select(db.func.count(Invoice.id)))


def test_tab_lists_the_invoice_columns(client, make, user):
    acme = make.client(user.firm, display_name="Acme Ltd")
    invoice = make.invoice(acme, "120.00", number="INV-00061")
    make.payment(invoice, "20.00")
    db.session.commit()
    body = client.get("/billing/invoices").get_data(as_text=True)
    for header in ("Number", "Client", "Date", "Due date", "Total", "Balance", "Status"):
        assert f">{header}</th>" in body
    assert ">QuickBooks</th>" in body
    assert 'role="tab" href="/billing/payments" aria-selected="false">Payments' in body
    row = row_html(body, invoice.id)
    assert '<time datetime="2026-11-01">Nov 1, 2026</time>' in row
    for text in ("INV-00061", "Acme Ltd", "2026-11-01", "2026-12-01", "120.00", "100.00"):
        assert text in row
    assert "Partially paid" in row


def test_filters_by_status_quickbooks_status_and_client_name(client, make, user):
    acme = make.client(user.firm, display_name="Acme Ltd")
    bolt = make.client(user.firm, display_name="Bolt & Sons")
    make.payment(make.invoice(acme, number="A-PAID"))
    make.synced(make.invoice(acme, number="A-SYNCED"))
    make.invoice(bolt, number="B-OPEN")
    db.session.commit()

    def listed(query):
        return sorted(numbers(client.get(f"/billing/invoices?{query}", headers=RESULTS).text))

    assert listed("status=paid") == ["A-PAID"]
    assert listed("qbo=synced") == ["A-SYNCED"]
    assert listed("q=bolt") == ["B-OPEN"]
    assert listed("q=acme&status=unpaid") == ["A-SYNCED"]
    assert listed("status=bogus") == ["A-PAID", "A-SYNCED", "B-OPEN"]


def test_fifty_invoices_a_page(client, make, user):
    acme = make.client(user.firm)
    made = [make.invoice(acme) for _ in range(51)]
    db.session.commit()
    first = client.get("/billing/invoices?status=unpaid").text
    assert len(numbers(first)) == 50
    # Newest first (same date: higher id first), so the 50th shown is the second made.
    assert f'href="/billing/invoices?after={made[1].id}&amp;status=unpaid"' in first
    second = client.get(f"/billing/invoices?after={made[1].id}&status=unpaid").text
    assert numbers(second) == [made[0].number]


def test_empty_state(client, user):
    assert "No invoices yet. Create one with “New invoice” above." in (
        client.get("/billing/invoices").text
    )


def test_sync_item_is_greyed_out_with_its_reason_until_the_client_is_synced(
    client, make, user, connected
):
    waiting = make.invoice(make.client(user.firm))
    ready = make.invoice(make.synced(make.client(user.firm)))
    db.session.commit()
    body = client.get("/billing/invoices").text
    blocked = row_html(body, waiting.id)
    item = re.search(r"<button[^>]*>Sync invoice to QuickBooks", blocked).group(0)
    assert 'aria-disabled="true"' in item
    assert 'title="Sync the client account first"' in item
    # Greyed out but focusable, so arrow keys reach it (and the items after it) and read its hint.
    assert " disabled" not in item.replace("aria-disabled", "")
    assert '<small class="menu-hint">Sync the client account first</small>' in blocked
    assert "hx-post" not in blocked
    assert f'hx-post="/billing/invoices/{ready.id}/sync">Sync invoice to QuickBooks' in row_html(
        body, ready.id
    )


@pytest.mark.parametrize(
    ("status", "offers_sync"),
    [
        (SyncStatus.NOT_SYNCED, True),
        (SyncStatus.FAILED, True),
        (SyncStatus.SKIPPED, True),
        (SyncStatus.SYNCED, False),
        (SyncStatus.SYNCING, False),
    ],
)
def test_sync_item_only_for_not_synced_failed_and_skipped(client, make, user, status, offers_sync):
    invoice = make.invoice(make.synced(make.client(user.firm)), qbo_status=status)
    db.session.commit()
    row = row_html(client.get("/billing/invoices").text, invoice.id)
    assert ("Sync invoice to QuickBooks" in row) is offers_sync
    assert "View sync history" in row


def test_record_payment_item_opens_the_form_for_that_invoice(client, make, user):
    invoice = make.invoice(make.client(user.firm))
    paid = make.invoice(make.client(user.firm))
    make.payment(paid)
    db.session.commit()
    body = client.get("/billing/invoices").text
    assert (
        f'hx-get="/billing/payments/new?invoice_id={invoice.id}&amp;origin=invoices" '
        'hx-target="#dialog"' in row_html(body, invoice.id)
    )
    assert 'title="Paid in full"' in row_html(body, paid.id)


def test_server_refuses_to_sync_an_invoice_of_an_unsynced_client(
    client, make, user, queue, connected
):
    invoice = make.invoice(make.client(user.firm))
    db.session.commit()
    response = client.post(f"/billing/invoices/{invoice.id}/sync", headers=HX)
    assert response.status_code == 409
    assert response.headers["HX-Reswap"] == "none"
    assert json.loads(response.headers["HX-Trigger"])["toast"] == {
        "message": "Sync the client account first",
        "level": "error",
    }
    assert queue.job_ids == []
    db.session.refresh(invoice)
    assert invoice.qbo_status is SyncStatus.NOT_SYNCED


def test_sync_invoice_of_a_synced_client_enqueues_the_job(client, make, user, queue, connected):
    invoice = make.invoice(make.synced(make.client(user.firm)), qbo_status=SyncStatus.FAILED)
    db.session.commit()
    response = client.post(f"/billing/invoices/{invoice.id}/sync", headers=HX)
    body = response.text
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="invoice-{invoice.id}"')
    assert '<div id="invoices-poller" hx-get="/billing/invoices/poll"' in body
    [job_id] = queue.job_ids
    job = queue.fetch_job(job_id)
    assert (job.func_name, job.args) == (
        "webapp.quickbooks.jobs.run_sync",
        ("invoice", invoice.id, user.id),
    )


# New invoice ----------------------------------------------------------------------------------


def test_new_invoice_form_suggests_the_next_number(client, make, user):
    acme = make.client(user.firm, display_name="Acme Ltd")
    make.invoice(acme, number="INV-00060")
    db.session.commit()
    body = client.get("/billing/invoices/new", headers=HX).text
    assert body.lstrip().startswith('<form id="invoice-form"')
    assert 'value="INV-00061"' in body
    assert f'<option value="{acme.id}">Acme Ltd</option>' in body
    assert 'name="lines-0-description"' in body
    assert ">Add line</button>" in body


def lines(*rows):
    data = {}
    for i, (description, quantity, price) in enumerate(rows):
        data[f"lines-{i}-description"] = description
        data[f"lines-{i}-quantity"] = quantity
        data[f"lines-{i}-unit_price"] = price
    return data


def invoice_data(client_id_, **overrides):
    data = {
        "client_id": str(client_id_),
        "number": "INV-00001",
        "issue_date": "2026-11-27",
        "due_date": "2026-12-27",
        **lines(("Bookkeeping", "3", "33.33"), ("Payroll run", "1.5", "100.00")),
    }
    data.update(overrides)
    return data


def test_create_invoice_totals_on_the_server_and_puts_the_row_on_top(client, make, user):
    acme = make.client(user.firm)
    db.session.commit()
    response = client.post("/billing/invoices", data=invoice_data(acme.id), headers=HX)
    assert response.status_code == 200, response.text
    invoice = db.session.execute(db.select(Invoice)).scalar_one()
    assert invoice.total == invoice.balance == Decimal("249.99")
    assert [line.description for line in invoice.lines] == ["Bookkeeping", "Payroll run"]
    assert invoice.status is InvoiceStatus.UNPAID
    assert response.headers["HX-Retarget"] == "#invoices-body"
    assert response.headers["HX-Reswap"] == "afterbegin"
    assert response.text.lstrip().startswith(f'<tr id="invoice-{invoice.id}" class="just-added"')
    events = json.loads(response.headers["HX-Trigger"])
    assert "close-dialog" in events and "INV-00001" in events["toast"]["message"]


def test_invoice_numbers_are_unique_per_firm(client, make, user):
    acme = make.client(user.firm)
    make.invoice(acme, number="INV-00001")
    make.invoice(make.client(make.firm()), number="INV-00002")
    db.session.commit()
    taken = client.post("/billing/invoices", data=invoice_data(acme.id), headers=HX)
    assert taken.status_code == 422
    assert "That number is taken; the next free one is INV-00002." in taken.text
    other_firms_number = invoice_data(acme.id, number="INV-00002")
    assert client.post("/billing/invoices", data=other_firms_number, headers=HX).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"client_id": ""}, "Choose a client."),
        ({"number": ""}, "Give the invoice a number."),
        ({"number": "INV-" + "9" * 18}, "cannot be longer than 21"),
        ({"issue_date": "2026-02-30"}, "Enter a date like 2026-11-27."),
        ({"due_date": "next week"}, "Enter a date like 2026-11-27."),
        ({"issue_date": "1066-10-14"}, "Enter a date between 1990 and 2099."),
        ({"due_date": "2026-11-01"}, "The due date cannot be before the invoice date."),
        ({"lines-0-description": ""}, "Describe the work."),
        ({"lines-0-description": "x" * 4001}, "cannot be longer than 4000"),
        ({"lines-0-quantity": "0"}, "The quantity must be more than 0."),
        ({"lines-0-quantity": "-1"}, "The quantity must be more than 0."),
        ({"lines-0-quantity": "two"}, "Enter a quantity, like 1."),
        ({"lines-0-unit_price": "33.333"}, "Use at most two decimals."),
        ({"lines-0-unit_price": "-5"}, "The price must be 0 or more."),
        ({"lines-0-unit_price": "NaN"}, "Enter a price, like 150.00."),
        ({"lines-0-quantity": "9999999999", "lines-0-unit_price": "9999999999"}, "too large"),
    ],
)
def test_invalid_invoice_shows_the_error_next_to_the_field_and_saves_nothing(
    client, make, user, overrides, message
):
    acme = make.client(user.firm)
    db.session.commit()
    response = client.post("/billing/invoices", data=invoice_data(acme.id, **overrides), headers=HX)
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<form id="invoice-form"')
    assert message in response.text
    assert invoice_count() == 0


def test_an_invoice_whose_lines_total_zero_is_refused(client, make, user):
    acme = make.client(user.firm)
    db.session.commit()
    data = invoice_data(acme.id, **{"lines-0-unit_price": "0", "lines-1-unit_price": "0"})
    response = client.post("/billing/invoices", data=data, headers=HX)
    assert response.status_code == 422
    assert "The invoice total must be more than 0." in response.text
    assert invoice_count() == 0


def test_add_line_returns_the_next_line(client, user):
    response = client.get(
        "/billing/invoices/new/line?lines-0-description=a&lines-3-description=b", headers=HX
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<tr id="invoice-lines-4" class="invoice-line">')
    assert 'name="lines-4-description"' in response.text
    assert 'name="lines-4-quantity"' in response.text and 'value="1"' in response.text


def test_add_line_without_js_shows_the_form_again_with_one_more_line(client, make, user):
    acme = make.client(user.firm)
    db.session.commit()
    response = client.post("/billing/invoices", data={**invoice_data(acme.id), "add_line": "1"})
    assert response.status_code == 200
    assert 'name="lines-2-description"' in response.text
    assert invoice_count() == 0


def test_running_total_is_computed_on_the_server(client, user):
    response = client.get(
        "/billing/invoices/new/total?"
        + "&".join(
            f"{k}={v}"
            for k, v in lines(("a", "3", "33.33"), ("b", "x", "1"), ("c", "2", "0.005")).items()
        ),
        headers=HX,
    )
    assert '<output id="invoice-total"' in response.text
    assert "<strong>100.00</strong>" in response.text


def test_poll_returns_changed_invoice_rows_out_of_band(client, make, user):
    invoice = make.invoice(make.client(user.firm), qbo_status=SyncStatus.FAILED)
    db.session.commit()
    response = client.get(f"/billing/invoices/poll?watch={invoice.id}:syncing", headers=HX)
    assert response.status_code == 286
    assert f'<template><tr id="invoice-{invoice.id}" hx-swap-oob="true">' in response.text


def test_new_invoice_form_says_to_add_a_client_first_when_there_is_none(client, user):
    body = client.get("/billing/invoices/new", headers=HX).text
    assert "No clients yet." in body
    assert 'href="/clients/"' in body
