"""RQ entry points: thin functions that take ids, reload rows, and record how each attempt ended.

The row's status in the database is the only truth: a job that finds its row no longer
Syncing…/Unsyncing… does nothing. A 429 is a wait, never a failure: the row stays pending and a
fresh job comes back after Intuit's minute. 5xx, timeouts and our own Redis or database failing are
re-raised while RQ has retries left (the row stays pending); after the last one a QBO failure
makes the row Failed, while an infrastructure failure leaves it pending for the sweeper, since
it says nothing about the row. A job that dies outside our `try` is marked Failed by
`on_job_failure`; one that vanishes is revived by sweeper.py.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq import get_current_job
from rq.exceptions import AbandonedJobError
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..i18n import N_
from ..models import SYNCED_MODELS, Firm, SyncReason, User, utcnow
from ..queue import held_lease
from . import handlers
from .accounts import refresh_company_cache
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
from .state import SyncAction, fail_row, mark_action_failed, mark_retrying, pending_action
from .sync import RowJob, row_lock_key
from .throttle import NoFreeSlot

log = logging.getLogger(__name__)

RETRYABLE = (QboUnavailable, QboThrottled, DependencyBusy, *INFRASTRUCTURE_ERRORS)
HANDLERS = {SyncAction.SYNC: handlers.SYNC, SyncAction.UNSYNC: handlers.UNSYNC}


def run_sync(record_type: str, record_id: int, user_id: int | None = None) -> str:
    """Send one row to QBO.

    Args:
        record_type: "client", "invoice", "payment" or "refund".
        record_id: the row's id.
        user_id: who asked (None for automatic syncs and the sweeper).

    Returns:
        What happened, for RQ's result ("synced", "failed: <reason>", "skipped: ...").

    Raises:
        QboUnavailable, QboThrottled, RedisError, ...: while RQ has retries left.
    """
    with job_app_context():
        return _run(SyncAction.SYNC, record_type, record_id, user_id)


def run_unsync(record_type: str, record_id: int, user_id: int | None = None) -> str:
    """Remove one row from QBO (payments and refunds are deleted there; see handlers.UNSYNC)."""
    with job_app_context():
        return _run(SyncAction.UNSYNC, record_type, record_id, user_id)


def _run(action: SyncAction, record_type: str, record_id: int, user_id) -> str:
    record = db.session.get(
        SYNCED_MODELS[record_type], record_id, options=handlers.ROW_LOADS.get(record_type, ())
    )
    if record is None or record.qbo_status is not action.pending_status:
        db.session.rollback()
        return "skipped: the row is no longer pending"
    # One job per row at a time, even if the sweeper re-enqueued a job that is still running.
    # A lease: renewed while this process lives, gone within seconds when it is killed.
    seconds = current_app.config["JOB_LEASE_SECONDS"]
    with held_lease(row_lock_key(record_type, record_id), seconds) as held:
        if not held:
            db.session.rollback()
            return "skipped: another job holds the row"
        return _attempt(action, record, user_id)


def _attempt(action: SyncAction, record, user_id) -> str:
    user = db.session.get(User, user_id) if user_id else None
    firm = db.session.get(Firm, record.firm_id, options=[joinedload(Firm.qbo_connection)])
    handler = HANDLERS[action][type(record).RECORD_TYPE]
    try:
        with open_job_context(firm, user) as ctx:
            handler(ctx, record)
            # The job's one commit, straight after QBO answered, so nothing can lose the answer.
            ctx.finish()
        return "synced" if action is SyncAction.SYNC else "unsynced"
    except Exception as error:
        db.session.rollback()
        return _after_failure(action, record, user, firm, error)


def _after_failure(action: SyncAction, record, user, firm, error: Exception) -> str:
    if isinstance(error, QboThrottled):
        return _wait_for_room(action, record, user, error)
    if isinstance(error, RETRYABLE) and _will_retry():
        mark_retrying(record, user, action, error, _next_attempt_at())
        db.session.commit()
        raise error
    if isinstance(error, INFRASTRUCTURE_ERRORS):
        kind = type(record).RECORD_TYPE
        log.warning("%s of %s %s left for the sweeper: %s", action, kind, record.id, error)
        return "pending: left for the sweeper"
    if not isinstance(error, (QboError, Blocked, DependencyBusy)):
        log.exception("%s of %s %s crashed", action, type(record).RECORD_TYPE, record.id)
    reason, message = fail_row(record, action, user, error)
    connection = firm.qbo_connection
    if isinstance(error, (QboRefreshFailed, QboAuthError)) and connection is not None:
        connection.refresh_failing = True
        connection.last_error = message
    db.session.commit()
    return f"failed: {reason.value}"


def _wait_for_room(action: SyncAction, record, user, error: QboThrottled) -> str:
    """QuickBooks answered 429, or our limiter found no room: a wait, never a verdict on the row.

    The row stays pending and says when it tries again, and a fresh job comes back then (after
    Intuit's minute for a 429, the first retry interval when only our limiter was full), so a
    busy QuickBooks spends none of the row's retries and never shows as Failed.
    """
    config = current_app.config
    if isinstance(error, NoFreeSlot):
        wait = (config["QBO_RETRY_INTERVALS"] or [0])[0]
    else:
        wait = config["QBO_THROTTLE_COOLDOWN_SECONDS"]
    wait = max(wait, 1)
    mark_retrying(record, user, action, error, utcnow() + timedelta(seconds=wait))
    db.session.commit()
    user_id = user.id if user else None
    try:
        RowJob(action, type(record).RECORD_TYPE, record.id, user_id, delay=wait).enqueue()
    except RedisError as redis_error:
        # The row stays pending with no job; the sweeper gives it one.
        log.warning("could not queue the wait of %s %s: %s", action, record.id, redis_error)
    return f"waiting: QuickBooks is busy, again in {wait} s"


def _will_retry() -> bool:
    job = get_current_job()
    return job is not None and job.should_retry


def _next_attempt_at():
    """When RQ runs the job again: now plus the retry interval it is about to use."""
    return utcnow() + timedelta(seconds=get_current_job().get_retry_interval())


def on_job_failure(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback: a job that died outside our `try` leaves its row Failed, not pending.

    An infrastructure error is no verdict on the row: it stays pending and the sweeper revives it.
    Neither is a worker that was killed mid-job (RQ reports it later as AbandonedJobError).
    """
    if job.should_retry or issubclass(exc_type, (*INFRASTRUCTURE_ERRORS, AbandonedJobError)):
        return
    try:
        record_type, record_id = job.args[0], job.args[1]
        user_id = job.args[2] if len(job.args) > 2 else None
    except (IndexError, TypeError):
        return
    with job_app_context():
        model = SYNCED_MODELS.get(record_type)
        record = db.session.get(model, record_id) if model else None
        action = pending_action(record) if record is not None else None
        if action is None:
            return
        user = db.session.get(User, user_id) if user_id else None
        message = N_("The sync job stopped unexpectedly (%(error)s)") % {
            "error": f"{exc_type.__name__}: {exc_value}"
        }
        mark_action_failed(record, action, user, SyncReason.INTERNAL_ERROR, message)
        db.session.commit()


def refresh_accounts(firm_id: int) -> int:
    """Read the company name and its active Bank and Other Current Asset accounts into QboAccount.

    Returns:
        How many accounts are offered for deposits.

    Raises:
        QboError: QBO failed; the connection keeps the error and the page keeps the old list.
    """
    with job_app_context():
        firm = db.session.get(Firm, firm_id)
        if firm is None:
            return 0
        try:
            with open_job_context(firm, None) as ctx:
                offered = refresh_company_cache(ctx)
                ctx.finish()
        except QboNotConnected:
            db.session.rollback()
            return 0
        except QboError as error:
            db.session.rollback()
            firm.qbo_connection.last_error = str(error)
            db.session.commit()
            raise
        return offered
