"""A real `python worker.py` killed (SIGKILL) while its batch is with QuickBooks: the sweeper
gives the run new lanes, they look first, and every payment exists in QuickBooks exactly once."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import BulkRun, Payment, SyncStatus

from .test_qbo_bulk import ClientAccount, Invoice, make_payments, start_run, sync_selected

ROOT = Path(__file__).resolve().parents[2]
WORKER_SECRET = "bulk-worker-test-secret-never-used-in-production"


@pytest.fixture
def shared_token_key(qbo_app):
    """The test app and the worker process must read the same encrypted tokens."""
    qbo_app.config["TOKEN_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    return qbo_app.config["TOKEN_ENCRYPTION_KEY"]


def spawn_worker(qbo_app, token_key: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": qbo_app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": qbo_app.config["REDIS_URL"],
        "QBO_ENVIRONMENT": "emulator",
        "QBO_EMULATOR_URL": qbo_app.config["QBO_EMULATOR_URL"],
        "SECRET_KEY": WORKER_SECRET,
        "TOKEN_ENCRYPTION_KEY": token_key,
    }
    return subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, killed whole
    )


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # see what the worker committed
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_worker_killed_mid_batch_is_recovered_by_the_sweeper_with_no_duplicate(
    shared_token_key, qbo_app, qbo_firm, make, run_jobs, tmp_path
):
    from webapp.queue import get_redis
    from webapp.quickbooks import sweeper
    from webapp.quickbooks.bulk_runs import heartbeat_key

    make_payments(make, qbo_firm.firm, clients=3, per_client=20)
    for model in (ClientAccount, Invoice):
        sync_selected(qbo_firm, model, run_jobs)
    # QuickBooks takes 2 s to answer, so the worker is surely inside the batch call.
    qbo_firm.emulator.control.set_faults(qbo_firm.realm_id, latency_ms=2000)
    run_id = start_run(qbo_firm, Payment)

    calls_before = len(qbo_firm.emulator.control.requests(qbo_firm.realm_id))

    def looked_first():  # the chunk's look-first query is answered: its batch goes out next
        calls = qbo_firm.emulator.control.requests(qbo_firm.realm_id)[calls_before:]
        return any("FROM+Invoice+WHERE+Id+IN" in call["path"] for call in calls)

    worker = spawn_worker(qbo_app, shared_token_key, tmp_path / "worker.log")
    try:
        wait_for(looked_first)
        time.sleep(0.5)  # the batch is with QuickBooks now
        os.killpg(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=10)
    time.sleep(2.5)  # QuickBooks finishes the batch nobody will hear back from
    qbo_firm.emulator.control.set_faults(qbo_firm.realm_id, latency_ms=0)
    made = len(qbo_firm.entities("Payment"))
    assert made > 0  # QuickBooks created them...
    assert (
        db.session.scalar(select(func.count()).where(Payment.qbo_status == SyncStatus.SYNCED))
        < made
    )  # ...and we never recorded them

    get_redis().delete(heartbeat_key(run_id))  # what 3 minutes without a live lane look like
    assert sweeper.sweep_stuck_rows() == 1
    run_jobs()

    run = db.session.get(BulkRun, run_id)
    assert (run.done, run.failed, run.left) == (60, 0, 0)
    assert len(qbo_firm.entities("Payment")) == 60  # those QuickBooks made were linked
    notes = [p["PrivateNote"] for p in qbo_firm.entities("Payment")]
    assert len(set(notes)) == 60
