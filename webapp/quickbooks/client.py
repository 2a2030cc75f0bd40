"""The one HTTP choke point to the QuickBooks Online Accounting API.

Every call carries the bearer token, `minorversion`, an explicit timeout and, for writes, a
`requestid`; every failure becomes an exception from `errors.py`. Only hosts and keys depend on
QBO_ENVIRONMENT: the emulator serves Intuit's paths under QBO_EMULATOR_URL.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from decimal import Decimal

import requests

from ..i18n import N_
from .errors import QboAuthError, QboFault, QboThrottled, QboUnavailable
from .throttle import NullThrottle

log = logging.getLogger(__name__)
# Our words around a transport error; a row shows them after "Last error:" (state.NO_ANSWER).
NO_ANSWER_IN_TIME = N_("QuickBooks did not answer in time (%(error)s)")
UNREACHABLE = N_("QuickBooks could not be reached (%(error)s)")

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"


@dataclass(frozen=True)
class Endpoints:
    api_base: str
    authorize_url: str
    token_url: str
    revoke_url: str
    discovery_url: str


# Intuit's documented hosts (docs/quickbooks.md, section 1); authorize, token and revoke are
# shared by sandbox and production.
_INTUIT_OAUTH = {
    "authorize_url": "https://appcenter.intuit.com/connect/oauth2",
    "token_url": "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
    "revoke_url": "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
}
_INTUIT = {
    "sandbox": Endpoints(
        api_base="https://sandbox-quickbooks.api.intuit.com",
        discovery_url="https://developer.intuit.com/.well-known/openid_sandbox_configuration/",
        **_INTUIT_OAUTH,
    ),
    "production": Endpoints(
        api_base="https://quickbooks.api.intuit.com",
        discovery_url="https://developer.intuit.com/.well-known/openid_configuration/",
        **_INTUIT_OAUTH,
    ),
}


def endpoints(config) -> Endpoints:
    """Return the API and OAuth URLs for QBO_ENVIRONMENT (emulator, sandbox or production).

    The emulator speaks Intuit's paths on one host; its discovery document lists the same URLs.
    """
    environment = config.get("QBO_ENVIRONMENT", "emulator")
    if environment in _INTUIT:
        return _INTUIT[environment]
    if environment != "emulator":
        raise ValueError(
            f"QBO_ENVIRONMENT must be emulator, sandbox or production, not {environment!r}"
        )
    base = config["QBO_EMULATOR_URL"].rstrip("/")
    return Endpoints(
        api_base=base,
        authorize_url=f"{base}/connect/oauth2",
        token_url=f"{base}/oauth2/v1/tokens/bearer",
        revoke_url=f"{base}/v2/oauth2/tokens/revoke",
        discovery_url=f"{base}/.well-known/openid_configuration",
    )


def timeouts(config) -> tuple[float, float]:
    """(connect, read) timeouts for every call to Intuit."""
    read = float(config.get("QBO_TIMEOUT_SECONDS", 20))
    return (min(5.0, read), read)


def parse_fault(status: int, body) -> QboFault:
    """Turn an Intuit error response into the matching exception.

    Handles both casings seen in the wild (`Fault.Error[]` and `fault.error[]`), several errors
    in one Fault (the first is used), and bodies that are not JSON at all.
    """
    fault = {}
    if isinstance(body, dict):
        fault = body.get("Fault") or body.get("fault") or {}
    errors = (fault.get("Error") or fault.get("error") or []) if isinstance(fault, dict) else []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}

    def pick(key):
        return first.get(key) or first.get(key.lower()) or first.get(key.capitalize()) or ""

    code, message, detail = str(pick("code") or ""), pick("Message"), pick("Detail")
    element = pick("element")
    if not first and isinstance(body, dict) and body.get("error"):
        # OAuth-style body ({"error": "...", "error_description": "..."}).
        message, detail = body["error"], body.get("error_description", "")
    cls = QboFault
    if status == 401 or code == "3200":
        cls = QboAuthError
        code = code or "3200"
    elif status == 429 or code == "3001":
        cls = QboThrottled
        code = code or "3001"
    return cls(code or None, message, detail, element, status=status, errors=errors)


def _json_default(value):
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def quote(value: str) -> str:
    """Quote a string for a QBO query (apostrophes are backslash-escaped)."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


