"""The job behind webhooks: re-read what changed in QBO and bring linked rows up to date."""

from __future__ import annotations

from ..extensions import db
from ..models import Firm, Invoice, Payment, Refund, SyncStatus
from .context import job_app_context, open_job_context
from .errors import QboFault, QboNotConnected
from .state import mark_unsynced

MODELS = {"Payment": Payment, "Invoice": Invoice, "RefundReceipt": Refund}
GONE = ("delete", "deleted", "void", "voided", "merge", "merged")


def process_webhook_events(events: list[dict]) -> int:
    """Apply webhook events to our rows; the job commits once per event.

    Args:
        events: from webhooks.parse_events: realm, entity, id, operation.

    Returns:
        How many rows changed.
    """
    changed = 0
    with job_app_context():
        for event in events:
            model = MODELS[event["entity"]]
            rows = list(
                db.session.execute(
                    db.select(model).where(
                        model.qbo_realm_id == event["realm"],
                        model.qbo_id == event["id"],
                        model.qbo_status == SyncStatus.SYNCED,
                    )
                ).scalars()
            )
            for row in rows:
                if _apply(row, event):
                    changed += 1
            db.session.commit()
    return changed


def _apply(row, event) -> bool:
    gone = event["operation"] in GONE
    current = None
    if not gone:
        try:
            with open_job_context(db.session.get(Firm, row.firm_id), None) as ctx:
                current = ctx.client.read(event["entity"], event["id"])
        except QboNotConnected:
            return False
        except QboFault as error:
            if error.code != "610":
                raise
            gone = True
        if current is not None and current.get("PrivateNote", "").startswith("Voided"):
            gone = True
    if gone:
        what = "voided" if event["operation"].startswith("void") else "deleted"
        mark_unsynced(row, None, action="webhook", message=f"This was {what} in QuickBooks.")
        return True
    row.qbo_sync_token = str(current.get("SyncToken", row.qbo_sync_token))
    return False
