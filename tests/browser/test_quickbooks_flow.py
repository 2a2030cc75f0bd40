"""The article's QuickBooks steps in a real browser, against the whole chain: the app server,
a real Redis, `python worker.py` and the QBO emulator over HTTP (the `live_stack` fixture).

A user connects through the emulator's consent page, sets the manual-payments default, syncs a
client, records payments with the sync box checked and cleared, syncs and unsyncs from the row
menu and chooses a deposit account. Badges must change by themselves: each test leaves a flag in
the window and checks at the end that the page was never reloaded while it waited.
"""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.navigation import assert_not_reloaded, follow, mark_page
from webapp.extensions import db
from webapp.models import Firm, Payment, SyncStatus

COMPANY = "Browser Books LLC"
WAIT = 15_000  # ms; the worker forks per job, the poller asks once a second


@pytest.fixture
def stack(live_stack):
    """live_stack with a QBO company of our own, and short retries should the emulator stumble."""
    live_stack.app.config["QBO_RETRY_INTERVALS"] = [1, 1]
    live_stack.realm_id = live_stack.emulator.control.create_company(COMPANY)
    return live_stack


# --- what a user does ------------------------------------------------------------------------


def connect_quickbooks(page: Page, stack) -> None:
    """Settings > "Connect to QuickBooks" > pick our company on the consent page > "Connect"."""
    follow(page, page.get_by_role("link", name="Settings"))
    page.get_by_role("button", name="Connect to QuickBooks").click()
    expect(page).to_have_url(re.compile(re.escape(stack.emulator.url) + "/connect/oauth2"))
    page.get_by_label("Company", exact=True).select_option(label=f"{COMPANY} ({stack.realm_id})")
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(stack.url) + "/settings/"))
    page.wait_for_load_state("load")


def badge(row):
    return row.locator(".badge")


def use_row_menu(page: Page, row, item: str, confirm: bool = False) -> None:
    if confirm:
        page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="More actions").click()
    row.get_by_role("menuitem", name=item).click()


def sync_client(page: Page, name: str) -> None:
    """Clients > row menu > "Sync account to QuickBooks"; the badge goes Syncing… then Synced."""
    follow(page, page.get_by_role("link", name="Clients"))
    mark_page(page)
    row = page.locator("#clients-body tr", has_text=name)
    use_row_menu(page, row, "Sync account to QuickBooks")
    expect(badge(row)).to_have_text("Syncing…")
    expect(badge(row)).to_have_text("Synced", timeout=WAIT)
    assert_not_reloaded(page)


def record_payment(page: Page, client: str, invoice: str, sync: bool):
    """Record payment for the whole open balance of `invoice`; return the new row."""
    page.get_by_role("button", name="Record payment").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Record payment")).to_be_visible()
    dialog.get_by_label("Client").select_option(label=client)
    invoice_select = dialog.get_by_label("Invoice")
    option = invoice_select.locator("option", has_text=invoice)
    expect(option).to_have_count(1)
    invoice_select.select_option(option.get_attribute("value"))
    dialog.get_by_label("Sync this payment with QuickBooks").set_checked(sync)
    dialog.get_by_role("button", name="Record payment").click()
    expect(dialog).to_be_hidden()
    return payment_row(page, invoice)


def payment_row(page: Page, invoice: str):
    return page.locator("#payments-body tr", has_text=invoice)


def qbo_payments(stack) -> list[dict]:
    """The payments the emulator holds for our company (deleted ones left out)."""
    found = stack.emulator.control.entities(stack.realm_id, "Payment")
    return [p for p in found if p.get("status") != "Deleted"]


def load_payment(stack, invoice_number: str) -> Payment:
    with stack.app.app_context():
        payment = db.session.execute(
            select(Payment).join(Payment.invoice).where(Payment.invoice.has(number=invoice_number))
        ).scalar_one()
        db.session.expunge(payment)
        return payment


# --- the steps ---------------------------------------------------------------------------------


def test_connect_through_the_consent_page_then_set_the_manual_payments_default(page: Page, stack):
    stack.sign_in(page)
    connect_quickbooks(page, stack)
    connection = page.locator("#qbo-connection")
    expect(page.get_by_text("QuickBooks is connected.")).to_be_visible()
    # The company name is read by the worker; the box shows it without a reload.
    mark_page(page)
    expect(connection).to_contain_text(COMPANY, timeout=WAIT)
    expect(connection).to_contain_text(stack.realm_id)
    expect(connection.get_by_role("button", name="Disconnect")).to_be_visible()
    assert_not_reloaded(page)

    toggle = page.get_by_label("Sync manually created payments with QuickBooks")
    expect(toggle).to_be_checked()
    toggle.uncheck()
    # Saved at once: no Save button, and a reload shows it off.
    expect(page.get_by_text("Syncing manually created payments is off.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Sync manually created payments with QuickBooks")).not_to_be_checked()
    with stack.app.app_context():
        assert db.session.get(Firm, stack.data.firm_id).sync_manual_payments is False

    follow(page, page.get_by_role("link", name="Invoices"))
    follow(page, page.get_by_role("tab", name="Payments"))
    page.get_by_role("button", name="Record payment").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Sync this payment with QuickBooks")).not_to_be_checked()
    dialog.get_by_role("button", name="Cancel").click()

    follow(page, page.get_by_role("link", name="Settings"))
    page.get_by_label("Sync manually created payments with QuickBooks").check()
    expect(page.get_by_text("Syncing manually created payments is on.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Sync manually created payments with QuickBooks")).to_be_checked()

    page.goto(f"{stack.url}/billing/payments")
    page.get_by_role("button", name="Record payment").click()
    expect(
        page.get_by_role("dialog").get_by_label("Sync this payment with QuickBooks")
    ).to_be_checked()


