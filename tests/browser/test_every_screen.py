"""Issue 9, what the screens say: in English and in Dutch, at 390, 768 and 1280 px.

Each case runs in both languages (the browser's Accept-Language) and at the three widths (see
conftest.py: language_page, width, screen). Rows are put in their state straight in the
database, so each case only looks at the page. test_every_screen_layout.py covers the layout
points (top bar, scrolling lists, dialogs, toasts).
"""

import re
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.navigation import follow
from tests.browser.screens import inside_viewport, readable
from tests.factories import Factory
from webapp.extensions import db
from webapp.models import Firm, Payment, SyncStatus
from webapp.quickbooks.errors import QboFault
from webapp.quickbooks.state import SyncAction, fail_row

NUMBER = "INV-00201"  # the invoice of the payment each case seeds

NOT_CONNECTED = {
    "en": "QuickBooks is not connected. Connect it in Settings > Integrations > QuickBooks.",
    "nl": "QuickBooks is niet gekoppeld. Koppel het in Instellingen > Integraties > QuickBooks.",
}
CLIENT_FIRST = {"en": "Sync the client account first", "nl": "Synchroniseer eerst de klant"}
# 09:42 UTC is 10:42 in Amsterdam in December; English writes the short time with AM.
RETRYING = {
    "en": "QuickBooks is not answering; retrying at 10:42 AM",
    "nl": "QuickBooks antwoordt niet; nieuwe poging om 10:42",
}
REFUSED = {
    "en": "QuickBooks refused it (code 6000): ",
    "nl": "QuickBooks weigerde het (code 6000): ",
}
REFUNDS = {
    "en": ("Refund 25.00: Synced", "Refund 10.00: Failed ", "Refunded 35.00"),
    "nl": (
        "Terugbetaling 25,00: Gesynchroniseerd",
        "Terugbetaling 10,00: Mislukt ",
        "35,00 terugbetaald",
    ),
}
# 27 November 2026 at 23:30 UTC is the 28th at 08:30 in Tokyo.
DATES = {
    "en": {"received": "Nov 27, 2026", "synced": "Nov 28, 2026 8:30 AM", "due": "Dec 1, 2026"},
    "nl": {"received": "27 nov 2026", "synced": "28 nov 2026 08:30", "due": "1 dec 2026"},
}
AMOUNT = {"en": "1,234.50", "nl": "1.234,50"}
SAVED = {
    "en": ("Times are now shown in Europe/Amsterdam.", "Syncing manually created payments is off."),
    "nl": (
        "Tijden worden nu getoond in Europe/Amsterdam.",
        "Met de hand geboekte betalingen worden niet gesynchroniseerd.",
    ),
}


@pytest.fixture
def seed(live_server, module_firm):
    """seed(build): run build(make, firm) against the live database and commit."""

    def run(build):
        with live_server.app.app_context():
            result = build(Factory(), db.session.get(Firm, module_firm.firm_id))
            db.session.commit()
            return result

    return run


def a_payment(make, firm, synced=False, **columns) -> Payment:
    """A payment of 1,234.50 received on 27 November 2026 for invoice NUMBER of Cedar Clinic."""
    client = make.client(firm, display_name="Cedar Clinic")
    invoice = make.invoice(client, "1234.50", number=NUMBER, issue_date=date(2026, 11, 1))
    if synced:
        make.synced(client, qbo_id="58")
        make.synced(invoice, qbo_id="146")
    return make.payment(invoice, received_on=date(2026, 11, 27), **columns)


def refuse(record, detail: str) -> None:
    """QuickBooks answers the row's sync with a Fault (code 6000), as the worker records it."""
    record.qbo_status = SyncStatus.SYNCING
    fault = QboFault("6000", message="Business Validation Error", detail=detail)
    fail_row(record, SyncAction.SYNC, None, fault)


def payment_row(page: Page):
    return page.locator("#payments-body tr", has_text=NUMBER)


def open_row_menu(page: Page, say):
    row = payment_row(page)
    row.get_by_role("button", name=say("More actions")).click()
    menu = row.get_by_role("menu")
    expect(menu).to_be_visible()
    return menu


def test_a_sync_that_cannot_work_now_is_greyed_out_with_the_reason(screen, seed, say, language):
    page = screen
    seed(lambda make, firm: a_payment(make, firm))
    page.goto("/billing/payments")
    expect(payment_row(page).locator(".badge")).to_have_text(say("Not synced"))
    item = open_row_menu(page, say).get_by_role("menuitem", name=say("Sync payment to QuickBooks"))
    expect(item).to_have_attribute("aria-disabled", "true")
    hint = item.locator(".menu-hint")
    expect(hint).to_have_text(NOT_CONNECTED[language])
    assert readable(page, hint)

    # Connected, the payment still cannot go before its client: that is the reason now.
    seed(lambda make, firm: make.connection(firm))
    page.reload()
    item = open_row_menu(page, say).get_by_role("menuitem", name=say("Sync payment to QuickBooks"))
    expect(item).to_have_attribute("aria-disabled", "true")
    hint = item.locator(".menu-hint")
    expect(hint).to_have_text(CLIENT_FIRST[language])
    assert readable(page, hint)


