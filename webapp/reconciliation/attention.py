"""Rows that need someone's attention: Failed, or changed, deleted or voided in QuickBooks."""

from __future__ import annotations

from sqlalchemy import String, cast, func, literal, select, union_all

from ..extensions import db
from ..models import SYNCED_MODELS, RemoteState, SyncStatus

GONE = (RemoteState.DELETED, RemoteState.VOIDED, RemoteState.MERGED)


def attention_counts(firm_id: int) -> dict[str, int]:
    """{"failed", "changed", "deleted", "total"} over every synced list of the firm.

    Deleted counts what QuickBooks deleted, voided or merged away; "changed" also counts
    customers made inactive there. Two small counts per list, each answered from an index on
    (firm, status) or (firm, QuickBooks' side), so every page can afford them at 100,000 rows;
    sent as one statement, since the top bar asks on every page and each round trip to
    PostgreSQL costs about a millisecond.
    """
    parts = []
    for model in SYNCED_MODELS.values():
        parts.append(
            select(literal("failed"), func.count()).where(
                model.firm_id == firm_id, model.qbo_status == SyncStatus.FAILED
            )
        )
        state = cast(model.qbo_remote_state, String(16))  # the value stored, e.g. "deleted"
        parts.append(
            select(state, func.count())
            .where(model.firm_id == firm_id, model.qbo_remote_state.is_not(None))
            .group_by(model.qbo_remote_state)
        )
    counts = {"failed": 0, "changed": 0, "deleted": 0}
    for key, count in db.session.execute(union_all(*parts)):
        if key == "failed":
            counts["failed"] += count
        else:
            counts["deleted" if RemoteState(key) in GONE else "changed"] += count
    counts["total"] = sum(counts.values())
    return counts
