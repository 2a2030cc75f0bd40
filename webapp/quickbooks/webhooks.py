"""Intuit webhooks: verify `intuit-signature`, answer at once, re-read changed objects in a job.

Both payload formats are accepted (qbo-api.md section 7): the legacy `eventNotifications`
object and the CloudEvents array. Only Payment, Invoice and RefundReceipt events matter here:
a synced row whose object was deleted (or voided) in QBO becomes Not synced with a message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging

from flask import current_app
from redis.exceptions import RedisError

from ..queue import enqueue_job

log = logging.getLogger(__name__)

WEBHOOK_JOB = "webapp.quickbooks.webhook_jobs.process_webhook_events"
WATCHED = {"payment": "Payment", "invoice": "Invoice", "refundreceipt": "RefundReceipt"}


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


def parse_events(payload) -> list[dict]:
    """Flatten either format into [{"realm", "entity", "id", "operation"}] for watched entities."""
    events = []
    if isinstance(payload, dict):
        for note in _dicts(payload.get("eventNotifications")):
            realm = str(note.get("realmId", ""))
            change = note.get("dataChangeEvent")
            for entity in _dicts(change.get("entities") if isinstance(change, dict) else None):
                name = str(entity.get("name", ""))
                if name.lower() in WATCHED:
                    events.append(
                        {
                            "realm": realm,
                            "entity": WATCHED[name.lower()],
                            "id": str(entity.get("id", "")),
                            "operation": str(entity.get("operation", "")).lower(),
                        }
                    )
    else:
        for event in _dicts(payload):
            parts = str(event.get("type", "")).split(".")  # qbo.payment.deleted.v1
            if len(parts) >= 3 and parts[1] in WATCHED:
                events.append(
                    {
                        "realm": str(event.get("intuitaccountid", "")),
                        "entity": WATCHED[parts[1]],
                        "id": str(event.get("intuitentityid", "")),
                        "operation": parts[2],
                    }
                )
    return [e for e in events if e["realm"] and e["id"]]


def accept_webhook(body: bytes, sent_signature: str):
    """Return the HTTP answer for one delivery; the work happens in a job."""
    token = current_app.config.get("QBO_WEBHOOK_VERIFIER_TOKEN", "")
    if not verify(token, body, sent_signature):
        return {"error": "invalid signature"}, 401
    try:
        payload = json.loads(body or b"null")
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json can parse
        return {"error": "body is not JSON"}, 400
    events = parse_events(payload)
    if events:
        try:
            enqueue_job(WEBHOOK_JOB, events)
        except RedisError as error:
            # Not 200, so Intuit delivers again later.
            log.warning("could not enqueue webhook events: %s", error)
            return {"error": "queue unavailable"}, 503
    return {"accepted": len(events)}, 200
