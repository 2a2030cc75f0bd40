"""Fixtures for the QuickBooks chain: the emulator over HTTP, a connected firm, real RQ jobs.

Registered in tests/conftest.py (`pytest_plugins`), so integration and browser tests can ask for:

- `qbo_emulator`: one EmulatorServer for the whole run (127.0.0.1, free port).
- `qbo_company`: a fresh company (realmId) per test, so ids and requestids never collide.
- `qbo_app`: the `app` fixture pointed at the emulator and the private Redis, retries without waits.
- `connect_qbo(client, realm_id)`: drive the OAuth flow over HTTP like a browser would.
- `qbo_firm`: an owner signed in to `client`, whose firm is connected to `qbo_company`.
- `run_jobs()`: run every queued job with RQ's SimpleWorker(burst=True) in this process.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.timeouts import TimerDeathPenalty

from webapp.extensions import db
from webapp.models import Firm, QboConnection, User

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@pytest.fixture(scope="session")
def qbo_emulator():
    """The QBO emulator served over HTTP for the whole test session."""
    from qbo_emulator.testing import EmulatorServer

    with EmulatorServer(config={"RANDOM_SEED": 7}) as emu:
        yield emu


@pytest.fixture
def qbo_company(qbo_emulator):
    """A new, seeded company for this test only; its realmId."""
    return qbo_emulator.control.create_company(f"Test Company {uuid.uuid4().hex[:6]}")


QBO_TEST_CONFIG = {
    "QBO_ENVIRONMENT": "emulator",
    "QBO_RETRY_INTERVALS": [0, 0],
    "QBO_TIMEOUT_SECONDS": 2,
    "QBO_THROTTLE_MAX_WAIT": 5,
    "QBO_WEBHOOK_VERIFIER_TOKEN": "test-verifier-token",
}


@pytest.fixture
def qbo_app(app, redis_url, redis_conn, qbo_emulator):
    """The app wired to the emulator and the private Redis (flushed after the test)."""
    app.config.update(QBO_TEST_CONFIG, REDIS_URL=redis_url, QBO_EMULATOR_URL=qbo_emulator.url)
    return app


def connect_over_http(client, emulator_url: str, realm_id: str, action: str = "connect"):
    """Click "Connect to QuickBooks", pick `realm_id` on the emulator's consent page, follow back.

    Returns:
        The app's response to the OAuth callback (a redirect to the settings page).
    """
    start = client.post("/settings/integrations/quickbooks/connect")
    assert start.status_code == 302, start.get_data(as_text=True)
    consent = requests.get(start.headers["Location"], timeout=5)
    assert consent.status_code == 200, consent.text
    form = dict(_HIDDEN.findall(consent.text))
    form.update({"realm_id": realm_id, "action": action})
    decision = requests.post(
        f"{emulator_url}/connect/oauth2", data=form, allow_redirects=False, timeout=5
    )
    assert decision.status_code in (302, 303), decision.text
    back = urlsplit(decision.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


@pytest.fixture
def connect_qbo(qbo_app, qbo_emulator):
    def connect(client, realm_id, action="connect"):
        return connect_over_http(client, qbo_emulator.url, realm_id, action)

    return connect


@dataclass
class ConnectedFirm:
    firm_id: int
    user_id: int
    realm_id: str
    emulator: object

    @property
    def firm(self) -> Firm:
        return db.session.get(Firm, self.firm_id)

    @property
    def user(self) -> User:
        return db.session.get(User, self.user_id)

    @property
    def connection(self) -> QboConnection:
        return db.session.execute(
            db.select(QboConnection).filter_by(firm_id=self.firm_id)
        ).scalar_one()

    def entities(self, entity: str, include_deleted: bool = False) -> list[dict]:
        """What the emulator holds for this company (deleted objects only when asked)."""
        objs = self.emulator.control.entities(self.realm_id, entity)
        return [o for o in objs if include_deleted or o.get("status") != "Deleted"]


@pytest.fixture
def run_jobs(qbo_app, redis_url):
    """Run queued jobs (and their immediate retries) to completion in this process."""

    def run(max_jobs: int | None = None) -> int:
        if db.session.registry.has():
            db.session.commit()  # jobs use their own session; let them see our rows
        connection = Redis.from_url(redis_url)
        queues = [Queue(name, connection=connection) for name in qbo_app.config["RQ_QUEUES"]]
        worker = SimpleWorker(queues, connection=connection)
        with qbo_app.app_context():
            worker.work(burst=True, max_jobs=max_jobs)
        db.session.expire_all()
        return worker.successful_job_count + worker.failed_job_count

    return run


def make_scheduled_jobs_due(connection: Redis, queue_names) -> int:
    """Pretend the waits are over: move every scheduled job (a retry, a throttled row's comeback)
    onto its queue now. Returns how many moved."""
    moved = 0
    for name in queue_names:
        queue = Queue(name, connection=connection)
        scheduled = ScheduledJobRegistry(queue=queue)
        for job_id in scheduled.get_job_ids():
            scheduled.remove(job_id)
            queue.enqueue_job(Job.fetch(job_id, connection=connection))
            moved += 1
    return moved


@pytest.fixture
def qbo_firm(qbo_app, client, auth, make, qbo_emulator, qbo_company, connect_qbo, run_jobs):
    """An owner of a new firm, signed in to `client`, connected to a fresh emulator company."""
    user = make.user()
    db.session.commit()
    auth.login(user)
    response = connect_qbo(client, qbo_company)
    assert response.status_code == 302
    run_jobs()  # the account list and the company name
    return ConnectedFirm(user.firm_id, user.id, qbo_company, qbo_emulator)


class _ThreadWorker(SimpleWorker):
    """A SimpleWorker that may run outside the main thread (signal handlers are main-only)."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):
        pass


@pytest.fixture
def qbo_worker_thread(qbo_app, redis_url):
    """A background RQ worker for tests that watch rows change by themselves (browser tests).

    Yields:
        threading.Event: set it to stop early; the fixture stops the worker at teardown.
    """
    import threading
    import time

    stop = threading.Event()
    errors = []

    def loop():
        connection = Redis.from_url(redis_url)
        queues = [Queue(name, connection=connection) for name in qbo_app.config["RQ_QUEUES"]]
        while not stop.is_set():
            try:
                with qbo_app.app_context():
                    _ThreadWorker(queues, connection=connection).work(burst=True)
            except Exception as error:  # pragma: no cover - surfaced at teardown
                errors.append(error)
            time.sleep(0.1)

    thread = threading.Thread(target=loop, name="rq-test-worker", daemon=True)
    thread.start()
    yield stop
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive(), "the RQ test worker is still busy 10 s after the test"
    assert errors == [], errors


def committed(requested):
    """What a sync request did, known once the commit that sends its job went through."""
    db.session.commit()
    return requested.outcome
