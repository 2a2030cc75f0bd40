"""Issue 2 in a real browser: sign-in, the Invoices/Payments tabs, recording a payment with and
without the QuickBooks box, a refund, keyboard row menus and a greyed-out sync item.

Elements are found the way a user finds them: by role and visible label.
"""

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.navigation import assert_not_reloaded, follow, mark_page
from tests.factories import Factory
from webapp.extensions import db
from webapp.models import Firm, Invoice, Payment, SyncStatus


def invoice_row(page: Page, number: str):
    return page.locator("#invoices-body tr", has_text=number)


def payment_row(page: Page, text: str):
    return page.locator("#payments-body tr", has_text=text)


def choose_option(select, text: str) -> None:
    """Select the option whose visible text contains `text`."""
    option = select.locator("option", has_text=text)
    expect(option).to_have_count(1)
    select.select_option(option.get_attribute("value"))


def open_record_payment(page: Page, client: str, invoice: str):
    page.get_by_role("button", name="Record payment").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Record payment")).to_be_visible()
    choose_option(dialog.get_by_label("Client"), client)
    # The invoice select is refreshed for the chosen client by htmx.
    invoice_select = dialog.get_by_label("Invoice")
    expect(invoice_select.locator("option", has_text=invoice)).to_have_count(1)
    choose_option(invoice_select, invoice)
    # As a user sees it: the invoice's open balance fills Amount; only then is it theirs to change.
    expect(dialog.get_by_label("Amount")).not_to_have_value("")
    return dialog


def open_dialog_for_client(page: Page, billing_data):
    """Record payment open on the Payments tab, the client chosen and its invoices listed."""
    page.goto("/billing/payments")
    page.get_by_role("button", name="Record payment").click()
    dialog = page.get_by_role("dialog")
    choose_option(dialog.get_by_label("Client"), billing_data.client)
    invoice_select = dialog.get_by_label("Invoice")
    expect(invoice_select.locator("option", has_text=billing_data.open_invoice)).to_have_count(1)
    return dialog, invoice_select


def choose_with_the_answer_held_back(page: Page, invoice_select, invoice: str) -> list:
    """Choose `invoice` while its amount request is held, as a slow network would; returns the
    held routes (continue the first to let the answer through)."""
    held = []
    page.route("**/billing/payments/new/invoices?*", lambda route: held.append(route))
    choose_option(invoice_select, invoice)
    while not held:
        page.wait_for_timeout(20)
    return held


def load(live_server, model, **where):
    with live_server.app.app_context():
        row = db.session.execute(select(model).filter_by(**where)).scalar_one()
        db.session.expunge(row)
        return row


