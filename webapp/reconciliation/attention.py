"""Rows that need someone's attention: Failed, or changed, deleted or voided in QuickBooks."""

from __future__ import annotations

from sqlalchemy import func, or_

from ..extensions import db
from ..models import SYNCED_MODELS, RemoteState, SyncStatus

GONE = (RemoteState.DELETED, RemoteState.VOIDED, RemoteState.MERGED)


def attention_counts(firm_id: int) -> dict[str, int]:
    """{"failed", "changed", "deleted", "total"} over every synced list of the firm.

    Deleted counts what QuickBooks deleted, voided or merged away; "changed" also counts
    customers made inactive there. A few COUNT queries, cheap enough for every page.
    """
    counts = {"failed": 0, "changed": 0, "deleted": 0}
    for model in SYNCED_MODELS.values():
        failed, changed, deleted = db.session.execute(
            db.select(
                func.count().filter(model.qbo_status == SyncStatus.FAILED),
                func.count().filter(
                    model.qbo_remote_state.in_((RemoteState.CHANGED, RemoteState.INACTIVE))
                ),
                func.count().filter(model.qbo_remote_state.in_(GONE)),
            ).where(
                model.firm_id == firm_id,
                or_(model.qbo_status == SyncStatus.FAILED, model.qbo_remote_state.is_not(None)),
            )
        ).one()
        counts["failed"] += failed
        counts["changed"] += changed
        counts["deleted"] += deleted
    counts["total"] = sum(counts.values())
    return counts
