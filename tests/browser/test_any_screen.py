"""Every page is usable on a phone (390 px), a tablet (768 px) and a desktop (1280 px).

The top bar folds behind a Menu button on narrow screens, lists scroll inside their own box with
the QuickBooks column and the row menu always in reach, menus and dialogs fit the screen, and a
toast never covers the row that was just acted on.
"""

import pytest
from playwright.sync_api import Page, expect

WIDTHS = [390, 768, 1280]
PAGES = [
    "/clients/",
    "/billing/invoices",
    "/billing/payments",
    "/reconciliation/",
    "/settings/integrations/quickbooks",
    "/settings/preferences",
    "/account/password",
]


def inside_viewport(page: Page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["x"] >= -1
        and box["y"] >= -1
        and box["x"] + box["width"] <= size["width"] + 1
        and box["y"] + box["height"] <= size["height"] + 1
    )


def on_top(page: Page, locator) -> bool:
    """The element is what a tap at its centre reaches (nothing pinned or scrolled over it)."""
    return locator.evaluate(
        """(el) => {
            const r = el.getBoundingClientRect();
            const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            return hit !== null && (hit === el || el.contains(hit));
        }"""
    )


def no_sideways_page_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def go(page: Page, url: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(url)


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(signed_in: Page, width):
    page = signed_in
    for url in PAGES:
        go(page, url, width)
        expect(page.locator("h1")).to_be_visible()
        assert no_sideways_page_scroll(page), url


@pytest.mark.parametrize("width", WIDTHS)
def test_the_top_bar_folds_behind_a_menu_button_on_narrow_screens(signed_in: Page, width):
    page = signed_in
    go(page, "/billing/invoices", width)
    clients = page.get_by_role("link", name="Clients", exact=True)
    toggle = page.get_by_role("button", name="Menu")
    if width >= 1280:
        expect(toggle).to_be_hidden()
        expect(clients).to_be_visible()
        return
    expect(clients).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(clients).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    clients.click()
    expect(page.locator("h1")).to_have_text("Clients")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("url", ["/clients/", "/billing/invoices", "/billing/payments"])
def test_the_quickbooks_column_and_the_row_menu_are_always_in_reach(signed_in: Page, width, url):
    page = signed_in
    go(page, url, width)
    row = page.locator("tbody tr[id]").first
    badge = row.locator(".qbo-cell .badge").first
    button = row.get_by_role("button", name="More actions")
    for element in (badge, button):
        expect(element).to_be_visible()
        assert inside_viewport(page, element)
        assert on_top(page, element)
    button.click()
    menu = row.get_by_role("menu")
    expect(menu).to_be_visible()
    assert inside_viewport(page, menu)
    assert on_top(page, row.get_by_role("menuitem").last)


@pytest.mark.parametrize("width", WIDTHS)
def test_dialogs_fit_the_screen(signed_in: Page, width):
    page = signed_in
    go(page, "/billing/payments", width)
    page.get_by_role("button", name="Record payment").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Record payment")).to_be_visible()
    assert inside_viewport(page, dialog.locator("article"))
    submit = dialog.get_by_role("button", name="Record payment")
    submit.scroll_into_view_if_needed()
    assert inside_viewport(page, submit)
    dialog.get_by_role("button", name="Cancel").click()
    go(page, "/billing/invoices", width)
    page.get_by_role("button", name="New invoice").click()
    expect(dialog.get_by_role("heading", name="New invoice")).to_be_visible()
    assert inside_viewport(page, dialog.locator("article"))
    assert no_sideways_page_scroll(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_toast_never_covers_the_row_just_acted_on(signed_in: Page, billing_data, width):
    page = signed_in
    page.set_viewport_size({"width": width, "height": 700})
    page.goto("/billing/payments")
    row = page.locator("#payments-body tr", has_text=billing_data.paid_invoice)
    # Push the row down to where toasts appear (a CSSOM write: the page's CSP allows it).
    page.evaluate(
        """(id) => {
            const row = document.getElementById(id);
            const main = document.querySelector("main");
            const gap = window.innerHeight - 90 - row.getBoundingClientRect().bottom;
            main.style.paddingTop = Math.max(0, gap) + "px";
        }""",
        f"payment-{billing_data.payment_id}",
    )
    row.get_by_role("button", name="More actions").click()
    row.get_by_role("menuitem", name="Refund payment").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Amount").fill("10.00")
    dialog.get_by_role("button", name="Refund").click()
    toast = page.locator("#toasts .toast").filter(has_text="Refunded 10.00")
    expect(toast).to_be_visible()
    expect(row).to_contain_text("Refunded 10.00")
    page.wait_for_timeout(100)  # the toast box settles after the row is swapped in
    toast_box, row_box = toast.bounding_box(), row.bounding_box()
    assert (
        toast_box["y"] >= row_box["y"] + row_box["height"]
        or toast_box["y"] + toast_box["height"] <= row_box["y"]
    ), (toast_box, row_box)
