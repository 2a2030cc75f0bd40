"""Logging for every process of the app: one format on stderr, one line per request and per job.

The app factory calls `configure_logging` (once per process), so gunicorn's workers, `flask`
commands and worker.py log alike; the process supervisor (systemd's journal, a Procfile runner,
`make run`) keeps stderr. LOG_LEVEL sets the level. Libraries that would repeat what our lines
already say are kept at WARNING: RQ's worker (worker.py logs one line per job) and werkzeug's
request log (`request_line` below logs one line per request).
"""

from __future__ import annotations

import logging
import logging.config
import time

from flask import Flask, g, request

_configured = False
request_log = logging.getLogger("webapp.requests")


def logging_config(level: str) -> dict:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "line": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        },
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "line"},
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "rq.worker": {"level": "WARNING"},
            "rq.job": {"level": "WARNING"},
            "rq.scheduler": {"level": "WARNING"},
            "werkzeug": {"level": "WARNING"},
            "alembic.runtime.plugins": {"level": "WARNING"},  # its plugin list, at every start
        },
    }


def configure_logging(app: Flask) -> None:
    """Apply the logging configuration once per process and log each request in one line.

    Under test (TESTING) pytest owns the logging configuration; the request line still goes to
    the `webapp.requests` logger, where tests can see it.
    """
    global _configured
    if not app.testing and not _configured:
        logging.config.dictConfig(logging_config(app.config["LOG_LEVEL"]))
        _configured = True
    app.before_request(_start_clock)
    app.after_request(request_line)


def _start_clock() -> None:
    g.request_started = time.perf_counter()


def request_line(response):
    """`GET /billing/payments?page=2 200 12 ms`: method, path, status, time, in one line."""
    started = g.get("request_started")
    elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    path = request.full_path.rstrip("?")
    request_log.info(
        "%s %s %s %s %.0f ms",
        request.remote_addr,
        request.method,
        path,
        response.status_code,
        elapsed,
    )
    return response
