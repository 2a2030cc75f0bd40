"""The RQ queue, and jobs that go out only once the transaction that asked for them committed.

Jobs are enqueued by dotted path so the web process never imports job code. A view (or a job)
that changes rows registers the jobs those rows need with `enqueue_after_commit`; they are sent
when its `db.session.commit()` succeeds and dropped when it rolls back. So a worker never picks
up a job for a row it cannot see yet, and a rolled-back request leaves no job behind.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import Flask, current_app
from flask_sqlalchemy.session import Session as AppSession
from redis import Redis
from redis.exceptions import RedisError, WatchError
from redis.lock import Lock
from rq import Queue, Retry
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.utils import current_timestamp
from sqlalchemy import event

log = logging.getLogger(__name__)

_PENDING = "jobs_after_commit"


def init_queue(app: Flask) -> None:
    app.extensions["redis"] = None
    if not event.contains(AppSession, "after_commit", _send_after_commit):
        event.listen(AppSession, "after_commit", _send_after_commit)
        event.listen(AppSession, "after_transaction_end", _drop_after_rollback)


def get_redis() -> Redis:
    """Return the app's Redis connection, created on first use (tests swap REDIS_URL)."""
    redis = current_app.extensions.get("redis")
    if redis is None or current_app.extensions.get("redis_url") != current_app.config["REDIS_URL"]:
        redis = Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=5)
        current_app.extensions["redis"] = redis
        current_app.extensions["redis_url"] = current_app.config["REDIS_URL"]
    return redis


def get_queue(name: str | None = None) -> Queue:
    return Queue(name or current_app.config["RQ_QUEUES"][0], connection=get_redis())


def enqueue_job(
    func_path: str, *args, retry: Retry | None = None, delay: float = 0, **kwargs
) -> Job:
    """Enqueue `func_path(*args)` now (or in `delay` seconds), with the project's timeouts and
    retry policy."""
    options = dict(
        job_timeout=current_app.config["JOB_TIMEOUT"],
        result_ttl=500,
        failure_ttl=7 * 24 * 3600,
        retry=retry,
        **kwargs,
    )
    if delay > 0:
        return get_queue().enqueue_in(timedelta(seconds=delay), func_path, *args, **options)
    return get_queue().enqueue(func_path, *args, **options)


class AfterCommitJob:
    """A job to enqueue once the current transaction commits.

    After the commit, `job` is the queued RQ job, or `error` says why Redis refused it.
    Subclasses record what a refused job means for their rows (`unreachable`).
    """

    def __init__(self, func_path: str, *args, **options):
        self.func_path = func_path
        self.args = args
        self.options = options
        self.job: Job | None = None
        self.error: RedisError | None = None

    @property
    def sent(self) -> bool:
        return self.job is not None

    @property
    def settled(self) -> bool:
        """Whether the commit happened and the enqueue was tried."""
        return self.job is not None or self.error is not None

    def enqueue(self) -> None:
        self.job = enqueue_job(self.func_path, *self.args, **self.options)

    def unreachable(self, error: RedisError) -> None:
        """Called after the commit when Redis refused the job; the default only logs."""
        log.warning("could not enqueue %s%r: %s", self.func_path, self.args, error)


def enqueue_after_commit(job: AfterCommitJob) -> AfterCommitJob:
    """Send `job` when the current transaction of `db.session` commits (dropped on rollback)."""
    from .extensions import db

    db.session().info.setdefault(_PENDING, []).append(job)
    return job


def _send_after_commit(session) -> None:
    for job in session.info.pop(_PENDING, []):
        try:
            job.enqueue()
        except RedisError as error:
            job.error = error
            try:
                job.unreachable(error)
            except Exception:
                # The rows stay pending with no job: the sweeper re-enqueues them later.
                log.exception("could not record that %s was not enqueued", job.func_path)


def _drop_after_rollback(session, transaction) -> None:
    # The outermost transaction ended without the commit that would have sent them.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def enqueue_due_retries(redis: Redis, queue_names: list[str]) -> int:
    """Move every job whose retry (or `enqueue_in`) time has come from its queue's scheduled
    registry onto the queue. Returns how many this call moved.

    Every worker calls this about once a second, so a due retry runs on time whichever worker
    died. RQ's own scheduler runs in one worker only, elected by a lock that outlives a killed
    holder, and the others look for that lock only every ten minutes: retries stalled that long.
    Each job is moved in one transaction that watches the registry, so when several workers see
    the same due job exactly one of them enqueues it.
    """
    moved = 0
    for name in queue_names:
        queue = Queue(name, connection=redis)
        registry = ScheduledJobRegistry(queue=queue)
        for job_id in registry.get_jobs_to_schedule(current_timestamp()):
            moved += _move_scheduled_job(redis, queue, registry, job_id)
    return moved


def _move_scheduled_job(redis: Redis, queue: Queue, registry: ScheduledJobRegistry, job_id) -> int:
    job_id = job_id.decode() if isinstance(job_id, bytes) else job_id
    for _attempt in range(5):
        with redis.pipeline() as pipe:
            try:
                pipe.watch(registry.key)
                if pipe.zscore(registry.key, job_id) is None:
                    return 0  # another worker moved it first
                job = Job.fetch_many([job_id], connection=redis)[0]
                pipe.multi()
                pipe.zrem(registry.key, job_id)
                if job is not None:  # a job whose data expired is only dropped from the registry
                    queue.enqueue_job(job, pipeline=pipe, at_front=job.should_enqueue_at_front())
                pipe.execute()
                return 1 if job is not None else 0
            except WatchError:
                continue  # the registry changed under us (a retry was scheduled): look again
    return 0


# A lock a job holds while it runs (the row lock) is a lease: it lives JOB_LEASE_SECONDS unless
# renewed, and the process that holds it renews it every third of that. So a worker killed mid-job
# frees its rows within seconds instead of the job timeout, and a long job keeps its lock.


class _LeaseKeeper:
    """One daemon thread per process that renews the leases this process holds."""

    def __init__(self):
        self.held: dict[Lock, float] = {}  # lease -> when it was last taken or renewed
        self.guard = threading.Lock()
        self.thread: threading.Thread | None = None

    def keep(self, lock: Lock) -> None:
        with self.guard:
            self.held[lock] = time.monotonic()
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._renew, name="leases", daemon=True)
                self.thread.start()

    def drop(self, lock: Lock) -> None:
        with self.guard:
            self.held.pop(lock, None)

    def _renew(self) -> None:
        while True:
            time.sleep(1)
            with self.guard:
                due = [
                    lock
                    for lock, at in self.held.items()
                    if time.monotonic() - at > lock.timeout / 3
                ]
            for lock in due:
                try:
                    lock.reacquire()
                except Exception:  # Redis away, or the lease was lost: the job finds out itself
                    log.warning("could not renew the lease %s", lock.name)
                    continue
                with self.guard:
                    if lock in self.held:
                        self.held[lock] = time.monotonic()


_leases = _LeaseKeeper()


@contextmanager
def held_lease(key: str, seconds: int) -> Iterator[bool]:
    """Hold the lease `key` for the block, renewed while this process lives.

    Yields False, holding nothing, when another process holds it. Not thread-local: the keeper's
    thread renews it with the token the job's thread took.
    """
    lock = get_redis().lock(key, timeout=seconds, blocking=False, thread_local=False)
    if not lock.acquire(blocking=False):
        yield False
        return
    _leases.keep(lock)
    try:
        yield True
    finally:
        _leases.drop(lock)
        try:
            lock.release()
        except Exception:
            log.warning("the lease %s expired before it was released", key)
