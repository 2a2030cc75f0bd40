"""Sign-in throttling: failed attempts are limited per email and per client address, and an
unknown email costs the same time as a known one, so the answer tells an attacker nothing."""

import functools
import logging
import math
import secrets
import time

from flask import current_app, request
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import limiter

log = logging.getLogger(__name__)


def _account_key() -> str:
    # The email as the form will look it up; never empty, so the limit always applies.
    return "account:" + request.form.get("email", "").strip().lower()[:254]


def _failed(response) -> bool:
    """A sign-in that did not redirect failed; only failures use up the allowance."""
    return response.status_code != 302


per_address = limiter.limit(
    lambda: current_app.config["LOGIN_RATE_PER_ADDRESS"],
    methods=["POST"],
    deduct_when=_failed,
    scope="login-address",
)
per_account = limiter.limit(
    lambda: current_app.config["LOGIN_RATE_PER_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="login-account",
)


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def check_password(user, password: str) -> bool:
    """The user's password check, or the same scrypt work on a dummy hash when there is no user."""
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return False
    return user.check_password(password)


def seconds_until_retry() -> int:
    """Seconds until the breached limit lets one more attempt through (60 if Redis cannot say)."""
    current = limiter.current_limit
    try:
        return max(1, math.ceil(current.reset_at - time.time())) if current else 60
    except Exception:  # the storage went away between the breach and this question
        return 60


def limited_message(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    if seconds < 60:
        wait = ngettext("%(num)s second", "%(num)s seconds", seconds)
    else:
        wait = ngettext("%(num)s minute", "%(num)s minutes", minutes)
    return _("Too many sign-in attempts. Try again in %(wait)s.", wait=wait)


def log_limited() -> None:
    log.warning(
        "sign-in limited: account %r from %s",
        _account_key().removeprefix("account:"),
        request.remote_addr,
    )
