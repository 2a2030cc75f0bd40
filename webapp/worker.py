"""The job worker that `python worker.py` runs: jobs in this process, retries on time, Redis outages waited out.

One process runs one job at a time in its main thread (RQ's SimpleWorker: no fork per job), so the
mappers, the compiled statements, the database pool and the token key stay warm from one job to
the next. Each job gets a fresh app context, hence a fresh database session. See worker.py for why
we do not fork, and what keeps a crash contained.

A housekeeping thread beside the job loop moves due retries onto the queue every second
(queue.enqueue_due_retries: every worker does it, so no retry waits for one elected scheduler)
and enqueues the sweeper and the CDC catch-up once per QBO_SWEEP_INTERVAL_SECONDS across all
workers. When Redis goes away the worker says so once, waits for it with a short backoff and
carries on where it was; a stop signal still stops it while it waits.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

from flask import Flask
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested
from rq.job import Job
from rq.utils import now

from .queue import enqueue_due_retries

log = logging.getLogger(__name__)

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
SWEEP_JOB = "webapp.quickbooks.sweeper.sweep_stuck_rows"
# Enqueues a CDC catch-up for each connected company that is due (see cdc_jobs.catch_up_all).
CATCH_UP_JOB = "webapp.quickbooks.cdc_jobs.catch_up_all"
# How often each worker looks for due retries; RQ's own scheduler looks once a second too.
RETRY_CLOCK_SECONDS = 1.0


class RedisWait:
    """Waits until Redis answers again, saying so once when it goes and once when it is back."""

    def __init__(self, redis: Redis, stop: threading.Event):
        self.redis = redis
        self.stop = stop

    def until_back(self, error: Exception | None = None) -> None:
        """Block until PING succeeds; raise StopRequested if the worker is asked to stop meanwhile."""
        started, delay, said = time.monotonic(), 0.1, False
        while True:
            try:
                self.redis.ping()
            except REDIS_DOWN as down:
                if not said:
                    log.warning("Redis does not answer (%s); waiting for it", error or down)
                    said = True
                if self.stop.wait(delay):
                    raise StopRequested() from None
                delay = min(delay * 2, 2.0)
                continue
            if said:
                log.info(
                    "Redis answers again after %.1f s; carrying on", time.monotonic() - started
                )
            return

    def call(self, action: Callable[[], object]) -> object:
        """Run `action`; while it fails because Redis is away, wait for Redis and run it again."""
        while True:
            try:
                return action()
            except REDIS_DOWN as error:
                self.until_back(error)


class OutcomeJob(Job):
    """A job that keeps what its function returned ("synced", "failed: ...") for the log line."""

    outcome = None

    def perform(self):
        self.outcome = super().perform()
        return self.outcome


class JobWorker(SimpleWorker):
    """RQ's SimpleWorker with a fresh app context per job, one log line per job and Redis outages
    waited out instead of ending the process."""

    def __init__(self, queues, connection: Redis, app: Flask, stop: threading.Event):
        super().__init__(queues, connection=connection, job_class=OutcomeJob)
        self.app = app
        self.stop = stop
        self.redis_wait = RedisWait(connection, stop)
        self.jobs_done = 0
        self._failure: BaseException | None = None
        self._retrying = False

    def request_stop(self, signum, frame):
        self.stop.set()
        super().request_stop(signum, frame)

    def execute_job(self, job: Job, queue: Queue) -> None:
        started = time.perf_counter()
        self._failure, self._retrying = None, False
        with self.app.app_context():
            super().execute_job(job, queue)
        self.jobs_done += 1
        log_job(job, self._failure, self._retrying, (time.perf_counter() - started) * 1000)

    def handle_exception(self, job: Job, *exc_info) -> None:
        """Keep the error for the job's log line; a traceback only for what nobody expected."""
        self._failure = exc_info[1]
        self._retrying = bool(job.retries_left)
        if not expected_failure(self._failure):
            log.error("%s raised", job.func_name, exc_info=exc_info)

    # RQ's bookkeeping after a job: when Redis is away, wait and do it then, so a retry that is
    # due is still scheduled and a result is still recorded.
    def handle_job_failure(self, job, queue, *args, **kwargs):
        self.redis_wait.until_back()
        return super().handle_job_failure(job, queue, *args, **kwargs)

    def handle_execution_ended(self, job, queue, heartbeat_ttl):
        # The first Redis call after the job's own code: Redis gone here must not end the loop
        # before the job's retry is scheduled.
        return self.redis_wait.call(
            lambda: super(JobWorker, self).handle_execution_ended(job, queue, heartbeat_ttl)
        )

    def handle_job_success(self, job, queue, *args, **kwargs):
        # One transaction (MULTI/EXEC): when Redis drops it, nothing was written; do it again.
        return self.redis_wait.call(
            lambda: super(JobWorker, self).handle_job_success(job, queue, *args, **kwargs)
        )

    def heartbeat(self, timeout=None, pipeline=None):
        """RQ's worker heartbeat, at most once a second on its own (RQ sends several per job,
        three round trips each; the worker's key lives for minutes), in one round trip.

        It is also the first thing RQ's dequeue loop does after it lost Redis: wait here rather
        than fail (and log) once per backoff step.
        """
        if pipeline is not None:
            return super().heartbeat(timeout, pipeline=pipeline)
        if self.last_heartbeat is not None and (now() - self.last_heartbeat).total_seconds() < 1:
            return None

        def beat():
            with self.connection.pipeline(transaction=False) as batch:
                super(JobWorker, self).heartbeat(timeout, pipeline=batch)
                batch.execute()

        return self.redis_wait.call(beat)


