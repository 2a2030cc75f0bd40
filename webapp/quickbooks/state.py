"""The sync state machine: every change of a row's QuickBooks status, each with its history line.

    Not synced / Failed / Skipped --claim--> Syncing… --> Synced | Failed
    Synced --claim--> Unsyncing… --> Not synced | Synced (with "Unsync failed: …")

`claim` is the only way into a pending status: a compare-and-set in the database, so of two
clicks or two jobs exactly one wins. Nothing here commits; the view or the job that called
does, once.
"""

from __future__ import annotations

import re
from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.orm import object_session
from sqlalchemy.orm.attributes import set_committed_value

from ..i18n import N_
from ..models import (
    PENDING_STATUSES,
    SYNCABLE_STATUSES,
    SyncEvent,
    SyncReason,
    SyncStatus,
    utcnow,
)
from .errors import (
    Blocked,
    DependencyBusy,
    QboAuthError,
    QboFault,
    QboNotConnected,
    QboRefreshFailed,
    QboThrottled,
    QboUnavailable,
)

NOT_CONNECTED = N_(
    "QuickBooks is not connected. Connect it in Settings > Integrations > QuickBooks."
)
RECONNECT = N_(
    "QuickBooks refused our connection. Reconnect in Settings > Integrations > QuickBooks."
)
QUEUE_UNREACHABLE = N_("The background queue is not reachable. Try again in a minute.")
# "This requestid was already used for another request": an earlier attempt may have created
# the object, so the row keeps its requestid (and keeps getting QBO's answer to it).
REQUESTID_REUSED = "600"
# Messages with QuickBooks' own words (or another message of ours) in them: stored in English,
# translated where shown, the inserted words kept as they were (i18n.translated).
UNSYNC_FAILED = N_("Unsync failed: %(reason)s")
RECONNECT_SAID = N_(
    "QuickBooks refused our connection. Reconnect in Settings > Integrations > QuickBooks. "
    "QuickBooks said: %(qbo)s"
)
NO_ANSWER = N_(
    "QuickBooks did not answer after several tries; sync again later. Last error: %(reason)s"
)
REFUSED = N_("QuickBooks refused it (code %(code)s): %(qbo)s")
STOPPED = N_("The sync stopped unexpectedly: %(error)s")


class SyncAction(StrEnum):
    """What a job does to a row; stored as the history line's action."""

    SYNC = "sync"
    UNSYNC = "unsync"

    @property
    def pending_status(self) -> SyncStatus:
        return SyncStatus.SYNCING if self is SyncAction.SYNC else SyncStatus.UNSYNCING

    @property
    def start_statuses(self) -> tuple[SyncStatus, ...]:
        """The statuses a row may be claimed from for this action."""
        return SYNCABLE_STATUSES if self is SyncAction.SYNC else (SyncStatus.SYNCED,)


