"""The app in Dutch, in a browser at 390, 768 and 1280 px: the browser's language is the default,
the choice in Settings > Preferences wins, the bulk flow (select rows, the confirmation dialog,
the progress panel, cancel) speaks Dutch, and a payment is typed with a decimal comma.
(test_every_screen*.py go through issue 9's points in both languages.)"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.navigation import follow
from tests.factories import Factory
from tests.test_i18n_pages import ENGLISH
from webapp.extensions import db
from webapp.models import Firm

WIDTHS = [390, 768, 1280]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "nl-NL"}


@pytest.fixture
def signed_in(page: Page, live_server, billing_data):
    """Signed in through the Dutch sign-in page."""
    page.goto(f"{live_server.url}/login")
    expect(page.get_by_role("heading", name="Inloggen bij Ledgerbridge")).to_be_visible()
    page.get_by_label("E-mail").fill(billing_data.email)
    page.get_by_label("Wachtwoord").fill(billing_data.password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def open_nav(page: Page) -> None:
    toggle = page.get_by_role("button", name="Menu")
    if toggle.is_visible():
        toggle.click()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_language_chosen_in_preferences_wins(signed_in: Page, width):
    page = signed_in
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/settings/preferences")
    expect(page.get_by_role("heading", name="Uw taal")).to_be_visible()
    page.get_by_label("Taal").select_option("en")
    # The page reloads in English, although the browser asks for Dutch.
    expect(page.get_by_role("heading", name="Your language")).to_be_visible()
    open_nav(page)
    follow(page, page.get_by_role("link", name="Invoices", exact=True))
    expect(page.locator("h1")).to_have_text("Invoices")
    page.goto("/settings/preferences")
    page.get_by_label("Language").select_option("")
    expect(page.get_by_role("heading", name="Uw taal")).to_be_visible()


def connect(live_server, billing_data) -> None:
    """The firm connected to QuickBooks; no worker runs here, so a bulk run stays going."""
    with live_server.app.app_context():
        Factory().connection(db.session.get(Firm, billing_data.firm_id))
        db.session.commit()


def english_words(text: str) -> list[str]:
    return ENGLISH.findall(text.replace("Acme Dental PLLC", "").replace("Birch Bakery LLC", ""))


@pytest.mark.parametrize("width", WIDTHS)
def test_the_bulk_dialog_and_progress_panel_are_in_dutch(
    signed_in: Page, live_server, billing_data, width
):
    connect(live_server, billing_data)
    page = signed_in
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/clients/")
    expect(page.locator("[data-selected-count]")).to_have_text("Niets geselecteerd")
    page.get_by_label("Selecteer Acme Dental PLLC").check()
    page.get_by_label("Selecteer Birch Bakery LLC").check()
    expect(page.locator("[data-selected-count]")).to_have_text("2 geselecteerd")
    page.get_by_role("button", name="Selectie synchroniseren").click()

    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Selectie synchroniseren")).to_be_visible()
    expect(dialog.locator(".bulk-counts li")).to_have_text(["2 klanten"])
    assert english_words(dialog.inner_text()) == []
    dialog.get_by_role("button", name="Starten: 2 rijen").click()

    panel = page.locator("#bulk-panel")
    expect(panel).to_have_attribute("data-bulk-state", "running")
    expect(panel.locator("h3")).to_have_text("2 klanten naar QuickBooks sturen")
    expect(panel.locator('[data-figure="left"]')).to_have_text("2 over")
    assert english_words(panel.inner_text()) == []
    panel.get_by_role("button", name="Annuleren").click()
    expect(page.locator("#bulk-panel h3")).to_have_text(
        re.compile(r"^Geannuleerd: 2 klanten naar QuickBooks sturen")
    )
    expect(page.locator("#toasts")).to_contain_text(
        "Geannuleerd. 2 rijen zijn niet verstuurd en zijn zoals ze waren."
    )
    badges = page.locator("#clients-body .badge")
    expect(badges).to_have_text(["Niet gesynchroniseerd"] * 2)
    assert english_words(page.locator("#bulk-panel").inner_text()) == []


def test_a_payment_typed_with_a_decimal_comma_is_recorded_and_its_history_fits(
    signed_in: Page, billing_data
):
    """Issue 9: amounts are typed and prefilled as a Dutch bookkeeper writes them."""
    page = signed_in
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/billing/payments")
    page.get_by_role("button", name="Betaling boeken").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Betaling boeken")).to_be_visible()
    dialog.get_by_label("Klant").select_option(label=billing_data.client)
    invoice = dialog.get_by_label("Factuur")
    option = invoice.locator("option", has_text=billing_data.open_invoice)
    expect(option).to_have_count(1)
    invoice.select_option(option.get_attribute("value"))
    # The open balance arrives as every list shows it.
    amount = dialog.get_by_label("Bedrag")
    expect(amount).to_have_value("500,00")
    amount.fill("10,50")
    dialog.get_by_label("Omschrijving").fill("Pinbetaling aan de balie")
    dialog.get_by_role("button", name="Betaling boeken").click()

    expect(page.get_by_role("dialog")).to_be_hidden()
    row = page.locator("#payments-body tr", has_text="Pinbetaling aan de balie")
    expect(row).to_contain_text("10,50")

    # Its Sync history: the long Dutch heading may hyphenate (where the browser has Dutch
    # hyphenation) instead of breaking anywhere, and stays inside the dialog at 390 px.
    row.get_by_role("button", name="Meer acties").click()
    row.get_by_role("menuitem", name="Synchronisatiegeschiedenis bekijken").click()
    heading = page.get_by_role("dialog").get_by_role("heading", name="Synchronisatiegeschiedenis")
    expect(heading).to_be_visible()
    assert heading.evaluate("h => getComputedStyle(h).hyphens") == "auto"
    assert heading.evaluate("h => h.scrollWidth <= h.clientWidth")
