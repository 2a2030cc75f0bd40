"""Bulk runs against the emulator over HTTP: batches of 30, per-row outcomes, never a duplicate."""

from datetime import timedelta

import pytest
import requests
from flask import g
from sqlalchemy import select

from tests.conftest import AuthActions
from tests.support.qbo import ConnectedFirm
from webapp.extensions import db
from webapp.models import (
    BulkRun,
    BulkScope,
    ClientAccount,
    Invoice,
    Payment,
    SyncReason,
    SyncStatus,
    utcnow,
)
from webapp.quickbooks import bulk


def all_ids(model, firm_id):
    return select(model.id).where(model.firm_id == firm_id)


def start_run(firm, model, action="sync", ids=None):
    run = bulk.start(
        firm.firm,
        firm.user,
        action,
        BulkScope.SELECTED,
        model.RECORD_TYPE,
        ids if ids is not None else all_ids(model, firm.firm_id),
    )
    db.session.commit()  # the lanes go to the queue once the rows are taken
    return run.id


def sync_selected(firm, model, run_jobs, action="sync"):
    run_id = start_run(firm, model, action)
    run_jobs()
    return db.session.get(BulkRun, run_id)


def make_payments(make, firm, clients=10, per_client=10, prefix="Bulk"):
    payments = []
    for c in range(clients):
        client = make.client(firm, display_name=f"{prefix} Client {c:02d}")
        for _ in range(per_client):
            payments.append(make.payment(make.invoice(client, amount="120.00")))
    db.session.commit()
    return payments


@pytest.fixture
def hundred_payments(qbo_firm, make, run_jobs):
    """10 clients with 10 invoices each, synced in bulk; one payment per invoice, not synced."""
    payments = make_payments(make, qbo_firm.firm)
    for model in (ClientAccount, Invoice):
        run = sync_selected(qbo_firm, model, run_jobs)
        assert (run.done, run.failed) == (run.total, 0)
    return payments


def qbo_calls(firm, since=0):
    return firm.emulator.control.requests(firm.realm_id)[since:]


def test_a_hundred_payments_sync_selected_in_batches_exactly_once(
    qbo_firm, hundred_payments, run_jobs
):
    before = len(qbo_calls(qbo_firm))
    run = sync_selected(qbo_firm, Payment, run_jobs)

    assert run.is_finished
    assert (run.total, run.done, run.failed, run.left) == (100, 100, 0, 0)
    statuses = db.session.scalars(select(Payment.qbo_status)).all()
    assert statuses == [SyncStatus.SYNCED] * 100
    qbo_payments = qbo_firm.entities("Payment")
    assert len(qbo_payments) == 100
    assert len({p["PrivateNote"] for p in qbo_payments}) == 100  # one each, no duplicate
    calls = qbo_calls(qbo_firm, before)
    batches = [c for c in calls if "/batch" in c["path"]]
    assert len(batches) == 4  # 30 + 30 + 30 + 10
    # Per batch, the look-first read is one query for its invoices (none has a payment yet);
    # the Undeposited Funds account is looked up once, then cached.
    assert len(calls) == 4 * 2 + 1


def test_a_fault_on_one_item_fails_that_row_alone_with_qbos_message(
    qbo_firm, hundred_payments, run_jobs
):
    victim = hundred_payments[7]
    tokens = qbo_firm.emulator.control.issue_tokens("ledgerbridge-demo", qbo_firm.realm_id)
    gone = requests.post(
        f"{qbo_firm.emulator.url}/v3/company/{qbo_firm.realm_id}/invoice?operation=delete",
        json={"Id": victim.invoice.qbo_id, "SyncToken": victim.invoice.qbo_sync_token},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    )
    assert gone.status_code == 200

    run = sync_selected(qbo_firm, Payment, run_jobs)

    assert (run.done, run.failed) == (99, 1)
    victim = db.session.get(Payment, victim.id)
    assert victim.qbo_status is SyncStatus.FAILED
    assert victim.qbo_reason == SyncReason.QBO_FAULT.value
    assert victim.qbo_error_code == "610"
    assert victim.qbo_message.startswith("QuickBooks refused it (code 610)")
    assert victim.qbo_sync_generation == 1  # a refusal: the next try is a new request
    assert len(qbo_firm.entities("Payment")) == 99


