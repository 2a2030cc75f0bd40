"""A deployment refuses to start with a secret an attacker can guess.

With the old default SECRET_KEY, a session cookie signed by anyone who read the source was
accepted as the firm's owner. gunicorn's entry point (wsgi.py) and the worker now stop on a
missing, placeholder or short SECRET_KEY, or a malformed TOKEN_ENCRYPTION_KEY; the demo makes
its own secrets, and a bare create_app() (a shell, tests) never signs with a known value.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from webapp import create_app
from webapp.config import InsecureConfig, check_secrets

ROOT = Path(__file__).resolve().parents[1]
STRONG = "f3Vq9Lx2Rm7Tz4Wp8Yc1Hd6Jn5Gs0BvK2eQ"  # random-looking, 36 characters


@pytest.mark.parametrize("secret", ["", "dev-only-change-me", "changeme", "short-but-random-1"])
def test_a_missing_placeholder_or_short_secret_key_is_refused(secret):
    with pytest.raises(InsecureConfig, match="SECRET_KEY"):
        check_secrets({"SECRET_KEY": secret})


def test_a_token_encryption_key_that_is_not_a_fernet_key_is_refused():
    with pytest.raises(InsecureConfig, match="TOKEN_ENCRYPTION_KEY"):
        check_secrets({"SECRET_KEY": STRONG, "TOKEN_ENCRYPTION_KEY": "my-password"})


def test_a_random_secret_and_a_fernet_key_are_accepted():
    check_secrets({"SECRET_KEY": STRONG, "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode()})


def test_a_bare_app_without_secret_key_signs_with_a_random_one_of_its_own():
    first = create_app({"SECRET_KEY": "", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    second = create_app({"SECRET_KEY": "", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"]


def run(code: str, env: dict) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter with SECRET_KEY and TOKEN_ENCRYPTION_KEY as in `env`."""
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "TOKEN_ENCRYPTION_KEY"}}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean | {"DATABASE_URL": "sqlite://"} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


# `gunicorn wsgi:app` imports wsgi; the worker runs worker.main() before touching Redis.
ENTRY_POINTS = ["import wsgi", "import sys, worker; sys.argv = ['worker.py']; worker.main()"]


@pytest.mark.parametrize("code", ENTRY_POINTS)
@pytest.mark.parametrize("secret", [None, "dev-only-change-me"])
def test_web_server_and_worker_do_not_start_with_a_guessable_secret_key(code, secret):
    result = run(code, {} if secret is None else {"SECRET_KEY": secret})
    assert result.returncode != 0
    assert "InsecureConfig: SECRET_KEY is unset, a placeholder or shorter" in result.stderr


def test_the_web_server_starts_with_a_real_secret_key():
    result = run("import wsgi", {"SECRET_KEY": STRONG})
    assert result.returncode == 0, result.stderr


def forged_cookie(user, key: str = "dev-only-change-me") -> str:
    """The attack that worked: a session for `user` signed with the old default key."""
    forger = Flask("forger")
    forger.secret_key = key
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    return serializer.dumps({"_user_id": user.get_id(), "_fresh": True})


@pytest.mark.parametrize(("key", "status"), [("", 302), ("dev-only-change-me", 200)])
def test_a_session_cookie_forged_with_the_old_default_key_is_not_accepted(app, owner, key, status):
    # The second case shows the forgery is real: an app with the old default accepts it.
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    bare = create_app({"SECRET_KEY": key, "SQLALCHEMY_DATABASE_URI": database})
    client = bare.test_client()
    client.set_cookie("session", forged_cookie(owner))
    assert client.get("/clients/").status_code == status
