"""RQ entry points that bring QBO's changes in: after webhooks, on a schedule, on demand.

Every path runs the same CDC catch-up for a firm (cdc.py). One catch-up per firm runs at a
time; a request that arrives while one runs asks it to go round once more, so an event stored
after the running one started is never left behind. 429, 5xx and timeouts are retried by RQ
like sync jobs; when the retries run out the error shows on the Settings page and the stored
webhook events wait for the next scheduled catch-up.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from rq import Retry, get_current_job

from ..extensions import db
from ..i18n import N_
from ..models import Firm, QboConnection, QboWebhookEvent, utcnow
from ..queue import AfterCommitJob, enqueue_after_commit, enqueue_job, get_redis
from . import cdc
from .context import job_app_context, open_job_context
from .echoes import echoes_of_our_creates
from .errors import QboError, QboFault, QboThrottled, QboUnavailable

log = logging.getLogger(__name__)

CATCH_UP_JOB = "webapp.quickbooks.cdc_jobs.run_catch_up"
INBOX_JOB = "webapp.quickbooks.cdc_jobs.process_inbox"
SCHEDULE_JOB = "webapp.quickbooks.cdc_jobs.catch_up_all"
ROUNDS = 3
INBOX_KEPT = timedelta(days=30)


def _retry() -> Retry | None:
    intervals = current_app.config["QBO_RETRY_INTERVALS"]
    return Retry(max=len(intervals), interval=list(intervals)) if intervals else None


def request_catch_up(firm_id: int, full: bool = False) -> AfterCommitJob:
    """Register a catch-up (or a full re-read) of the firm's company for after the commit."""
    return enqueue_after_commit(AfterCommitJob(CATCH_UP_JOB, firm_id, full, retry=_retry()))


def request_inbox_processing(realm_id: str) -> None:
    """Enqueue the processing of a company's stored webhook events (one job per burst)."""
    redis = get_redis()
    if redis.set(f"qbo:inbox-queued:{realm_id}", "1", nx=True, ex=30):
        enqueue_job(INBOX_JOB, realm_id, retry=_retry())


def _lock_key(firm_id: int) -> str:
    return f"qbo:cdc-lock:{firm_id}"


def _again_key(firm_id: int) -> str:
    return f"qbo:cdc-again:{firm_id}"