def test_a_batch_whose_answer_was_lost_is_resent_and_quickbooks_answers_with_what_it_made(
    qbo_firm, hundred_payments, run_jobs
):
    # Every write is made in QuickBooks and then its answer is lost (HTTP 500).
    qbo_firm.emulator.control.set_faults(qbo_firm.realm_id, lost_response_rate=1.0)
    before = len(qbo_calls(qbo_firm))
    run = sync_selected(qbo_firm, Payment, run_jobs)

    assert (run.done, run.failed) == (100, 0)
    assert len(qbo_firm.entities("Payment")) == 100
    batches = [c for c in qbo_calls(qbo_firm, before) if "/batch" in c["path"]]
    assert [c["status"] for c in batches] == [500, 200] * 4  # each lost once, then replayed
    assert all(
        first["requestid"] == again["requestid"]
        for first, again in zip(batches[::2], batches[1::2], strict=True)
    )


def test_a_run_left_half_sent_looks_first_and_creates_nothing_twice(
    qbo_firm, hundred_payments, run_jobs
):
    """What a worker killed between QuickBooks' answer and our commit leaves behind."""
    from webapp.queue import get_redis
    from webapp.quickbooks import batch_sync, bulk_jobs, sweeper
    from webapp.quickbooks.bulk_runs import heartbeat_key
    from webapp.quickbooks.context import open_job_context

    run_id = start_run(qbo_firm, Payment)
    run = db.session.get(BulkRun, run_id)
    items = bulk_jobs.take_chunk(run, "a lane that will die")
    rows = [db.session.get(Payment, item.record_id) for item in items]
    with open_job_context(qbo_firm.firm, qbo_firm.user) as ctx:
        batch_sync.sync_payments(ctx, rows)  # QuickBooks makes 30 payments...
    db.session.rollback()  # ...and the worker dies before it records them
    assert len(qbo_firm.entities("Payment")) == 30
    get_redis().delete(heartbeat_key(run_id))  # its lanes are gone: the heartbeat expires
    get_redis().flushdb()  # and so are the jobs that were queued

    assert sweeper.sweep_stuck_rows() == 1  # the run gets new lanes (not 100 single jobs)
    run_jobs()

    run = db.session.get(BulkRun, run_id)
    assert (run.done, run.failed, run.left) == (100, 0, 0)
    assert len(qbo_firm.entities("Payment")) == 100  # the 30 were linked, not made again
    linked = db.session.scalars(select(Payment).where(Payment.qbo_linked.is_(True))).all()
    assert len(linked) == 30


def test_two_firms_bulk_syncing_at_once_take_turns(
    qbo_app, qbo_firm, hundred_payments, run_jobs, make, qbo_emulator, connect_qbo
):
    other_user = make.user()
    db.session.commit()
    other_client = qbo_app.test_client()
    AuthActions(other_client).login(other_user)
    realm = qbo_emulator.control.create_company("Second Firm Company")
    # The test's app context is shared by both clients' requests: forget who signed in last.
    g.pop("_login_user", None)
    assert connect_qbo(other_client, realm).status_code == 302
    g.pop("_login_user", None)
    run_jobs()
    other = ConnectedFirm(other_user.firm_id, other_user.id, realm, qbo_emulator)
    make_payments(make, other.firm, clients=3, per_client=20, prefix="Other")
    for model in (ClientAccount, Invoice):
        sync_selected(other, model, run_jobs)

    first = start_run(qbo_firm, Payment)
    second = start_run(other, Payment)
    run_jobs()

    for run_id, expected in ((first, 100), (second, 60)):
        run = db.session.get(BulkRun, run_id)
        assert (run.done, run.failed, run.left) == (expected, 0, 0)
    mine = [c["at"] for c in qbo_calls(qbo_firm) if "/batch" in c["path"]][-4:]
    theirs = [c["at"] for c in qbo_calls(other) if "/batch" in c["path"]][-2:]
    assert theirs[0] < mine[-1]  # the second firm did not wait for the first to finish


def test_a_single_row_action_goes_before_the_batches_of_a_running_bulk_run(
    qbo_firm, hundred_payments, run_jobs
):
    from webapp.quickbooks.sync import request_sync

    clicked = hundred_payments[-1]
    others = select(Payment.id).where(Payment.id != clicked.id)
    run_id = start_run(qbo_firm, Payment, ids=others)  # its lanes are queued first
    request_sync(clicked, qbo_firm.user)  # then a click on one row's menu
    db.session.commit()

    run_jobs(max_jobs=1)

    assert db.session.get(Payment, clicked.id).qbo_status is SyncStatus.SYNCED
    assert db.session.get(BulkRun, run_id).done == 0  # no batch has gone yet
    run_jobs()
    assert db.session.get(BulkRun, run_id).done == 99


