""" "Keep Ledgerbridge's version", and an edit of a synced row: send the row to QBO as we have it.

Keep ours: the row is Synced and flagged Changed in QuickBooks; its qbo_sync_token is the
version QBO holds (the catch-up stored it). Update: the row is Synced and was edited here (a
client renamed, say). Either way a sparse update with that SyncToken overwrites only the fields
Ledgerbridge manages. If QBO changed it again meanwhile (5010), the object is read once for the
new SyncToken and the update sent again. The row is Syncing… while the job runs, like a sync; a
failure leaves it Synced (it is still in QuickBooks) with QuickBooks' message.
"""

from __future__ import annotations

import logging

from flask import current_app
from redis.exceptions import RedisError
from rq import Callback, Retry

from ..extensions import db
from ..i18n import N_
from ..models import (
    SYNCED_MODELS,
    ClientAccount,
    Firm,
    Invoice,
    Payment,
    RemoteState,
    SyncStatus,
    User,
    utcnow,
)
from ..queue import AfterCommitJob, enqueue_after_commit, held_lease
from . import handlers, mapping
from .context import job_app_context, open_job_context
from .differences import qbo_time
from .errors import QboFault, QboThrottled, QboUnavailable
from .state import claim, describe, in_our_words, mark_synced, record_history, refused_by_qbo
from .sync import ROW_JOB_TTL, SyncNotAllowed, row_job_key, row_lock_key

log = logging.getLogger(__name__)

KEEP_OURS_JOB = "webapp.quickbooks.keep_ours.run_keep_ours"
ENTITIES = {
    "client": "Customer",
    "invoice": "Invoice",
    "payment": "Payment",
    "refund": "RefundReceipt",
}
ACTION = "keep_ledgerbridge"
UPDATE = "update"  # a synced row edited here
# What the row says when the update fails; it stays Synced, the object is still in QuickBooks.
FAILED_MESSAGES = {
    ACTION: N_("Keep Ledgerbridge's version failed: %(reason)s"),
    UPDATE: N_("Not changed in QuickBooks: %(reason)s"),
}
SUMMARIES = {
    ACTION: "Sent Ledgerbridge's version over QuickBooks' changes",
    UPDATE: "Sent the changes made in Ledgerbridge",
}


class KeepOursJob(AfterCommitJob):
    """Remembered per row like a sync job, so the sweeper leaves a queued one alone."""

    def enqueue(self) -> None:
        super().enqueue()
        record_type, record_id = self.args[0], self.args[1]
        try:
            self.job.connection.set(
                row_job_key(record_type, record_id), self.job.id, ex=ROW_JOB_TTL
            )
        except RedisError as error:
            log.warning("could not remember job %s for %s: %s", self.job.id, self.args, error)


def request_keep_ours(record, user) -> AfterCommitJob:
    """Mark the row Syncing… and register the update job for after the caller's commit.

    Raises:
        SyncNotAllowed: the row is not Synced and Changed in QuickBooks, or a job holds it.
    """
    if record.qbo_remote_state is not RemoteState.CHANGED:
        raise SyncNotAllowed(N_("QuickBooks has not changed this row."))
    return _request(record, user, ACTION)


def request_update(record, user) -> AfterCommitJob:
    """Send a Synced row edited here to QuickBooks: as request_keep_ours, whatever QBO did.

    Raises:
        SyncNotAllowed: the row is not Synced, or a job holds it.
    """
    return _request(record, user, UPDATE)


def _request(record, user, action: str) -> AfterCommitJob:
    if not claim(record, (SyncStatus.SYNCED,), SyncStatus.SYNCING):
        raise SyncNotAllowed(N_("A sync is already running for this row."))
    record_history(record, user, action, "queued")
    intervals = current_app.config["QBO_RETRY_INTERVALS"]
    return enqueue_after_commit(
        KeepOursJob(
            KEEP_OURS_JOB,
            record.RECORD_TYPE,
            record.id,
            user.id if user else None,
            action,
            retry=Retry(max=len(intervals), interval=list(intervals)) if intervals else None,
            on_failure=Callback("webapp.quickbooks.jobs.on_job_failure"),
        )
    )


# The customer fields a client's form fills, by the client's attribute.
CUSTOMER_FIELDS = {"email": "PrimaryEmailAddr", "phone": "PrimaryPhone", "address": "BillAddr"}


def body_for(ctx, record) -> dict:
    """Our version of the row as a sparse update body (without Id and SyncToken)."""
    if isinstance(record, ClientAccount):
        body = mapping.customer_payload(record)
    elif isinstance(record, Invoice):
        body = mapping.invoice_payload(record, record.client.qbo_id, handlers.service_item_id(ctx))
    elif isinstance(record, Payment):
        account = record.qbo_deposit_account_id or handlers.deposit_account(ctx)[0]
        body = mapping.payment_payload(
            record, record.invoice.client.qbo_id, record.invoice.qbo_id, account
        )
    else:
        payment = record.payment
        account = payment.qbo_deposit_account_id or handlers.deposit_account(ctx)[0]
        body = mapping.refund_payload(
            record, payment.invoice.client.qbo_id, handlers.service_item_id(ctx), account
        )
    body["sparse"] = True
    return body


