"""`python worker.py` as production runs it: killed with SIGKILL, and Redis restarted under it."""

import re
import tempfile
import time
from pathlib import Path

import pytest
from rq import Queue
from rq.registry import ScheduledJobRegistry

from tests.support.processes import RedisServer, wait_for, with_worker_token_key
from webapp.extensions import db
from webapp.models import SyncStatus
from webapp.quickbooks.sync import request_sync, row_lock_key

pytestmark = pytest.mark.integration

RETRY_AFTER = 6  # seconds: long enough to kill a worker and start another before it is due


@pytest.fixture
def qbo_app(qbo_app):
    return with_worker_token_key(qbo_app)


def status_of(record) -> SyncStatus:
    db.session.expire_all()
    return db.session.get(type(record), record.id).qbo_status


def test_a_retry_runs_on_time_when_the_first_worker_is_killed(
    qbo_app, qbo_firm, paid_invoice, worker_processes, qbo_emulator, redis_conn
):
    # RQ's scheduler ran in the first worker to start, under a lock that outlived its SIGKILL
    # by a minute, and the other workers looked for that lock every ten minutes.
    qbo_app.config["QBO_RETRY_INTERVALS"] = [RETRY_AFTER, RETRY_AFTER]
    first = worker_processes.start()
    worker_processes.start()
    qbo_emulator.control.set_faults(qbo_firm.realm_id, error_503_rate=1.0)
    request_sync(paid_invoice, qbo_firm.user)
    db.session.commit()

    scheduled = ScheduledJobRegistry(
        queue=Queue(qbo_app.config["RQ_QUEUES"][0], connection=redis_conn)
    )
    job_id = wait_for(lambda: scheduled.get_job_ids(), 15, "the first attempt failing")[0]
    due = scheduled.get_scheduled_time(job_id).timestamp()
    qbo_emulator.control.clear_faults(qbo_firm.realm_id)
    worker_processes.kill(first)
    worker_processes.start()  # its replacement, as systemd would start it

    wait_for(lambda: status_of(paid_invoice) is SyncStatus.SYNCED, RETRY_AFTER + 15, "the retry")
    assert time.time() - due < 5, "the retry ran late"
    assert len(qbo_firm.entities("Payment")) == 1

    def logs():
        return "\n".join(worker.log for worker in worker_processes.started)

    # The job's line follows its commit by a moment.
    synced = rf"sync payment {paid_invoice.id}: synced in \d+ ms"
    wait_for(lambda: re.search(synced, logs()), 5, "the job's log line")
    logs = logs()
    assert f"sync payment {paid_invoice.id}: retrying later (QboUnavailable" in logs
    assert "Traceback" not in logs  # an expected retry is one line, not a stack


def test_a_row_whose_worker_was_killed_mid_job_is_synced_within_seconds(
    qbo_app, qbo_firm, paid_invoice, worker_processes, qbo_emulator, redis_conn
):
    quick = {"JOB_LEASE_SECONDS": 4, "SYNC_STUCK_AFTER_SECONDS": 2, "QBO_SWEEP_INTERVAL_SECONDS": 2}
    doomed = worker_processes.start(**quick)
    qbo_emulator.control.set_faults(qbo_firm.realm_id, latency_ms=1500)  # every call is slow
    request_sync(paid_invoice, qbo_firm.user)
    db.session.commit()
    row_lock = row_lock_key("payment", paid_invoice.id)
    wait_for(lambda: redis_conn.exists(row_lock), 10, "the job taking its row")
    worker_processes.kill(doomed)  # mid-job: its row stays Syncing… with nobody working on it
    killed_at = time.monotonic()
    qbo_emulator.control.clear_faults(qbo_firm.realm_id)
    worker_processes.start(**quick)

    wait_for(lambda: status_of(paid_invoice) is SyncStatus.SYNCED, 20, "the row revived")
    # The lease (4 s), the sweeper's age gate (2 s) and its interval (2 s), and a start.
    assert time.monotonic() - killed_at < 15
    assert len(qbo_firm.entities("Payment")) == 1


def test_a_worker_waits_for_redis_to_come_back_and_carries_on(
    qbo_app, qbo_firm, make, worker_processes
):
    # A socket path of our own, short enough for AF_UNIX.
    with tempfile.TemporaryDirectory(prefix="lb-redis-") as directory:
        redis = RedisServer(Path(directory)).start()
        try:
            qbo_app.config["REDIS_URL"] = redis.url
            worker = worker_processes.start(REDIS_URL=redis.url)
            redis.restart(down_for=2)

            client = make.client(qbo_firm.firm, display_name="After The Outage Ltd")
            db.session.commit()
            request_sync(client, qbo_firm.user)
            db.session.commit()
            wait_for(lambda: status_of(client) is SyncStatus.SYNCED, 20, "a job after the outage")
            assert worker.alive
            log = worker.log
            assert log.count("Redis does not answer") == 1, log
            assert "Redis answers again" in log
            assert "quitting" not in log
        finally:
            redis.stop()
