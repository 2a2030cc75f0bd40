"""Our own Redis dying in the middle of a sync: QBO's answer is kept, and the row is never judged.

Each test gives the app a redis-server of its own and kills it (SIGKILL) while the job waits
for the emulator, which answers each call after a set latency.
"""

import subprocess
import threading
import time

import pytest
from redis import Redis
from rq import Queue, SimpleWorker

from tests.conftest import redis_server_binary
from webapp.extensions import db
from webapp.models import ClientAccount, SyncEvent, SyncStatus
from webapp.quickbooks import jobs, sweeper
from webapp.quickbooks.sync import request_sync

pytestmark = pytest.mark.integration

LATENCY_MS = 800


class RedisServer:
    """A redis-server on a unix socket that a test may kill and start again."""

    def __init__(self, directory):
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.url = f"unix://{self.socket}"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                *("--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if Redis.from_url(self.url).ping():
                    return
            except Exception:
                time.sleep(0.01)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=5)


@pytest.fixture
def own_redis(qbo_app, qbo_firm, tmp_path):
    """Point the connected app at a Redis of its own (the firm was connected on the shared one)."""
    server = RedisServer(tmp_path)
    server.start()
    qbo_app.config["REDIS_URL"] = server.url
    yield server
    if server.process.poll() is None:
        server.kill()


def kill_after(server: RedisServer, seconds: float, ready=lambda: True) -> threading.Thread:
    """Kill the server `seconds` after `ready()` first holds, from another thread."""

    def run():
        deadline = time.monotonic() + 10
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(seconds)
        server.kill()

    thread = threading.Thread(target=run, name="redis-killer")
    thread.start()
    return thread


def outcomes(record) -> list[str]:
    return [
        event.outcome
        for event in db.session.execute(
            db.select(SyncEvent).filter_by(record_type="client", record_id=record.id)
        ).scalars()
    ]


def test_redis_dying_while_qbo_creates_the_customer_keeps_qbos_answer(qbo_firm, own_redis, make):
    client = make.client(qbo_firm.firm, display_name="Harbor Light Bakery")
    db.session.commit()
    request_sync(client, qbo_firm.user)
    db.session.commit()
    emulator = qbo_firm.emulator.control
    emulator.set_faults(qbo_firm.realm_id, latency_ms=LATENCY_MS)

    def customer_query_answered() -> bool:
        return any("Customer" in r["path"] for r in emulator.requests(qbo_firm.realm_id))

    # The look-up answers; Redis dies while QBO works on the POST that creates the customer.
    killer = kill_after(own_redis, LATENCY_MS / 2000, customer_query_answered)
    jobs.run_sync("client", client.id, qbo_firm.user_id)
    killer.join(timeout=10)
    db.session.expire_all()

    [customer] = qbo_firm.entities("Customer")
    assert client.qbo_status is SyncStatus.SYNCED
    assert client.qbo_id == customer["Id"]
    assert outcomes(client) == ["queued", "synced"]


def test_redis_dying_before_the_create_leaves_the_row_pending_for_the_sweeper(
    qbo_app, qbo_firm, own_redis, make
):
    client = make.client(qbo_firm.firm, display_name="Harbor Light Bakery")
    db.session.commit()
    request_sync(client, qbo_firm.user)
    db.session.commit()
    qbo_firm.emulator.control.set_faults(qbo_firm.realm_id, latency_ms=LATENCY_MS)

    # Redis dies while QBO answers the look-up, so the create cannot even take its slot.
    killer = kill_after(own_redis, LATENCY_MS / 2000)
    result = jobs.run_sync("client", client.id, qbo_firm.user_id)
    killer.join(timeout=10)
    db.session.expire_all()

    assert result == "pending: left for the sweeper"
    assert client.qbo_status is SyncStatus.SYNCING  # no verdict: nothing was wrong with the row
    assert client.qbo_message is None
    assert qbo_firm.entities("Customer") == []

    # Redis comes back empty (the queued job is gone); the sweeper sends the row again.
    own_redis.start()
    qbo_firm.emulator.control.clear_faults(qbo_firm.realm_id)
    qbo_app.config["SYNC_STUCK_AFTER_SECONDS"] = 0
    assert sweeper.sweep_stuck_rows() == 1
    connection = Redis.from_url(own_redis.url)
    queues = [Queue(name, connection=connection) for name in qbo_app.config["RQ_QUEUES"]]
    SimpleWorker(queues, connection=connection).work(burst=True)
    db.session.expire_all()

    [customer] = qbo_firm.entities("Customer")
    client = db.session.get(ClientAccount, client.id)
    assert client.qbo_status is SyncStatus.SYNCED
    assert client.qbo_id == customer["Id"]
    assert outcomes(client) == ["queued", "requeued", "synced"]
