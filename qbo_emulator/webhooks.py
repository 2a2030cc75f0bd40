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
CLOUDEVENT_VERBS = {
    "Create": "created",
    "Update": "updated",
    "Delete": "deleted",
    "Void": "voided",
    "Merge": "merged",
    "Emailed": "emailed",
}
# How long the webhook_reorder_rate fault holds an event back, unless webhook_reorder_ms says otherwise.
REORDER_MS = 2000
# How far past held-back events the dispatcher looks for one that is due, per queue and pass.
HEAD_WINDOW = 50
# Faults decided for each event when the change happens, and how the event records them.
DROPPED = "dropped (webhook_drop_rate)"
SENT_TWICE = "sent twice (webhook_duplicate_rate)"
HELD_BACK = "held back (webhook_reorder_rate)"
EVENT_FAULTS = {
    "webhook_drop_rate": DROPPED,
    "webhook_duplicate_rate": SENT_TWICE,
    "webhook_reorder_rate": HELD_BACK,
}


def sign(body: bytes, verifier_token: str) -> str:
    """Return the `intuit-signature` value: base64 HMAC-SHA256 of the raw body."""
    digest = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def enqueue(
    store,
    realm_id: str,
    entity: str,
    entity_id: str,
    operation: str,
    delay_s: float = 0.0,
    deleted_id: str | None = None,
    injected: list[str] | tuple = (),
) -> None:
    """Queue one event per app connected to the company that has a webhook URL (inside the caller's tx).

    `delay_s` postpones the first attempt (the webhook_delay_ms / webhook_reorder_rate faults);
    `injected` lists the faults rolled for this event (DROPPED: it is stored as dropped, never sent).
    """
    status = "dropped" if DROPPED in injected else "pending"
    rows = store.all(
        "SELECT a.client_id FROM apps a JOIN connections c ON c.client_id = a.client_id "
        "WHERE c.realm_id = ? AND a.webhook_url IS NOT NULL AND a.webhook_url != ''",
        (realm_id,),
    )
    now = store.clock.now()
    due = utc_iso(now + timedelta(seconds=delay_s))
    for row in rows:
        store.execute(
            "INSERT INTO webhook_events (realm_id, client_id, entity, entity_id, operation, "
            "occurred_at, next_attempt_at, deleted_id, injected, status) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                realm_id,
                row["client_id"],
                entity,
                entity_id,
                operation,
                utc_iso(now),
                due,
                deleted_id,
                "; ".join(injected) or None,
                status,
            ),
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
                "data": {"deletedId": event["deleted_id"]} if event["deleted_id"] else {},
            }
        ]
    else:
        entity = {
            "name": event["entity"],
            "id": event["entity_id"],
            "operation": event["operation"],
            "lastUpdated": legacy_webhook_time(occurred),
        }
        if event["deleted_id"]:
            entity["deletedId"] = event["deleted_id"]
        body = {
            "eventNotifications": [
                {
                    "realmId": event["realm_id"],
                    "dataChangeEvent": {"entities": [entity]},
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

    def _heads(self, now):
        """The next due event of every (company, app) queue.

        Oldest first; an event that failed holds back the later ones (Intuit does so). An event
        not yet due that was never tried (delayed by a fault) lets later due events overtake it.
        """
        queues = self.store.all(
            "SELECT DISTINCT realm_id, client_id FROM webhook_events WHERE status = 'pending'"
        )
        for queue in queues:
            events = self.store.all(
                "SELECT * FROM webhook_events WHERE status = 'pending' AND realm_id = ? "
                "AND client_id = ? ORDER BY id LIMIT ?",
                (queue["realm_id"], queue["client_id"], HEAD_WINDOW),
            )
            for event in events:
                due = parse_datetime(event["next_attempt_at"]) <= now
                if due or event["attempts"] > 0:
                    if due:
                        yield event
                    break

    def deliver_due(self) -> bool:
        """Attempt every queue head that is due; return True if anything was attempted."""
        with self._deliver_lock:
            return self._deliver_due()

    def _deliver_due(self) -> bool:
        attempted = False
        for event in list(self._heads(self.clock.now())):
            app = self.store.one("SELECT * FROM apps WHERE client_id = ?", (event["client_id"],))
            if app is None or not app["webhook_url"]:
                self._mark(event, "dropped", "the app has no webhook URL")
                continue
            attempted = True
            self._attempt(event, app, duplicate=SENT_TWICE in (event["injected"] or ""))
        return attempted

    def _mark(self, event, status: str, why: str) -> None:
        self.store.execute(
            "UPDATE webhook_events SET status = ?, last_error = ? WHERE id = ?",
            (status, why, event["id"]),
        )

    def _post(self, url: str, body: bytes, headers: dict) -> str | None:
        """POST one delivery; return None on a 2xx answer within the timeout, else why not."""
        try:
            response = self._session.post(url, data=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            return f"{type(exc).__name__}: {exc}"
        return None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"

    def _attempt(self, event, app, duplicate: bool = False) -> None:
        body = payload(event, app["webhook_format"] or "cloudevents")
        headers = {"Content-Type": "application/json", "intuit-created-time": event["occurred_at"]}
        headers["intuit-signature"] = sign(body, app["verifier_token"] or "")
        error = self._post(app["webhook_url"], body, headers)
        if error is None and duplicate:
            # The same delivery again: same body, same signature, same CloudEvent id.
            self._post(app["webhook_url"], body, headers)
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
