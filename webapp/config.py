"""Configuration read from the environment, with defaults that run the offline demo."""

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


class Config:
    # No default: wsgi.py and worker.py refuse to start without a real one (check_secrets).
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'ledgerbridge.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    # Workers read these queues in this order: single-row actions (and everything else) first,
    # so they never wait behind a bulk run; the bulk queue (QBO_BULK_QUEUE) last.
    RQ_QUEUES = os.environ.get("RQ_QUEUES", "quickbooks,quickbooks-bulk").split(",")
    QBO_BULK_QUEUE = os.environ.get("QBO_BULK_QUEUE", "quickbooks-bulk")
    # Batches of one bulk run in flight at once (each lane is one worker sending one batch).
    QBO_BULK_LANES = env_int("QBO_BULK_LANES", 2)
    JOB_TIMEOUT = env_int("JOB_TIMEOUT", 120)
    # A running job's hold on its row; renewed while its worker lives, so a worker killed
    # mid-job frees the row this many seconds later (webapp/queue.py, lease).
    JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", 30)
    # Rows stuck in Syncing…/Unsyncing… longer than this are re-enqueued by the sweeper.
    SYNC_STUCK_AFTER_SECONDS = env_int("SYNC_STUCK_AFTER_SECONDS", 300)
    PAGE_SIZE = env_int("PAGE_SIZE", 50)
    # Level of every process's log (webapp/logs.py): one line per request and per job at INFO.
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    # "Keep me signed in": the same protections as the session cookie, for two weeks at most.
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=env_int("REMEMBER_COOKIE_DAYS", 14))
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    # The biggest honest request is an invoice of 100 lines; Intuit's webhooks are far smaller.
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 1024 * 1024)
    WEBHOOK_MAX_CONTENT_LENGTH = env_int("WEBHOOK_MAX_CONTENT_LENGTH", 256 * 1024)
    # No template needs inline script, eval or inline style; false sends the policy as
    # Report-Only, for trying a template change that might break it.
    CONTENT_SECURITY_POLICY_ENFORCED = env_bool("CONTENT_SECURITY_POLICY_ENFORCED", True)
    # Failed sign-ins allowed per email address and per client address (limits' syntax; a
    # success does not count). The per-address limit leaves room for an office behind one NAT.
    LOGIN_RATE_PER_ACCOUNT = os.environ.get("LOGIN_RATE_PER_ACCOUNT", "10 per minute;50 per hour")
    LOGIN_RATE_PER_ADDRESS = os.environ.get("LOGIN_RATE_PER_ADDRESS", "30 per minute;300 per hour")
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    # A Redis that hangs must not hang the sign-in page for long.
    RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 1, "socket_connect_timeout": 1}
    # How many proxies in front of the app set X-Forwarded-For/-Proto/-Host (1 behind nginx);
    # 0 trusts none, so the client address is the socket's peer.
    TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
    # Sent only when SESSION_COOKIE_SECURE is on, i.e. the app is served over HTTPS.
    HSTS_MAX_AGE = env_int("HSTS_MAX_AGE", 365 * 24 * 3600)

    # QuickBooks Online. Only hosts and keys differ between the emulator and Intuit.
    QBO_ENVIRONMENT = os.environ.get("QBO_ENVIRONMENT", "emulator")
    QBO_EMULATOR_URL = os.environ.get("QBO_EMULATOR_URL", "http://127.0.0.1:5055")
    QBO_CLIENT_ID = os.environ.get("QBO_CLIENT_ID", "ledgerbridge-demo")
    QBO_CLIENT_SECRET = os.environ.get("QBO_CLIENT_SECRET", "ledgerbridge-demo-secret")
    QBO_REDIRECT_URI = os.environ.get("QBO_REDIRECT_URI", "")
    QBO_WEBHOOK_VERIFIER_TOKEN = os.environ.get("QBO_WEBHOOK_VERIFIER_TOKEN", "")
    QBO_MINOR_VERSION = env_int("QBO_MINOR_VERSION", 75)
    QBO_TIMEOUT_SECONDS = float(os.environ.get("QBO_TIMEOUT_SECONDS", "20"))
    # Fernet key (urlsafe base64, 32 bytes) for OAuth tokens at rest; derived from SECRET_KEY when
    # unset, which check_secrets() makes sure is not guessable.
    TOKEN_ENCRYPTION_KEY = os.environ.get("TOKEN_ENCRYPTION_KEY", "")
    # Seconds between RQ retries of a sync after a 429, a 5xx or a timeout; one retry per value.
    QBO_RETRY_INTERVALS = [
        int(v) for v in os.environ.get("QBO_RETRY_INTERVALS", "10,30,60").split(",") if v.strip()
    ]
    # Intuit's per-company limits, shared by all workers through Redis (quickbooks/throttle.py).
    QBO_RATE_PER_MINUTE = env_int("QBO_RATE_PER_MINUTE", 500)
    QBO_RATE_PER_SECOND = env_int("QBO_RATE_PER_SECOND", 10)
    QBO_MAX_CONCURRENT = env_int("QBO_MAX_CONCURRENT", 10)
    QBO_BATCH_PER_MINUTE = env_int("QBO_BATCH_PER_MINUTE", 40)
    QBO_THROTTLE_MAX_WAIT = env_int("QBO_THROTTLE_MAX_WAIT", 30)
    # After a 429 every worker runs at half the limits for this long (Intuit asks for 60 s).
    QBO_THROTTLE_COOLDOWN_SECONDS = env_int("QBO_THROTTLE_COOLDOWN_SECONDS", 60)
    # The QBO item invoice and refund lines are booked on (looked up by name).
    QBO_SERVICE_ITEM_NAME = os.environ.get("QBO_SERVICE_ITEM_NAME", "Services")
    # How often worker.py runs the sweeper that revives rows stuck in Syncing…/Unsyncing….
    QBO_SWEEP_INTERVAL_SECONDS = env_int("QBO_SWEEP_INTERVAL_SECONDS", 60)
    # How often the worker catches every connected company up with QBO's changes (CDC), in
    # case a webhook was lost; webhooks stay the fast path.
    QBO_CDC_INTERVAL_SECONDS = env_int("QBO_CDC_INTERVAL_SECONDS", 900)


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    REDIS_URL = "redis://127.0.0.1:1/0"  # tests that need Redis pass their own


