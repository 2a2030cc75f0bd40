"""Real processes for the tests that kill and restart things: `python worker.py` and redis-server.

Registered in tests/conftest.py (`pytest_plugins`):

- `worker_processes`: start workers with `.start()`, SIGKILL one with `.kill(worker)`; all are
  stopped at teardown. They share the test's database, Redis and emulator company.
- `RedisServer`: a redis-server of the test's own that it may stop and start again on the same
  socket (the session's Redis is shared by every test and must stay up).

A module that starts workers overrides `qbo_app` with `with_worker_token_key(qbo_app)`, so the
app encrypts the tokens it stores with the key the workers are given.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from redis import Redis

ROOT = Path(__file__).resolve().parents[2]
TOKEN_KEY = Fernet.generate_key().decode()


def wait_for(check, timeout: float, what: str, interval: float = 0.05):
    """Poll `check()` until it returns something true; fail the test with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)


class RedisServer:
    """redis-server on a unix socket in `directory`; stop() and start() keep the same URL."""

    def __init__(self, directory: Path, persistent: bool = False):
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.url = f"unix://{self.socket}"
        self.persistent = persistent
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        from tests.conftest import redis_server_binary

        args = [redis_server_binary(), "--port", "0", "--unixsocket", str(self.socket)]
        args += ["--unixsocketperm", "700", "--dir", str(self.directory), "--save", ""]
        # Persistent: what production runs (an append-only file), so a restart keeps the queue.
        args += ["--appendonly", "yes" if self.persistent else "no"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        wait_for(self.answers, 10, "redis-server starting")
        return self

    def answers(self) -> bool:
        try:
            return bool(Redis.from_url(self.url, socket_timeout=1).ping())
        except Exception:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()


@dataclass
class WorkerProcess:
    name: str
    process: subprocess.Popen
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class WorkerProcesses:
    """`python worker.py` processes wired to the test's database, Redis and emulator."""

    env: dict
    directory: Path
    started: list[WorkerProcess] = field(default_factory=list)

    def start(self, wait: bool = True, **env) -> WorkerProcess:
        name = f"worker-{len(self.started) + 1}"
        log_path = self.directory / f"{name}.log"
        process = subprocess.Popen(
            [sys.executable, "worker.py"],
            cwd=ROOT,
            env={**self.env, **{key: str(value) for key, value in env.items()}},
            stdout=log_path.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() takes any child with it
        )
        worker = WorkerProcess(name, process, log_path)
        self.started.append(worker)
        if wait:
            wait_for(lambda: "worker started" in worker.log or not worker.alive, 30, name)
            assert worker.alive, worker.log
        return worker

    def kill(self, worker: WorkerProcess) -> None:
        """SIGKILL the worker and whatever it started, as the OOM killer or a reboot would."""
        os.killpg(worker.process.pid, signal.SIGKILL)
        worker.process.wait(timeout=10)

    def stop_all(self) -> None:
        for worker in self.started:
            if worker.alive:
                worker.process.terminate()
        for worker in self.started:
            try:
                worker.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill(worker)


def worker_env(app, redis_url: str, **overrides) -> dict:
    """The environment a deployment would give worker.py, pointing at this test's services."""
    config = app.config
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "TOKEN_ENCRYPTION_KEY": config["TOKEN_ENCRYPTION_KEY"],
        "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "QBO_ENVIRONMENT": "emulator",
        "QBO_EMULATOR_URL": config["QBO_EMULATOR_URL"],
        "QBO_TIMEOUT_SECONDS": str(config["QBO_TIMEOUT_SECONDS"]),
        "QBO_THROTTLE_MAX_WAIT": str(config["QBO_THROTTLE_MAX_WAIT"]),
        "QBO_WEBHOOK_VERIFIER_TOKEN": config["QBO_WEBHOOK_VERIFIER_TOKEN"],
        "QBO_RETRY_INTERVALS": ",".join(str(i) for i in config["QBO_RETRY_INTERVALS"]),
    }
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def with_worker_token_key(app):
    """`app` with the token key that worker processes are given too."""
    app.config["TOKEN_ENCRYPTION_KEY"] = TOKEN_KEY
    return app


@pytest.fixture
def worker_processes(qbo_app, redis_url, tmp_path):
    assert qbo_app.config.get("TOKEN_ENCRYPTION_KEY") == TOKEN_KEY, "override qbo_app, see above"
    workers = WorkerProcesses(worker_env(qbo_app, redis_url), tmp_path)
    yield workers
    workers.stop_all()
