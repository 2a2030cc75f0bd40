"""The sweeper revives rows whose job was lost, and never doubles a job that is still alive."""

from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus

from webapp.extensions import db
from webapp.models import SyncEvent, SyncStatus, utcnow
from webapp.quickbooks import sweeper
from webapp.quickbooks.sync import request_sync, row_job_key, row_lock_key

pytestmark = pytest.mark.integration


@pytest.fixture
def queue(qbo_app, redis_url):
    return Queue(qbo_app.config["RQ_QUEUES"][0], connection=Redis.from_url(redis_url))


def stuck_for_an_hour(record):
    record.qbo_status_changed_at = utcnow() - timedelta(hours=1)
    db.session.commit()


def test_the_sweeper_revives_a_row_whose_job_vanished(qbo_firm, paid_invoice, run_jobs):
    paid_invoice.qbo_status = SyncStatus.SYNCING  # as if Redis lost the job with its data
    stuck_for_an_hour(paid_invoice)
    assert sweeper.sweep_stuck_rows() == 1
    assert sweeper.sweep_stuck_rows() == 0  # not twice
    run_jobs()
    assert paid_invoice.qbo_status is SyncStatus.SYNCED
    assert len(qbo_firm.entities("Payment")) == 1


def test_a_row_whose_job_is_still_queued_gets_no_second_job(
    qbo_firm, paid_invoice, run_jobs, queue
):
    request_sync(paid_invoice, qbo_firm.user)
    stuck_for_an_hour(paid_invoice)  # a long queue: the job has waited an hour
    assert sweeper.sweep_stuck_rows() == 0
    assert queue.count == 1
    run_jobs()
    assert paid_invoice.qbo_status is SyncStatus.SYNCED
    assert len(qbo_firm.entities("Payment")) == 1


def test_a_row_whose_job_waits_for_a_retry_gets_no_second_job(
    qbo_app, qbo_firm, paid_invoice, run_jobs, queue
):
    qbo_app.config["QBO_RETRY_INTERVALS"] = [3600]  # the backoff outlasts the stuck limit
    qbo_firm.emulator.control.set_faults(qbo_firm.realm_id, error_429_rate=1.0)
    request_sync(paid_invoice, qbo_firm.user)
    run_jobs()
    job_id = Redis.from_url(qbo_app.config["REDIS_URL"]).get(
        row_job_key("payment", paid_invoice.id)
    )
    assert Job.fetch(job_id.decode(), connection=queue.connection).get_status() == "scheduled"
    assert paid_invoice.qbo_status is SyncStatus.SYNCING
    stuck_for_an_hour(paid_invoice)
    assert sweeper.sweep_stuck_rows() == 0
    assert queue.count == 0


def test_a_row_whose_job_is_running_gets_no_second_job(
    qbo_app, qbo_firm, paid_invoice, run_jobs, queue
):
    paid_invoice.qbo_status = SyncStatus.SYNCING
    stuck_for_an_hour(paid_invoice)
    running = queue.connection.lock(row_lock_key("payment", paid_invoice.id), timeout=60)
    assert running.acquire(blocking=False)  # what _run holds while it works on the row
    try:
        assert sweeper.sweep_stuck_rows() == 0
        assert queue.count == 0
    finally:
        running.release()
    assert sweeper.sweep_stuck_rows() == 1


def test_a_job_popped_off_the_queue_by_a_worker_that_lost_redis_is_revived(
    qbo_firm, paid_invoice, run_jobs, queue
):
    request_sync(paid_invoice, qbo_firm.user)
    db.session.commit()
    [job] = queue.get_jobs()
    # RQ pops the id, then reads the job: Redis went away in between. It still says "queued".
    queue.remove(job)
    assert job.get_status() == JobStatus.QUEUED
    stuck_for_an_hour(paid_invoice)
    assert sweeper.sweep_stuck_rows() == 1
    run_jobs()
    assert paid_invoice.qbo_status is SyncStatus.SYNCED
    assert len(qbo_firm.entities("Payment")) == 1


def test_a_job_scheduled_for_a_retry_but_gone_from_the_registry_is_revived(
    qbo_app, qbo_firm, paid_invoice, run_jobs, queue
):
    qbo_app.config["QBO_RETRY_INTERVALS"] = [3600]
    qbo_firm.emulator.control.set_faults(qbo_firm.realm_id, error_503_rate=1.0)
    request_sync(paid_invoice, qbo_firm.user)
    run_jobs()
    qbo_firm.emulator.control.clear_faults(qbo_firm.realm_id)
    queue.connection.delete(queue.scheduled_job_registry.key)  # lost with a Redis restart
    stuck_for_an_hour(paid_invoice)
    assert sweeper.sweep_stuck_rows() == 1
    run_jobs()
    assert paid_invoice.qbo_status is SyncStatus.SYNCED


def test_a_job_that_died_with_its_worker_is_revived_once(qbo_firm, paid_invoice, run_jobs, queue):
    request_sync(paid_invoice, qbo_firm.user)
    db.session.commit()
    [job] = queue.get_jobs()
    # A worker took the job and was killed: RQ still says "started", nobody holds the row lock.
    queue.remove(job)
    job.set_status(JobStatus.STARTED)
    stuck_for_an_hour(paid_invoice)
    assert sweeper.sweep_stuck_rows() == 1
    assert sweeper.sweep_stuck_rows() == 0  # the new job is queued: alive
    run_jobs()
    assert paid_invoice.qbo_status is SyncStatus.SYNCED
    assert len(qbo_firm.entities("Payment")) == 1
    outcomes = [
        e.outcome
        for e in db.session.execute(
            db.select(SyncEvent).filter_by(record_type="payment", record_id=paid_invoice.id)
        ).scalars()
    ]
    assert outcomes == ["queued", "requeued", "synced"]


def test_the_worker_enqueues_the_sweeper_once_per_interval(
    qbo_app, qbo_firm, paid_invoice, run_jobs, queue
):
    from webapp.worker import enqueue_sweep

    paid_invoice.qbo_status = SyncStatus.SYNCING
    stuck_for_an_hour(paid_invoice)
    assert enqueue_sweep(qbo_app, queue.connection) is True
    assert enqueue_sweep(qbo_app, queue.connection) is False  # another worker, same interval
    run_jobs()  # the sweeper, then the sync it re-enqueued
    assert paid_invoice.qbo_status is SyncStatus.SYNCED
