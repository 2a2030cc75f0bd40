"""QuickBooks changes come back, in a real browser with the whole chain: the app, `worker.py`,
Redis and the emulator delivering its webhooks over HTTP.

A person acts in QuickBooks on the emulator's own pages, in a second tab; Ledgerbridge's page
in the first tab must show it without a reload.
"""

import re
import time

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.navigation import assert_not_reloaded, mark_page
from tests.browser.test_billing_pages import open_record_payment
from webapp.extensions import db
from webapp.models import ClientAccount, Invoice, Payment, QboConnection, SyncStatus
from webapp.quickbooks.sync import request_sync

VERIFIER = "browser-two-way-verifier"
WAIT = 20_000


def connect(page: Page, stack) -> str:
    """Connect through the consent page; the company's realmId."""
    page.goto(f"{stack.url}/settings/integrations/quickbooks")
    page.get_by_role("button", name="Connect to QuickBooks").click()
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.get_by_role("button", name="Disconnect")).to_be_visible()
    with stack.app.app_context():
        return db.session.execute(select(QboConnection.realm_id)).scalar_one()


def synced(stack, model, **where):
    """Sync one row through the real worker and wait for it; its QBO Id."""
    with stack.app.app_context():
        record = db.session.execute(select(model).filter_by(**where)).scalar_one()
        request_sync(record, None)
        db.session.commit()
        deadline = time.monotonic() + 20
        while record.qbo_status is not SyncStatus.SYNCED:
            assert time.monotonic() < deadline, (
                f"{model.__name__} never synced: {record.qbo_message}"
            )
            time.sleep(0.2)
            db.session.expire_all()
        return record.qbo_id


@pytest.fixture
def in_quickbooks(page: Page, live_stack):
    """Connected, Acme's client account and its 500.00 invoice synced, webhooks on."""
    live_stack.sign_in(page)
    realm = connect(page, live_stack)
    synced(live_stack, ClientAccount, display_name=live_stack.data.client)
    invoice_id = synced(live_stack, Invoice, number=live_stack.data.open_invoice)
    live_stack.app.config["QBO_WEBHOOK_VERIFIER_TOKEN"] = VERIFIER
    live_stack.emulator.control.set_webhook(
        "ledgerbridge-demo",
        f"{live_stack.url}/settings/integrations/quickbooks/webhook",
        verifier_token=VERIFIER,
    )
    return realm, invoice_id


def receive_in_quickbooks(page: Page, stack, realm: str, invoice_id: str, amount: str) -> Page:
    """A person receives a payment on the emulator's invoice page, in another tab."""
    qbo = page.context.new_page()
    qbo.goto(f"{stack.emulator.url}/_emulator/{realm}/invoices/{invoice_id}")
    qbo.get_by_label("Amount received").fill(amount)
    qbo.get_by_role("button", name="Receive payment").click()
    expect(qbo.get_by_text(re.compile("Payment"))).not_to_have_count(0)
    return qbo


def quickbooks_payments(stack, realm: str) -> list[dict]:
    return [
        p for p in stack.emulator.control.entities(realm, "Payment") if p.get("status") != "Deleted"
    ]


def test_a_payment_received_in_quickbooks_appears_on_the_payments_tab(
    page: Page, live_stack, in_quickbooks
):
    realm, invoice_id = in_quickbooks
    page.goto(f"{live_stack.url}/billing/payments")
    mark_page(page)
    receive_in_quickbooks(page, live_stack, realm, invoice_id, "500.00")

    row = page.locator("#payments-body tr", has_text="Received in QuickBooks")
    expect(row).to_be_visible(timeout=WAIT)
    expect(row).to_contain_text(live_stack.data.open_invoice)
    expect(row).to_contain_text("500.00")
    expect(row.locator(".badge").first).to_have_text("Synced")
    expect(row.locator(".linked-note")).to_have_text("Linked")
    page.bring_to_front()
    assert_not_reloaded(page)
    assert len(quickbooks_payments(live_stack, realm)) == 1


