"""What happens around every accounting API call: bearer check, fault settings, injected faults,
latency, requestid replay, lost responses, `intuit_tid` and the request log."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from urllib.parse import urlencode

from flask import Response, request

from . import faults
from .clock import parse_datetime, utc_iso
from .limits import LIMIT_SETTINGS

FAULT_KEYS = {
    "error_500_rate": float,
    "error_503_rate": float,
    "error_429_rate": float,
    "latency_ms": float,
    "lost_response_rate": float,
    "lost_response_mode": str,
    "lost_response_sleep_ms": float,
    "throttling": bool,
    "webhook_drop_rate": float,
    "webhook_duplicate_rate": float,
    "webhook_reorder_rate": float,
    "webhook_reorder_ms": float,
    "webhook_delay_ms": float,
    **{key: int for key in LIMIT_SETTINGS},
}


def clean_faults(settings: dict) -> dict:
    """Validate control-API fault settings; raise ValueError on unknown keys or bad values."""
    out = {}
    for key, value in settings.items():
        if key not in FAULT_KEYS:
            raise ValueError(f"unknown fault setting {key!r}")
        kind = FAULT_KEYS[key]
        if kind is bool:
            out[key] = (
                value
                if isinstance(value, bool)
                else str(value).lower() in ("1", "true", "yes", "on")
            )
        elif kind is int:
            out[key] = int(value)
            if out[key] < 1:
                raise ValueError(f"{key} must be at least 1")
        elif kind is float:
            out[key] = float(value)
            if key.endswith("_rate") and not 0 <= out[key] <= 1:
                raise ValueError(f"{key} must be between 0 and 1")
        else:
            if key == "lost_response_mode" and value not in ("error", "timeout"):
                raise ValueError("lost_response_mode must be 'error' or 'timeout'")
            out[key] = str(value)
    return out


def authenticate(store, clock, realm_id: str) -> str:
    """Return the client_id of a valid bearer token for this company, or raise a 401 fault."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer ") or not header[7:].strip():
        raise faults.auth_failed("Authorization header missing or not a Bearer token")
    row = store.one(
        "SELECT t.*, g.revoked FROM tokens t JOIN grants g ON g.grant_id = t.grant_id "
        "WHERE t.token = ? AND t.kind = 'access'",
        (header[7:].strip(),),
    )
    if row is None:
        raise faults.auth_failed("Token invalid: the access token is malformed or unknown")
    if row["revoked"]:
        raise faults.auth_failed("Token revoked")
    if parse_datetime(row["expires_at"]) <= clock.now():
        raise faults.auth_failed("Token expired")
    if row["realm_id"] != realm_id:
        raise faults.QBOFault(
            "3100",
            "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
            "The access token was issued for a different company (realmId).",
            status=403,
            fault_type="AuthorizationFault",
        )
    return row["client_id"]


def request_hash() -> str:
    """Hash of what makes a request 'the same': method, path, query (minus requestid/minorversion), body."""
    args = sorted(
        (k, v) for k, v in request.args.items(multi=True) if k not in ("requestid", "minorversion")
    )
    digest = hashlib.sha256()
    for part in (request.method, request.path, urlencode(args)):
        digest.update(part.encode() + b"\0")
    digest.update(request.get_data())
    return digest.hexdigest()


def replay_or_reserve(store, clock, ttl: float, realm_id: str, client_id: str, requestid: str):
    """Return a stored Response for a repeated requestid, raise 600 on reuse with a different request,
    or return None (the caller then executes and stores the response)."""
    row = store.one(
        "SELECT * FROM requestids WHERE realm_id = ? AND client_id = ? AND requestid = ?",
        (realm_id, client_id, requestid),
    )
    if row is None:
        return None
    created = parse_datetime(row["created_at"])
    if clock.now() - created > timedelta(seconds=ttl):
        store.execute(
            "DELETE FROM requestids WHERE realm_id = ? AND client_id = ? AND requestid = ?",
            (realm_id, client_id, requestid),
        )
        return None
    if row["req_hash"] != request_hash():
        raise faults.QBOFault(
            "600",
            "Duplicate RequestId detected",
            "RequestId already exists in the system, duplicate request is detected: "
            f"requestid {requestid} was used for a different request",
            element="requestid",
        )
    return Response(bytes(row["body"]), status=row["status"], content_type=row["content_type"])


def remember(store, realm_id: str, client_id: str, requestid: str, response: Response) -> None:
    store.execute(
        "INSERT OR REPLACE INTO requestids (realm_id, client_id, requestid, req_hash, status, body, "
        "content_type, created_at) VALUES (?,?,?,?,?,?,?,?)",
        (
            realm_id,
            client_id,
            requestid,
            request_hash(),
            response.status_code,
            response.get_data(),
            response.content_type,
            utc_iso(store.clock.now()),
        ),
    )


def sleep_ms(ms: float) -> None:
    if ms and ms > 0:
        time.sleep(ms / 1000.0)
