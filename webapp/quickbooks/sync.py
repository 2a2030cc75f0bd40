"""Start sync and unsync of a row: claim it, and have its job enqueued once the caller commits.

Views call these; they never talk to QBO and never commit. The row's status in the database is
the lock: only the request whose claim (UPDATE ... WHERE status IN (...)) matched registers a
job, and the job goes to the queue after the view's commit (queue.enqueue_after_commit), so a
worker never looks for a row that is not committed yet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from flask import current_app
from flask_babel import gettext as _
from redis.exceptions import RedisError
from rq import Callback, Retry
from sqlalchemy.orm import Session

from ..extensions import db
from ..i18n import N_
from ..models import (
    PENDING_STATUSES,
    SYNCED_MODELS,
    Payment,
    PaymentSource,
    SyncReason,
    User,
)
from ..queue import AfterCommitJob, enqueue_after_commit
from .preflight import preflight, sync_blocker, unsync_blocker
from .state import (
    QUEUE_UNREACHABLE,
    SyncAction,
    mark_action_failed,
    mark_failed,
    mark_skipped,
    start,
)

log = logging.getLogger(__name__)

JOB_PATHS = {
    SyncAction.SYNC: "webapp.quickbooks.jobs.run_sync",
    SyncAction.UNSYNC: "webapp.quickbooks.jobs.run_unsync",
}
FAILURE_CALLBACK = "webapp.quickbooks.jobs.on_job_failure"
SYNC_OFF_FOR_PAYMENT = N_("Sync turned off for this payment")

# Redis keys that tell the sweeper whether a pending row still has a live job.
ROW_JOB_TTL = 24 * 3600


def row_job_key(record_type: str, record_id: int) -> str:
    """Holds the id of the last job enqueued for the row."""
    return f"qbo:row-job:{record_type}:{record_id}"


def row_lock_key(record_type: str, record_id: int) -> str:
    """Held by the job that is working on the row right now."""
    return f"qbo:row-lock:{record_type}:{record_id}"


class SyncNotAllowed(Exception):
    """The action is not possible for this row now; the message says why, in plain words."""


class SyncStart(StrEnum):
    """What a sync or unsync request did, known once the caller committed."""

    STARTED = "started"  # the row is pending and its job is in the queue
    ALREADY_PENDING = "already_pending"  # another request's job owns the row; nothing changed
    QUEUE_UNAVAILABLE = "queue_unavailable"  # the job could not be queued; the row says so


class RowJob(AfterCommitJob):
    """The sync or unsync job of one row, with the retry policy and the failure callback."""

    def __init__(
        self, action: SyncAction, record_type: str, record_id: int, user_id, delay: float = 0
    ):
        intervals = current_app.config["QBO_RETRY_INTERVALS"]
        super().__init__(
            JOB_PATHS[action],
            record_type,
            record_id,
            user_id,
            retry=Retry(max=len(intervals), interval=list(intervals)) if intervals else None,
            on_failure=Callback(FAILURE_CALLBACK),
            delay=delay,
        )
        self.action = action
        self.record_type = record_type
        self.record_id = record_id
        self.user_id = user_id

    def enqueue(self) -> None:
        super().enqueue()
        # Remember the job per row, so the sweeper can tell a slow job from a lost one.
        try:
            self.job.connection.set(
                row_job_key(self.record_type, self.record_id), self.job.id, ex=ROW_JOB_TTL
            )
        except RedisError as error:
            # The job is queued: without the pointer the sweeper may only double it later,
            # which the row lock and the requestid make harmless (sweeper.py).
            log.warning("could not remember job %s for %s: %s", self.job.id, self.args, error)

    def unreachable(self, error: RedisError) -> None:
        """End the claim in a short transaction of its own: the caller's has committed."""
        log.warning("could not enqueue %s of %s: %s", self.action, self.args, error)
        with Session(db.engine) as session:
            record = session.get(SYNCED_MODELS[self.record_type], self.record_id)
            if record is None or record.qbo_status is not self.action.pending_status:
                return
            user = session.get(User, self.user_id) if self.user_id else None
            mark_action_failed(
                record, self.action, user, SyncReason.QUEUE_UNAVAILABLE, QUEUE_UNREACHABLE
            )
            session.commit()


@dataclass
class SyncRequest:
    """The answer of request_sync / request_unsync; read `outcome` after the commit."""

    action: SyncAction
    job: RowJob | None

    @property
    def outcome(self) -> SyncStart:
        if self.job is None:
            return SyncStart.ALREADY_PENDING
        if not self.job.settled:
            raise RuntimeError("commit first: the job is enqueued after the commit")
        return SyncStart.STARTED if self.job.sent else SyncStart.QUEUE_UNAVAILABLE


def request_sync(record, user: User | None) -> SyncRequest:
    """Mark the row Syncing… and register its sync job for after the caller's commit.

    Raises:
        SyncNotAllowed: the row cannot be synced now (the message says why).
    """
    if record.qbo_status in PENDING_STATUSES:
        return SyncRequest(SyncAction.SYNC, None)
    if not record.qbo_status.can_sync:
        raise SyncNotAllowed(_("This row is already in QuickBooks."))
    blocker = sync_blocker(record)
    if blocker:
        raise SyncNotAllowed(blocker)
    return _start(record, user, SyncAction.SYNC)


def request_unsync(record, user: User | None) -> SyncRequest:
    """Mark the row Unsyncing… and register its unsync job (see request_sync)."""
    if record.qbo_status in PENDING_STATUSES:
        return SyncRequest(SyncAction.UNSYNC, None)
    if not record.qbo_status.can_unsync:
        raise SyncNotAllowed(_("Only synced rows can be unsynced."))
    if blocker := unsync_blocker(record):
        raise SyncNotAllowed(blocker)
    return _start(record, user, SyncAction.UNSYNC)


def sync_after_create(record, user: User | None) -> SyncRequest | None:
    """Apply the creation rules to a new row (already flushed); start a sync if one is due.

    Manual payments whose box was cleared are Skipped with the reason; online payments always
    sync; a payment, invoice or refund syncs by itself when the firm is connected and what it
    depends on is already in QBO.

    Returns:
        The sync request, or None when no sync was due.
    """
    if (
        isinstance(record, Payment)
        and record.source is PaymentSource.MANUAL
        and not record.sync_requested
    ):
        mark_skipped(record, user, SyncReason.SYNC_OFF_FOR_PAYMENT, SYNC_OFF_FOR_PAYMENT)
        return None
    blocker = preflight(record)
    if blocker is None:
        return request_sync(record, user)
    if isinstance(record, Payment) and blocker.reason is not SyncReason.NOT_CONNECTED:
        # QuickBooks was asked for, but would refuse the payment (no customer there yet, say).
        # Say what to fix on the row instead of leaving a silent "Not synced".
        mark_failed(record, user, blocker.reason, blocker.message, action="create")
    return None


def enqueue_row_job(action: SyncAction, record, user_id: int | None) -> RowJob:
    """Register the row's job, to be enqueued when the current transaction commits."""
    return enqueue_after_commit(RowJob(action, type(record).RECORD_TYPE, record.id, user_id))


def _start(record, user, action: SyncAction) -> SyncRequest:
    if not start(record, action, user):
        # Another click or worker got there first; its job owns the row.
        db.session.refresh(record)
        return SyncRequest(action, None)
    return SyncRequest(action, enqueue_row_job(action, record, user.id if user else None))
