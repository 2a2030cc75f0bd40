"""The app refuses to start with a secret an attacker can guess.

With the old default SECRET_KEY, a session cookie signed by anyone who read the source was
accepted as the firm's owner. Outside tests (TESTING) and the demo (which makes its own), a
missing, placeholder or short SECRET_KEY, or a malformed TOKEN_ENCRYPTION_KEY, stops startup.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from webapp import create_app
from webapp.config import InsecureConfig

ROOT = Path(__file__).resolve().parents[1]
STRONG = "f3Vq9Lx2Rm7Tz4Wp8Yc1Hd6Jn5Gs0BvK2eQ"  # random-looking, 36 characters


def production(**overrides) -> dict:
    """Production settings: no TESTING, an unreachable database is fine (nothing connects)."""
    return {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": STRONG} | overrides


@pytest.mark.parametrize("secret", ["", "dev-only-change-me", "changeme", "short-but-random-1"])
def test_startup_refuses_a_missing_placeholder_or_short_secret_key(secret):
    with pytest.raises(InsecureConfig, match="SECRET_KEY"):
        create_app(production(SECRET_KEY=secret))


def test_startup_refuses_a_token_encryption_key_that_is_not_a_fernet_key():
    with pytest.raises(InsecureConfig, match="TOKEN_ENCRYPTION_KEY"):
        create_app(production(TOKEN_ENCRYPTION_KEY="my-password"))


def test_startup_accepts_a_random_secret_and_a_fernet_key():
    app = create_app(production(TOKEN_ENCRYPTION_KEY=Fernet.generate_key().decode()))
    assert app.config["SECRET_KEY"] == STRONG


def test_tests_may_use_a_short_secret():
    assert create_app(production(TESTING=True, SECRET_KEY="test-secret")).testing


def run_wsgi(env: dict) -> subprocess.CompletedProcess:
    """Import wsgi.py as gunicorn does (`gunicorn wsgi:app`), in a clean process."""
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "TOKEN_ENCRYPTION_KEY"}}
    return subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=clean | {"DATABASE_URL": "sqlite://"} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_gunicorn_entry_point_does_not_start_without_secret_key():
    result = run_wsgi({})
    assert result.returncode != 0
    assert "InsecureConfig: SECRET_KEY is unset" in result.stderr


def test_gunicorn_entry_point_starts_with_a_real_secret_key():
    result = run_wsgi({"SECRET_KEY": STRONG})
    assert result.returncode == 0, result.stderr