def test_recording_the_same_payment_by_hand_is_caught_in_the_dialog(
    page: Page, live_stack, in_quickbooks
):
    realm, invoice_id = in_quickbooks
    page.goto(f"{live_stack.url}/billing/payments")
    receive_in_quickbooks(page, live_stack, realm, invoice_id, "200.00")
    page.bring_to_front()
    expect(page.locator("#payments-body tr", has_text="Received in QuickBooks")).to_be_visible(
        timeout=WAIT
    )
    mark_page(page)

    dialog = open_record_payment(page, live_stack.data.client, live_stack.data.open_invoice)
    dialog.get_by_label("Amount").fill("200.00")
    dialog.get_by_label("Reference").fill("CHK-2001")
    dialog.get_by_role("button", name="Record payment").click()
    warning = dialog.get_by_role("alert")
    expect(warning).to_contain_text(
        re.compile(
            r"QuickBooks already shows a payment of 200\.00 on \d+ \w{3} \d{4} for INV-00101"
        )
    )
    expect(dialog.get_by_role("button", name="Record without syncing")).to_be_visible()
    expect(dialog.get_by_role("button", name="Record anyway")).to_be_visible()
    dialog.get_by_role("button", name="Link to that payment instead").click()

    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.locator("#payments-body tr", has_text="CHK-2001")).to_have_count(1)
    assert_not_reloaded(page)
    with live_stack.app.app_context():
        on_invoice = db.session.execute(
            select(Payment.reference)
            .join(Payment.invoice)
            .where(Invoice.number == live_stack.data.open_invoice)
        ).all()
        assert [reference for (reference,) in on_invoice] == ["CHK-2001"]  # no second payment
    assert len(quickbooks_payments(live_stack, realm)) == 1


def test_a_payment_deleted_in_quickbooks_is_flagged_and_kept_only_here_from_the_menu(
    page: Page, live_stack, in_quickbooks
):
    realm, invoice_id = in_quickbooks
    page.goto(f"{live_stack.url}/billing/payments")
    qbo = receive_in_quickbooks(page, live_stack, realm, invoice_id, "500.00")
    row = page.locator("#payments-body tr", has_text="Received in QuickBooks")
    expect(row).to_be_visible(timeout=WAIT)
    [received] = quickbooks_payments(live_stack, realm)
    qbo.goto(f"{live_stack.emulator.url}/_emulator/{realm}/payments/{received['Id']}")
    qbo.get_by_role("button", name="Delete").click()
    page.bring_to_front()
    mark_page(page)

    expect(row).to_contain_text("Deleted in QuickBooks", timeout=WAIT)
    row.get_by_role("button", name="More actions").click()
    row.get_by_role("menuitem", name="Keep only in Ledgerbridge").click()
    expect(row.locator(".badge").first).to_have_text("Skipped")
    expect(row).not_to_contain_text("Deleted in QuickBooks")
    assert_not_reloaded(page)
    assert quickbooks_payments(live_stack, realm) == []


def test_an_amount_edited_in_quickbooks_is_flagged_reconciled_and_put_back_from_the_menu(
    page: Page, live_stack, in_quickbooks
):
    realm, _ = in_quickbooks
    page.goto(f"{live_stack.url}/billing/payments")
    dialog = open_record_payment(page, live_stack.data.client, live_stack.data.open_invoice)
    dialog.get_by_label("Amount").fill("200.00")
    dialog.get_by_label("Reference").fill("CHK-3003")
    dialog.get_by_role("button", name="Record payment").click()
    row = page.locator("#payments-body tr", has_text="CHK-3003")
    expect(row.locator(".badge").first).to_have_text("Synced", timeout=WAIT)
    [ours] = quickbooks_payments(live_stack, realm)

    qbo = page.context.new_page()  # a person lowers the amount in QuickBooks
    qbo.goto(f"{live_stack.emulator.url}/_emulator/{realm}/payments/{ours['Id']}")
    qbo.get_by_label("Amount").fill("150.00")
    qbo.get_by_role("button", name="Save").click()
    page.bring_to_front()
    mark_page(page)
    expect(row).to_contain_text("Changed in QuickBooks", timeout=WAIT)
    expect(row).to_contain_text("Amount differ")

    reconciliation = page.context.new_page()
    reconciliation.goto(f"{live_stack.url}/reconciliation/")
    mismatch = reconciliation.locator("tr", has_text="Payment of 200.00")
    expect(mismatch).to_contain_text("Changed in QuickBooks")
    expect(mismatch).to_contain_text("150.00")
    reconciliation.close()

    row.get_by_role("button", name="More actions").click()
    row.get_by_role("menuitem", name="See what changed in QuickBooks").click()
    differences = page.get_by_role("dialog")
    expect(differences.locator("tr", has_text="Amount")).to_contain_text("200.00")
    expect(differences.locator("tr", has_text="Amount")).to_contain_text("150.00")
    differences.get_by_role("button", name="Close").click()

    page.once("dialog", lambda confirm: confirm.accept())  # hx-confirm
    row.get_by_role("button", name="More actions").click()
    row.get_by_role("menuitem", name="Keep Ledgerbridge's version").click()
    expect(row).not_to_contain_text("Changed in QuickBooks", timeout=WAIT)
    expect(row.locator(".badge").first).to_have_text("Synced")
    assert_not_reloaded(page)
    [after] = quickbooks_payments(live_stack, realm)
    assert (after["Id"], after["TotalAmt"]) == (ours["Id"], 200.0)