def push(ctx, record, action: str = ACTION) -> dict:
    """Send our version with QBO's current SyncToken; a stale token (5010) re-reads once."""
    entity = ENTITIES[record.RECORD_TYPE]
    body = body_for(ctx, record)
    token = record.qbo_sync_token
    for attempt in (1, 2):
        body.update(Id=str(record.qbo_id), SyncToken=str(token))
        try:
            return ctx.client.request(
                "POST",
                entity.lower(),
                body=body,
                requestid=ctx.requestid(record, f"{action[:4]}{token}"),
            )[entity]
        except QboFault as error:
            if error.code != "5010" or attempt == 2:
                raise
            token = str(ctx.client.read(entity, record.qbo_id).get("SyncToken", token))
    raise AssertionError("unreachable")


def empty_fields_we_emptied(ctx, record, sent: dict, action: str) -> dict:
    """A client's email, phone or address emptied here is emptied in QBO too.

    A sparse update keeps what it leaves out, and whether an empty value empties a field is not
    documented (an empty email fails QBO's address check in the emulator), so a full update does
    it: QBO's object as the sparse update answered it (its SyncToken current), without those
    fields. Costs a second write, and no read, only when QBO still holds such a field.
    """
    if not isinstance(record, ClientAccount):
        return sent
    emptied = [
        key for name, key in CUSTOMER_FIELDS.items() if not getattr(record, name) and sent.get(key)
    ]
    if not emptied:
        return sent
    body = {key: value for key, value in sent.items() if key not in emptied}
    body["sparse"] = False
    requestid = ctx.requestid(record, f"{action[:4]}{sent.get('SyncToken')}")
    return ctx.client.request("POST", "customer", body=body, requestid=requestid)["Customer"]


def keep_ours(ctx, record, action: str = ACTION) -> None:
    """The job's work on one claimed row; the caller commits."""
    sent = empty_fields_we_emptied(ctx, record, push(ctx, record, action), action)
    if isinstance(record, Payment):
        record.qbo_deposit_account_id = (sent.get("DepositToAccountRef") or {}).get(
            "value", record.qbo_deposit_account_id
        )
    mark_synced(
        record,
        sent,
        ctx.realm_id,
        ctx.user,
        action=action,
        summary=SUMMARIES[action],
    )
    record.qbo_remote_state = None
    record.qbo_remote_diff = None
    record.qbo_remote_updated_at = qbo_time(sent) or record.qbo_remote_updated_at


def run_keep_ours(
    record_type: str, record_id: int, user_id: int | None = None, action: str = ACTION
) -> str:
    """RQ entry point: see the module docstring. Retried by RQ on 429, 5xx and timeouts."""
    with job_app_context():
        record = db.session.get(SYNCED_MODELS[record_type], record_id)
        if record is None or record.qbo_status is not SyncStatus.SYNCING:
            db.session.rollback()
            return "skipped: the row is no longer pending"
        # The same lease a sync job holds: one job per row, freed within seconds if killed.
        seconds = current_app.config["JOB_LEASE_SECONDS"]
        with held_lease(row_lock_key(record_type, record_id), seconds) as held:
            if not held:
                db.session.rollback()
                return "skipped: another job holds the row"
            return _attempt(record, user_id, action)


def _attempt(record, user_id, action: str) -> str:
    from .jobs import _will_retry

    user = db.session.get(User, user_id) if user_id else None
    firm = db.session.get(Firm, record.firm_id)
    try:
        with open_job_context(firm, user) as ctx:
            keep_ours(ctx, record, action)
            db.session.commit()
        return "synced"
    except Exception as error:
        db.session.rollback()
        if isinstance(error, (QboUnavailable, QboThrottled)) and _will_retry():
            record_history(record, user, action, "retrying", message=str(error))
            db.session.commit()
            raise
        reason, message, code = describe(error)
        _failed(record, user, action, reason, in_our_words(message, record), code)
        if refused_by_qbo(error):
            # QBO keeps its refusal under the requestid: the next attempt must be a new request.
            record.qbo_sync_generation = (record.qbo_sync_generation or 0) + 1
        db.session.commit()
        return f"failed: {reason.value}"


def _failed(record, user, action: str, reason, message: str, code) -> None:
    """The row is still in QuickBooks: Synced (and flagged, if it was), with the reason."""
    record.qbo_status = SyncStatus.SYNCED
    record.qbo_reason = reason.value
    record.qbo_message = FAILED_MESSAGES[action] % {"reason": message}
    record.qbo_error_code = code
    record.qbo_status_changed_at = utcnow()
    record_history(record, user, action, "failed", message=message)