def test_a_429_during_a_bulk_run_fails_no_row_and_the_lane_waits_intuits_minute(
    qbo_app, qbo_firm, hundred_payments, run_jobs, redis_conn
):
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    from webapp.quickbooks.throttle import RealmThrottle

    qbo_firm.emulator.control.set_faults(qbo_firm.realm_id, error_429_rate=1.0)
    run_id = start_run(qbo_firm, Payment)
    run_jobs()

    run = db.session.get(BulkRun, run_id)
    assert not run.is_finished and (run.done, run.failed) == (0, 0)
    statuses = set(db.session.scalars(select(Payment.qbo_status)))
    assert statuses == {SyncStatus.SYNCING}  # waiting, never Failed
    assert RealmThrottle.from_config(redis_conn, qbo_firm.realm_id, qbo_app.config).cooling_down()
    bulk_queue = Queue(qbo_app.config["QBO_BULK_QUEUE"], connection=redis_conn)
    waiting = ScheduledJobRegistry(queue=bulk_queue)
    assert waiting.count >= 1  # the lanes come back after the minute Intuit asks for
    assert bulk_queue.count == 0


def test_rows_of_a_bulk_run_waiting_on_quickbooks_say_when_the_lane_tries_again(
    qbo_app, qbo_firm, hundred_payments, run_jobs, redis_conn
):
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    qbo_app.config["QBO_RETRY_INTERVALS"] = [600, 600]
    qbo_firm.emulator.stop()
    try:
        run_id = start_run(qbo_firm, Payment)
        before = utcnow()
        run_jobs()
    finally:
        qbo_firm.emulator.start()

    run = db.session.get(BulkRun, run_id)
    assert not run.is_finished and (run.done, run.failed) == (0, 0)
    waiting = db.session.scalars(
        select(Payment).where(Payment.qbo_status == SyncStatus.SYNCING)
    ).all()
    assert waiting  # the chunks the lanes tried, still Syncing…, none Failed
    for payment in waiting:
        if payment.qbo_retry_at is not None:
            assert before + timedelta(seconds=599) <= payment.qbo_retry_at
            assert payment.qbo_retry_at <= utcnow() + timedelta(seconds=601)
    assert any(p.qbo_retry_at is not None for p in waiting)
    bulk_queue = Queue(qbo_app.config["QBO_BULK_QUEUE"], connection=redis_conn)
    assert ScheduledJobRegistry(queue=bulk_queue).count >= 1  # the lanes come back in 10 minutes
    assert bulk_queue.count == 0


def test_rows_taken_on_remember_their_status_and_a_row_claimed_meanwhile_is_left_out(
    qbo_firm, make, monkeypatch
):
    """Between the plan and the claim another request may take a row (its own Sync click):
    the run leaves that row alone, and the rows it took go back to what they were on cancel."""
    from webapp.models import BulkRunItem, SyncEvent

    never, failed, clicked = (make.client(qbo_firm.firm) for _ in range(3))
    failed.qbo_status = SyncStatus.FAILED
    db.session.commit()
    planned = bulk.preview

    def plan_then_click(*args):
        plan = planned(*args)
        clicked.qbo_status = SyncStatus.SYNCING  # the row menu's claim, committed meanwhile
        db.session.flush()
        return plan

    monkeypatch.setattr(bulk, "preview", plan_then_click)
    run_id = start_run(qbo_firm, ClientAccount)

    run = db.session.get(BulkRun, run_id)
    assert run.total == 2
    items = db.session.scalars(select(BulkRunItem).filter_by(run_id=run_id)).all()
    assert {(item.record_id, item.previous_status) for item in items} == {
        (never.id, "not_synced"),
        (failed.id, "failed"),
    }
    queued = db.session.scalars(select(SyncEvent.record_id).filter_by(outcome="queued")).all()
    assert sorted(queued) == sorted([never.id, failed.id])
    assert db.session.get(ClientAccount, clicked.id).qbo_status is SyncStatus.SYNCING

    bulk.cancel(run, qbo_firm.user)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ClientAccount, never.id).qbo_status is SyncStatus.NOT_SYNCED
    assert db.session.get(ClientAccount, failed.id).qbo_status is SyncStatus.FAILED
    assert db.session.get(ClientAccount, clicked.id).qbo_status is SyncStatus.SYNCING
