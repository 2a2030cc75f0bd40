"""The sweeper: re-enqueues rows left in Syncing…/Unsyncing… by a job that was lost.

worker.py enqueues it every QBO_SWEEP_INTERVAL_SECONDS; `flask --app wsgi qbo-sweep` runs it
once. Lost means: the worker died (SIGKILL, OOM, reboot) so neither our `try` nor RQ's failure
callback ran, or Redis lost the job. A row that is merely slow (a long queue, an RQ Retry
backoff, a long call) keeps its one job.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from sqlalchemy import update

from ..extensions import db
from ..i18n import N_
from ..models import PENDING_STATUSES, SYNCED_MODELS, utcnow
from ..queue import get_redis
from .bulk_jobs import revive_stalled_runs
from .bulk_runs import rows_in_live_runs
from .context import job_app_context
from .state import pending_action, record_history
from .sync import enqueue_row_job, row_job_key, row_lock_key

log = logging.getLogger(__name__)


class QueueContents:
    """The job ids on each queue (and RQ's intermediate list), read once per sweep."""

    def __init__(self, redis):
        self.redis = redis
        self.ids: dict[str, set[bytes]] = {}

    def holds(self, job: Job) -> bool:
        if job.origin not in self.ids:
            queue = Queue(job.origin, connection=self.redis)
            self.ids[job.origin] = set(self.redis.lrange(queue.key, 0, -1)) | set(
                self.redis.lrange(queue.intermediate_queue_key, 0, -1)
            )
        return job.id.encode() in self.ids[job.origin]


def job_still_alive(
    redis, record_type: str, record_id: int, queues: QueueContents | None = None
) -> bool:
    """Whether the row's job is running, queued, or scheduled for a retry.

    Running is told by the row lock, a lease that `_run` holds for the whole attempt and that
    expires JOB_LEASE_SECONDS after a worker died holding it. Queued or scheduled is told by
    the job whose id `sync.RowJob` remembered for the row, and only when the job is where its
    status says: RQ pops a job id off the queue before it reads the job, so a worker that loses
    Redis (or dies) in between leaves a job that says "queued" and is on no queue. A job that RQ
    still calls "started" while nobody holds the row lock died with its worker (SIGKILL, OOM,
    reboot). Either way that row is lost and may be revived.
    """
    if redis.exists(row_lock_key(record_type, record_id)):
        return True
    job_id = redis.get(row_job_key(record_type, record_id))
    if not job_id:
        return False
    try:
        job = Job.fetch(job_id.decode(), connection=redis)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status == JobStatus.QUEUED:
        return (queues or QueueContents(redis)).holds(job)
    if status == JobStatus.SCHEDULED:  # waiting for an RQ Retry backoff
        registry = ScheduledJobRegistry(job.origin, connection=redis)
        return redis.zscore(registry.key, job.id) is not None
    return status in (JobStatus.CREATED, JobStatus.DEFERRED)


def sweep_stuck_rows() -> int:
    """Re-enqueue rows stuck in Syncing…/Unsyncing… longer than SYNC_STUCK_AFTER_SECONDS.

    A row whose job is still queued, waiting for a retry or running is left alone (see
    job_still_alive), so a long queue never gets a second job per row. The sweeper cannot know
    when Redis lost the job (flushed, restarted without persistence, the row-job key expired):
    it then enqueues a second job, and that stays duplicate-free because only the holder of
    the row lock works on the row, a job whose row is no longer pending does nothing, and a
    second attempt looks in QBO first and sends the same requestid, which QBO replays.

    Returns:
        How many rows (and bulk runs) were re-enqueued.
    """
    with job_app_context():
        # Rows of a bulk run wait their turn in the run, however long it takes; a run whose
        # lanes died gets new ones instead of one job per row.
        revived = revive_stalled_runs()
        cutoff = utcnow() - timedelta(seconds=current_app.config["SYNC_STUCK_AFTER_SECONDS"])
        redis = get_redis()
        queues = QueueContents(redis)
        for record_type, model in SYNCED_MODELS.items():
            stuck = db.session.execute(
                db.select(model.id, model.qbo_status_changed_at)
                .where(
                    model.qbo_status.in_(PENDING_STATUSES),
                    model.qbo_status_changed_at < cutoff,
                    model.id.not_in(rows_in_live_runs(record_type)),
                )
                .limit(500)
            ).all()
            for row_id, changed_at in stuck:
                if job_still_alive(redis, record_type, row_id, queues):
                    continue
                # Compare-and-set on the timestamp, so two sweepers never both re-enqueue a row.
                won = db.session.execute(
                    update(model)
                    .where(model.id == row_id, model.qbo_status_changed_at == changed_at)
                    .values(qbo_status_changed_at=utcnow())
                    .execution_options(synchronize_session=False)
                ).rowcount
                if won != 1:
                    continue
                record = db.session.get(model, row_id)
                record_history(
                    record, None, "sweep", "requeued", message=N_("Re-enqueued after being stuck")
                )
                enqueue_row_job(pending_action(record), record, None)
                db.session.commit()  # the job goes out after this commit
                revived += 1
        if revived:
            log.info("sweeper re-enqueued %s stuck rows or bulk runs", revived)
        return revived
