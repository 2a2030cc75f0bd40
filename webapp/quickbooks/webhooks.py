"""Intuit webhooks: verify `intuit-signature`, store each event, answer, catch up in a job.

Both payload formats are accepted (docs/quickbooks.md, webhooks): the CloudEvents array Intuit
sends today and the legacy `eventNotifications` object. Events are stored in the inbox
(QboWebhookEvent) before the delivery is answered 200, deduplicated by event id, so a delivery
Intuit repeats is stored once and none is lost if the queue or QBO is away. The job then runs a
CDC catch-up for the company, which applies the changes by their own time and version, so the
order deliveries arrive in does not matter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..extensions import db
from ..models import QboWebhookEvent, utcnow
from .echoes import echoes_of_our_creates

log = logging.getLogger(__name__)

WATCHED = {
    "customer": "Customer",
    "invoice": "Invoice",
    "payment": "Payment",
    "refundreceipt": "RefundReceipt",
}


def signature(verifier_token: str, body: bytes) -> str:
    """base64(HMAC-SHA256(verifier token, raw body)), as Intuit computes `intuit-signature`."""
    digest = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(verifier_token: str, body: bytes, sent: str) -> bool:
    # Compare bytes: compare_digest refuses str with non-ASCII characters (a forged header).
    expected = signature(verifier_token, body).encode()
    return bool(verifier_token) and hmac.compare_digest(expected, (sent or "").encode())


def _dicts(value) -> list[dict]:
    """The dict items of a JSON list; anything else (a signed but malformed body) is empty."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _time(text) -> datetime | None:
    if not text:
        return None
    value = str(text).replace("Z", "+00:00")
    # Legacy events write the offset without a colon (2015-10-05T14:42:19-0700).
    if len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
        value = f"{value[:-2]}:{value[-2:]}"
    # CloudEvents times carry nanoseconds; Python reads at most microseconds.
    head, dot, rest = value.partition(".")
    if dot:
        digits = "".join(c for c in rest if c.isdigit())
        value = f"{head}.{digits[:6]}{rest[len(digits) :]}"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _legacy_id(realm: str, entity: dict) -> str:
    """Legacy events have no id: their content is their identity (a repeat is the same text)."""
    key = "|".join(
        str(entity.get(k, "")) for k in ("name", "id", "operation", "lastUpdated", "deletedId")
    )
    return "legacy:" + hashlib.sha256(f"{realm}|{key}".encode()).hexdigest()[:48]


def parse_events(payload) -> list[dict]:
    """Flatten either format into events for watched entities.

    Returns:
        [{"event_id", "realm", "entity", "id", "operation", "occurred_at"}]
    """
    events = []
    if isinstance(payload, dict):
        for note in _dicts(payload.get("eventNotifications")):
            realm = str(note.get("realmId", ""))
            change = note.get("dataChangeEvent")
            for entity in _dicts(change.get("entities") if isinstance(change, dict) else None):
                name = str(entity.get("name", "")).lower()
                if name in WATCHED:
                    events.append(
                        {
                            "event_id": _legacy_id(realm, entity),
                            "realm": realm,
                            "entity": WATCHED[name],
                            "id": str(entity.get("id", "")),
                            "operation": str(entity.get("operation", "")).lower(),
                            "occurred_at": _time(entity.get("lastUpdated")),
                        }
                    )
    else:
        for event in _dicts(payload):
            parts = str(event.get("type", "")).split(".")  # qbo.payment.deleted.v1
            if len(parts) >= 3 and parts[1] in WATCHED:
                realm = str(event.get("intuitaccountid", ""))
                event_id = str(event.get("id") or "") or _legacy_id(realm, event)
                events.append(
                    {
                        "event_id": f"ce:{event_id}"[:120],
                        "realm": realm,
                        "entity": WATCHED[parts[1]],
                        "id": str(event.get("intuitentityid", "")),
                        "operation": parts[2],
                        "occurred_at": _time(event.get("time")),
                    }
                )
    return [e for e in events if e["realm"] and e["id"]]


def store_events(events: list[dict]) -> set[str]:
    """Add the events to the inbox, once each, and commit; echoes of our own creates are stored
    as processed already (echoes.py).

    Returns:
        The realms that got a new event to process (a repeat delivery adds nothing).
    """
    ids = [e["event_id"] for e in events]
    known = set(
        db.session.execute(
            db.select(QboWebhookEvent.event_id).where(QboWebhookEvent.event_id.in_(ids))
        ).scalars()
    )
    echoes = echoes_of_our_creates(events)
    realms = set()
    for event in events:
        if event["event_id"] in known:
            continue
        known.add(event["event_id"])
        try:
            with db.session.begin_nested():
                db.session.add(
                    QboWebhookEvent(
                        event_id=event["event_id"],
                        realm_id=event["realm"][:64],
                        entity=event["entity"],
                        entity_id=event["id"][:64],
                        operation=event["operation"][:16],
                        occurred_at=event["occurred_at"],
                        processed_at=utcnow() if event["event_id"] in echoes else None,
                    )
                )
        except IntegrityError:
            continue  # the same event, stored a moment ago by a concurrent delivery
        if event["event_id"] not in echoes:
            realms.add(event["realm"])
    db.session.commit()
    return realms


def accept_webhook(body: bytes, sent_signature: str):
    """Return the HTTP answer for one delivery; the work happens in a job."""
    from .cdc_jobs import request_inbox_processing

    token = current_app.config.get("QBO_WEBHOOK_VERIFIER_TOKEN", "")
    if not verify(token, body, sent_signature):
        return {"error": "invalid signature"}, 401
    try:
        payload = json.loads(body or b"null")
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json can parse
        return {"error": "body is not JSON"}, 400
    events = parse_events(payload)
    if not events:
        return {"accepted": 0}, 200
    try:
        realms = store_events(events)
    except SQLAlchemyError as error:
        db.session.rollback()
        # Not 200, so Intuit delivers again later.
        log.warning("could not store webhook events: %s", error)
        return {"error": "could not store the events"}, 503
    for realm in sorted(realms):
        try:
            request_inbox_processing(realm)
        except RedisError as error:
            # The events are stored: the scheduled catch-up processes them.
            log.warning("could not enqueue webhook processing for %s: %s", realm, error)
    return {"accepted": len(events)}, 200