def test_a_row_waiting_out_an_outage_says_when_it_tries_again(screen, seed, say, language):
    page = screen

    def waiting(make, firm):
        firm.time_zone = "Europe/Amsterdam"
        retry_at = datetime(2026, 12, 4, 9, 42, tzinfo=UTC)
        a_payment(make, firm, qbo_status=SyncStatus.SYNCING, qbo_retry_at=retry_at)

    seed(waiting)
    page.goto("/billing/payments")
    row = payment_row(page)
    expect(row.locator(".badge")).to_have_text(say("Syncing…"))
    detail = row.locator(".sync-detail")
    expect(detail).to_have_text(RETRYING[language])
    assert readable(page, detail)


def test_a_refusal_is_told_once_in_our_words(screen, seed, say, language):
    page = screen

    def refused(make, firm):
        detail = "Business Validation Error: The amount is more than the balance of Invoice 146"
        refuse(a_payment(make, firm, synced=True), detail)

    seed(refused)
    page.goto("/billing/payments")
    row = payment_row(page)
    expect(row.locator(".badge")).to_have_text(say("Failed"))
    detail = row.locator(".sync-detail")
    # QuickBooks' own words stay as it wrote them; its id for the invoice becomes our number.
    expect(detail).to_have_text(
        REFUSED[language]
        + f"Business Validation Error: The amount is more than the balance of {NUMBER}"
    )
    assert row.inner_text().count("6000") == 1
    assert readable(page, detail)


def test_each_refunds_quickbooks_status_shows_on_its_payments_row(screen, seed, say, language):
    page = screen

    def refunded(make, firm):
        payment = make.synced(a_payment(make, firm, synced=True))
        make.synced(make.refund(payment, "25.00"))
        refuse(make.refund(payment, "10.00"), "Business Validation Error: The account is closed")

    seed(refunded)
    page.goto("/billing/payments")
    row = payment_row(page)
    cell = row.locator(".qbo-cell")
    expect(cell.locator(".badge").first).to_have_text(say("Synced"))
    states = cell.locator(".refund-state")
    expect(states).to_have_count(2)
    synced, failed, refunded = REFUNDS[language]
    expect(states.nth(0)).to_have_text(synced)
    expect(states.nth(1)).to_have_text(
        failed + REFUSED[language] + "Business Validation Error: The account is closed"
    )
    expect(row.locator(".refunded")).to_have_text(refunded)
    for state in (states.nth(0), states.nth(1)):
        assert readable(page, state)


def test_payments_are_headed_payments_and_every_date_has_one_format(screen, seed, say, language):
    page = screen

    def synced_in_tokyo(make, firm):
        firm.time_zone = "Asia/Tokyo"
        payment = make.synced(a_payment(make, firm))
        payment.qbo_synced_at = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)

    seed(synced_in_tokyo)
    dates = DATES[language]
    page.goto("/billing/payments")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("h1")).to_have_text(say("Payments"))
    expect(page).to_have_title(re.compile(rf"^{say('Payments')} · "))
    tab = page.get_by_role("tab", name=say("Payments"))
    expect(tab).to_have_attribute("aria-selected", "true")
    row = payment_row(page)
    expect(row.locator("td").nth(1)).to_have_text(dates["received"])
    expect(row.locator(".money")).to_have_text(AMOUNT[language])

    open_row_menu(page, say).get_by_role("menuitem", name=say("View sync history")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name=say("Sync history"))).to_be_visible()
    last_synced = dialog.locator("dt", has_text=say("Last synced")).locator("+ dd")
    expect(last_synced).to_have_text(dates["synced"])
    assert inside_viewport(page, dialog.locator("article"))
    page.keyboard.press("Escape")

    follow(page, page.get_by_role("tab", name=say("Invoices")))
    expect(page.locator("h1")).to_have_text(say("Invoices"))
    invoice = page.locator("#invoices-body tr", has_text=NUMBER)
    expect(invoice).to_contain_text(dates["due"])


def test_settings_save_on_change_and_say_so_in_a_toast(
    screen, say, language, live_server, module_firm
):
    page = screen
    zone_saved, payments_off = SAVED[language]
    page.goto("/settings/preferences")
    page.get_by_label(say("Time zone for times shown")).select_option("Europe/Amsterdam")
    toast = page.locator("#toasts .toast", has_text=zone_saved)
    expect(toast).to_be_visible()
    assert inside_viewport(page, toast)

    page.goto("/settings/integrations/quickbooks")
    switch = page.get_by_label(say("Sync manually created payments with QuickBooks"))
    expect(switch).to_be_checked()
    switch.uncheck()
    toast = page.locator("#toasts .toast", has_text=payments_off)
    expect(toast).to_be_visible()
    assert inside_viewport(page, toast)
    with live_server.app.app_context():
        firm = db.session.execute(select(Firm).filter_by(id=module_firm.firm_id)).scalar_one()
        assert (firm.time_zone, firm.sync_manual_payments) == ("Europe/Amsterdam", False)
