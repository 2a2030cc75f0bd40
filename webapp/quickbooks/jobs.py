"""RQ entry points: thin functions that take ids, reload rows, and record how each attempt ended.

The row's status in the database is the only truth: a job that finds its row no longer
Syncing…/Unsyncing… does nothing. 429, 5xx and timeouts are re-raised while RQ has retries left
(the row stays pending); after the last one the row is Failed. A job that dies outside our
`try` is marked Failed by `on_job_failure`; one that vanishes is revived by sweeper.py.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import current_app, has_app_context
from rq import get_current_job

from ..extensions import db
from ..models import (
    PENDING_STATUSES,
    SYNCED_MODELS,
    Firm,
    QboConnection,
    SyncReason,
    SyncStatus,
    User,
    utcnow,
)
from ..queue import get_redis
from . import handlers, mapping
from .client import QboClient
from .errors import (
    QboAuthError,
    QboError,
    QboFault,
    QboNotConnected,
    QboRefreshFailed,
    QboThrottled,
    QboUnavailable,
)
from .oauth import ConnectionTokens
from .sync import (
    history,
    mark_failed,
    mark_unsync_failed,
    row_lock_key,
)

log = logging.getLogger(__name__)

NOT_CONNECTED = "QuickBooks is not connected. Connect it in Settings > Integrations > QuickBooks."
RECONNECT = "QuickBooks refused our connection. Reconnect in Settings > Integrations > QuickBooks."
_app = None


@contextmanager
def app_context():
    """The worker script pushes an app context; anything else (rq CLI) gets one here."""
    global _app
    if has_app_context():
        yield
        return
    if _app is None:
        from .. import create_app

        _app = create_app()
    with _app.app_context():
        yield


@dataclass
class JobContext:
    """What a handler needs: the firm, its company, an API client, who asked."""

    config: dict
    firm: Firm
    connection: QboConnection
    client: QboClient
    redis: object
    user: User | None
    realm_id: str = field(init=False)

    def __post_init__(self):
        self.realm_id = self.connection.realm_id

    def requestid(self, record, operation: str) -> str:
        return mapping.requestid(
            mapping.firm_namespace(self.firm),
            type(record).RECORD_TYPE,
            record.id,
            record.qbo_sync_generation or 0,
            operation,
        )

    def run_nested(self, record, handler) -> None:
        """Run another row's sync inside this job; on any failure that row is Failed too."""
        try:
            handler(self, record)
            db.session.commit()
        except Exception as error:
            db.session.rollback()
            fail_row(record, self.user, error)
            db.session.commit()
            raise


def _make_context(firm: Firm, connection: QboConnection, user) -> JobContext:
    config = current_app.config
    redis = get_redis()
    tokens = ConnectionTokens(connection.id, config, redis)
    client = QboClient.from_config(connection.realm_id, tokens, config, redis)
    return JobContext(dict(config), firm, connection, client, redis, user)


def describe(error: Exception) -> tuple[SyncReason, str, str | None]:
    """Our reason, a plain message (with QBO's own words) and QBO's code for a failure."""
    if isinstance(error, handlers.Blocked):
        return error.reason, str(error), None
    if isinstance(error, QboNotConnected):
        return SyncReason.NOT_CONNECTED, NOT_CONNECTED, None
    if isinstance(error, QboRefreshFailed):
        return SyncReason.AUTH_FAILED, RECONNECT, None
    if isinstance(error, QboAuthError):
        return (
            SyncReason.AUTH_FAILED,
            f"{RECONNECT} QuickBooks said: {error.qbo_message}",
            error.code,
        )
    if isinstance(error, handlers.DependencyBusy):
        return SyncReason.DEPENDENCY_BUSY, str(error), None
    if isinstance(error, (QboUnavailable, QboThrottled)):
        return (
            SyncReason.QBO_UNAVAILABLE,
            f"QuickBooks did not answer after several tries; sync again later. Last error: {error}",
            getattr(error, "code", None),
        )
    if isinstance(error, QboFault):
        return (
            SyncReason.QBO_FAULT,
            f"QuickBooks rejected it (code {error.code}): {error.qbo_message}",
            error.code,
        )
    return SyncReason.INTERNAL_ERROR, f"The sync stopped unexpectedly: {error}", None


TRANSIENT = (QboUnavailable, QboThrottled, handlers.DependencyBusy)
# "This requestid was already used for another request": an earlier attempt may have created
# the object, so the row keeps its requestid (and keeps getting QBO's answer to it).
REQUESTID_REUSED = "600"


def refused_by_qbo(error: Exception) -> bool:
    """Whether QBO answered with a Fault and did nothing (401 and 429 aside).

    QBO stores its answer under the requestid, refusals included, so a row retried after such a
    failure must send a new requestid or it gets the same refusal forever, even once the user
    fixed the cause in QuickBooks. Timeouts and 5xx are not refusals: QBO may have done the
    work, and only the same requestid keeps their retry from creating a second object.
    """
    fault = error.__cause__ if isinstance(error, handlers.Blocked) else error
    return (
        isinstance(fault, QboFault)
        and not isinstance(fault, (QboAuthError, QboThrottled))
        and fault.code != REQUESTID_REUSED
    )