# Values that have been defaults or examples somewhere: anyone can sign a session cookie with them.
PLACEHOLDER_SECRETS = {"dev-only-change-me", "change-me", "changeme", "secret", "test-secret"}
MIN_SECRET_LENGTH = 32
MAKE_ONE = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class InsecureConfig(RuntimeError):
    """The app would run with a secret an attacker can guess; it refuses to start."""


def check_secrets(config) -> None:
    """Refuse a missing, placeholder or short SECRET_KEY and a malformed TOKEN_ENCRYPTION_KEY.

    Whoever knows SECRET_KEY can sign a session cookie for any user and, when
    TOKEN_ENCRYPTION_KEY is unset, decrypt the QuickBooks tokens, whose key is derived from it.
    The entry points of a deployment call this: wsgi.py (gunicorn, `flask --app wsgi`) and
    worker.py. The demo (`make run`) generates its own secrets and passes them to both.
    """
    secret = config.get("SECRET_KEY") or ""
    unset = config.get("SECRET_KEY_IS_EPHEMERAL", False)
    if unset or secret in PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_LENGTH:
        raise InsecureConfig(
            f"SECRET_KEY is unset, a placeholder or shorter than {MIN_SECRET_LENGTH} characters; "
            f"set it to a random value, for example the output of: {MAKE_ONE}"
        )
    token_key = config.get("TOKEN_ENCRYPTION_KEY")
    if token_key:
        try:
            Fernet(token_key)
        except (ValueError, TypeError) as error:
            raise InsecureConfig(
                "TOKEN_ENCRYPTION_KEY must be a Fernet key (urlsafe base64 of 32 random bytes): "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            ) from error


def ephemeral_secret_if_unset(app) -> None:
    """A bare create_app() (a shell, an import check) without SECRET_KEY gets a random key that
    lives as long as the process, so nothing ever signs with a known value."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secrets.token_urlsafe(32)
        # Worker processes would derive another key: a deployment must set its own.
        app.config["SECRET_KEY_IS_EPHEMERAL"] = True
        logging.getLogger(__name__).warning(
            "SECRET_KEY is unset: using a random key for this process only (wsgi.py refuses this)"
        )


def limiter_storage_uri(redis_url: str) -> str:
    """The limits library spells a Redis unix socket redis+unix://, where redis-py says unix://."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url
