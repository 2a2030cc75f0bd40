"""The RQ queue: jobs are enqueued by dotted path so the web process never imports job code."""

from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry


def init_queue(app: Flask) -> None:
    app.extensions["redis"] = None


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


def enqueue_job(func_path: str, *args, retry: Retry | None = None, **kwargs):
    """Enqueue `func_path(*args)` with the project's timeouts and retry policy."""
    return get_queue().enqueue(
        func_path,
        *args,
        job_timeout=current_app.config["JOB_TIMEOUT"],
        result_ttl=500,
        failure_ttl=7 * 24 * 3600,
        retry=retry,
        **kwargs,
    )
