"""Webhook events: enqueue on every change, deliver in order per company and app, retry on a schedule."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import uuid
from datetime import datetime, timedelta

import requests

from .clock import legacy_webhook_time, parse_datetime, utc_iso

log = logging.getLogger(__name__)

# Intuit's documented retry delays (docs/quickbooks.md, section 7); the last one repeats.
INTUIT_RETRY_SCHEDULE = [10, 20, 30, 300, 1200, 7200, 14400, 21600]
CLOUDEVENT_VERBS = {"Create": "created", "Update": "updated", "Delete": "deleted", "Void": "voided"}


def sign(body: bytes, verifier_token: str) -> str:
    """Return the `intuit-signature` value: base64 HMAC-SHA256 of the raw body."""
    digest = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def enqueue(store, realm_id: str, entity: str, entity_id: str, operation: str) -> None:
    """Queue one event per app connected to the company that has a webhook URL (inside the caller's tx)."""
    rows = store.all(
        "SELECT a.client_id FROM apps a JOIN connections c ON c.client_id = a.client_id "
        "WHERE c.realm_id = ? AND a.webhook_url IS NOT NULL AND a.webhook_url != ''",
        (realm_id,),
    )
    now = store.now_iso()
    for row in rows:
        store.execute(
            "INSERT INTO webhook_events (realm_id, client_id, entity, entity_id, operation, "
            "occurred_at, next_attempt_at) VALUES (?,?,?,?,?,?,?)",
            (realm_id, row["client_id"], entity, entity_id, operation, now, now),
        )


def payload(event, fmt: str) -> bytes:
    """Build the notification body for one event in the legacy or CloudEvents format."""
    occurred = parse_datetime(event["occurred_at"])
    if fmt == "cloudevents":
        body = [
            {
                "specversion": "1.0",
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"qbo-emulator-event-{event['id']}")),
                "source": "intuit.qbo-emulator",
                "type": f"qbo.{event['entity'].lower()}.{CLOUDEVENT_VERBS.get(event['operation'], event['operation'].lower())}.v1",
                "datacontenttype": "application/json",
                "time": occurred.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "intuitentityid": event["entity_id"],
                "intuitaccountid": event["realm_id"],
                "data": {},
            }
        ]
    else:
        body = {
            "eventNotifications": [
                {
                    "realmId": event["realm_id"],
                    "dataChangeEvent": {
                        "entities": [
                            {
                                "name": event["entity"],
                                "id": event["entity_id"],
                                "operation": event["operation"],
                                "lastUpdated": legacy_webhook_time(occurred),
                            }
                        ]
                    },
                }
            ]
        }
    return json.dumps(body).encode()


class Dispatcher:
    """Background thread delivering queued events; one failed event holds back later ones for that queue."""

    def __init__(self, store, clock, schedule=None, timeout: float = 3.0, poll: float = 0.02):
        self.store = store
        self.clock = clock
        self.schedule = list(schedule or INTUIT_RETRY_SCHEDULE)
        self.timeout = timeout
        self.poll = poll
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._session = requests.Session()
        # The background thread and Control.deliver_webhooks() must not deliver the same event twice.
        self._deliver_lock = threading.Lock()

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="qbo-emulator-webhooks", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.deliver_due()
            except Exception:  # keep the thread alive; a bad event must not stop delivery
                log.exception("webhook delivery failed")
                worked = False
            if not worked:
                # Poll quickly only while something waits for a retry; new events wake us anyway.
                pending = self.store.one(
                    "SELECT 1 FROM webhook_events WHERE status = 'pending' LIMIT 1"
                )
                self._wake.wait(self.poll if pending else 0.5)
                self._wake.clear()

    def _heads(self):
        """The oldest pending event of every (company, app) queue."""
        return self.store.all(
            "SELECT e.* FROM webhook_events e JOIN (SELECT MIN(id) AS id FROM webhook_events "
            "WHERE status = 'pending' GROUP BY realm_id, client_id) h ON h.id = e.id ORDER BY e.id"
        )

    def deliver_due(self) -> bool:
        """Attempt every queue head that is due; return True if anything was attempted."""
        with self._deliver_lock:
            return self._deliver_due()

    def _deliver_due(self) -> bool:
        now = self.clock.now()
        attempted = False
        for event in self._heads():
            if parse_datetime(event["next_attempt_at"]) > now:
                continue
            app = self.store.one("SELECT * FROM apps WHERE client_id = ?", (event["client_id"],))
            if app is None or not app["webhook_url"]:
                self.store.execute(
                    "UPDATE webhook_events SET status = 'dropped' WHERE id = ?", (event["id"],)
                )
                continue
            attempted = True
            self._attempt(event, app)
        return attempted

    def _attempt(self, event, app) -> None:
        body = payload(event, app["webhook_format"] or "legacy")
        headers = {"Content-Type": "application/json", "intuit-created-time": event["occurred_at"]}
        headers["intuit-signature"] = sign(body, app["verifier_token"] or "")
        error = None
        try:
            response = self._session.post(
                app["webhook_url"], data=body, headers=headers, timeout=self.timeout
            )
            if not 200 <= response.status_code < 300:
                error = f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"
        now = self.clock.now()
        if error is None:
            self.store.execute(
                "UPDATE webhook_events SET status = 'delivered', attempts = attempts + 1, delivered_at = ? "
                "WHERE id = ?",
                (utc_iso(now), event["id"]),
            )
            return
        attempts = event["attempts"] + 1
        delay = self.schedule[min(attempts - 1, len(self.schedule) - 1)] if self.schedule else 0
        next_at: datetime = now + timedelta(seconds=delay)
        self.store.execute(
            "UPDATE webhook_events SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
            (attempts, utc_iso(next_at), error, event["id"]),
        )


def events(store, realm_id: str | None = None) -> list[dict]:
    sql = "SELECT * FROM webhook_events"
    params: tuple = ()
    if realm_id:
        sql += " WHERE realm_id = ?"
        params = (realm_id,)
    return [dict(r) for r in store.all(sql + " ORDER BY id", params)]
