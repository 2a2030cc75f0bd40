"""The Payments tab's status poller in a real browser (docs/architecture.md, "One status poller per page").

However many rows are pending, the page sends at most one poll request per second, and it stops
polling once every row is final. No worker runs here: the rows are put in Syncing… and then made
final directly in the database, so only the page's behaviour is measured.
"""

import re
import time
from datetime import date

from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from tests.factories import Factory
from webapp.extensions import db
from webapp.models import ClientAccount, Payment, SyncStatus

PENDING_ROWS = 30
POLL_PATH = "/billing/payments/poll"


def add_syncing_payments(app, firm_id: int, count: int) -> None:
    """`count` payments of one big invoice, each already in Syncing…"""
    with app.app_context():
        make = Factory()
        client = (
            db.session.execute(
                select(ClientAccount).filter_by(firm_id=firm_id).order_by(ClientAccount.id)
            )
            .scalars()
            .first()
        )
        invoice = make.invoice(client, f"{10 * count}.00", number="INV-00900")
        for _ in range(count):
            make.payment(invoice, "10.00", received_on=date.today(), qbo_status=SyncStatus.SYNCING)
        db.session.commit()


def mark_all_synced(app, firm_id: int) -> None:
    with app.app_context():
        db.session.execute(
            update(Payment)
            .where(Payment.firm_id == firm_id, Payment.qbo_status == SyncStatus.SYNCING)
            .values(qbo_status=SyncStatus.SYNCED)
        )
        db.session.commit()


def count_polls(page: Page, polls: list[float], seconds: float) -> int:
    """How many poll requests the page sends during the next `seconds`."""
    start = len(polls)
    # Not time.sleep: Playwright only delivers request events while it is waiting itself.
    page.wait_for_timeout(seconds * 1000)
    return len(polls) - start


def test_one_poll_per_second_for_many_pending_rows_and_none_once_all_are_final(
    signed_in: Page, live_server, billing_data
):
    page = signed_in
    add_syncing_payments(live_server.app, billing_data.firm_id, PENDING_ROWS)
    polls: list[float] = []
    page.on(
        "request",
        lambda request: polls.append(time.monotonic()) if POLL_PATH in request.url else None,
    )

    page.goto("/billing/payments")
    page.evaluate("window.__noReload = true")  # gone if the page is ever reloaded
    syncing = page.locator("#payments-body .badge", has_text="Syncing…")
    expect(syncing).to_have_count(PENDING_ROWS)

    # Every pending row is watched, yet one request per interval carries them all.
    sent = count_polls(page, polls, 3.0)
    assert 1 <= sent <= 4, f"{sent} poll requests in 3 s for {PENDING_ROWS} pending rows"
    assert all(b - a > 0.5 for a, b in zip(polls, polls[1:], strict=False)), polls

    mark_all_synced(live_server.app, billing_data.firm_id)
    # The next poll swaps every row to Synced, out of band, without reloading the page.
    synced = page.locator("#payments-body .badge", has_text=re.compile(r"^Synced$"))
    expect(synced).to_have_count(PENDING_ROWS, timeout=5_000)
    expect(syncing).to_have_count(0)
    expect(page.locator("#payments-body input[name=watch]")).to_have_count(0)

    assert count_polls(page, polls, 2.0) == 0, "the poller kept polling with nothing pending"
    assert page.evaluate("window.__noReload === true"), "the page was reloaded"


def test_right_after_a_row_action_the_poller_asks_sooner_then_backs_off_to_once_a_second(
    signed_in: Page, live_server, billing_data
):
    """A new row (here a payment recorded with the sync box cleared) is a row action: the badges
    on the page are likely to change soon, so the poller's waits start at 75 ms and grow."""
    page = signed_in
    add_syncing_payments(live_server.app, billing_data.firm_id, 5)
    polls: list[float] = []
    page.on(
        "request",
        lambda request: polls.append(time.monotonic()) if POLL_PATH in request.url else None,
    )
    page.goto("/billing/payments")
    expect(page.locator("#payments-body .badge", has_text="Syncing…")).to_have_count(5)
    assert count_polls(page, polls, 2.0) <= 3  # once a second before any action

    page.get_by_role("button", name="Record payment").click()
    dialog = page.get_by_role("dialog")
    client = dialog.get_by_label("Client")
    client.select_option(
        client.locator("option", has_text=billing_data.client).get_attribute("value")
    )
    invoice = dialog.get_by_label("Invoice")
    expect(invoice.locator("option", has_text=billing_data.second_invoice)).to_have_count(1)
    invoice.select_option(
        invoice.locator("option", has_text=billing_data.second_invoice).get_attribute("value")
    )
    dialog.get_by_label("Sync this payment with QuickBooks").uncheck()
    dialog.get_by_role("button", name="Record payment").click()
    expect(page.locator("#payments-body .badge", has_text="Skipped")).to_have_count(1)

    fresh = count_polls(page, polls, 1.5)
    assert fresh >= 4, f"only {fresh} polls in the 1.5 s after a row action"
    recent = polls[-fresh:]
    assert all(b - a > 0.05 for a, b in zip(recent, recent[1:], strict=False)), recent
    count_polls(page, polls, 2.5)
    later = count_polls(page, polls, 3.0)
    assert 1 <= later <= 4, f"{later} polls in 3 s once the action is no longer fresh"
