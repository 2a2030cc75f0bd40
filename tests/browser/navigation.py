"""Moving between pages as a user does, and telling an htmx swap from a full page load.

A link click returns once the next page has started loading, before its deferred scripts have
run. A click that lands in that gap meets a page without htmx: the "Record payment" button
follows its plain href (the page still works without JavaScript) instead of opening the dialog,
and a settings checkbox toggles without saving. A user's hand is slower than that gap; a test's
is not, so every test waits for the page's `load` event before it acts.
"""

from playwright.sync_api import Locator, Page


def follow(page: Page, link: Locator) -> None:
    """Click a link (or tab) that loads another page, and wait until its scripts have run."""
    link.click()
    page.wait_for_load_state("load")


def mark_page(page: Page) -> None:
    """Leave a flag in the window: it survives htmx swaps and disappears on a full page load."""
    page.wait_for_load_state("load")
    page.evaluate("window.__noReload = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__noReload === true"), "the page was reloaded"
