"""OAuth 2.0 with Intuit: connect, callback, disconnect, and access tokens that refresh safely.

Tokens are encrypted at rest with Fernet. The key is TOKEN_ENCRYPTION_KEY (urlsafe base64 of 32
bytes, `Fernet.generate_key()`); when it is unset, a key is derived from SECRET_KEY with HKDF, so
changing SECRET_KEY then makes stored tokens unreadable and the firm must reconnect.

Intuit rotates refresh tokens and may expire the old one soon after, so refreshes are serialised
per company with a Redis lock, the row is re-read after the lock is taken (another worker may have
refreshed already), and the new refresh token is committed in its own transaction before the new
access token is used.
"""

from __future__ import annotations

import base64
import functools
import logging
from datetime import timedelta

import requests
from authlib.integrations.requests_client import OAuth2Session
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from ..extensions import db
from ..i18n import N_
from ..models import QboConnection, utcnow
from .client import ACCOUNTING_SCOPE, endpoints, timeouts
from .errors import QboNotConnected, QboRefreshFailed, QboUnavailable

log = logging.getLogger(__name__)

# Refresh this long before the access token expires, so a call never starts with a dying token.
REFRESH_MARGIN = timedelta(minutes=5)


# Encryption at rest ---------------------------------------------------------------------------


def fernet(config) -> Fernet:
    return _fernet(config.get("TOKEN_ENCRYPTION_KEY") or "", config["SECRET_KEY"])


@functools.lru_cache(maxsize=8)
def _fernet(token_key: str, secret_key: str) -> Fernet:
    # Derived once per process and key: HKDF and Fernet's set-up cost more than a decryption.
    if token_key:
        return Fernet(token_key)
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"ledgerbridge-qbo-tokens", info=b"fernet"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(config, text: str) -> bytes:
    return fernet(config).encrypt(text.encode())


def decrypt(config, blob: bytes | None) -> str | None:
    if blob is None:
        return None
    try:
        return fernet(config).decrypt(blob).decode()
    except InvalidToken:
        # Wrong key (SECRET_KEY or TOKEN_ENCRYPTION_KEY changed): behave as disconnected.
        return None


# The authorization-code flow (Authlib) --------------------------------------------------------


def _session(config, redirect_uri=None) -> OAuth2Session:
    return OAuth2Session(
        config["QBO_CLIENT_ID"],
        config["QBO_CLIENT_SECRET"],
        scope=ACCOUNTING_SCOPE,
        redirect_uri=redirect_uri,
        token_endpoint_auth_method="client_secret_basic",
    )


def authorization_url(config, redirect_uri: str, state: str) -> str:
    """Return Intuit's consent URL for this app, carrying `state`."""
    url, _ = _session(config, redirect_uri).create_authorization_url(
        endpoints(config).authorize_url, state=state
    )
    return url


def exchange_code(config, redirect_uri: str, code: str) -> dict:
    """Trade the authorization code for tokens.

    Raises:
        QboRefreshFailed: Intuit refused the code.
        QboUnavailable: Intuit could not be reached.
    """
    with _session(config, redirect_uri) as session:
        return _token_call(
            session,
            endpoints(config).token_url,
            grant_type="authorization_code",
            code=code,
            timeout=timeouts(config),
        )


def _token_call(session, url, **kwargs) -> dict:
    try:
        if kwargs.get("grant_type") == "refresh_token":
            kwargs.pop("grant_type")
            token = session.refresh_token(url, **kwargs)
        else:
            kwargs.pop("grant_type")
            token = session.fetch_token(url, **kwargs)
    except requests.RequestException as error:
        raise QboUnavailable(
            N_("Intuit's token service could not be reached (%(error)s)") % {"error": error}
        ) from error
    except Exception as error:  # Authlib raises OAuthError subclasses for RFC 6749 errors
        error_name = getattr(error, "error", None) or type(error).__name__
        description = getattr(error, "description", None) or str(error)
        if error_name in ("server_error", "temporarily_unavailable"):
            raise QboUnavailable(
                N_("Intuit's token service failed: %(qbo)s") % {"qbo": description}
            ) from error
        raise QboRefreshFailed(
            N_("Intuit refused the token request: %(qbo)s") % {"qbo": f"{error_name} {description}"}
        ) from error
    return dict(token)


def revoke(config, token: str) -> bool:
    """Revoke a refresh (or access) token at Intuit; True when Intuit said 200."""
    try:
        response = requests.post(
            endpoints(config).revoke_url,
            json={"token": token},
            auth=(config["QBO_CLIENT_ID"], config["QBO_CLIENT_SECRET"]),
            headers={"Accept": "application/json"},
            timeout=timeouts(config),
        )
    except requests.RequestException as error:
        log.warning("revoking the QBO token failed: %s", error)
        return False
    return response.status_code == 200


