"""Rows that need someone's attention: Failed, or changed, deleted or voided in QuickBooks."""

from __future__ import annotations

from sqlalchemy import func

from ..extensions import db
from ..models import SYNCED_MODELS, RemoteState, SyncStatus

GONE = (RemoteState.DELETED, RemoteState.VOIDED, RemoteState.MERGED)


def attention_counts(firm_id: int) -> dict[str, int]:
    """{"failed", "changed", "deleted", "total"} over every synced list of the firm.

    Deleted counts what QuickBooks deleted, voided or merged away; "changed" also counts
    customers made inactive there. Two small queries per list, each answered from an index on
    (firm, status) or (firm, QuickBooks' side), so every page can afford them at 100,000 rows.
    """
    counts = {"failed": 0, "changed": 0, "deleted": 0}
    for model in SYNCED_MODELS.values():
        counts["failed"] += db.session.scalar(
            db.select(func.count()).where(
                model.firm_id == firm_id, model.qbo_status == SyncStatus.FAILED
            )
        )
        by_state = db.session.execute(
            db.select(model.qbo_remote_state, func.count())
            .where(model.firm_id == firm_id, model.qbo_remote_state.is_not(None))
            .group_by(model.qbo_remote_state)
        )
        for state, count in by_state:
            counts["deleted" if state in GONE else "changed"] += count
    counts["total"] = sum(counts.values())
    return counts
