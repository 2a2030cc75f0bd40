"""The state of bulk runs shared by the web side and the lanes: stages, counts, lanes, cancel.

Views import this module (through bulk.py) without importing any job code; lanes are enqueued
by dotted path (LANE_JOB), like every other job.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from ..extensions import db
from ..i18n import N_
from ..models import SYNCED_MODELS, BulkRun, BulkRunItem, ItemState, SyncStatus, User, utcnow
from ..queue import AfterCommitJob, get_queue, get_redis
from .state import record_history

LANE_JOB = "webapp.quickbooks.bulk_jobs.run_lane"
SYNC_ORDER = ("client", "invoice", "payment", "refund")
UNSYNC_ORDER = ("refund", "payment", "invoice", "client")


def stage_order(action: str) -> tuple[str, ...]:
    return SYNC_ORDER if action == "sync" else UNSYNC_ORDER


def pending_status(action: str) -> SyncStatus:
    return SyncStatus.SYNCING if action == "sync" else SyncStatus.UNSYNCING


def target_status(action: str) -> SyncStatus:
    return SyncStatus.SYNCED if action == "sync" else SyncStatus.NOT_SYNCED


def heartbeat_key(run_id: int) -> str:
    return f"qbo:bulk-run:{run_id}:alive"


def beat(run_id: int, delay: float = 0) -> None:
    """Say the run has a lane queued or working (expires with the longest a lane may wait and
    take)."""
    ttl = current_app.config["JOB_TIMEOUT"] + 60 + int(delay)
    get_redis().set(heartbeat_key(run_id), "1", ex=ttl)


def enqueue_lanes(run_id: int, count: int | None = None, delay: float = 0) -> list:
    """Put `count` lanes of the run on the bulk queue (after `delay` seconds, if any)."""
    queue = get_queue(current_app.config["QBO_BULK_QUEUE"])
    count = count or current_app.config["QBO_BULK_LANES"]
    options = {"job_timeout": current_app.config["JOB_TIMEOUT"], "result_ttl": 60}
    beat(run_id, delay)
    if delay > 0:
        return [
            queue.enqueue_in(_seconds(delay), LANE_JOB, run_id, **options) for _ in range(count)
        ]
    return [queue.enqueue(LANE_JOB, run_id, **options) for _ in range(count)]


def rows_in_live_runs(record_type: str):
    """A SELECT of the ids of `record_type` rows that an unfinished bulk run still has to send."""
    return select(BulkRunItem.record_id).where(
        BulkRunItem.record_type == record_type,
        BulkRunItem.state.in_((ItemState.QUEUED, ItemState.SENDING)),
    )


class RunLanes(AfterCommitJob):
    """The first lanes of a run, enqueued once the transaction that took its rows committed.

    If Redis refuses them, the run waits in the database and the sweeper gives it lanes
    (bulk_jobs.revive_stalled_runs).
    """

    def __init__(self, run_id: int):
        super().__init__(LANE_JOB, run_id)
        self.run_id = run_id

    def enqueue(self) -> None:
        self.job = enqueue_lanes(self.run_id)[0]


def _seconds(delay: float) -> timedelta:
    return timedelta(seconds=delay)


# Counting -----------------------------------------------------------------------------------------


def count_progress(run: BulkRun) -> dict[str, int]:
    """Done, failed, left and cancelled, read from the rows themselves (their status is the truth)."""
    items = BulkRunItem.__table__
    cancelled = db.session.scalar(
        select(func.count()).where(items.c.run_id == run.id, items.c.state == ItemState.CANCELLED)
    )
    counts = {"done": 0, "failed": 0, "left": 0, "cancelled": cancelled or 0}
    pending, target = pending_status(run.action), target_status(run.action)
    for record_type, model in SYNCED_MODELS.items():
        rows = db.session.execute(
            select(model.qbo_status, func.count())
            .join(items, (items.c.record_id == model.id) & (items.c.record_type == record_type))
            .where(items.c.run_id == run.id, items.c.state != ItemState.CANCELLED)
            .group_by(model.qbo_status)
        ).all()
        for status, number in rows:
            if status is pending:
                counts["left"] += number
            elif status is target:
                counts["done"] += number
            else:
                counts["failed"] += number
    return counts


def store_progress(run: BulkRun) -> dict[str, int]:
    """Recount the run from its rows (exact) into its columns; lanes only add to them."""
    counts = count_progress(run)
    run.done, run.failed, run.cancelled = counts["done"], counts["failed"], counts["cancelled"]
    return counts


def finish_if_idle(run: BulkRun) -> bool:
    """Mark the run finished once no item is queued or in flight (the caller commits)."""
    busy = db.session.scalar(
        select(func.count()).where(
            BulkRunItem.run_id == run.id,
            BulkRunItem.state.in_((ItemState.QUEUED, ItemState.SENDING)),
        )
    )
    if busy:
        return False
    store_progress(run)
    db.session.execute(
        update(BulkRun)
        .where(BulkRun.id == run.id, BulkRun.finished_at.is_(None))
        .values(finished_at=utcnow(), done=run.done, failed=run.failed, cancelled=run.cancelled)
        .execution_options(synchronize_session=False)
    )
    return True


def cancel_queued(run: BulkRun, state: ItemState = ItemState.QUEUED) -> int:
    """Put the run's items in `state` back as they were before the run (the caller commits).

    Returns:
        How many rows went back.
    """
    items = list(
        db.session.scalars(
            select(BulkRunItem).where(BulkRunItem.run_id == run.id, BulkRunItem.state == state)
        )
    )
    pending = pending_status(run.action)
    user = db.session.get(User, run.cancelled_by_id) if run.cancelled_by_id else None
    for record_type, model in SYNCED_MODELS.items():
        mine = {i.record_id: i for i in items if i.record_type == record_type}
        if not mine:
            continue
        for row in db.session.scalars(select(model).where(model.id.in_(mine))):
            if row.qbo_status is pending:
                restore(row, SyncStatus(mine[row.id].previous_status), user, run.action)
    for item in items:
        item.state, item.claim = ItemState.CANCELLED, None
    db.session.execute(
        update(BulkRun)
        .where(BulkRun.id == run.id)
        .values(cancelled=BulkRun.cancelled + len(items))
        .execution_options(synchronize_session=False)
    )
    return len(items)


CANCELLED = N_("Cancelled before it was sent to QuickBooks")  # translated where shown


def restore(row, status: SyncStatus, user, action: str) -> None:
    """Give a row its status from before the run; a Failed row says why it was not retried."""
    row.qbo_status = status
    row.qbo_status_changed_at = utcnow()
    if status is SyncStatus.FAILED:
        row.qbo_message = CANCELLED
    record_history(row, user, action, "cancelled", message=CANCELLED)