def fail_row(record, user, error: Exception, action: str = "sync") -> tuple[SyncReason, str]:
    """Record a failed attempt on the row (the caller commits); a refusal gets a new requestid.

    Returns:
        Our reason and the plain message (see describe).
    """
    reason, message, code = describe(error)
    fail = mark_failed if action == "sync" else mark_unsync_failed
    fail(record, user, reason, message, code)
    if refused_by_qbo(error):
        record.qbo_sync_generation = (record.qbo_sync_generation or 0) + 1
    return reason, message


def _will_retry() -> bool:
    job = get_current_job()
    return job is not None and job.should_retry


def run_sync(record_type: str, record_id: int, user_id: int | None = None) -> str:
    """Send one row to QBO.

    Args:
        record_type: "client", "invoice", "payment" or "refund".
        record_id: the row's id.
        user_id: who asked (None for automatic syncs and the sweeper).

    Returns:
        What happened, for RQ's result ("synced", "failed", "skipped: ...").

    Raises:
        QboUnavailable, QboThrottled: while RQ has retries left, so it retries with backoff.
    """
    with app_context():
        return _run("sync", record_type, record_id, user_id)


def run_unsync(record_type: str, record_id: int, user_id: int | None = None) -> str:
    """Remove one row from QBO (payments and refunds are deleted there; see handlers.UNSYNC)."""
    with app_context():
        return _run("unsync", record_type, record_id, user_id)


def _run(action: str, record_type: str, record_id: int, user_id) -> str:
    model = SYNCED_MODELS[record_type]
    pending = SyncStatus.SYNCING if action == "sync" else SyncStatus.UNSYNCING
    record = db.session.get(model, record_id)
    if record is None or record.qbo_status is not pending:
        db.session.rollback()
        return "skipped: the row is no longer pending"
    redis = get_redis()
    # One job per row at a time, even if the sweeper re-enqueued a job that is still running.
    lock = redis.lock(
        row_lock_key(record_type, record_id),
        timeout=current_app.config["JOB_TIMEOUT"] + 60,
        blocking=False,
    )
    if not lock.acquire(blocking=False):
        db.session.rollback()
        return "skipped: another job holds the row"
    try:
        return _attempt(action, model, record, user_id)
    finally:
        try:
            lock.release()
        except Exception:
            log.warning("row lock for %s %s expired before release", record_type, record_id)


def _attempt(action, model, record, user_id) -> str:
    user = db.session.get(User, user_id) if user_id else None
    firm = db.session.get(Firm, record.firm_id)
    connection = db.session.execute(
        db.select(QboConnection).filter_by(firm_id=firm.id)
    ).scalar_one_or_none()
    fail = mark_failed if action == "sync" else mark_unsync_failed
    if connection is None or not connection.is_connected:
        fail(record, user, SyncReason.NOT_CONNECTED, NOT_CONNECTED)
        db.session.commit()
        return "failed: not connected"
    # End the read transaction before talking to QBO: token refreshes commit in their own session.
    db.session.commit()
    ctx = _make_context(firm, connection, user)
    handler = (handlers.SYNC if action == "sync" else handlers.UNSYNC)[model.RECORD_TYPE]
    try:
        handler(ctx, record)
        if ctx.client.last_success:
            connection.last_success_at = utcnow()
        db.session.commit()
        return "synced" if action == "sync" else "unsynced"
    except Exception as error:
        db.session.rollback()
        if isinstance(error, TRANSIENT) and _will_retry():
            history(record, user, action, "retrying", message=str(error))
            db.session.commit()
            raise
        if not isinstance(error, (QboError, handlers.Blocked, handlers.DependencyBusy)):
            log.exception("%s of %s %s crashed", action, model.RECORD_TYPE, record.id)
        reason, message = fail_row(record, user, error, action)
        if isinstance(error, (QboRefreshFailed, QboAuthError)):
            connection.refresh_failing = True
            connection.last_error = message
        db.session.commit()
        return f"failed: {reason.value}"
    finally:
        ctx.client.close()


def on_job_failure(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback: a job that died outside our `try` leaves its row Failed, not pending."""
    if job.should_retry:
        return  # RQ will run it again; the row stays Syncing…
    try:
        record_type, record_id = job.args[0], job.args[1]
        user_id = job.args[2] if len(job.args) > 2 else None
    except (IndexError, TypeError):
        return
    with app_context():
        model = SYNCED_MODELS.get(record_type)
        record = db.session.get(model, record_id) if model else None
        if record is None or record.qbo_status not in PENDING_STATUSES:
            return
        user = db.session.get(User, user_id) if user_id else None
        message = f"The sync job stopped unexpectedly ({exc_type.__name__}: {exc_value})"
        if record.qbo_status is SyncStatus.SYNCING:
            mark_failed(record, user, SyncReason.INTERNAL_ERROR, message)
        else:
            mark_unsync_failed(record, user, SyncReason.INTERNAL_ERROR, message)
        db.session.commit()


def refresh_accounts(firm_id: int) -> int:
    """Read the company name and its active Bank and Other Current Asset accounts into QboAccount.

    Returns:
        How many accounts are offered for deposits.
    """
    from .accounts import refresh_company_cache

    with app_context():
        return refresh_company_cache(firm_id, _make_context)