def store_tokens(config, connection: QboConnection, token: dict) -> None:
    """Write a token response onto the connection row (the caller commits)."""
    now = utcnow()
    connection.access_token_encrypted = encrypt(config, token["access_token"])
    connection.access_expires_at = now + timedelta(seconds=int(token.get("expires_in", 3600)))
    if token.get("refresh_token"):
        connection.refresh_token_encrypted = encrypt(config, token["refresh_token"])
    refresh_life = token.get("x_refresh_token_expires_in")
    if refresh_life:
        connection.refresh_expires_at = now + timedelta(seconds=int(refresh_life))
    connection.refresh_failing = False
    connection.last_error = None


# Access tokens for jobs ------------------------------------------------------------------------


class ConnectionTokens:
    """Valid access tokens for one connection, for the length of one job.

    The access token is decrypted once and kept until it nears its expiry or Intuit refuses it
    (a 401 calls `refresh`). The row is re-read and written in short sessions of its own only to
    refresh: a rotated refresh token must be committed before the new access token is used, even
    while the job's own transaction is still open, or a crash could lose the only valid one.

    Args:
        connection_id: QboConnection.id.
        config: the app config.
        redis: a Redis connection for the per-company refresh lock.
    """

    def __init__(self, connection_id: int, config, redis):
        self.connection_id = connection_id
        self.config = config
        self.redis = redis
        self.refreshes = 0
        self._token: str | None = None
        self._expires_at = None

    @classmethod
    def from_connection(cls, connection: QboConnection, config, redis) -> ConnectionTokens:
        """Start from the row the job already loaded, so the first call reads nothing more."""
        tokens = cls(connection.id, config, redis)
        tokens._keep(decrypt(config, connection.access_token_encrypted), connection)
        return tokens

    def _keep(self, token: str | None, row: QboConnection) -> None:
        self._token, self._expires_at = token, row.access_expires_at

    def _load(self, session: Session) -> QboConnection:
        row = session.get(QboConnection, self.connection_id)
        if row is None or not row.is_connected:
            raise QboNotConnected("QuickBooks is not connected.")
        return row

    def _fresh(self) -> bool:
        return (
            self._token is not None
            and self._expires_at is not None
            and self._expires_at - utcnow() >= REFRESH_MARGIN
        )

    def access_token(self) -> str:
        if self._fresh():
            return self._token
        if self._token is None:
            with Session(db.engine) as session:
                row = self._load(session)
                self._keep(decrypt(self.config, row.access_token_encrypted), row)
            if self._fresh():
                return self._token
        return self.refresh(failed_token=None)

    def refresh(self, failed_token: str | None) -> str:
        """Return a fresh access token, refreshing at Intuit only if no other worker just did.

        Args:
            failed_token: the access token Intuit refused with a 401, or None when the token
                is merely about to expire.

        Raises:
            QboRefreshFailed: Intuit refused the refresh token; the user must reconnect.
            QboNotConnected: the firm disconnected meanwhile.
        """
        with Session(db.engine) as session:
            realm_id = self._load(session).realm_id
        lock = self.redis.lock(f"qbo:refresh-lock:{realm_id}", timeout=60, blocking_timeout=45)
        if not lock.acquire():
            raise QboUnavailable("Another worker is still refreshing the QuickBooks token.")
        try:
            with Session(db.engine, expire_on_commit=False) as session:
                row = self._load(session)  # re-read: the lock holder before us may have refreshed
                current = decrypt(self.config, row.access_token_encrypted)
                self._keep(current, row)
                if current and current != failed_token and self._fresh():
                    return current
                refresh_token = decrypt(self.config, row.refresh_token_encrypted)
                if not refresh_token:
                    raise QboNotConnected("The stored QuickBooks token cannot be read; reconnect.")
                try:
                    with _session(self.config) as oauth:
                        token = _token_call(
                            oauth,
                            endpoints(self.config).token_url,
                            grant_type="refresh_token",
                            refresh_token=refresh_token,
                            timeout=timeouts(self.config),
                        )
                except QboRefreshFailed as error:
                    row.refresh_failing = True
                    row.last_error = str(error)
                    session.commit()
                    raise
                # Commit the rotated refresh token before the new access token is ever used.
                store_tokens(self.config, row, token)
                session.commit()
                self._keep(token["access_token"], row)
                self.refreshes += 1
                log.info("refreshed QBO tokens for realm %s", realm_id)
                return token["access_token"]
        finally:
            try:
                lock.release()
            except Exception:  # the lock expired while we worked; nothing to undo
                log.warning("refresh lock for realm %s expired before release", realm_id)
