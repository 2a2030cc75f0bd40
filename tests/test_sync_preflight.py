"""Sync is offered only when it can work: greyed out with the reason on every list, refused by
the server with the same reason, and the row left as it was (never Syncing… then Failed)."""

import json
import re
from decimal import Decimal

import pytest

from webapp.extensions import db
from webapp.models import QboAccount, SyncStatus

HX = {"HX-Request": "true"}
PAY = "Sync payment to QuickBooks"
NOT_CONNECTED = (
    "QuickBooks is not connected. Connect it in Settings &gt; Integrations &gt; QuickBooks."
)


def sync_item(page: str, kind: str, row_id: int, label: str) -> str:
    row = re.search(rf'<tr id="{kind}-{row_id}".*?</tr>', page, re.S).group(0)
    return re.search(rf"<button[^>]*>{label}(<small[^>]*>[^<]*</small>)?", row).group(0)


@pytest.fixture
def books(make, user):
    """A client, an invoice of 200.00 and a payment of 150.00 on it, none in QuickBooks."""
    client = make.client(user.firm, display_name="Acme Ltd")
    invoice = make.invoice(client, "200.00")
    payment = make.payment(invoice, "150.00")
    db.session.commit()
    return client, invoice, payment


LISTS = [
    ("/clients/", "client", 0, "Sync account to QuickBooks"),
    ("/billing/invoices", "invoice", 1, "Sync invoice to QuickBooks"),
    ("/billing/payments", "payment", 2, "Sync payment to QuickBooks"),
]


@pytest.mark.parametrize(("url", "kind", "index", "label"), LISTS)
def test_while_disconnected_every_list_greys_out_sync_with_the_reason(
    client, books, url, kind, index, label
):
    item = sync_item(client.get(url).text, kind, books[index].id, label)
    assert 'aria-disabled="true"' in item and "hx-post" not in item
    assert f'<small class="menu-hint">{NOT_CONNECTED}</small>' in item


@pytest.mark.parametrize(("url", "kind", "index", "label"), LISTS)
def test_while_disconnected_a_sync_is_refused_and_the_row_stays(
    client, books, queue, url, kind, index, label
):
    record = books[index]
    base = url.rstrip("/")
    response = client.post(f"{base}/{record.id}/sync", headers=HX)
    assert response.status_code == 409
    toast = json.loads(response.headers["HX-Trigger"])["toast"]
    assert toast == {"message": NOT_CONNECTED.replace("&gt;", ">"), "level": "error"}
    assert queue.job_ids == []
    db.session.refresh(record)
    assert record.qbo_status is SyncStatus.NOT_SYNCED


def test_sync_payment_waits_for_its_client(client, books, connected, queue):
    _, _, payment = books
    item = sync_item(client.get("/billing/payments").text, "payment", payment.id, PAY)
    assert '<small class="menu-hint">Sync the client account first</small>' in item
    response = client.post(f"/billing/payments/{payment.id}/sync", headers=HX)
    assert response.status_code == 409
    assert json.loads(response.headers["HX-Trigger"])["toast"]["message"] == (
        "Sync the client account first"
    )
    assert queue.job_ids == []


def test_sync_payment_is_offered_once_its_client_is_in_quickbooks(
    client, make, books, connected, queue
):
    acme, _, payment = books
    make.synced(acme)
    db.session.commit()
    item = sync_item(client.get("/billing/payments").text, "payment", payment.id, PAY)
    assert f'hx-post="/billing/payments/{payment.id}/sync"' in item
    assert client.post(f"/billing/payments/{payment.id}/sync", headers=HX).status_code == 200
    assert len(queue.job_ids) == 1


def test_unsync_is_greyed_out_while_disconnected(client, make, books):
    acme = make.synced(books[0])
    db.session.commit()
    page = client.get("/clients/").text
    item = sync_item(page, "client", acme.id, "Unsync account from QuickBooks")
    assert 'aria-disabled="true"' in item and NOT_CONNECTED in item


def test_an_inactive_deposit_account_is_named_before_anything_is_sent(
    client, make, user, books, connected, queue
):
    acme, _, payment = books
    make.synced(acme)
    user.firm.deposit_account_enabled = True
    user.firm.deposit_account_qbo_id = "35"
    user.firm.deposit_account_name = "Checking"
    db.session.add(
        QboAccount(
            firm_id=user.firm.id,
            realm_id=connected.realm_id,
            qbo_id="35",
            name="Checking",
            account_type="Bank",
            active=False,
        )
    )
    db.session.commit()
    item = sync_item(client.get("/billing/payments").text, "payment", payment.id, PAY)
    assert "The &#34;Deposit to&#34; account &#34;Checking&#34; is inactive or gone" in item
    assert client.post(f"/billing/payments/{payment.id}/sync", headers=HX).status_code == 409
    assert queue.job_ids == []


def test_a_payment_above_the_open_balance_quickbooks_shows_is_not_sent(
    client, make, books, connected, queue
):
    acme, invoice, payment = books
    make.synced(acme)
    make.synced(invoice)
    invoice.qbo_balance = Decimal("100.00")  # someone took a payment in QuickBooks
    db.session.commit()
    item = sync_item(client.get("/billing/payments").text, "payment", payment.id, PAY)
    assert (
        f"The payment amount 150.00 is more than the open balance 100.00 of {invoice.number} "
        "in QuickBooks." in item
    )
    assert client.post(f"/billing/payments/{payment.id}/sync", headers=HX).status_code == 409
    assert queue.job_ids == []


def test_a_new_payment_whose_client_is_not_in_quickbooks_says_so_on_its_row(
    client, make, user, connected, queue
):
    invoice = make.invoice(make.client(user.firm), "80.00")
    db.session.commit()
    data = {
        "client_id": str(invoice.client_id),
        "invoice_id": str(invoice.id),
        "amount": "80.00",
        "received_on": "2026-11-27",
        "method": "check",
        "sync_to_qbo": "y",
        "origin": "payments",
    }
    response = client.post("/billing/payments", data=data, headers=HX)
    assert response.status_code == 200
    assert "Failed" in response.text and "Sync the client account first" in response.text
    assert queue.job_ids == []
