"""Application factory and the shared emulator state."""

from __future__ import annotations

import json
import random

from flask import Flask, request

from . import webhooks
from .clock import SystemClock
from .control import Control
from .entities import indexed_fields, rebuild_indexes
from .faults import QBOFault, fault_response, new_tid, system_error
from .limits import Throttle
from .seed import DEMO_COMPANY, create_company
from .storage import Store

DEMO_CLIENT_ID = "ledgerbridge-demo"
DEMO_CLIENT_SECRET = "ledgerbridge-demo-secret"

DEFAULTS = {
    "DATABASE": "instance/qbo_emulator.db",
    "CLIENTS": [],
    # [NOT VERIFIED] Intuit documents no retention window for requestids; 24 h is our choice.
    "REQUESTID_TTL_SECONDS": 24 * 3600,
    "WEBHOOK_RETRY_SCHEDULE": list(webhooks.INTUIT_RETRY_SCHEDULE),
    "WEBHOOK_TIMEOUT_SECONDS": 3.0,
    # False: no background delivery thread; tests call control.deliver_webhooks() to deliver deterministically.
    "WEBHOOK_BACKGROUND_DELIVERY": True,
    # What CLIENTS with a webhook_url (and --webhook) get: Intuit sends CloudEvents since 2026.
    "WEBHOOK_FORMAT": "cloudevents",
    "PUBLIC_URL": None,
    # 0 = a new refresh token on every refresh (Intuit rotates "about every 24 h"; set 86400 to mimic that).
    "REFRESH_TOKEN_ROTATION_SECONDS": 0,
    "THROTTLE_LIMITS": None,
    # Whether companies without their own `throttling` fault setting enforce Intuit's limits.
    "THROTTLING_DEFAULT": False,
    "RANDOM_SEED": None,
    # Intuit caps a CDC response at 1,000 objects; "entity" applies the cap to each entity instead.
    "CDC_LIMIT_SCOPE": "response",
}


class EmulatorState:
    """Everything the blueprints share, stored in app.extensions["qbo_emulator"]."""

    def __init__(self, app: Flask, clock):
        config = app.config
        self.clock = clock
        self.store = Store(config["DATABASE"], clock, indexed_fields())
        if self.store.needs_reindex():
            rebuild_indexes(self.store, clock)
        self.rng = random.Random(config["RANDOM_SEED"])
        self.throttle = Throttle(clock, config["THROTTLE_LIMITS"])
        self.dispatcher = webhooks.Dispatcher(
            self.store,
            clock,
            config["WEBHOOK_RETRY_SCHEDULE"],
            float(config["WEBHOOK_TIMEOUT_SECONDS"]),
        )
        self.control = Control(self)
        self.webhook_format = config["WEBHOOK_FORMAT"]
        self._register_clients(config["CLIENTS"])
        companies = self.store.companies()
        demo = next((c for c in companies if c["name"] == DEMO_COMPANY), None)
        self.demo_realm_id = demo["realm_id"] if demo else create_company(self.store, DEMO_COMPANY)
        if config["WEBHOOK_BACKGROUND_DELIVERY"]:
            self.dispatcher.start()

    def _register_clients(self, clients) -> None:
        demo = {
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "redirect_uris": [],
        }
        with self.store.tx():
            for client in [demo, *clients]:
                self.store.execute(
                    "INSERT INTO apps (client_id, client_secret, redirect_uris) VALUES (?,?,?) "
                    "ON CONFLICT (client_id) DO UPDATE SET client_secret = excluded.client_secret, "
                    "redirect_uris = excluded.redirect_uris",
                    (
                        client["client_id"],
                        client["client_secret"],
                        json.dumps(list(client.get("redirect_uris") or [])),
                    ),
                )
                if client.get("webhook_url"):
                    self.store.execute(
                        "UPDATE apps SET webhook_url = ?, verifier_token = ?, webhook_format = ? WHERE client_id = ?",
                        (
                            client["webhook_url"],
                            client.get("verifier_token") or "",
                            client.get("webhook_format", self.webhook_format),
                            client["client_id"],
                        ),
                    )

    def emit(
        self, realm_id: str, entity: str, entity_id: str, operation: str, deleted_id=None
    ) -> None:
        """Queue webhook events for a change; delivery starts once the transaction commits."""
        settings = self.store.get_faults(realm_id)
        delay = settings.get("webhook_delay_ms", 0) / 1000
        injected = []
        for key, what in webhooks.EVENT_FAULTS.items():
            if self.rng.random() < settings.get(key, 0):
                injected.append(what)
        if webhooks.HELD_BACK in injected:
            delay += settings.get("webhook_reorder_ms", webhooks.REORDER_MS) / 1000
        webhooks.enqueue(
            self.store, realm_id, entity, entity_id, operation, delay, deleted_id, injected
        )
        self.store.after_commit(self.dispatcher.wake)


def create_app(config: dict | None = None, clock=None) -> Flask:
    """Build the emulator app.

    Args:
        config: overrides for DEFAULTS (DATABASE, CLIENTS, REQUESTID_TTL_SECONDS, WEBHOOK_RETRY_SCHEDULE, ...).
        clock: an object with .now() -> aware UTC datetime; SystemClock by default.
    """
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    app.config["JSON_SORT_KEYS"] = False
    app.json.sort_keys = False
    state = EmulatorState(app, clock or SystemClock())
    app.extensions["qbo_emulator"] = state

    from . import accounting, bulk, control_api, oauth, pages  # noqa: F401 (bulk adds routes)

    app.register_blueprint(accounting.bp)
    app.register_blueprint(oauth.bp)
    app.register_blueprint(control_api.bp)
    app.register_blueprint(pages.bp)

    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(500)
    def api_route_fault(error):
        # Accounting URLs answer in Intuit's Fault shape with a `time` field, never Flask's HTML.
        if not request.path.startswith("/v3/"):
            return error
        if error.code == 500:
            return fault_response(system_error(500), state.clock.now())
        fault = QBOFault(
            str(error.code),
            "Resource not found" if error.code == 404 else "Method not allowed",
            f"{request.method} {request.path} is not an Accounting API operation",
            status=error.code,
        )
        return fault_response(fault, state.clock.now())

    @app.after_request
    def add_tid(response):
        # Intuit puts a transaction id on every response for support requests.
        response.headers.setdefault("intuit_tid", new_tid())
        return response

    return app