def process_inbox(realm_id: str) -> str:
    """Catch up every firm connected to the company the stored events came from."""
    with job_app_context():
        get_redis().delete(f"qbo:inbox-queued:{realm_id}")
        if not settle_late_echoes(realm_id):
            return "only echoes of our own writes"
        firm_ids = list(
            db.session.execute(
                db.select(QboConnection.firm_id).where(QboConnection.realm_id == realm_id)
            ).scalars()
        )
        results = [_catch_up(firm_id, False) for firm_id in firm_ids]
        if not firm_ids:
            # No firm of ours is connected to it: nothing will ever need these events.
            db.session.execute(
                db.update(QboWebhookEvent)
                .where(QboWebhookEvent.realm_id == realm_id, QboWebhookEvent.processed_at.is_(None))
                .values(processed_at=utcnow(), last_error="No firm is connected to this company")
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
        return ", ".join(results) or "no firm connected"


def settle_late_echoes(realm_id: str) -> int:
    """Mark processed the stored events that turn out to be echoes of our own creates.

    QuickBooks may deliver a create's webhook before our job has stored the create's answer, so
    the echo was not recognisable when it arrived (echoes.py); by now it is, and it costs no
    catch-up. Returns how many of the company's events are still waiting.
    """
    waiting = db.session.scalars(
        db.select(QboWebhookEvent).where(
            QboWebhookEvent.realm_id == realm_id, QboWebhookEvent.processed_at.is_(None)
        )
    ).all()
    echoes = echoes_of_our_creates(
        [
            {
                "event_id": event.event_id,
                "realm": event.realm_id,
                "entity": event.entity,
                "id": event.entity_id,
                "operation": event.operation,
            }
            for event in waiting
        ]
    )
    now = utcnow()
    for event in waiting:
        if event.event_id in echoes:
            event.processed_at = now
    db.session.commit()
    return len(waiting) - len(echoes)


def run_catch_up(firm_id: int, full: bool = False) -> str:
    """Catch up one firm's company (or re-read it in full); see cdc.catch_up."""
    with job_app_context():
        return _catch_up(firm_id, full)


def _will_retry() -> bool:
    job = get_current_job()
    return job is not None and job.should_retry


def _catch_up(firm_id: int, full: bool) -> str:
    redis = get_redis()
    lock = redis.lock(
        _lock_key(firm_id), timeout=current_app.config["JOB_TIMEOUT"] + 60, blocking=False
    )
    if not lock.acquire(blocking=False):
        redis.set(_again_key(firm_id), "1", ex=3600)
        return "another catch-up is running; it goes round again"
    try:
        result = "nothing to do"
        for _ in range(ROUNDS):
            redis.delete(_again_key(firm_id))
            result = _round(firm_id, full)
            full = False
            if not redis.get(_again_key(firm_id)):
                break
        return result
    finally:
        try:
            lock.release()
        except Exception:
            log.warning("catch-up lock of firm %s expired before release", firm_id)


def _round(firm_id: int, full: bool) -> str:
    firm = db.session.get(Firm, firm_id)
    connection = firm.qbo_connection if firm else None
    if connection is None or not connection.is_connected:
        db.session.rollback()
        return "not connected"
    try:
        with open_job_context(firm, None) as ctx:
            outcome = cdc.full_reread(ctx) if full else cdc.catch_up(ctx)
            if ctx.client.last_success:
                connection.last_success_at = utcnow()
            # Commit before the client closes: its call counts are written in a transaction
            # of their own, which SQLite would make wait behind this one.
            db.session.commit()
        return ", ".join(f"{k} {v}" for k, v in sorted(outcome.items()))
    except Exception as error:
        db.session.rollback()
        transient = isinstance(error, (QboUnavailable, QboThrottled))
        if transient and _will_retry():
            raise
        if not isinstance(error, QboError):
            log.exception("catch-up of firm %s crashed", firm_id)
        connection = db.session.get(QboConnection, connection.id)
        connection.cdc_error = _describe(error)
        connection.cdc_checked_at = utcnow()
        db.session.commit()
        return f"failed: {connection.cdc_error}"


def _describe(error: Exception) -> str:
    if isinstance(error, (QboUnavailable, QboThrottled)):
        return N_(
            "QuickBooks did not answer after several tries; it is tried again later. (%(reason)s)"
        ) % {"reason": error}
    if isinstance(error, QboFault):
        return N_("QuickBooks refused the catch-up (code %(code)s): %(qbo)s") % {
            "code": error.code,
            "qbo": error.qbo_message,
        }
    return N_("The catch-up stopped unexpectedly: %(error)s") % {"error": error}


def catch_up_all() -> int:
    """The scheduled catch-up: every connected firm not caught up for an interval.

    Returns:
        How many catch-ups were enqueued.
    """
    with job_app_context():
        interval = timedelta(seconds=current_app.config["QBO_CDC_INTERVAL_SECONDS"])
        due = utcnow() - interval
        firm_ids = [
            connection.firm_id
            for connection in db.session.execute(db.select(QboConnection)).scalars()
            if connection.is_connected
            and (
                connection.cdc_checked_at is None
                or connection.cdc_checked_at < due
                # Just reconnected: catch up on what happened while it was away.
                or (connection.connected_at and connection.connected_at > connection.cdc_checked_at)
            )
        ]
        for firm_id in firm_ids:
            request_catch_up(firm_id)
        # Processed webhook events are kept a while for support questions, then dropped.
        db.session.execute(
            db.delete(QboWebhookEvent)
            .where(QboWebhookEvent.processed_at < utcnow() - INBOX_KEPT)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()  # the catch-ups go out with it
        return len(firm_ids)