def test_sign_in_rejects_a_wrong_password_then_lets_the_owner_in(page, live_server, billing_data):
    page.goto("/billing/invoices")
    expect(page).to_have_url(re.compile(r"/login"))

    page.get_by_label("Email").fill(billing_data.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Email or password is not right.")).to_be_visible()

    page.get_by_label("Password").fill(billing_data.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/billing/invoices"))
    expect(page.get_by_role("heading", name="Invoices")).to_be_visible()
    expect(page.get_by_text("Browser Test LLP")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto("/billing/payments")
    expect(page).to_have_url(re.compile(r"/login"))


def test_invoices_and_payments_tabs(signed_in: Page, billing_data):
    page = signed_in
    page.goto("/billing/invoices")
    invoices_tab = page.get_by_role("tab", name="Invoices")
    payments_tab = page.get_by_role("tab", name="Payments")
    expect(invoices_tab).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("columnheader", name="QuickBooks")).to_be_visible()
    expect(invoice_row(page, billing_data.open_invoice)).to_contain_text("Unpaid")
    expect(invoice_row(page, billing_data.paid_invoice)).to_contain_text("Paid")

    payments_tab.click()
    expect(page).to_have_url(re.compile(r"/billing/payments"))
    expect(page.get_by_role("tab", name="Payments")).to_have_attribute("aria-selected", "true")
    for header in ("Date", "Client", "Invoice", "Amount", "Method", "Description", "QuickBooks"):
        expect(page.get_by_role("columnheader", name=header, exact=True)).to_be_visible()
    row = payment_row(page, billing_data.paid_invoice)
    expect(row).to_contain_text("400.00")
    expect(row).to_contain_text("Not synced")

    follow(page, page.get_by_role("tab", name="Invoices"))
    expect(page).to_have_url(re.compile(r"/billing/invoices"))


def test_record_payment_with_the_sync_box_checked(signed_in: Page, live_server, billing_data):
    page = signed_in
    page.goto("/billing/payments")
    mark_page(page)

    dialog = open_record_payment(page, billing_data.client, billing_data.open_invoice)
    # The amount defaults to the invoice's open balance; the box to the firm setting (on).
    expect(dialog.get_by_label("Amount")).to_have_value("500.00")
    box = dialog.get_by_label("Sync this payment with QuickBooks")
    expect(box).to_be_checked()
    dialog.get_by_label("Amount").fill("200.00")
    dialog.get_by_label("Description").fill("Check mailed to the office")
    dialog.get_by_role("button", name="Record payment").click()

    expect(page.get_by_role("dialog")).to_be_hidden()
    row = payment_row(page, "Check mailed to the office")
    expect(row).to_be_visible()
    expect(row).to_contain_text("200.00")
    # The firm is not connected to QuickBooks, so nothing was sent: Not synced, not Skipped.
    expect(row).to_contain_text("Not synced")
    assert_not_reloaded(page)

    payment = load(live_server, Payment, description="Check mailed to the office")
    assert payment.sync_requested is True and payment.qbo_status is SyncStatus.NOT_SYNCED
    follow(page, page.get_by_role("tab", name="Invoices"))
    row = invoice_row(page, billing_data.open_invoice)
    expect(row).to_contain_text("300.00")
    expect(row).to_contain_text("Partially paid")


def test_record_payment_with_the_sync_box_cleared_is_skipped(
    signed_in: Page, live_server, billing_data
):
    page = signed_in
    page.goto("/billing/payments")
    mark_page(page)

    dialog = open_record_payment(page, billing_data.client, billing_data.second_invoice)
    dialog.get_by_label("Description").fill("Paid through QuickBooks already")
    dialog.get_by_label("Sync this payment with QuickBooks").uncheck()
    dialog.get_by_role("button", name="Record payment").click()

    row = payment_row(page, "Paid through QuickBooks already")
    expect(row).to_be_visible()
    badge = row.locator(".badge")
    expect(badge).to_have_text("Skipped")
    # The reason shows on hover (the badge's title) and in the row.
    expect(badge).to_have_attribute("title", "Sync turned off for this payment")
    badge.hover()
    expect(row).to_contain_text("Sync turned off for this payment")
    assert_not_reloaded(page)

    payment = load(live_server, Payment, description="Paid through QuickBooks already")
    assert payment.sync_requested is False and payment.qbo_status is SyncStatus.SKIPPED
    assert load(live_server, Invoice, number=billing_data.second_invoice).balance == 0


def test_refund_updates_the_payment_row_in_place_and_leaves_the_invoice_paid(
    signed_in: Page, live_server, billing_data
):
    page = signed_in
    page.goto("/billing/payments")
    mark_page(page)
    row = payment_row(page, billing_data.paid_invoice)

    row.get_by_role("button", name="More actions").click()
    row.get_by_role("menuitem", name="Refund payment").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Refund payment")).to_be_visible()
    expect(dialog.get_by_label("Amount")).to_have_value("400.00")
    dialog.get_by_label("Amount").fill("150.00")
    dialog.get_by_label("Reason").fill("Courtesy discount")
    dialog.get_by_role("button", name="Refund").click()

    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(row).to_contain_text("Refunded 150.00")
    expect(page.get_by_role("status").filter(has_text="Refunded 150.00")).to_be_visible()
    assert_not_reloaded(page)

    # A refund does not reopen the invoice, as in QuickBooks (a RefundReceipt).
    invoice = load(live_server, Invoice, number=billing_data.paid_invoice)
    assert invoice.balance == 0
    follow(page, page.get_by_role("tab", name="Invoices"))
    row = invoice_row(page, billing_data.paid_invoice)
    expect(row).to_contain_text("Paid")
    expect(row).not_to_contain_text("Partially paid")


def test_row_menu_works_by_keyboard(signed_in: Page, billing_data):
    page = signed_in
    page.goto("/billing/payments")
    row = payment_row(page, billing_data.paid_invoice)
    button = row.get_by_role("button", name="More actions")
    menu = row.get_by_role("menu")

    button.focus()
    page.keyboard.press("ArrowDown")
    expect(menu).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(row.get_by_role("menuitem", name="Sync payment to QuickBooks")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(row.get_by_role("menuitem", name="Refund payment")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")

    # Enter on the button opens it too; Enter on an item runs it.
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    expect(row.get_by_role("menuitem", name="Sync payment to QuickBooks")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(row.get_by_role("menuitem", name="Refund payment")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog").get_by_role("heading", name="Refund payment")).to_be_visible()


def test_disabled_sync_invoice_item_cannot_be_used(signed_in: Page, live_server, billing_data):
    page = signed_in
    with live_server.app.app_context():  # connected: what is left to fix is the client
        Factory().connection(db.session.get(Firm, billing_data.firm_id))
        db.session.commit()
    page.goto("/billing/invoices")
    row = invoice_row(page, billing_data.open_invoice)
    sync_requests = []
    page.on("request", lambda r: sync_requests.append(r.url) if "/sync" in r.url else None)

    row.get_by_role("button", name="More actions").click()
    item = row.get_by_role("menuitem", name=re.compile("Sync invoice to QuickBooks"))
    expect(item).to_be_visible()
    expect(item).to_have_attribute("aria-disabled", "true")
    expect(row.get_by_text("Sync the client account first")).to_be_visible()

    # It takes focus (so its hint is read) but neither Enter nor a click does anything.
    expect(item).to_be_focused()
    page.keyboard.press("Enter")
    item.click(force=True)  # Playwright would wait for it to be enabled; a user just clicks
    page.wait_for_timeout(300)
    expect(row.get_by_role("menu")).to_be_visible()
    assert sync_requests == []
    expect(row).to_contain_text("Not synced")
    invoice = load(live_server, Invoice, number=billing_data.open_invoice)
    assert invoice.qbo_status is SyncStatus.NOT_SYNCED


def test_keyboard_reaches_the_items_after_a_greyed_out_one(signed_in: Page, billing_data):
    page = signed_in
    page.goto("/billing/invoices")
    row = invoice_row(page, billing_data.open_invoice)
    button = row.get_by_role("button", name="More actions")

    button.focus()
    page.keyboard.press("ArrowDown")
    expect(row.get_by_role("menu")).to_be_visible()
    page.keyboard.press("ArrowDown")
    record = row.get_by_role("menuitem", name="Record payment")
    expect(record).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Record payment")).to_be_visible()
    expect(dialog.get_by_label("Amount")).to_have_value("500.00")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_a_quick_click_on_record_payment_waits_for_the_chosen_invoices_amount(
    signed_in: Page, live_server, billing_data
):
    """Choosing an invoice fetches its open balance into Amount; a click on "Record payment"
    before that answer arrives must wait for it, not post an empty amount."""
    page = signed_in
    dialog, invoice_select = open_dialog_for_client(page, billing_data)
    expect(dialog.get_by_label("Amount")).to_have_value("")
    held = choose_with_the_answer_held_back(page, invoice_select, billing_data.open_invoice)
    dialog.get_by_role("button", name="Record payment").click()
    page.wait_for_timeout(300)
    held[0].continue_()

    expect(page.get_by_role("dialog")).to_be_hidden()
    row = payment_row(page, billing_data.open_invoice)
    expect(row).to_contain_text("500.00")
    assert load(live_server, Invoice, number=billing_data.open_invoice).balance == 0


def test_a_firm_of_many_clients_finds_the_client_by_typing_part_of_its_name(
    signed_in: Page, live_server, billing_data
):
    """More clients than one select holds: a search under the Client select narrows it, and
    what was typed stays in the search field while the select changes."""
    with live_server.app.app_context():
        firm = db.session.get(Firm, billing_data.firm_id)
        make = Factory()
        for n in range(120):
            make.client(firm, display_name=f"Zeta Holdings {n:03d}")
        db.session.commit()
    page = signed_in
    page.goto("/billing/payments")
    page.get_by_role("button", name="Record payment").click()
    dialog = page.get_by_role("dialog")
    clients = dialog.get_by_label("Client", exact=True)
    expect(clients.locator("option", has_text=billing_data.client)).to_have_count(1)
    expect(clients.locator("option", has_text="Zeta Holdings 119")).to_have_count(0)

    search = dialog.get_by_label("Find a client by name")
    search.press_sequentially("oldings 119", delay=20)
    expect(clients.locator("option", has_text="Zeta Holdings 119")).to_have_count(1)
    expect(clients.locator("option")).to_have_count(2)  # the placeholder and the one found
    expect(search).to_have_value("oldings 119")
    choose_option(clients, "Zeta Holdings 119")
    expect(dialog.get_by_label("Invoice")).to_contain_text("This client has no open invoices")


def test_an_amount_typed_while_the_invoices_balance_is_on_its_way_is_kept(
    signed_in: Page, live_server, billing_data
):
    """The chosen invoice's open balance fills Amount, but not over what the user typed after
    choosing it: a slow answer must not replace their number."""
    page = signed_in
    dialog, invoice_select = open_dialog_for_client(page, billing_data)
    held = choose_with_the_answer_held_back(page, invoice_select, billing_data.open_invoice)
    dialog.get_by_label("Amount").fill("123.45")
    held[0].continue_()
    page.wait_for_timeout(500)  # the answer has arrived and been settled
    expect(dialog.get_by_label("Amount")).to_have_value("123.45")
    # Choosing again is a new choice: its balance fills Amount.
    page.unroute("**/billing/payments/new/invoices?*")
    choose_option(invoice_select, billing_data.second_invoice)
    expect(dialog.get_by_label("Amount")).not_to_have_value("123.45")
