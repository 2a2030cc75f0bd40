"""The app in Dutch, in a browser at 390, 768 and 1280 px: the browser's language is the default
and the choice in Settings > Preferences wins. (test_every_screen*.py go through issue 9's
points in both languages.)"""

import pytest
from playwright.sync_api import Page, expect

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
    page.get_by_role("link", name="Invoices", exact=True).click()
    expect(page.locator("h1")).to_have_text("Invoices")
    page.goto("/settings/preferences")
    page.get_by_label("Language").select_option("")
    expect(page.get_by_role("heading", name="Uw taal")).to_be_visible()
