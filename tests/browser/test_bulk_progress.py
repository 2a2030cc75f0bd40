"""Bulk runs in a real browser, against the whole chain (app server, Redis, `python worker.py`,
the QBO emulator over HTTP): "Send everything to QuickBooks" with its preview, the progress
panel moving without a reload, surviving a reload, and cancelled; "Select all N matching" and
"Sync selected" on the Payments list ending with every row Synced and one payment each in QBO.
"""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from tests.browser.navigation import assert_not_reloaded, follow, mark_page
from tests.browser.test_quickbooks_flow import COMPANY, connect_quickbooks
from tests.factories import Factory
from webapp.extensions import db
from webapp.models import BulkRun, ClientAccount, Firm, Invoice, Payment, SyncStatus

WAIT = 30_000  # ms


@pytest.fixture
def stack(live_stack):
    live_stack.app.config["QBO_RETRY_INTERVALS"] = [1, 1]
    live_stack.realm_id = live_stack.emulator.control.create_company(COMPANY)
    return live_stack


def add_payments(stack, count: int, clients: int = 3) -> None:
    """`count` paid invoices of `clients` new clients, nothing in QuickBooks yet."""
    with stack.app.app_context():
        make = Factory()
        firm = db.session.get(Firm, stack.data.firm_id)
        accounts = [make.client(firm, display_name=f"Bulk Client {n}") for n in range(clients)]
        issued = date.today() - timedelta(days=20)
        for n in range(count):
            invoice = make.invoice(
                accounts[n % clients], "75.00", number=f"BLK-{n:05d}", issue_date=issued
            )
            make.payment(invoice, "75.00", received_on=issued + timedelta(days=3))
        db.session.commit()


def figure(panel, name: str) -> int:
    text = panel.locator(f'[data-figure="{name}"] strong').inner_text()
    return int(text.replace(",", ""))


def rows_by_status(stack, model) -> dict:
    with stack.app.app_context():
        return dict(
            db.session.execute(
                select(model.qbo_status, func.count()).group_by(model.qbo_status)
            ).all()
        )


def test_send_everything_shows_the_counts_then_a_panel_that_moves_survives_a_reload_and_cancels(
    page: Page, stack
):
    add_payments(stack, 150)
    stack.sign_in(page)
    connect_quickbooks(page, stack)
    # Slow QuickBooks down, so the run is still going while we watch it.
    stack.emulator.control.set_faults(stack.realm_id, latency_ms=700)

    page.get_by_role("button", name="Send everything to QuickBooks…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Send everything to QuickBooks")).to_be_visible()
    counts = dialog.locator(".bulk-counts li")
    expect(counts).to_have_text(
        ["5 client accounts", "153 invoices", "151 payments"]  # the seed's rows and ours
    )
    dialog.get_by_role("button", name=re.compile(r"^Start: 309 rows")).click()

    panel = page.locator("#bulk-panel")
    expect(panel.get_by_role("heading")).to_contain_text("Sending 309")
    mark_page(page)
    expect(panel.locator('[data-figure="done"] strong')).not_to_have_text("0", timeout=WAIT)
    assert_not_reloaded(page)  # the figures moved by polling

    page.reload()  # the run is in the database, not in the page
    panel = page.locator("#bulk-panel")
    expect(panel).to_have_attribute("data-bulk-state", "running")
    done_before = figure(panel, "done")
    expect(panel).to_contain_text("a minute")

    panel.get_by_role("button", name="Cancel").click()
    expect(page.locator("#bulk-panel h3")).to_contain_text("Cancel", timeout=WAIT)
    expect(page.locator("#bulk-panel")).to_have_attribute("data-bulk-state", "cancelled")
    expect(page.locator("#bulk-panel h3")).to_contain_text("Cancelled:", timeout=WAIT)
    panel = page.locator("#bulk-panel")
    assert figure(panel, "cancelled") > 0
    assert figure(panel, "done") >= done_before

    with stack.app.app_context():
        run = db.session.scalars(select(BulkRun)).one()
        assert run.is_finished and run.cancelled_at is not None
        assert run.done + run.failed + run.cancelled == run.total == 309
    for model in (ClientAccount, Invoice, Payment):
        statuses = rows_by_status(stack, model)
        assert SyncStatus.SYNCING not in statuses  # nothing left pending after the cancel
    synced = rows_by_status(stack, Payment).get(SyncStatus.SYNCED, 0)
    in_qbo = stack.emulator.control.entities(stack.realm_id, "Payment")
    assert len([p for p in in_qbo if p.get("status") != "Deleted"]) == synced  # no duplicate


def test_select_all_matching_then_sync_selected_ends_with_every_row_synced_once(page: Page, stack):
    add_payments(stack, 70, clients=2)
    stack.sign_in(page)
    connect_quickbooks(page, stack)
    # Clients (all on one page) and invoices (two pages) first, from their own lists.
    for run_id, link, more_pages in ((1, "Clients", False), (2, "Invoices", True)):
        follow(page, page.get_by_role("link", name=link, exact=True))
        page.locator("[data-select-page]").check()
        if more_pages:
            page.get_by_role("button", name="Select all 73 matching").click()
        page.get_by_role("button", name="Sync selected", exact=True).click()
        page.get_by_role("dialog").get_by_role("button", name=re.compile("^Start")).click()
        panel = page.locator(f'#bulk-panel[data-bulk-run="{run_id}"]')
        expect(panel.locator("h3")).to_contain_text("Finished", timeout=WAIT)

    follow(page, page.get_by_role("link", name="Invoices", exact=True))
    follow(page, page.get_by_role("tab", name="Payments"))
    page.locator("[data-select-page]").check()
    expect(page.locator("[data-selected-count]")).to_have_text("50 selected")
    page.get_by_role("button", name="Select all 71 matching").click()
    expect(page.locator("[data-selected-count]")).to_have_text("All 71 matching selected")
    page.get_by_role("button", name="Sync selected", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator(".bulk-counts li")).to_have_text(["71 payments"])
    dialog.get_by_role("button", name="Start: 71 rows").click()

    panel = page.locator('#bulk-panel[data-bulk-run="3"]')
    expect(panel).to_be_visible()
    mark_page(page)
    expect(panel.locator("h3")).to_contain_text("Finished", timeout=WAIT)
    expect(panel.locator('[data-figure="done"] strong')).to_have_text("71")
    # The rows on screen changed badge through the page's poller, without a reload.
    badges = page.locator("#payments-body tr .badge")
    expect(badges.filter(has_text="Synced")).to_have_count(50, timeout=WAIT)
    assert_not_reloaded(page)
    assert rows_by_status(stack, Payment) == {SyncStatus.SYNCED: 71}
    in_qbo = stack.emulator.control.entities(stack.realm_id, "Payment")
    notes = [p.get("PrivateNote", "") for p in in_qbo if p.get("status") != "Deleted"]
    assert len(notes) == len(set(notes)) == 71  # exactly one payment each
