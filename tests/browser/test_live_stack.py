"""The `live_stack` fixture itself: app, Redis, emulator and a real worker, wired together."""

import re

from playwright.sync_api import Page, expect
from redis import Redis
from rq import Worker


def test_live_stack_wires_app_emulator_redis_and_worker(page: Page, live_stack):
    live_stack.sign_in(page)
    expect(page.get_by_role("link", name="Invoices")).to_be_visible()

    assert live_stack.app.config["QBO_EMULATOR_URL"] == live_stack.emulator.url
    assert live_stack.app.config["QBO_REDIRECT_URI"].startswith(live_stack.url)
    assert page.request.get(f"{live_stack.url}/healthz").ok
    assert page.request.get(f"{live_stack.emulator.url}/_emulator/").ok

    workers = Worker.all(connection=Redis.from_url(live_stack.redis_url))
    assert [w.pid for w in workers] == [live_stack.worker.pid]
    assert live_stack.worker.poll() is None


def test_live_stack_connects_through_the_consent_page_and_the_worker_syncs(page: Page, live_stack):
    live_stack.sign_in(page)
    page.goto(f"{live_stack.url}/settings/integrations/quickbooks")
    page.get_by_role("button", name="Connect to QuickBooks").click()
    expect(page).to_have_url(re.compile(re.escape(live_stack.emulator.url) + "/connect/oauth2"))
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(live_stack.url) + "/settings/"))
    expect(page.get_by_role("button", name="Disconnect")).to_be_visible()

    page.goto(f"{live_stack.url}/clients/")
    page.evaluate("window.__noReload = true")
    row = page.locator("tr", has_text=live_stack.data.client)
    row.get_by_role("button", name="More actions").click()
    row.get_by_role("menuitem", name="Sync account to QuickBooks").click()
    # The worker process makes the QBO call; the page's poller brings the new badge in.
    expect(row.locator(".badge")).to_have_text("Synced", timeout=15_000)
    assert page.evaluate("window.__noReload === true")
