"""Issue 9, every page usable at any width: in English and in Dutch, at 390, 768 and 1280 px.

The top bar folds behind a Menu button on narrow screens, lists scroll inside their own box with
the QuickBooks column and the row menu always in reach, menus and dialogs fit the screen, and a
toast never covers the row that was just acted on. (Dutch words are longer: what fits in English
may not.) test_every_screen.py covers what the rows and settings say.
"""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import add_billing_rows
from tests.browser.screens import inside_viewport, no_sideways_page_scroll, on_top, whole
from tests.factories import Factory
from webapp.extensions import db
from webapp.models import Firm, SyncStatus

PAGES = [
    "/clients/",
    "/billing/invoices",
    "/billing/payments",
    "/reconciliation/",
    "/settings/integrations/quickbooks",
    "/settings/preferences",
    "/account/password",
]
REFUNDED_TEN = {  # on the row, and in the toast
    "en": ("Refunded 10.00", "Refunded 10.00 of the payment for invoice INV-00103."),
    "nl": ("10,00 terugbetaald", "10,00 van de betaling voor factuur INV-00103 terugbetaald."),
}


@pytest.fixture
def rows(screen, live_server, module_firm):
    """seed_billing's clients, invoices and payment, fresh for this case."""
    return add_billing_rows(live_server.app, module_firm.firm_id, module_firm.email)


def test_no_page_scrolls_sideways(screen: Page, rows):
    page = screen
    for url in PAGES:
        page.goto(url)
        expect(page.locator("h1")).to_be_visible()
        assert no_sideways_page_scroll(page), url


def test_the_top_bar_folds_behind_a_menu_button_on_narrow_screens(screen: Page, say, width):
    page = screen
    page.goto("/billing/invoices")
    clients = page.get_by_role("link", name=say("Clients"), exact=True)
    toggle = page.get_by_role("button", name=say("Menu"))
    if width >= 1280:
        expect(toggle).to_be_hidden()
        expect(clients).to_be_visible()
        return
    expect(clients).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(clients).to_be_visible()
    sign_out = page.get_by_role("button", name=say("Sign out"))
    expect(sign_out).to_be_visible()
    assert inside_viewport(page, sign_out)
    clients.click()
    expect(page.locator("h1")).to_have_text(say("Clients"))


@pytest.mark.parametrize("url", ["/clients/", "/billing/invoices", "/billing/payments"])
def test_the_quickbooks_column_and_the_row_menu_are_always_in_reach(screen: Page, rows, say, url):
    page = screen
    page.goto(url)
    row = page.locator("tbody tr[id]").first
    badge = row.locator(".qbo-cell .badge").first
    button = row.get_by_role("button", name=say("More actions"))
    for element in (badge, button):
        expect(element).to_be_visible()
        assert inside_viewport(page, element)
        assert on_top(page, element)
    button.click()
    menu = row.get_by_role("menu")
    expect(menu).to_be_visible()
    assert inside_viewport(page, menu)
    for item in row.get_by_role("menuitem").all():
        assert on_top(page, item), item.inner_text()


def a_row_in_every_state(app, firm_id: int) -> None:
    """A payment in each QuickBooks status, one waiting out an outage, one refused, two refunds."""
    with app.app_context():
        make = Factory()
        client = make.client(db.session.get(Firm, firm_id), display_name="Dune Dentistry")
        for status in SyncStatus:
            payment = make.payment(make.invoice(client, "99.00"), qbo_status=status)
        payment.qbo_retry_at = datetime(2026, 12, 4, 9, 42, tzinfo=UTC)
        payment.qbo_status = SyncStatus.SYNCING
        refused = make.payment(make.invoice(client, "50.00"), qbo_status=SyncStatus.FAILED)
        refused.qbo_message = "QuickBooks refused it (code 6000): Business Validation Error"
        synced = make.payment(make.invoice(client, "80.00"), qbo_status=SyncStatus.SYNCED)
        make.refund(synced, "25.00", qbo_status=SyncStatus.SYNCED)
        make.refund(synced, "10.00", qbo_status=SyncStatus.NOT_SYNCED)
        db.session.commit()


