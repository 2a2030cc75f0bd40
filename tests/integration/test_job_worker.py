"""The job loop of worker.py (webapp/worker.py), in this process: its log says one line per job."""

import logging
import threading

import pytest
from redis import Redis

from webapp.extensions import db
from webapp.models import SyncStatus
from webapp.quickbooks.sync import request_sync
from webapp.worker import JobWorker

pytestmark = pytest.mark.integration


def run_job_worker(app, redis_url) -> None:
    connection = Redis.from_url(redis_url)
    worker = JobWorker(app.config["RQ_QUEUES"], connection, app, threading.Event())
    worker.work(burst=True, logging_level="WARNING")


def test_one_line_per_job_and_a_traceback_only_for_the_unexpected(
    qbo_app, qbo_firm, paid_invoice, qbo_emulator, queue, redis_url, caplog
):
    qbo_emulator.control.set_faults(qbo_firm.realm_id, error_503_rate=1.0)
    request_sync(paid_invoice, qbo_firm.user)
    db.session.commit()
    queue.enqueue("webapp.quickbooks.jobs.run_sync", "no-such-kind", 1)  # a bug, as it would look

    with caplog.at_level(logging.INFO, logger="webapp.worker"):
        run_job_worker(qbo_app, redis_url)

    lines = [r for r in caplog.records if r.name == "webapp.worker"]
    payment = [r.getMessage() for r in lines if r.getMessage().startswith("sync payment")]
    # Two retries (QBO_RETRY_INTERVALS has two), then the row fails with QuickBooks' message.
    assert len(payment) == 3, payment
    assert all(" ms" in line for line in payment)
    assert payment[0].startswith(f"sync payment {paid_invoice.id}: retrying later (QboUnavailable")
    assert payment[2].startswith(f"sync payment {paid_invoice.id}: failed: ")
    assert [r.getMessage() for r in lines if r.exc_info] == [
        "webapp.quickbooks.jobs.run_sync raised"
    ]
    assert "KeyError" in caplog.text  # the unexpected one, with its traceback
    assert "Traceback" not in "\n".join(payment)
    db.session.expire_all()
    assert paid_invoice.qbo_status is SyncStatus.FAILED
