"""Sign-in under attack: a flood is limited per account and per address, in Redis, with a
message; an unknown email takes as long as a known one; Redis down never makes it a 500."""

import logging
import time

import pytest

from tests.factories import PASSWORD
from webapp import create_app
from webapp.config import TestConfig
from webapp.extensions import db


@pytest.fixture
def limited_app(app, redis_url, redis_conn):
    """The app with its sign-in counts in the test's own Redis (same database as `app`)."""
    config = type(
        "LimitedConfig",
        (TestConfig,),
        {
            "REDIS_URL": redis_url,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "LOGIN_RATE_PER_ACCOUNT": "3 per minute",
            "LOGIN_RATE_PER_ADDRESS": "5 per minute",
        },
    )
    limited = create_app(config)
    yield limited
    with limited.app_context():
        db.engine.dispose()


def sign_in(client, email, password="wrong password"):
    return client.post("/login", data={"email": email, "password": password})


def test_failed_sign_ins_for_one_account_are_limited_with_a_message(limited_app, owner):
    client = limited_app.test_client()
    for _ in range(3):
        assert sign_in(client, owner.email).status_code == 422
    response = sign_in(client, owner.email)
    assert response.status_code == 429
    assert "Too many sign-in attempts. Try again in" in response.text
    assert 0 < int(response.headers["Retry-After"]) <= 61  # a one-minute window, rounded up
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    # Even the right password waits: the attacker must not learn it was right.
    assert sign_in(client, owner.email, PASSWORD).status_code == 429
    assert client.get("/clients/").status_code == 302


def test_the_account_limit_counts_the_email_as_it_is_looked_up(limited_app, owner):
    client = limited_app.test_client()
    for spelling in (owner.email, owner.email.upper(), f"  {owner.email} "):
        assert sign_in(client, spelling).status_code == 422
    assert sign_in(client, owner.email).status_code == 429


def test_failed_sign_ins_from_one_address_are_limited_whatever_the_email(limited_app, owner):
    client = limited_app.test_client()
    for n in range(5):
        assert sign_in(client, f"nobody{n}@example.test").status_code == 422
    assert sign_in(client, "someone-else@example.test").status_code == 429
    # Another address is not affected.
    other = limited_app.test_client()
    response = other.post(
        "/login",
        data={"email": owner.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert response.status_code == 302


def test_successful_sign_ins_do_not_use_up_the_allowance(limited_app, owner):
    client = limited_app.test_client()
    for _ in range(4):
        assert sign_in(client, owner.email, PASSWORD).status_code == 302
        client.post("/logout")
    assert sign_in(client, owner.email).status_code == 422


def test_the_counts_are_kept_in_redis(limited_app, owner, redis_conn):
    sign_in(limited_app.test_client(), owner.email)
    keys = [key.decode() for key in redis_conn.keys("*")]
    assert any("login-account" in key and owner.email in key for key in keys), keys
    assert any("login-address" in key for key in keys), keys


def test_sign_in_works_and_logs_when_redis_is_down(client, owner, caplog, monkeypatch):
    # TestConfig's Redis is a closed port: the limiter fails open, with a log line.
    # (Alembic's fileConfig, run in-process by the migration tests, disables existing loggers.)
    monkeypatch.setattr(logging.getLogger("flask-limiter"), "disabled", False)
    with caplog.at_level(logging.ERROR, logger="flask-limiter"):
        for _ in range(12):
            assert sign_in(client, owner.email).status_code == 422
        assert sign_in(client, owner.email, PASSWORD).status_code == 302
    assert "Failed to rate limit" in caplog.text


def fastest_answers(client, emails, rounds=5) -> dict[str, float]:
    """Each email's fastest failed sign-in, tried in turns so a busy machine slows all alike."""
    best = dict.fromkeys(emails, float("inf"))
    for _ in range(rounds):
        for email in emails:
            start = time.perf_counter()
            assert sign_in(client, email).status_code == 422
            best[email] = min(best[email], time.perf_counter() - start)
    return best


def test_an_unknown_email_takes_as_long_as_a_known_one(client, owner, make):
    inactive = make.user(active=False)
    db.session.commit()
    best = fastest_answers(client, [owner.email, "nobody@example.test", inactive.email])
    known = best[owner.email]
    # Without the dummy hash an unknown email answered in a few milliseconds, ~30x faster.
    assert best["nobody@example.test"] > known / 3
    assert best[inactive.email] > known / 3