_http = threading.local()


def http_session(api_base: str) -> requests.Session:
    """The HTTP session for `api_base`, one per thread and process, kept from job to job.

    Its connections stay open between jobs, so a worker pays Intuit's TLS handshake once, not on
    every job. The environment's proxy and CA settings are read here once, instead of by requests
    on every call; and a ~/.netrc can never replace the bearer token (trust_env is off).
    """
    sessions = _http.__dict__.setdefault("sessions", {})
    if _http.__dict__.get("pid") != os.getpid():  # a forked job must not share its parent's sockets
        sessions.clear()
        _http.pid = os.getpid()
    session = sessions.get(api_base)
    if session is None:
        session = requests.Session()
        session.trust_env = False
        session.proxies.update(requests.utils.get_environ_proxies(api_base))
        session.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
        session.headers.update({"Accept": "application/json"})
        sessions[api_base] = session
    return session


class QboClient:
    """Calls for one company (realm).

    Args:
        realm_id: the company's realmId.
        tokens: an object with `access_token()` and `refresh(failed_token)` (oauth.ConnectionTokens).
        api_base: scheme and host of the Accounting API.
        minor_version: sent as `minorversion` on every request.
        timeout: (connect, read) seconds.
        throttle: a throttle.RealmThrottle shared through Redis, or None.
    """

    def __init__(
        self, realm_id, tokens, *, api_base, minor_version, timeout, throttle=None, meter=None
    ):
        self.realm_id = realm_id
        self.tokens = tokens
        self.api_base = api_base.rstrip("/")
        self.minor_version = minor_version
        self.timeout = timeout
        self.throttle = throttle or NullThrottle()
        # Counts the calls per kind; close() adds them to the company's totals (metering.py).
        self.meter = meter
        self.session = http_session(self.api_base)
        self.last_success = False

    @classmethod
    def from_config(cls, realm_id, tokens, config, redis=None) -> QboClient:
        from .metering import CallMeter
        from .throttle import RealmThrottle

        throttle = RealmThrottle.from_config(redis, realm_id, config) if redis is not None else None
        return cls(
            realm_id,
            tokens,
            api_base=endpoints(config).api_base,
            minor_version=config.get("QBO_MINOR_VERSION", 75),
            timeout=timeouts(config),
            throttle=throttle,
            meter=CallMeter(realm_id),
        )

    def close(self) -> None:
        """Add this client's call counts to the company's totals (the HTTP session stays open)."""
        if self.meter is not None:
            self.meter.flush()

    # The four operations the sync engine needs --------------------------------------------

    def create(self, entity: str, body: dict, requestid: str) -> dict:
        """POST a new entity; `requestid` makes a repeat return the first response."""
        return self.request("POST", entity.lower(), body=body, requestid=requestid)[entity]

    def read(self, entity: str, entity_id: str) -> dict:
        """GET one entity by Id (a 610 fault if it is gone)."""
        return self.request("GET", f"{entity.lower()}/{entity_id}")[entity]

    def delete(self, entity: str, entity_id: str, sync_token: str, requestid: str) -> dict:
        """Delete a transaction; Intuit needs its current SyncToken (5010 if stale)."""
        body = {"Id": str(entity_id), "SyncToken": str(sync_token)}
        return self.request(
            "POST", entity.lower(), body=body, params={"operation": "delete"}, requestid=requestid
        )[entity]

    def query(self, entity: str, where: str = "", max_results: int = 1000) -> list[dict]:
        """Run `SELECT * FROM entity WHERE ...` and return the matching objects."""
        text = f"SELECT * FROM {entity}" + (f" WHERE {where}" if where else "")
        text += f" MAXRESULTS {max_results}"
        body = self.request("GET", "query", params={"query": text})
        return (body.get("QueryResponse") or {}).get(entity, [])

    def batch(self, items: list[dict], requestid: str) -> dict[str, dict | QboFault]:
        """POST up to 30 independent operations as one call (one request of the 500 a minute).

        Args:
            items: BatchItemRequest entries, each with its own `bId`.
            requestid: the batch's own id; resending the same batch replays QBO's first answer.

        Returns:
            Each answered `bId` mapped to its object (a delete answers {"status": "Deleted"}) or
            to the QboFault of that item alone. A `bId` QuickBooks did not answer is absent.
        """
        body = self.request(
            "POST", "batch", body={"BatchItemRequest": items}, requestid=requestid, batch=True
        )
        results: dict[str, dict | QboFault] = {}
        for answer in body.get("BatchItemResponse") or []:
            if not isinstance(answer, dict) or answer.get("bId") is None:
                continue
            if answer.get("Fault") or answer.get("fault"):
                results[str(answer["bId"])] = parse_fault(400, answer)
                continue
            objects = [v for k, v in answer.items() if k != "bId" and isinstance(v, dict)]
            if objects:
                results[str(answer["bId"])] = objects[0]
        return results

    def company_info(self) -> dict:
        return self.read("CompanyInfo", self.realm_id)

    # The choke point ----------------------------------------------------------------------

    def request(
        self, method, path, *, body=None, params=None, requestid=None, batch=False, _auth_retry=True
    ):
        """Send one request and return the decoded JSON body (`batch`: it is a batch call).

        Raises:
            QboAuthError: 401 even after one token refresh.
            QboThrottled: 429 (retry later).
            QboUnavailable: 5xx, timeout or connection failure (retry later).
            QboFault: any other fault (do not retry).
        """
        url = f"{self.api_base}/v3/company/{self.realm_id}/{path}"
        query = dict(params or {})
        query["minorversion"] = self.minor_version
        if requestid:
            query["requestid"] = requestid
        token = self.tokens.access_token()
        headers = {"Authorization": f"Bearer {token}"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body, default=_json_default)
        with self.throttle.slot(batch=batch):
            try:
                response = self.session.request(
                    method, url, params=query, data=data, headers=headers, timeout=self.timeout
                )
            except requests.Timeout as error:
                raise QboUnavailable(NO_ANSWER_IN_TIME % {"error": error}) from error
            except requests.RequestException as error:
                raise QboUnavailable(UNREACHABLE % {"error": error}) from error
        if self.meter is not None:
            self.meter.count(method, path, params, body)
        log.debug("qbo %s %s -> %s (%s)", method, path, response.status_code, requestid)
        if response.status_code == 429:
            # Our limiter let it through, so someone else shares the company's budget: every
            # worker slows down for the minute Intuit asks us to wait.
            self.throttle.slow_down()
        if response.status_code == 401 and _auth_retry:
            # The token may have expired early or been refreshed by another worker: refresh once.
            self.tokens.refresh(failed_token=token)
            return self.request(
                method,
                path,
                body=body,
                params=params,
                requestid=requestid,
                batch=batch,
                _auth_retry=False,
            )
        return self._decode(response)

    def _decode(self, response: requests.Response) -> dict:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        status = response.status_code
        if status >= 500:
            fault = parse_fault(status, payload)
            text = fault.qbo_message if payload else (response.text[:200] or "no body")
            raise QboUnavailable(
                N_("QuickBooks answered %(status)s: %(qbo)s") % {"status": status, "qbo": text},
                status,
                fault.code,
            )
        if status >= 400:
            raise parse_fault(status, payload)
        if not isinstance(payload, dict):
            raise QboUnavailable(
                N_("QuickBooks sent a response that is not JSON (HTTP %(status)s)")
                % {"status": status},
                status,
            )
        if payload.get("Fault") or payload.get("fault"):
            raise parse_fault(400, payload)
        self.last_success = True
        return payload
