"""Intuit's OAuth 2.0 server: consent page, token endpoint, revoke, discovery, userinfo."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import timedelta
from urllib.parse import urlencode, urlparse

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template_string,
    request,
)

from .clock import parse_datetime, utc_iso
from .seed import create_company
from .templates import CONSENT_PAGE, ERROR_PAGE

bp = Blueprint("qbo_oauth", __name__)

ACCESS_TTL = 3600  # [V] expires_in
REFRESH_TTL = 8726400  # [V] x_refresh_token_expires_in in Intuit's sample (about 101 days)
GRACE = 24 * 3600  # [V] previous refresh token valid 24 h after a new one is issued
CODE_TTL = 300  # [NOT VERIFIED] authorization code lifetime
ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def emu():
    return current_app.extensions["qbo_emulator"]


def is_loopback(uri: str) -> bool:
    try:
        parsed = urlparse(uri)
    except ValueError:
        return False
    return parsed.scheme in ("http", "https") and (parsed.hostname or "") in LOOPBACK


def redirect_allowed(app_row, uri: str) -> bool:
    """Registered URIs match exactly; loopback URIs are accepted for every client (emulator's choice)."""
    return uri in json.loads(app_row["redirect_uris"]) or is_loopback(uri)


def _with_params(uri: str, params: dict) -> str:
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


def oauth_error(error: str, status: int = 400, description: str | None = None):
    body = {"error": error}
    if description:
        body["error_description"] = description
    return jsonify(body), status


@bp.route("/connect/oauth2", methods=["GET", "POST"])
def authorize():
    """Show the consent page, or act on its Connect / Cancel buttons."""
    args = request.values
    store = emu().store
    app_row = store.one("SELECT * FROM apps WHERE client_id = ?", (args.get("client_id", ""),))
    redirect_uri = args.get("redirect_uri", "")
    if app_row is None:
        return render_template_string(ERROR_PAGE, message="Unknown client_id."), 400
    if not redirect_uri or not redirect_allowed(app_row, redirect_uri):
        return render_template_string(
            ERROR_PAGE, message="redirect_uri is not registered for this app."
        ), 400
    state = args.get("state", "")
    scope = args.get("scope", "")
    if args.get("response_type") != "code":
        return redirect(
            _with_params(redirect_uri, {"error": "unsupported_response_type", "state": state})
        )
    if ACCOUNTING_SCOPE not in scope.split():
        return redirect(_with_params(redirect_uri, {"error": "invalid_scope", "state": state}))
    if request.method == "GET":
        hidden = {
            k: args.get(k, "")
            for k in ("client_id", "response_type", "scope", "redirect_uri", "state")
        }
        companies = store.companies()
        return render_template_string(
            CONSENT_PAGE, hidden=hidden, companies=companies, client_id=app_row["client_id"]
        )
    if args.get("action") != "connect":
        return redirect(_with_params(redirect_uri, {"error": "access_denied", "state": state}))
    new_name = (args.get("new_company_name") or "").strip()
    if new_name:
        realm_id = create_company(store, new_name)
    else:
        realm_id = args.get("realm_id", "")
        if not store.company(realm_id):
            return render_template_string(
                ERROR_PAGE, message="Pick a company or name a new one."
            ), 400
    code = "AB11" + secrets.token_urlsafe(24)
    now = emu().clock.now()
    with store.tx():
        store.execute(
            "INSERT INTO codes (code, client_id, realm_id, redirect_uri, scope, expires_at) VALUES (?,?,?,?,?,?)",
            (
                code,
                app_row["client_id"],
                realm_id,
                redirect_uri,
                scope,
                utc_iso(now + timedelta(seconds=CODE_TTL)),
            ),
        )
        store.execute(
            "INSERT OR IGNORE INTO connections VALUES (?, ?)", (app_row["client_id"], realm_id)
        )
    return redirect(_with_params(redirect_uri, {"code": code, "state": state, "realmId": realm_id}))


def _client_auth():
    """Return the app row for HTTP Basic client credentials, or None."""
    header = request.headers.get("Authorization", "")
    client_id = secret = None
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
    if client_id is None:
        return None
    row = emu().store.one("SELECT * FROM apps WHERE client_id = ?", (client_id,))
    if row is None or not secrets.compare_digest(row["client_secret"], secret or ""):
        return None
    return row


def issue_tokens(
    store,
    clock,
    client_id: str,
    realm_id: str,
    scope: str,
    grant_id: int | None = None,
    rotate_after: float = 0,
) -> dict:
    """Create a grant (or extend one) and return Intuit's token response."""
    now = clock.now()
    with store.tx():
        refresh_expires = utc_iso(now + timedelta(seconds=REFRESH_TTL))
        if grant_id is None:
            cur = store.execute(
                "INSERT INTO grants (client_id, realm_id, scope, refresh_expires_at) VALUES (?,?,?,?)",
                (client_id, realm_id, scope, refresh_expires),
            )
            grant_id = cur.lastrowid
            store.execute("INSERT OR IGNORE INTO connections VALUES (?, ?)", (client_id, realm_id))
        else:
            store.execute(
                "UPDATE grants SET refresh_expires_at = ? WHERE grant_id = ?",
                (refresh_expires, grant_id),
            )
        access = "eyJemu." + secrets.token_urlsafe(32)
        store.execute(
            "INSERT INTO tokens (token, kind, grant_id, realm_id, client_id, created_at, expires_at) "
            "VALUES (?, 'access', ?, ?, ?, ?, ?)",
            (
                access,
                grant_id,
                realm_id,
                client_id,
                utc_iso(now),
                utc_iso(now + timedelta(seconds=ACCESS_TTL)),
            ),
        )
        current = store.one(
            "SELECT * FROM tokens WHERE grant_id = ? AND kind = 'refresh' AND superseded_at IS NULL "
            "ORDER BY created_at DESC LIMIT 1",
            (grant_id,),
        )
        if (
            current is None
            or (now - parse_datetime(current["created_at"])).total_seconds() >= rotate_after
        ):
            refresh = "AB11" + secrets.token_urlsafe(36)
            store.execute(
                "UPDATE tokens SET superseded_at = ? WHERE grant_id = ? AND kind = 'refresh' AND superseded_at IS NULL",
                (utc_iso(now), grant_id),
            )
            store.execute(
                "INSERT INTO tokens (token, kind, grant_id, realm_id, client_id, created_at) "
                "VALUES (?, 'refresh', ?, ?, ?, ?)",
                (refresh, grant_id, realm_id, client_id, utc_iso(now)),
            )
        else:
            refresh = current["token"]
    return {
        "token_type": "bearer",
        "access_token": access,
        "expires_in": ACCESS_TTL,
        "refresh_token": refresh,
        "x_refresh_token_expires_in": REFRESH_TTL,
    }


@bp.post("/oauth2/v1/tokens/bearer")
def token():
    """Exchange an authorization code or a refresh token for tokens."""
    state = emu()
    store, clock = state.store, state.clock
    app_row = _client_auth()
    if app_row is None:
        return oauth_error("invalid_client", 401)
    grant_type = request.form.get("grant_type")
    now = clock.now()
    with store.tx():
        if grant_type == "authorization_code":
            row = store.one("SELECT * FROM codes WHERE code = ?", (request.form.get("code", ""),))
            if (
                row is None
                or row["used"]
                or row["client_id"] != app_row["client_id"]
                or parse_datetime(row["expires_at"]) <= now
            ):
                return oauth_error("invalid_grant")
            if request.form.get("redirect_uri") != row["redirect_uri"]:
                return oauth_error("invalid_grant", description="redirect_uri mismatch")
            store.execute("UPDATE codes SET used = 1 WHERE code = ?", (row["code"],))
            body = issue_tokens(store, clock, row["client_id"], row["realm_id"], row["scope"])
        elif grant_type == "refresh_token":
            row = store.one(
                "SELECT t.*, g.revoked, g.refresh_expires_at FROM tokens t JOIN grants g ON g.grant_id = t.grant_id "
                "WHERE t.token = ? AND t.kind = 'refresh'",
                (request.form.get("refresh_token", ""),),
            )
            if (
                row is None
                or row["revoked"]
                or row["client_id"] != app_row["client_id"]
                or parse_datetime(row["refresh_expires_at"]) <= now
                or (
                    row["superseded_at"]
                    and (now - parse_datetime(row["superseded_at"])).total_seconds() > GRACE
                )
            ):
                return oauth_error(
                    "invalid_grant", description="Incorrect or invalid refresh token"
                )
            # A superseded (grace-period) token gets the current refresh token back, not a new rotation.
            rotate_after = (
                float("inf")
                if row["superseded_at"]
                else current_app.config["REFRESH_TOKEN_ROTATION_SECONDS"]
            )
            body = issue_tokens(
                store,
                clock,
                row["client_id"],
                row["realm_id"],
                "",
                grant_id=row["grant_id"],
                rotate_after=rotate_after,
            )
        else:
            return oauth_error("unsupported_grant_type")
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/v2/oauth2/tokens/revoke")
def revoke():
    """Revoke a refresh or access token (JSON or form body); the whole grant is disconnected."""
    app_row = _client_auth()
    if app_row is None:
        return oauth_error("invalid_client", 401)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        data = request.form
    token_value = str(data.get("token", ""))
    store = emu().store
    with store.tx():
        row = store.one("SELECT grant_id, client_id FROM tokens WHERE token = ?", (token_value,))
        if row is not None and row["client_id"] == app_row["client_id"]:
            store.execute("UPDATE grants SET revoked = 1 WHERE grant_id = ?", (row["grant_id"],))
    return Response("", status=200)


@bp.get("/.well-known/openid_configuration")
@bp.get("/.well-known/openid_configuration/")
@bp.get("/.well-known/openid_sandbox_configuration")
@bp.get("/.well-known/openid_sandbox_configuration/")
def discovery():
    """Return the OpenID discovery document pointing at this emulator."""
    base = request.host_url.rstrip("/")
    return jsonify(
        {
            "issuer": f"{base}/op/v1",
            "authorization_endpoint": f"{base}/connect/oauth2",
            "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
            "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
            "revocation_endpoint": f"{base}/v2/oauth2/tokens/revoke",
            "jwks_uri": f"{base}/op/v1/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "scopes_supported": [
                "openid",
                "email",
                "profile",
                "phone",
                "address",
                ACCOUNTING_SCOPE,
            ],
        }
    )


@bp.get("/op/v1/jwks")
def jwks():
    """Return an empty key set (the emulator issues no id_token)."""
    return jsonify({"keys": []})


@bp.get("/v1/openid_connect/userinfo")
def userinfo():
    """Return a minimal user profile for a valid access token."""
    header = request.headers.get("Authorization", "")
    row = emu().store.one("SELECT * FROM tokens WHERE token = ? AND kind = 'access'", (header[7:],))
    if row is None:
        return oauth_error("invalid_token", 401)
    return jsonify(
        {
            "sub": f"emulator-user-{row['grant_id']}",
            "email": "sandbox.user@example.com",
            "emailVerified": True,
        }
    )
