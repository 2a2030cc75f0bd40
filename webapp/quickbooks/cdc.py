"""Change data capture: read what changed in a QBO company since we last looked, in bulk.

`GET /cdc?entities=...&changedSince=...` returns the full current copy of every object changed
since then (deleted ones as tombstones), at most 1,000 objects per answer and no further back
than 30 days (docs/quickbooks.md). A catch-up pages by moving `changedSince` to the newest
change an answer held, so 10,000 changes cost about eleven calls. The connection remembers
how far the company is caught up; a company out of reach for more than 30 days can only be
re-read in full (queries, 1,000 objects a page), which Settings offers.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..extensions import db
from ..i18n import N_
from ..models import QboConnection, QboWebhookEvent, utcnow
from .differences import qbo_time
from .remote import ENTITY_MODELS, apply_objects

log = logging.getLogger(__name__)

# Applied in this order, so invoices exist before the payments applied to them are imported.
ENTITIES = ("Customer", "Invoice", "Payment", "RefundReceipt")
WINDOW = timedelta(days=30)
# Leave a margin inside the window: the call must reach QBO while changedSince is still valid.
REACH = WINDOW - timedelta(hours=1)
PAGE = 1000
OUT_OF_REACH = N_(
    "QuickBooks keeps changes for 30 days only, and this company was last caught up on "
    "%(day)s. Re-read everything from QuickBooks to catch up."
)
NEVER_CAUGHT_UP = N_(
    "QuickBooks keeps changes for 30 days only, and this company was never caught up. "
    "Re-read everything from QuickBooks to catch up."
)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _server_time(body: dict) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(body.get("time")).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


@dataclass
class Changes:
    """What a catch-up read: the objects per entity, how far that reaches, and the calls made."""

    objects: dict[str, dict[str, dict]] = field(default_factory=dict)
    through: datetime | None = None
    calls: int = 0

    def add(self, entity: str, objs: list[dict]) -> None:
        bucket = self.objects.setdefault(entity, {})
        for obj in objs:
            key = str(obj.get("Id"))
            known = bucket.get(key)
            if known is None or (qbo_time(obj) or _EPOCH) >= (qbo_time(known) or _EPOCH):
                bucket[key] = obj

    @property
    def count(self) -> int:
        return sum(len(b) for b in self.objects.values())


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _answer(body: dict) -> dict[str, list[dict]]:
    """{entity: objects} from one CDC answer (entities with no change are absent)."""
    found: dict[str, list[dict]] = {}
    for block in body.get("CDCResponse") or []:
        for response in block.get("QueryResponse") or []:
            for name, value in (response or {}).items():
                if isinstance(value, list):
                    found.setdefault(name, []).extend(v for v in value if isinstance(v, dict))
    return found


def read_changes(client, since: datetime, entities=ENTITIES) -> Changes:
    """Every change to `entities` since `since`, read with as few CDC calls as QBO allows.

    An answer holding fewer than 1,000 objects is complete. A full one was cut somewhere: each
    entity it held is asked again from its newest change (the few objects of that instant come
    twice and count once), and an entity it held nothing of is asked again from where it was.
    """
    changes = Changes()
    cursors = {name: since for name in entities}
    pending = list(entities)
    while pending:
        start = min(cursors[name] for name in pending)
        group = [name for name in pending if cursors[name] == start]
        body = client.request(
            "GET", "cdc", params={"entities": ",".join(group), "changedSince": iso(start)}
        )
        changes.calls += 1
        if changes.through is None:
            changes.through = _server_time(body) or utcnow()
        found = _answer(body)
        for name in group:
            changes.add(name, found.get(name, []))
        if sum(len(objs) for objs in found.values()) < PAGE:
            pending = [name for name in pending if name not in group]
            continue
        for name in group:
            newest = max((qbo_time(o) or start for o in found.get(name, [])), default=start)
            if found.get(name) and newest <= start:
                # A thousand changes in the same instant: CDC cannot page past it.
                raise RuntimeError(
                    f"More than {PAGE} {name} changes at {iso(start)}; re-read everything instead"
                )
            cursors[name] = newest
    return changes


def caught_up_since(connection: QboConnection) -> datetime | None:
    return connection.cdc_synced_through or connection.connected_at


def out_of_reach(connection: QboConnection, now: datetime | None = None) -> bool:
    """Whether the changes since the last catch-up are older than CDC can still return."""
    since = caught_up_since(connection)
    return since is not None and (now or utcnow()) - since > REACH


def out_of_reach_message(connection: QboConnection) -> str:
    since = caught_up_since(connection)
    if since is None:
        return NEVER_CAUGHT_UP
    return OUT_OF_REACH % {"day": since.strftime("%-d %b %Y")}


def apply_changes(firm_id: int, realm_id: str, changes: Changes, held_back=None) -> Counter:
    """Apply what was read, entity by entity, oldest change first (the caller commits)."""
    outcome = Counter()
    for entity in ENTITIES:
        objs = sorted(changes.objects.get(entity, {}).values(), key=lambda o: qbo_time(o) or _EPOCH)
        if objs:
            outcome.update(apply_objects(firm_id, realm_id, entity, objs, held_back))
    return outcome


def catch_up(ctx) -> Counter:
    """Read and apply everything the company changed since the last catch-up, then remember it.

    Webhook events of the company received before the first CDC call are marked processed:
    the catch-up covered them, whatever their delivery order.

    Returns:
        How the changed objects were applied; {"out_of_reach": 1} if CDC cannot reach back.
    """
    connection = ctx.connection
    started = utcnow()
    since = caught_up_since(connection) or started
    if out_of_reach(connection, started):
        connection.cdc_error = out_of_reach_message(connection)
        connection.cdc_checked_at = started
        return Counter(out_of_reach=1)
    changes = read_changes(ctx.client, since)
    held_back: list[datetime] = []
    outcome = apply_changes(connection.firm_id, connection.realm_id, changes, held_back)
    through = changes.through or started
    if held_back:
        # A job held some rows: the next catch-up starts just before their change, so it is
        # applied once the job is done (what was applied now is recognised and skipped).
        through = min(through, min(held_back) - timedelta(seconds=1))
    finish(connection, through, started)
    outcome["calls"] = changes.calls
    return outcome


def full_reread(ctx) -> Counter:
    """Re-read every Customer, Invoice, Payment and RefundReceipt of the company (paged queries).

    For a company out of CDC's reach: what QBO no longer lists is taken as deleted there.
    """
    connection = ctx.connection
    started = utcnow()
    outcome = Counter()
    calls = 0
    for entity in ENTITIES:
        seen: set[str] = set()
        position = 1
        while True:
            body = ctx.client.request(
                "GET",
                "query",
                params={
                    "query": f"SELECT * FROM {entity} STARTPOSITION {position} MAXRESULTS {PAGE}"
                },
            )
            calls += 1
            objs = (body.get("QueryResponse") or {}).get(entity, [])
            seen.update(str(o.get("Id")) for o in objs)
            outcome.update(apply_objects(connection.firm_id, connection.realm_id, entity, objs))
            if len(objs) < PAGE:
                break
            position += PAGE
        model = ENTITY_MODELS[entity]
        gone = [
            {"Id": qbo_id, "status": "Deleted"}
            for qbo_id in db.session.execute(
                db.select(model.qbo_id).where(
                    model.firm_id == connection.firm_id,
                    model.qbo_realm_id == connection.realm_id,
                    model.qbo_id.is_not(None),
                )
            ).scalars()
            if qbo_id not in seen
        ]
        if gone and entity != "Customer":
            outcome.update(apply_objects(connection.firm_id, connection.realm_id, entity, gone))
    finish(connection, started, started)
    outcome["calls"] = calls
    return outcome


def finish(connection: QboConnection, through: datetime, started: datetime) -> None:
    connection.cdc_synced_through = through
    connection.cdc_checked_at = utcnow()
    connection.cdc_error = None
    db.session.execute(
        db.update(QboWebhookEvent)
        .where(
            QboWebhookEvent.realm_id == connection.realm_id,
            QboWebhookEvent.processed_at.is_(None),
            QboWebhookEvent.received_at <= started,
        )
        .values(processed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
