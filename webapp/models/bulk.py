"""Bulk runs: many rows sent to (or removed from) QuickBooks as one job the user can watch.

The run and its items live in the database, not in RQ: the progress panel reads them, a page
reload finds them again, and the sweeper revives a run whose worker died. Each row's own sync
status stays the truth about the row; the run only says which rows it took on.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .firm import User
from .types import UTCDateTime, utcnow


class BulkScope(StrEnum):
    """What the user asked for."""

    SELECTED = "selected"  # "Sync selected" / "Unsync selected" on a list
    FAILED = "failed"  # "Retry all failed"
    BACKLOG = "backlog"  # "Send everything to QuickBooks"


class ItemState(StrEnum):
    QUEUED = "queued"  # waiting for a worker
    SENDING = "sending"  # taken by one worker's batch
    FINISHED = "finished"  # the row reached Synced, Failed or Not synced
    CANCELLED = "cancelled"  # the run was cancelled before it was sent; the row went back


class BulkRun(db.Model):
    """One bulk action: who started it, on what, and how far it got."""

    __tablename__ = "bulk_run"
    __table_args__ = (Index("ix_bulk_run_firm_finished", "firm_id", "finished_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(8))  # "sync" or "unsync"
    scope: Mapped[str] = mapped_column(String(16))  # a BulkScope value
    # The list it was started from ("payment", ...); None for "Send everything".
    record_type: Mapped[str | None] = mapped_column(String(16))
    # Rows are sent in dependency order (clients before invoices before payments before
    # refunds, the reverse when deleting): the stage now being worked on.
    stage: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    cancelled: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the last row of the run reached a final status (or the run was cancelled and
    # its last batch in flight came back).
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Why the run stopped early, when it did (for example QuickBooks was disconnected).
    message: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    @property
    def left(self) -> int:
        return max(self.total - self.done - self.failed - self.cancelled, 0)

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None


class BulkRunItem(db.Model):
    """One row taken on by a run, with the status it had before (restored if cancelled)."""

    __tablename__ = "bulk_run_item"
    __table_args__ = (
        Index("ix_bulk_run_item_run_state", "run_id", "state", "stage"),
        Index("ix_bulk_run_item_record", "record_type", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("bulk_run.id"))
    stage: Mapped[int] = mapped_column(default=0)
    record_type: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int]
    previous_status: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(10), default=ItemState.QUEUED.value)
    # Which worker's batch holds the item while it is being sent (a random token).
    claim: Mapped[str | None] = mapped_column(String(32))
    # Batches that ended without an answer for this row (QBO unreachable, worker killed).
    attempts: Mapped[int] = mapped_column(default=0)
