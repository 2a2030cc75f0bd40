"""Start sync and unsync of a row: compare-and-set its status, record history, enqueue the job.

Views call these; they never talk to QBO. The row's status in the database is the lock:
only the request whose UPDATE ... WHERE status IN (...) matched may enqueue a job.
"""

import logging

from flask import current_app
from redis.exceptions import RedisError
from rq import Callback, Retry
from sqlalchemy import update

from ..extensions import db
from ..models import (
    SYNCABLE_STATUSES,
    Invoice,
    Payment,
    PaymentSource,
    Refund,
    SyncEvent,
    SyncReason,
    SyncStatus,
    User,
    utcnow,
)
from ..queue import enqueue_job

log = logging.getLogger(__name__)

SYNC_JOB = "webapp.quickbooks.jobs.run_sync"
UNSYNC_JOB = "webapp.quickbooks.jobs.run_unsync"
FAILURE_CALLBACK = "webapp.quickbooks.jobs.on_job_failure"
CLIENT_FIRST = "Sync the client account first"


class SyncNotAllowed(Exception):
    """The action is not possible for this row now; the message says why, in plain words."""


def sync_blocker(record) -> str | None:
    """Return why "Sync … to QuickBooks" is unavailable for the row, or None when it may run."""
    if not record.qbo_status.can_sync:
        return None if record.qbo_status.is_final else "A sync is already running"
    if isinstance(record, Invoice) and record.client.qbo_status is not SyncStatus.SYNCED:
        return CLIENT_FIRST
    if isinstance(record, Refund) and record.payment.qbo_status is not SyncStatus.SYNCED:
        return "Sync the payment first"
    return None


def request_sync(record, user: User | None) -> bool:
    """Mark the row Syncing… and enqueue its sync job.

    Returns:
        True if this call started a job, False if one was already pending for the row.

    Raises:
        SyncNotAllowed: the row cannot be synced now (the message says why).
    """
    if record.qbo_status in (SyncStatus.SYNCING, SyncStatus.UNSYNCING):
        return False
    if not record.qbo_status.can_sync:
        raise SyncNotAllowed("This row is already in QuickBooks.")
    blocker = sync_blocker(record)
    if blocker:
        raise SyncNotAllowed(blocker)
    return _start(record, user, SYNCABLE_STATUSES, SyncStatus.SYNCING, "sync", SYNC_JOB)


def request_unsync(record, user: User | None) -> bool:
    """Mark the row Unsyncing… and enqueue its unsync job (see request_sync)."""
    if record.qbo_status in (SyncStatus.SYNCING, SyncStatus.UNSYNCING):
        return False
    if not record.qbo_status.can_unsync:
        raise SyncNotAllowed("Only synced rows can be unsynced.")
    return _start(record, user, (SyncStatus.SYNCED,), SyncStatus.UNSYNCING, "unsync", UNSYNC_JOB)


def sync_after_create(record, user: User | None) -> bool:
    """Apply the article's creation rules to a new row (already flushed) and start a sync if due.

    Manual payments whose box was cleared are Skipped with the reason; online payments always
    sync; a payment, invoice or refund syncs by itself when the firm is connected and what it
    depends on is already in QBO.
    """
    if (
        isinstance(record, Payment)
        and record.source is PaymentSource.MANUAL
        and not record.sync_requested
    ):
        record.mark_skipped(SyncReason.SYNC_OFF_FOR_PAYMENT)
        _history(record, user, "create", "skipped", message=record.qbo_message)
        db.session.commit()
        return False
    connection = record_firm_connection(record)
    if connection is None or not connection.is_connected or sync_blocker(record):
        db.session.commit()
        return False
    if isinstance(record, Payment) and record.invoice.client.qbo_status is not SyncStatus.SYNCED:
        # QuickBooks was asked for, but a payment cannot go before its customer. Say so on the
        # row (the job would fail the same way) instead of leaving a silent "Not synced".
        mark_failed(record, user, SyncReason.CLIENT_NOT_SYNCED, CLIENT_FIRST, action="create")
        db.session.commit()
        return False
    db.session.commit()
    return request_sync(record, user)


def record_firm_connection(record):
    from ..models import QboConnection

    return db.session.execute(
        db.select(QboConnection).filter_by(firm_id=record.firm_id)
    ).scalar_one_or_none()