def claim(record, from_statuses, to_status: SyncStatus) -> bool:
    """Compare-and-set the row's status in the database; True if this caller won."""
    model = type(record)
    values = dict(
        qbo_status=to_status,
        qbo_status_changed_at=utcnow(),
        qbo_reason=None,
        qbo_message=None,
        qbo_error_code=None,
        qbo_retry_at=None,
    )
    claimed = (
        object_session(record)
        .execute(
            update(model)
            .where(model.id == record.id, model.qbo_status.in_(from_statuses))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        .rowcount
    )
    if claimed != 1:
        return False
    for name, value in values.items():  # what the UPDATE wrote, without reading the row again
        set_committed_value(record, name, value)
    return True


def start(record, action: SyncAction, user, message=None, from_statuses=None) -> bool:
    """Claim the row for `action` and say so in its history; False if it was not ours to claim."""
    if not claim(record, from_statuses or action.start_statuses, action.pending_status):
        return False
    record_history(record, user, action, "queued", message=message)
    return True


def record_history(
    record, user, action: str, outcome: str, message=None, qbo_id=None, summary=None
) -> SyncEvent:
    """Add one line to the row's sync history (action: a SyncAction, "create", "webhook", …)."""
    event = SyncEvent(
        firm_id=record.firm_id,
        record_type=type(record).RECORD_TYPE,
        record_id=record.id,
        user_id=user.id if user else None,
        action=str(action),
        outcome=outcome,
        qbo_id=qbo_id or record.qbo_id,
        request_summary=summary,
        message=message,
    )
    object_session(record).add(event)
    return event


def mark_retrying(record, user, action: SyncAction, error: Exception, retry_at) -> None:
    """QuickBooks did not answer (or asked us to slow down); the row stays pending until `retry_at`.

    The row shows it ("QuickBooks is not answering; retrying at 10:42") instead of looking stuck.
    """
    record.qbo_retry_at = retry_at
    record_history(record, user, action, "retrying", message=str(error))


def mark_synced(
    record,
    qbo_object: dict,
    realm_id: str,
    user,
    action=SyncAction.SYNC,
    message=None,
    summary=None,
) -> None:
    """The row exists in QBO: store its Id and SyncToken with the Synced status."""
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
    # Both sides agree again: whatever QuickBooks had changed on its own is settled.
    record.qbo_remote_state = None
    record.qbo_remote_diff = None
    record_history(record, user, action, "synced", message=message, summary=summary)


def mark_skipped(record, user, reason: SyncReason, message: str, action="create") -> None:
    """The row is not sent, on purpose; the message says why."""
    record.qbo_status = SyncStatus.SKIPPED
    record.qbo_reason = reason.value
    record.qbo_message = message
    record.qbo_status_changed_at = utcnow()
    record_history(record, user, action, "skipped", message=message)


def mark_failed(
    record, user, reason: SyncReason, message: str, code=None, action=SyncAction.SYNC, summary=None
) -> None:
    """The sync failed for good: keep QBO's message and code and our reason."""
    record.qbo_status = SyncStatus.FAILED
    record.qbo_reason = reason.value
    record.qbo_message = message
    record.qbo_error_code = code
    record.qbo_status_changed_at = utcnow()
    record_history(record, user, action, "failed", message=message, summary=summary)


def mark_unsynced(record, user, action=SyncAction.UNSYNC, message=None) -> None:
    """The row no longer points at a QBO object; the next create gets a fresh requestid."""
    old_id = record.qbo_id
    record.qbo_status = SyncStatus.NOT_SYNCED
    record.qbo_id = None
    record.qbo_sync_token = None
    record.qbo_realm_id = None
    record.qbo_reason = None
    record.qbo_message = message
    record.qbo_error_code = None
    record.qbo_sync_generation = (record.qbo_sync_generation or 0) + 1
    record.qbo_status_changed_at = utcnow()
    record_history(record, user, action, "not_synced", message=message, qbo_id=old_id)


def mark_unsync_failed(record, user, reason: SyncReason, message: str, code=None) -> None:
    """An unsync that failed leaves the row in QBO, so it is Synced again, with the message."""
    record.qbo_status = SyncStatus.SYNCED
    record.qbo_reason = reason.value
    record.qbo_message = UNSYNC_FAILED % {"reason": message}
    record.qbo_error_code = code
    record.qbo_status_changed_at = utcnow()
    record_history(record, user, SyncAction.UNSYNC, "failed", message=message)


def mark_action_failed(
    record, action: SyncAction, user, reason: SyncReason, message: str, code=None
) -> None:
    """End a pending `action` as failed: Failed after a sync, Synced again after an unsync."""
    if action is SyncAction.SYNC:
        mark_failed(record, user, reason, message, code)
    else:
        mark_unsync_failed(record, user, reason, message, code)


def pending_action(record) -> SyncAction | None:
    """The action a pending row is waiting for, or None when it is not pending."""
    if record.qbo_status not in PENDING_STATUSES:
        return None
    return SyncAction.SYNC if record.qbo_status is SyncStatus.SYNCING else SyncAction.UNSYNC


# Failures: our reason, a plain message (with QBO's own words) and QBO's code -----------------


def describe(error: Exception) -> tuple[SyncReason, str, str | None]:
    """Our reason, a plain message and QBO's code for an attempt that ended with `error`."""
    if isinstance(error, Blocked):
        # Blocked on QBO's answer (a name clash, a deposit account gone): the row shows its code.
        fault = error.__cause__
        return error.reason, str(error), fault.code if isinstance(fault, QboFault) else None
    if isinstance(error, QboNotConnected):
        return SyncReason.NOT_CONNECTED, NOT_CONNECTED, None
    if isinstance(error, QboRefreshFailed):
        return SyncReason.AUTH_FAILED, RECONNECT, None
    if isinstance(error, QboAuthError):
        return (
            SyncReason.AUTH_FAILED,
            RECONNECT_SAID % {"qbo": error.qbo_message},
            error.code,
        )
    if isinstance(error, DependencyBusy):
        return SyncReason.DEPENDENCY_BUSY, str(error), None
    if isinstance(error, (QboUnavailable, QboThrottled)):
        return (
            SyncReason.QBO_UNAVAILABLE,
            NO_ANSWER % {"reason": _first_clause(str(error))},
            getattr(error, "code", None),
        )
    if isinstance(error, QboFault):
        return (
            SyncReason.QBO_FAULT,
            REFUSED % {"code": error.code, "qbo": error.qbo_message},
            error.code,
        )
    return SyncReason.INTERNAL_ERROR, STOPPED % {"error": error}, None


def refused_by_qbo(error: Exception) -> bool:
    """Whether QBO answered with a Fault and did nothing (401 and 429 aside).

    QBO stores its answer under the requestid, refusals included, so a row retried after such a
    failure must send a new requestid or it gets the same refusal forever, even once the user
    fixed the cause in QuickBooks. Timeouts and 5xx are not refusals: QBO may have done the
    work, and only the same requestid keeps their retry from creating a second object.
    """
    fault = error.__cause__ if isinstance(error, Blocked) else error
    return (
        isinstance(fault, QboFault)
        and not isinstance(fault, (QboAuthError, QboThrottled))
        and fault.code != REQUESTID_REUSED
    )


def fail_row(record, action: SyncAction, user, error: Exception) -> tuple[SyncReason, str]:
    """End the row's pending `action` with `error`; a refusal by QBO gets a new requestid.

    Returns:
        Our reason and the plain message (see describe).
    """
    reason, message, code = describe(error)
    message = in_our_words(message, record)
    mark_action_failed(record, action, user, reason, message, code)
    if refused_by_qbo(error):
        record.qbo_sync_generation = (record.qbo_sync_generation or 0) + 1
    return reason, message


# QuickBooks names objects by its internal ids ("(Invoice 146)"); the row names them as we do.
_QBO_REFERENCE = re.compile(r"\b(Invoice|Payment|Customer|RefundReceipt) (\d+)\b")
_ENTITIES = {
    "client": "Customer",
    "invoice": "Invoice",
    "payment": "Payment",
    "refund": "RefundReceipt",
}


def in_our_words(message: str, record) -> str:
    """Replace QBO's ids of the row and of the rows it hangs on with our numbers and names."""
    ours = {}
    for row in _related_rows(record):
        if row is not None and row.qbo_id:
            ours[(_ENTITIES[row.RECORD_TYPE], str(row.qbo_id))] = _our_name(row)
    if not ours:
        return message
    return _QBO_REFERENCE.sub(lambda m: ours.get((m.group(1), m.group(2)), m.group(0)), message)


def _related_rows(record) -> list:
    kind = record.RECORD_TYPE
    if kind == "invoice":
        return [record, record.client]
    if kind == "payment":
        return [record, record.invoice, record.client]
    if kind == "refund":
        return [record, record.payment]
    return [record]


def _our_name(row) -> str:
    kind = row.RECORD_TYPE
    if kind == "invoice":
        return row.number
    if kind == "client":
        return row.display_name
    return f"{kind} of {row.amount:,.2f}"


def _first_clause(text: str, limit: int = 160) -> str:
    """A transport error's first clause: urllib3's pool and socket details help nobody here."""
    return text if len(text) <= limit else text.split(" (", 1)[0]
