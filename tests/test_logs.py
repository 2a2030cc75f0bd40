"""Logging as a deployment gets it: the app factory's dictConfig, one line per request."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

REQUESTS = """
from webapp import create_app
app = create_app({"SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
client = app.test_client()
client.get("/login")
client.get("/no-such-page?x=1")
"""


def test_the_web_process_logs_one_line_per_request():
    env = {**os.environ, "LOG_LEVEL": "INFO"}
    run = subprocess.run(
        [sys.executable, "-c", REQUESTS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stderr.splitlines() if "webapp.requests" in line]
    assert len(lines) == 2, run.stderr
    assert (
        lines[0].endswith(" ms") and " INFO webapp.requests: 127.0.0.1 GET /login 200 " in lines[0]
    )
    assert " GET /no-such-page?x=1 404 " in lines[1]


def test_the_request_line_reaches_the_requests_logger_under_test(client, caplog):
    with caplog.at_level("INFO", logger="webapp.requests"):
        client.get("/login")
    assert [r.getMessage().rsplit(" ", 2)[0] for r in caplog.records] == [
        "127.0.0.1 GET /login 200"
    ]