def claim(record, from_statuses, to_status) -> bool:
    """Compare-and-set the row's status in the database; True if this caller won (not committed)."""
    model = type(record)
    claimed = db.session.execute(
        update(model)
        .where(model.id == record.id, model.qbo_status.in_(from_statuses))
        .values(
            qbo_status=to_status,
            qbo_status_changed_at=utcnow(),
            qbo_reason=None,
            qbo_message=None,
            qbo_error_code=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1


# Redis keys that tell the sweeper whether a pending row still has a live job (jobs.py).
ROW_JOB_TTL = 24 * 3600


def row_job_key(record_type: str, record_id: int) -> str:
    """Holds the id of the last job enqueued for the row."""
    return f"qbo:row-job:{record_type}:{record_id}"


def row_lock_key(record_type: str, record_id: int) -> str:
    """Held by the job that is working on the row right now."""
    return f"qbo:row-lock:{record_type}:{record_id}"


def enqueue_sync_job(job_path: str, record_type: str, record_id: int, user_id: int | None):
    """Enqueue a sync/unsync job with the retry policy and the failure callback.

    The job's id is remembered per row, so the sweeper can tell a slow job from a lost one.
    """
    intervals = current_app.config["QBO_RETRY_INTERVALS"]
    job = enqueue_job(
        job_path,
        record_type,
        record_id,
        user_id,
        retry=Retry(max=len(intervals), interval=list(intervals)) if intervals else None,
        on_failure=Callback(FAILURE_CALLBACK),
    )
    try:
        job.connection.set(row_job_key(record_type, record_id), job.id, ex=ROW_JOB_TTL)
    except RedisError as error:
        # The job is queued: without the pointer the sweeper may only double it later, which
        # the row lock and the requestid make harmless (sweeper.py).
        log.warning(
            "could not remember job %s for %s %s: %s", job.id, record_type, record_id, error
        )
    return job


def _start(record, user, from_statuses, to_status, action, job_path) -> bool:
    model = type(record)
    if not claim(record, from_statuses, to_status):
        # Another click or worker got there first; its job owns the row.
        db.session.rollback()
        db.session.refresh(record)
        return False
    _history(record, user, action, "queued")
    db.session.commit()
    db.session.refresh(record)
    try:
        enqueue_sync_job(job_path, model.RECORD_TYPE, record.id, user.id if user else None)
    except RedisError as error:
        log.warning(
            "could not enqueue %s for %s %s: %s", action, model.RECORD_TYPE, record.id, error
        )
        record.qbo_status = SyncStatus.FAILED
        record.qbo_reason = SyncReason.QUEUE_UNAVAILABLE.value
        record.qbo_message = "The background queue is not reachable. Try again in a minute."
        record.qbo_status_changed_at = utcnow()
        _history(record, user, action, "failed", message=record.qbo_message)
        db.session.commit()
    return True


def _history(record, user, action, outcome, message=None, qbo_id=None, summary=None) -> SyncEvent:
    event = SyncEvent(
        firm_id=record.firm_id,
        record_type=type(record).RECORD_TYPE,
        record_id=record.id,
        user_id=user.id if user else None,
        action=action,
        outcome=outcome,
        qbo_id=qbo_id or record.qbo_id,
        request_summary=summary,
        message=message,
    )
    db.session.add(event)
    return event


# Outcomes, used by the jobs (they commit) -----------------------------------------------------


def mark_synced(
    record, qbo_object: dict, realm_id: str, user, action="sync", message=None, summary=None
):
    """The row exists in QBO: store its Id and SyncToken with the Synced status (same transaction)."""
    now = utcnow()
    record.qbo_status = SyncStatus.SYNCED
    record.qbo_id = str(qbo_object["Id"])
    record.qbo_sync_token = str(qbo_object.get("SyncToken", "0"))
    record.qbo_realm_id = realm_id
    record.qbo_reason = SyncReason.ALREADY_IN_QBO.value if message else None
    record.qbo_message = message
    record.qbo_error_code = None
    record.qbo_synced_at = now
    record.qbo_status_changed_at = now
    _history(record, user, action, "synced", message=message, summary=summary)


def mark_failed(
    record, user, reason: SyncReason, message: str, code=None, action="sync", summary=None
):
    """The attempt failed for good: keep QBO's message and code and our reason."""
    record.qbo_status = SyncStatus.FAILED
    record.qbo_reason = reason.value
    record.qbo_message = message
    record.qbo_error_code = code
    record.qbo_status_changed_at = utcnow()
    _history(record, user, action, "failed", message=message, summary=summary)


def mark_unsynced(record, user, action="unsync", message=None):
    """The row no longer points at a QBO object; the next create gets a fresh requestid."""
    record.qbo_status = SyncStatus.NOT_SYNCED
    old_id = record.qbo_id
    record.qbo_id = None
    record.qbo_sync_token = None
    record.qbo_realm_id = None
    record.qbo_reason = None
    record.qbo_message = message
    record.qbo_error_code = None
    record.qbo_sync_generation = (record.qbo_sync_generation or 0) + 1
    record.qbo_status_changed_at = utcnow()
    _history(record, user, action, "not_synced", message=message, qbo_id=old_id)


def mark_unsync_failed(record, user, reason: SyncReason, message: str, code=None):
    """An unsync that failed leaves the row in QBO, so it is Synced again, with the message."""
    record.qbo_status = SyncStatus.SYNCED
    record.qbo_reason = reason.value
    record.qbo_message = f"Unsync failed: {message}"
    record.qbo_error_code = code
    record.qbo_status_changed_at = utcnow()
    _history(record, user, "unsync", "failed", message=message)


def history(record, user, action, outcome, message=None, qbo_id=None, summary=None):
    return _history(record, user, action, outcome, message, qbo_id, summary)
