"""The synced list pages in a real browser: search and filters replace only the results (no eval'd
trigger filter needed), keep the URL in step, and leave the page itself in place."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.navigation import assert_not_reloaded, mark_page


def test_a_filter_select_updates_the_results_and_the_url(signed_in: Page, billing_data):
    page = signed_in
    page.goto("/billing/payments")
    mark_page(page)
    rows = page.locator("#payments-body tr:not(.empty-row)")
    expect(rows).to_have_count(1)

    page.get_by_label("Method").select_option(label="Cash")
    expect(page.get_by_text("No payments match these filters.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"method=cash"))
    page.get_by_label("Method").select_option(label="Check")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"method=check"))
    assert_not_reloaded(page)


def test_typing_a_search_narrows_the_rows_without_a_reload(signed_in: Page, billing_data):
    page = signed_in
    page.goto("/billing/invoices")
    mark_page(page)
    rows = page.locator("#invoices-body tr:not(.empty-row)")
    expect(rows).to_have_count(3)

    page.get_by_label("Search").fill("birch")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(billing_data.paid_invoice)
    expect(page).to_have_url(re.compile(r"q=birch"))
    # The search box keeps its text and focus: only the results region was swapped.
    expect(page.get_by_label("Search")).to_be_focused()
    expect(page.get_by_label("Search")).to_have_value("birch")

    page.get_by_label("Status").select_option(label="Unpaid")
    expect(page.get_by_text("No invoices match these filters.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=birch.*status=unpaid|status=unpaid.*q=birch"))
    assert_not_reloaded(page)


def test_the_clients_status_filter(signed_in: Page, billing_data):
    page = signed_in
    page.goto("/clients/")
    mark_page(page)
    page.get_by_label("Status").select_option(label="Inactive")
    expect(page.get_by_text("No clients match these filters.")).to_be_visible()
    page.get_by_label("Status").select_option(label="Active")
    expect(page.locator("#clients-body tr:not(.empty-row)")).to_have_count(2)
    assert_not_reloaded(page)


@pytest.fixture
def two_per_page(live_server):
    live_server.app.config["PAGE_SIZE"] = 2
    yield
    live_server.app.config["PAGE_SIZE"] = 50


def test_the_pager_by_its_link_names(signed_in: Page, billing_data, two_per_page):
    page = signed_in
    page.goto("/billing/invoices")
    mark_page(page)
    pager = page.get_by_role("navigation", name="Pages")
    rows = page.locator("#invoices-body tr:not(.empty-row)")
    expect(pager).to_contain_text("Page 1 of 2 · 3 rows")
    expect(pager.get_by_role("link", name="First")).to_have_count(0)
    expect(pager.get_by_role("link", name="Previous")).to_have_count(0)

    pager.get_by_role("link", name="Next", exact=True).click()
    expect(pager).to_contain_text("Page 2 of 2 · 3 rows")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"after=\d+"))
    expect(pager.get_by_role("link", name="Next", exact=True)).to_have_count(0)
    expect(pager.get_by_role("link", name="Last", exact=True)).to_have_count(0)

    pager.get_by_role("link", name="Previous", exact=True).click()
    expect(pager).to_contain_text("Page 1 of 2 · 3 rows")
    expect(rows).to_have_count(2)
    pager.get_by_role("link", name="Last", exact=True).click()
    expect(pager).to_contain_text("Page 2 of 2 · 3 rows")
    pager.get_by_role("link", name="First", exact=True).click()
    expect(pager).to_contain_text("Page 1 of 2 · 3 rows")
    assert_not_reloaded(page)
