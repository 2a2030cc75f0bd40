"""Webhooks that only echo our own writes: recognised from the database, at no QBO call.

Every object Ledgerbridge creates in QuickBooks comes back as a "created" webhook event a
moment later. The create's answer already gave us its Id and SyncToken "0", and a created event
can only be about version 0 of an object. So a created event for an Id that one of our Synced
rows holds at SyncToken "0" is the echo of that write: it carries nothing we do not know, and
is stored as processed without the catch-up (a metered CDC call) it would otherwise cost.
"""

from __future__ import annotations

from sqlalchemy import select, tuple_

from ..extensions import db
from ..models import ClientAccount, Invoice, Payment, Refund, SyncStatus

MODELS = {
    "Customer": ClientAccount,
    "Invoice": Invoice,
    "Payment": Payment,
    "RefundReceipt": Refund,
}
CREATED = ("create", "created")


def echoes_of_our_creates(events: list[dict]) -> set[str]:
    """The ids of the events that are the echo of a create we made (see the module docstring)."""
    echoes: set[str] = set()
    for entity, model in MODELS.items():
        created = [e for e in events if e["entity"] == entity and e["operation"] in CREATED]
        if not created:
            continue
        ours = set(
            db.session.execute(
                select(model.qbo_realm_id, model.qbo_id).where(
                    tuple_(model.qbo_realm_id, model.qbo_id).in_(
                        [(e["realm"], e["id"]) for e in created]
                    ),
                    model.qbo_status == SyncStatus.SYNCED,
                    model.qbo_sync_token == "0",
                )
            ).all()
        )
        echoes.update(e["event_id"] for e in created if (e["realm"], e["id"]) in ours)
    return echoes
