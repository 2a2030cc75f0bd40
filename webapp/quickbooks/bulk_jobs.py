"""The worker side of a bulk run: lanes that send one batch at a time, stage by stage.

A run is worked by a few *lanes* (QBO_BULK_LANES). A lane is a short RQ job on the bulk queue:
it takes the next chunk of queued items of the current stage (compare-and-set in the database,
so two lanes never take the same row), sends it as one batch (batch_sync.py), records each
row's outcome, and enqueues itself again at the back of the queue. Runs of several firms thus
take turns on the workers, and single-row actions, on the queue the workers read first, never
wait behind a run. When a stage has nothing queued or in flight, the lane that sees it moves
the run to the next stage (clients, invoices, payments, refunds; the reverse when deleting).

Nothing about a run lives only in RQ. A lane that dies (worker killed) leaves its items
"sending" and its heartbeat key expires; the sweeper then puts those items back in the queue
(revive_stalled_runs) and the next lane looks in QBO first, so nothing is created twice.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..i18n import N_
from ..models import (
    SYNCED_MODELS,
    BulkRun,
    BulkRunItem,
    ClientAccount,
    Firm,
    Invoice,
    ItemState,
    Payment,
    Refund,
    SyncReason,
    SyncStatus,
    User,
    utcnow,
)
from ..queue import get_redis
from . import batch_sync
from .batch import BATCH_SIZE
from .bulk_runs import (
    beat,
    cancel_queued,
    enqueue_lanes,
    finish_if_idle,
    heartbeat_key,
)
from .context import job_app_context, open_job_context
from .errors import (
    INFRASTRUCTURE_ERRORS,
    Blocked,
    DependencyBusy,
    QboAuthError,
    QboError,
    QboNotConnected,
    QboRefreshFailed,
    QboThrottled,
    QboUnavailable,
)
from .state import NOT_CONNECTED, SyncAction, describe, fail_row, mark_retrying
from .throttle import NoFreeSlot

log = logging.getLogger(__name__)

# What each kind of row needs loaded with it, so a chunk of 30 costs a few queries, not 90.
ROW_LOADS = {
    "client": (selectinload(ClientAccount.invoices),),
    "invoice": (joinedload(Invoice.client),),
    "payment": (
        joinedload(Payment.invoice).joinedload(Invoice.client),
        selectinload(Payment.refunds),
    ),
    "refund": (joinedload(Refund.payment).joinedload(Payment.invoice).joinedload(Invoice.client),),
}

# After a 429 from QuickBooks itself, Intuit asks for 60 s before trying again.
THROTTLED_PAUSE = 60


# The lane -------------------------------------------------------------------------------------------


def run_lane(run_id: int) -> str:
    """Send the next chunk of the run, then queue this lane again (RQ entry point)."""
    with job_app_context():
        run = db.session.get(BulkRun, run_id)
        if run is None or run.is_finished:
            return "finished"
        if run.cancelled_at is not None:
            finish_if_idle(run)
            db.session.commit()
            return "cancelled"
        beat(run_id)
        token = uuid.uuid4().hex
        items = take_chunk(run, token)
        if not items:
            return advance(run)
        pause = work_chunk(run, items)
        enqueue_lanes(run_id, count=1, delay=pause)
        return f"sent {len(items)}"


def take_chunk(run: BulkRun, token: str) -> list[BulkRunItem]:
    """Claim up to BATCH_SIZE queued items of the run's current stage for this lane (committed)."""
    next_ids = (
        select(BulkRunItem.id)
        .where(
            BulkRunItem.run_id == run.id,
            BulkRunItem.stage == run.stage,
            BulkRunItem.state == ItemState.QUEUED,
        )
        .order_by(BulkRunItem.id)
        .limit(BATCH_SIZE)
        .scalar_subquery()
    )
    db.session.execute(
        update(BulkRunItem)
        .where(BulkRunItem.id.in_(next_ids), BulkRunItem.state == ItemState.QUEUED)
        .values(state=ItemState.SENDING, claim=token)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return list(db.session.scalars(select(BulkRunItem).where(BulkRunItem.claim == token)))


def advance(run: BulkRun) -> str:
    """Nothing queued in this stage: when nothing is in flight either, move on or finish."""
    in_flight = db.session.scalar(
        select(func.count()).where(
            BulkRunItem.run_id == run.id,
            BulkRunItem.stage == run.stage,
            BulkRunItem.state == ItemState.SENDING,
        )
    )
    if in_flight:
        return "waiting for the stage's last batch"
    later = db.session.scalar(
        select(func.min(BulkRunItem.stage)).where(
            BulkRunItem.run_id == run.id,
            BulkRunItem.stage > run.stage,
            BulkRunItem.state == ItemState.QUEUED,
        )
    )
    if later is None:
        finish_if_idle(run)
        db.session.commit()
        get_redis().delete(heartbeat_key(run.id))
        return "finished"
    moved = db.session.execute(
        update(BulkRun)
        .where(BulkRun.id == run.id, BulkRun.stage == run.stage)
        .values(stage=later)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if moved:
        enqueue_lanes(run.id)
        return f"stage {later}"
    return "another lane moved the stage"


def work_chunk(run: BulkRun, items: list[BulkRunItem]) -> float:
    """Send the chunk and record every row's outcome (committed).

    Returns:
        Seconds the lane should wait before its next chunk (0, or Intuit's minute after a 429).
    """
    action = SyncAction(run.action)
    record_type = items[0].record_type
    model = SYNCED_MODELS[record_type]
    by_id = {item.record_id: item for item in items}
    query = select(model).where(model.id.in_(by_id)).options(*ROW_LOADS[record_type])
    rows = list(db.session.scalars(query))
    working = [row for row in rows if row.qbo_status is action.pending_status]
    user = db.session.get(User, run.user_id) if run.user_id else None
    firm = db.session.get(Firm, run.firm_id)
    send = (batch_sync.SYNC_CHUNK if action is SyncAction.SYNC else batch_sync.UNSYNC_CHUNK)[
        record_type
    ]
    unanswered, pause, error = [], 0.0, None
    if working:
        try:
            with open_job_context(firm, user) as ctx:
                unanswered = send(ctx, working)
                _settle(run, by_id, rows, unanswered, None, user)
                # One commit, straight after QBO answered: the rows, the run's figures, the
                # connection's stamp and the call counts (nothing after it can lose the answer).
                ctx.finish()
            return 0.0
        except INFRASTRUCTURE_ERRORS:
            db.session.rollback()
            raise  # the items stay "sending"; the sweeper gives the run a new lane
        except (QboUnavailable, QboThrottled, DependencyBusy) as transient:
            db.session.rollback()
            unanswered, error = working, transient
            pause = _pause_after(transient, items)
        except Exception as failure:
            db.session.rollback()
            if not isinstance(failure, (QboError, Blocked)):
                log.exception("bulk run %s: a %s chunk crashed", run.id, record_type)
            if isinstance(failure, QboNotConnected):
                failure = Blocked(SyncReason.NOT_CONNECTED, NOT_CONNECTED)
            for row in working:
                if row.qbo_status is action.pending_status:
                    fail_row(row, action, user, failure)
            connection = firm.qbo_connection
            if isinstance(failure, (QboRefreshFailed, QboAuthError)) and connection is not None:
                connection.refresh_failing = True
                connection.last_error = describe(failure)[1]
    _settle(run, by_id, rows, unanswered, error, user, pause)
    db.session.commit()
    return pause


def _pause_after(error: Exception, items: list[BulkRunItem]) -> float:
    """Seconds before the lane sends these rows again: Intuit's minute after its own 429, the
    retry intervals (QBO_RETRY_INTERVALS, growing with the rows' attempts) while QuickBooks does
    not answer, none when only our own limiter or a busy dependency held the chunk back."""
    if isinstance(error, NoFreeSlot | DependencyBusy):
        return 0.0
    if isinstance(error, QboThrottled):
        return THROTTLED_PAUSE
    intervals = current_app.config["QBO_RETRY_INTERVALS"] or [0]
    attempts = max(item.attempts for item in items)
    return float(intervals[min(attempts, len(intervals) - 1)])


def _settle(run, by_id, rows, unanswered, error, user, pause: float = 0.0) -> None:
    """Finish the items whose rows reached a final status and count them on the run; queue the
    rest again, their rows saying when the next attempt is due."""
    retry_limit = len(current_app.config["QBO_RETRY_INTERVALS"]) + 1
    again = {row.id for row in unanswered}
    pending = SyncAction(run.action).pending_status
    target = SyncStatus.SYNCED if run.action == "sync" else SyncStatus.NOT_SYNCED
    finished = {True: 0, False: 0}
    for row in rows:
        item = by_id[row.id]
        if row.id in again and row.qbo_status is pending:
            throttled = isinstance(error, QboThrottled)
            item.attempts += 0 if throttled else 1
            if item.attempts < retry_limit:
                item.state, item.claim = ItemState.QUEUED, None
                if pause:  # "QuickBooks is not answering; retrying at 10:42" on the row
                    retry_at = utcnow() + timedelta(seconds=pause)
                    mark_retrying(row, user, SyncAction(run.action), error, retry_at)
                continue
            fail_row(
                row,
                SyncAction(run.action),
                user,
                error or QboUnavailable(N_("QuickBooks did not answer for this row")),
            )
        item.state, item.claim = ItemState.FINISHED, None
        finished[row.qbo_status is target] += 1
    for record_id in set(by_id) - {row.id for row in rows}:  # the row was deleted meanwhile
        by_id[record_id].state, by_id[record_id].claim = ItemState.FINISHED, None
        finished[False] += 1
    # Added in SQL, so lanes finishing chunks at the same time never lose each other's counts.
    db.session.execute(
        update(BulkRun)
        .where(BulkRun.id == run.id)
        .values(done=BulkRun.done + finished[True], failed=BulkRun.failed + finished[False])
        .execution_options(synchronize_session=False)
    )


# Recovery -------------------------------------------------------------------------------------------


def revive_stalled_runs() -> int:
    """Give a lane back to every unfinished run whose lanes all died (called by the sweeper).

    Items a dead lane was sending go back to the queue (their rows stayed Syncing…); the next
    lane looks in QBO first, so whatever the lost batch created is linked, not created again.

    Returns:
        How many runs were revived.
    """
    redis = get_redis()
    revived = 0
    runs = db.session.scalars(select(BulkRun).where(BulkRun.finished_at.is_(None))).all()
    for run in runs:
        if redis.exists(heartbeat_key(run.id)):
            continue
        if run.cancelled_at is not None:
            cancel_queued(run, state=ItemState.SENDING)
            finish_if_idle(run)
            db.session.commit()
            continue
        db.session.execute(
            update(BulkRunItem)
            .where(BulkRunItem.run_id == run.id, BulkRunItem.state == ItemState.SENDING)
            .values(state=ItemState.QUEUED, claim=None, attempts=BulkRunItem.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        enqueue_lanes(run.id)
        revived += 1
    if revived:
        log.info("revived %s bulk runs whose lanes were lost", revived)
    return revived


def run_sweep() -> int:
    """The bulk part of the sweep, in its own app context."""
    with job_app_context():
        return revive_stalled_runs()