def expected_failure(error: BaseException | None) -> bool:
    """A 429, a 5xx, a timeout, a busy dependency or Redis/the database away: retried, not a bug."""
    from .quickbooks.jobs import RETRYABLE

    return isinstance(error, RETRYABLE)


def describe_job(job: Job) -> str:
    """What the job does to which row: "sync payment 42", else the function and its arguments."""
    try:
        name, args = job.func_name.rsplit(".", 1)[-1], job.args
    except Exception:  # a job whose data cannot be read: say which
        return f"job {job.id}"
    if name in ("run_sync", "run_unsync") and len(args) >= 2:
        return f"{name.removeprefix('run_')} {args[0]} {args[1]}"
    return f"{name}({', '.join(map(repr, args))})"


def log_job(job: Job, failure: BaseException | None, retrying: bool, ms: float) -> None:
    """One INFO line per job: what, which row, how it ended, how long it took."""
    if failure is None:
        outcome = getattr(job, "outcome", None)
        outcome = "done" if outcome is None else outcome
    else:
        error = f"{type(failure).__name__}: {failure}".strip()
        outcome = f"retrying later ({error})" if retrying else f"gave up ({error})"
    log.info("%s: %s in %.0f ms", describe_job(job), outcome, ms)


class QuietRedisRetries(logging.Filter):
    """RQ logs an error every few seconds while Redis is away; RedisWait already said it once."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "could not connect to Redis instance" not in str(record.msg)


def enqueue_sweep(app: Flask, redis: Redis) -> bool:
    """Enqueue the sweeper and the CDC catch-up unless another worker did during this interval."""
    interval = app.config["QBO_SWEEP_INTERVAL_SECONDS"]
    if not redis.set("qbo:sweeper:last", "1", nx=True, ex=max(interval - 1, 1)):
        return False
    queue = Queue(app.config["RQ_QUEUES"][0], connection=redis)
    for job in (SWEEP_JOB, CATCH_UP_JOB):
        queue.enqueue(job, job_timeout=app.config["JOB_TIMEOUT"], result_ttl=60)
    return True


class Housekeeping(threading.Thread):
    """Due retries onto the queue every second; the sweeper once per sweep interval."""

    def __init__(self, app: Flask, redis: Redis, stop: threading.Event):
        super().__init__(name="housekeeping", daemon=True)
        self.app, self.redis, self.stop = app, redis, stop
        self.next_sweep = time.monotonic() + app.config["QBO_SWEEP_INTERVAL_SECONDS"]

    def tick(self) -> None:
        enqueue_due_retries(self.redis, self.app.config["RQ_QUEUES"])
        if time.monotonic() >= self.next_sweep:
            enqueue_sweep(self.app, self.redis)
            self.next_sweep = time.monotonic() + self.app.config["QBO_SWEEP_INTERVAL_SECONDS"]

    def run(self) -> None:
        while not self.stop.wait(RETRY_CLOCK_SECONDS):
            try:
                self.tick()
            except RedisError:
                pass  # Redis is away: the job loop says so once, and the next tick tries again
            except Exception:
                log.exception("housekeeping failed; trying again in a second")


def run_worker(app: Flask, burst: bool = False, max_jobs: int | None = None) -> int:
    """Work until stopped (SIGTERM, Ctrl-C), until the queue is empty (`burst`) or `max_jobs` ran.

    Returns:
        How many jobs this process ran.
    """
    from sqlalchemy.orm import configure_mappers

    # Warm before the first job: mappers configured once per process, not per job.
    configure_mappers()
    logging.getLogger("rq.worker").addFilter(QuietRedisRetries())
    redis = Redis.from_url(app.config["REDIS_URL"], socket_timeout=10, socket_connect_timeout=5)
    stop = threading.Event()
    waiter = RedisWait(redis, stop)
    housekeeping = Housekeeping(app, redis, stop)
    done = 0
    try:
        waiter.until_back()
        if burst:
            waiter.call(lambda: enqueue_due_retries(redis, app.config["RQ_QUEUES"]))
            waiter.call(lambda: enqueue_sweep(app, redis))
        else:
            housekeeping.start()
        log.info("worker started: queues %s", ", ".join(app.config["RQ_QUEUES"]))
        while not stop.is_set():
            worker = JobWorker(app.config["RQ_QUEUES"], connection=redis, app=app, stop=stop)
            left = None if max_jobs is None else max_jobs - done
            # RQ's teardown may not reach Redis: the loop below waits for it.
            with contextlib.suppress(*REDIS_DOWN):
                worker.work(burst=burst, max_jobs=left, logging_level="WARNING")
            done += worker.jobs_done
            if burst or stop.is_set() or (max_jobs is not None and done >= max_jobs):
                break
            # RQ's loop ended on an error it does not survive (it logged it): start it again.
            waiter.until_back()
    except StopRequested:
        pass
    finally:
        stop.set()
    log.info("worker stopped after %s jobs", done)
    return done