def test_payments_sync_with_the_box_checked_skip_when_cleared_and_follow_the_row_menu(
    page: Page, stack
):
    data = stack.data
    stack.sign_in(page)
    connect_quickbooks(page, stack)
    sync_client(page, data.client)

    follow(page, page.get_by_role("link", name="Invoices"))
    follow(page, page.get_by_role("tab", name="Payments"))
    mark_page(page)

    checked = record_payment(page, data.client, data.open_invoice, sync=True)
    expect(badge(checked)).to_have_text("Syncing…")
    expect(badge(checked)).to_have_text("Synced", timeout=WAIT)
    assert len(qbo_payments(stack)) == 1

    cleared = record_payment(page, data.client, data.second_invoice, sync=False)
    expect(badge(cleared)).to_have_text("Skipped")
    expect(cleared).to_contain_text("Sync turned off for this payment")
    # Nothing for it in QuickBooks: still only the first payment.
    assert [p["TotalAmt"] for p in qbo_payments(stack)] == [500.0]
    assert load_payment(stack, data.second_invoice).qbo_id is None

    # The row menu follows the status: Skipped offers Sync, Synced offers Unsync.
    use_row_menu(page, cleared, "Sync payment to QuickBooks")
    expect(badge(cleared)).to_have_text("Syncing…")
    expect(badge(cleared)).to_have_text("Synced", timeout=WAIT)
    assert sorted(p["TotalAmt"] for p in qbo_payments(stack)) == [300.0, 500.0]

    qbo_id = load_payment(stack, data.open_invoice).qbo_id
    use_row_menu(page, checked, "Unsync payment from QuickBooks", confirm=True)
    expect(badge(checked)).to_have_text("Unsyncing…")
    expect(badge(checked)).to_have_text("Not synced", timeout=WAIT)
    assert [p["TotalAmt"] for p in qbo_payments(stack)] == [300.0]
    deleted = stack.emulator.control.entities(stack.realm_id, "Payment")
    assert any(p["Id"] == qbo_id and p.get("status") == "Deleted" for p in deleted)

    checked.get_by_role("button", name="More actions").click()
    expect(checked.get_by_role("menuitem", name="Sync payment to QuickBooks")).to_be_visible()
    expect(checked.get_by_role("menuitem", name="Unsync payment from QuickBooks")).to_have_count(0)
    assert_not_reloaded(page)
    assert load_payment(stack, data.open_invoice).qbo_status is SyncStatus.NOT_SYNCED


def test_payments_are_deposited_to_the_chosen_account(page: Page, stack):
    data = stack.data
    stack.sign_in(page)
    connect_quickbooks(page, stack)

    deposit = page.locator("#qbo-deposit")
    account = deposit.get_by_label("Account for payments", exact=True)
    # The company's accounts are read by the worker after connecting; the list fills in by itself.
    expect(account.locator("option", has_text="Checking")).to_have_count(1, timeout=WAIT)
    # Each control saves when it changes, and says so; the saved section
    # replaces the old one, so wait for it before the next change.
    page.evaluate("document.getElementById('qbo-deposit').dataset.old = '1'")
    deposit.get_by_label("Define 'Deposit to' account for payments").check()
    expect(page.get_by_text("Deposit account saved.").last).to_be_visible()
    expect(page.locator("#qbo-deposit[data-old]")).to_have_count(0)
    account.select_option(label="Checking (Bank)")
    expect(account).to_have_value("35")
    expect(page.get_by_text("Deposit account saved.").last).to_be_visible()
    # The Save button the help article names does the same, with the same toast.
    page.evaluate("document.getElementById('qbo-deposit').dataset.old = '1'")
    deposit.get_by_role("button", name="Save").click()
    expect(page.locator("#qbo-deposit[data-old]")).to_have_count(0)
    expect(page.get_by_text("Deposit account saved.").last).to_be_visible()
    page.reload()
    expect(page.get_by_label("Define 'Deposit to' account for payments")).to_be_checked()
    expect(page.get_by_label("Account for payments", exact=True)).to_have_value("35")

    # Birch Bakery's payment of its paid invoice: sync the client, then the payment.
    birch = "Birch Bakery LLC"
    sync_client(page, birch)
    follow(page, page.get_by_role("link", name="Invoices"))
    follow(page, page.get_by_role("tab", name="Payments"))
    mark_page(page)
    row = payment_row(page, data.paid_invoice)
    use_row_menu(page, row, "Sync payment to QuickBooks")
    expect(badge(row)).to_have_text("Synced", timeout=WAIT)
    assert_not_reloaded(page)
    qbo_id = load_payment(stack, data.paid_invoice).qbo_id

    # The emulator's own payments page shows where QuickBooks put it.
    page.goto(f"{stack.emulator.url}/_emulator/{stack.realm_id}/payments")
    landed = page.locator(f"#payment-{qbo_id}")
    expect(landed).to_contain_text(birch)
    expect(landed).to_contain_text("400.00")
    expect(landed.get_by_role("cell", name="Checking", exact=True)).to_be_visible()
