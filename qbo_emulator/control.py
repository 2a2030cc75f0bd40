"""The Python control object; the JSON control API under /_emulator/api/ calls the same methods."""

from __future__ import annotations

from . import webhooks
from .clock import FrozenClock
from .entities import REGISTRY, Books
from .guard import clean_faults
from .oauth import issue_tokens
from .seed import create_company, reset_company


class ControlError(Exception):
    """A control request that cannot be honoured; `status` is the HTTP status the JSON API uses."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class Control:
    """Drive the emulator from tests: companies, faults, tokens, clock, webhooks, inspection."""

    def __init__(self, state):
        self._state = state

    @property
    def _store(self):
        return self._state.store

    def _company(self, realm_id: str):
        row = self._store.company(realm_id)
        if row is None:
            raise ControlError(f"unknown company {realm_id}", 404)
        return row

    # Companies -------------------------------------------------------------

    def create_company(self, name: str) -> str:
        """Create and seed a sandbox company; return its realmId."""
        return create_company(self._store, name)

    def list_companies(self) -> list[dict]:
        return [{"realmId": r["realm_id"], "name": r["name"]} for r in self._store.companies()]

    def demo_realm_id(self) -> str:
        """Return the realmId of the "Demo Sandbox Company"."""
        return self._state.demo_realm_id

    def reset_company(self, realm_id: str) -> None:
        """Seed data only again, no customers or transactions, faults cleared."""
        self._company(realm_id)
        reset_company(self._store, realm_id)
        self._state.throttle.reset(realm_id)

    # Faults ----------------------------------------------------------------

    def set_faults(self, realm_id: str, **settings) -> dict:
        """Merge fault settings (see README) into the company's current ones; return them."""
        self._company(realm_id)
        try:
            cleaned = clean_faults(settings)
        except (TypeError, ValueError) as exc:
            raise ControlError(str(exc)) from None
        merged = {**self._store.get_faults(realm_id), **cleaned}
        self._store.set_faults(realm_id, merged)
        return merged

    def get_faults(self, realm_id: str) -> dict:
        self._company(realm_id)
        return self._store.get_faults(realm_id)

    def clear_faults(self, realm_id: str) -> dict:
        self._company(realm_id)
        self._store.set_faults(realm_id, {})
        return {}

    def expire_tokens(self, realm_id: str) -> int:
        """Expire every access token of the company now; return how many."""
        self._company(realm_id)
        cur = self._store.execute(
            "UPDATE tokens SET expires_at = ? WHERE kind = 'access' AND realm_id = ?",
            (self._store.now_iso(), realm_id),
        )
        return cur.rowcount

    def issue_tokens(self, client_id: str, realm_id: str) -> dict:
        """Skip the consent page: connect `client_id` to the company and return a token response."""
        self._company(realm_id)
        if self._store.one("SELECT 1 FROM apps WHERE client_id = ?", (client_id,)) is None:
            raise ControlError(f"unknown client {client_id}", 404)
        return issue_tokens(
            self._store, self._state.clock, client_id, realm_id, "com.intuit.quickbooks.accounting"
        )

    # Clock -----------------------------------------------------------------

    def advance_clock(self, seconds: float) -> str:
        clock = self._state.clock
        if not isinstance(clock, FrozenClock):
            raise ControlError(
                "the clock can only be advanced when the emulator runs on a FrozenClock", 409
            )
        now = clock.advance(float(seconds))
        self._state.dispatcher.wake()
        return now.isoformat()

    # Webhooks --------------------------------------------------------------

    def set_webhook(
        self,
        client_id: str,
        url: str,
        verifier_token: str | None = None,
        format: str = "cloudevents",
    ):
        """Point an app's webhooks at `url`; CloudEvents unless format="legacy" (eventNotifications)."""
        if format not in ("legacy", "cloudevents"):
            raise ControlError("format must be 'legacy' or 'cloudevents'")
        cur = self._store.execute(
            "UPDATE apps SET webhook_url = ?, verifier_token = COALESCE(?, verifier_token), webhook_format = ? "
            "WHERE client_id = ?",
            (url, verifier_token, format, client_id),
        )
        if cur.rowcount == 0:
            raise ControlError(f"unknown client {client_id}", 404)
        return {"client_id": client_id, "url": url, "format": format}

    def webhook_events(self, realm_id: str | None = None) -> list[dict]:
        """Every queued, delivered or dropped webhook event (status, attempts, last_error)."""
        return webhooks.events(self._store, realm_id)

    def deliver_webhooks(self) -> bool:
        """Attempt every due webhook now, in the calling thread (the background thread does this too)."""
        return self._state.dispatcher.deliver_due()

    # Inspection ------------------------------------------------------------

    def entities(self, realm_id: str, entity: str) -> list[dict]:
        """All objects of one entity, deleted ones included with "status": "Deleted"."""
        self._company(realm_id)
        if entity not in REGISTRY:
            raise ControlError(f"unknown entity {entity}", 404)
        books = Books(self._store, realm_id, self._state.clock, self._state.emit)
        objs = self._store.list(realm_id, entity, include_deleted=True)
        live = [o for o in objs if o.get("status") != "Deleted"]
        rendered = {str(o["Id"]): o for o in books.render(entity, live)}
        out = []
        for obj in objs:
            if obj.get("status") == "Deleted":
                out.append({k: v for k, v in obj.items() if not k.startswith("_")})
            else:
                out.append(rendered[str(obj["Id"])])
        return out

    def requests(self, realm_id: str | None = None, limit: int = 1000) -> list[dict]:
        """Recent accounting API calls, oldest first: method, path, requestid, status, client_id, at."""
        return self._store.request_log(realm_id, limit)