def test_every_quickbooks_badge_and_message_shows_whole(screen: Page, live_server, module_firm):
    """Dutch labels are long ("Niet gesynchroniseerd"): none may hide under the pinned row
    menu, and no message may be drawn over its badge."""
    page = screen
    a_row_in_every_state(live_server.app, module_firm.firm_id)
    page.goto("/billing/payments")
    cells = page.locator("#payments-body td.qbo-cell")
    expect(cells).to_have_count(len(SyncStatus) + 2)
    parts = cells.locator(".badge, .sync-detail, .refund-state")
    for index in range(parts.count()):
        part = parts.nth(index)
        assert whole(page, part), (part.inner_text(), part.bounding_box())


def test_dialogs_fit_the_screen(screen: Page, rows, say):
    page = screen
    page.goto("/billing/payments")
    page.get_by_role("button", name=say("Record payment")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name=say("Record payment"))).to_be_visible()
    assert inside_viewport(page, dialog.locator("article"))
    submit = dialog.get_by_role("button", name=say("Record payment"))
    submit.scroll_into_view_if_needed()
    assert inside_viewport(page, submit)
    dialog.get_by_role("button", name=say("Cancel")).click()
    page.goto("/billing/invoices")
    page.get_by_role("button", name=say("New invoice")).click()
    expect(dialog.get_by_role("heading", name=say("New invoice"))).to_be_visible()
    assert inside_viewport(page, dialog.locator("article"))
    assert no_sideways_page_scroll(page)


def test_a_toast_never_covers_the_row_just_acted_on(screen: Page, rows, say, language):
    page = screen
    page.set_viewport_size({"width": page.viewport_size["width"], "height": 700})
    page.goto("/billing/payments")
    row = page.locator("#payments-body tr", has_text=rows.paid_invoice)
    # Push the row down to where toasts appear (a CSSOM write: the page's CSP allows it).
    page.evaluate(
        """(id) => {
            const row = document.getElementById(id);
            const main = document.querySelector("main");
            const gap = window.innerHeight - 90 - row.getBoundingClientRect().bottom;
            main.style.paddingTop = Math.max(0, gap) + "px";
        }""",
        f"payment-{rows.payment_id}",
    )
    row.get_by_role("button", name=say("More actions")).click()
    row.get_by_role("menuitem", name=say("Refund payment")).click()
    dialog = page.get_by_role("dialog")
    # The form's amount is typed with a decimal point in either language (as it is preset).
    dialog.get_by_label(say("Amount")).fill("10.00")
    dialog.get_by_role("button", name=say("Refund"), exact=True).click()
    on_row, in_toast = REFUNDED_TEN[language]
    expect(row).to_contain_text(on_row)
    toast = page.locator("#toasts .toast", has_text=in_toast)
    expect(toast).to_be_visible()
    page.wait_for_timeout(100)  # the toast box settles after the row is swapped in
    toast_box, row_box = toast.bounding_box(), row.bounding_box()
    assert (
        toast_box["y"] >= row_box["y"] + row_box["height"]
        or toast_box["y"] + toast_box["height"] <= row_box["y"]
    ), (toast_box, row_box)


FAILED_ACTION = {  # the toast when a row action's request fails
    "en": (
        "That did not work (500). Try again.",
        "The server did not answer. Check your connection.",
    ),
    "nl": (
        "Dat lukte niet (500). Probeer het opnieuw.",
        "De server antwoordde niet. Controleer uw verbinding.",
    ),
}


def test_a_failed_row_action_says_so_in_the_users_language(screen: Page, rows, say, language):
    page = screen
    page.goto("/billing/payments")
    row = page.locator("#payments-body tr", has_text=rows.paid_invoice)
    refused, unanswered = FAILED_ACTION[language]
    refund = "**/billing/payments/*/refund"
    for answer, message in (
        (lambda r: r.fulfill(status=500), refused),
        (lambda r: r.abort(), unanswered),
    ):
        page.route(refund, answer)
        row.get_by_role("button", name=say("More actions")).click()
        row.get_by_role("menuitem", name=say("Refund payment")).click()
        toast = page.locator("#toasts .toast", has_text=message)
        expect(toast).to_be_visible()
        assert inside_viewport(page, toast)
        page.unroute(refund)
