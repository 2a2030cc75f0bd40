"""QuickBooks sync state carried by every syncable row, and the sync history."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..i18n import lazy_gettext as _l
from .types import UTCDateTime, utcnow


class SyncStatus(StrEnum):
    NOT_SYNCED = "not_synced"
    SYNCING = "syncing"
    SYNCED = "synced"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNSYNCING = "unsyncing"

    @property
    def label(self) -> str:
        return str(_LABELS[self])

    @property
    def is_final(self) -> bool:
        """False while a job is queued or running for the row: its badge keeps polling."""
        return self not in PENDING_STATUSES

    @property
    def can_sync(self) -> bool:
        return self in SYNCABLE_STATUSES

    @property
    def can_unsync(self) -> bool:
        return self is SyncStatus.SYNCED


_LABELS = {
    SyncStatus.NOT_SYNCED: _l("Not synced"),
    SyncStatus.SYNCING: _l("Syncing…"),
    SyncStatus.SYNCED: _l("Synced"),
    SyncStatus.FAILED: _l("Failed"),
    SyncStatus.SKIPPED: _l("Skipped"),
    SyncStatus.UNSYNCING: _l("Unsyncing…"),
}


class RemoteState(StrEnum):
    """What QuickBooks did to a row's object since Ledgerbridge last agreed with it."""

    CHANGED = "changed"
    DELETED = "deleted"
    VOIDED = "voided"
    # Customers only: QBO keeps name-list entries, it merges or deactivates them.
    MERGED = "merged"
    INACTIVE = "inactive"

    @property
    def label(self) -> str:
        return str(_REMOTE_LABELS[self])


_REMOTE_LABELS = {
    RemoteState.CHANGED: _l("Changed in QuickBooks"),
    RemoteState.DELETED: _l("Deleted in QuickBooks"),
    RemoteState.VOIDED: _l("Voided in QuickBooks"),
    RemoteState.MERGED: _l("Merged in QuickBooks"),
    RemoteState.INACTIVE: _l("Inactive in QuickBooks"),
}
SYNCABLE_STATUSES = (SyncStatus.NOT_SYNCED, SyncStatus.FAILED, SyncStatus.SKIPPED)
# A job is queued or running for a row in one of these; spelled here only.
PENDING_STATUSES = (SyncStatus.SYNCING, SyncStatus.UNSYNCING)


class SyncReason(StrEnum):
    """Why a row is Skipped or Failed, as a stable code; the message says it in words."""

    SYNC_OFF_FOR_PAYMENT = "sync_off_for_payment"
    SYNC_OFF_FOR_FIRM = "sync_off_for_firm"
    ALREADY_IN_QBO = "already_in_qbo"
    CLIENT_NOT_SYNCED = "client_not_synced"
    PAYMENT_NOT_SYNCED = "payment_not_synced"
    INVOICE_NOT_SYNCED = "invoice_not_synced"
    NOT_CONNECTED = "not_connected"
    QBO_FAULT = "qbo_fault"
    QBO_UNAVAILABLE = "qbo_unavailable"
    DEPENDENCY_BUSY = "dependency_busy"
    AUTH_FAILED = "auth_failed"
    NAME_CLASH = "name_clash"
    DEPOSIT_ACCOUNT_INVALID = "deposit_account_invalid"
    QUEUE_UNAVAILABLE = "queue_unavailable"
    INTERNAL_ERROR = "internal_error"
    KEPT_IN_LEDGERBRIDGE = "kept_in_ledgerbridge"


class SyncedRecordMixin:
    """Columns that hold a row's own QuickBooks state; the database is the only source of truth."""

    qbo_status: Mapped[SyncStatus] = mapped_column(
        Enum(
            SyncStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        ),
        default=SyncStatus.NOT_SYNCED,
        index=True,
    )
    qbo_id: Mapped[str | None] = mapped_column(String(64))
    qbo_sync_token: Mapped[str | None] = mapped_column(String(32))
    # The QBO company (realmId) that qbo_id belongs to.
    qbo_realm_id: Mapped[str | None] = mapped_column(String(64))
    qbo_reason: Mapped[str | None] = mapped_column(String(40))
    qbo_message: Mapped[str | None] = mapped_column(Text)
    qbo_error_code: Mapped[str | None] = mapped_column(String(16))
    qbo_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    qbo_status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # While Syncing… waits for QuickBooks to answer again: when the next attempt is due.
    qbo_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped each time the row is unsynced or QBO refuses it, so the next create is a new request.
    qbo_sync_generation: Mapped[int] = mapped_column(default=0)
    # Set when QuickBooks changed, deleted or voided the object on its own; None while both agree.
    qbo_remote_state: Mapped[RemoteState | None] = mapped_column(
        Enum(
            RemoteState,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        index=True,
    )
    # QBO's LastUpdatedTime of the newest version applied: older or repeated news is ignored.
    qbo_remote_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # For "Changed in QuickBooks": each difference, [{"field", "label", "ours", "theirs"}].
    qbo_remote_diff: Mapped[list | None] = mapped_column(JSON)

    @property
    def qbo_pending(self) -> bool:
        """A job is queued or running for what the row shows: its list keeps polling."""
        return not self.qbo_status.is_final

    @property
    def qbo_waiting_until(self) -> datetime | None:
        """When the next attempt is due, while a pending row waits for QuickBooks to answer."""
        return None if self.qbo_status.is_final else self.qbo_retry_at

    @property
    def qbo_watch_state(self) -> str:
        """What the list's poller compares: the status, and the retry time while there is one."""
        waiting = self.qbo_waiting_until
        status = self.qbo_status.value
        return f"{status}@{int(waiting.timestamp())}" if waiting else status


class SyncEvent(db.Model):
    """One line of the sync history: who did what to which row, and how it ended."""

    __tablename__ = "sync_event"
    __table_args__ = (
        Index("ix_sync_event_record", "record_type", "record_id"),
        # A list page's news asks for the firm's events since it last asked, every few seconds.
        Index("ix_sync_event_firm_created", "firm_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    record_type: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    action: Mapped[str] = mapped_column(String(24))
    outcome: Mapped[str] = mapped_column(String(16))
    qbo_id: Mapped[str | None] = mapped_column(String(64))
    request_summary: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)
