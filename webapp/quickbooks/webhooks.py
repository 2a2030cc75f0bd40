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
    return bool(verifier_token) and hmac.compare_digest(signature(verifier_token, body), sent or "")


def parse_events(payload) -> list[dict]:
    """Flatten either format into [{"realm", "entity", "id", "operation"}] for watched entities."""
    events = []
    if isinstance(payload, dict):
        for note in payload.get("eventNotifications") or []:
            realm = str(note.get("realmId", ""))
            for entity in (note.get("dataChangeEvent") or {}).get("entities") or []:
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
    elif isinstance(payload, list):
        for event in payload:
            if not isinstance(event, dict):
                continue
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
    except ValueError:
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
