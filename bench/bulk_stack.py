"""The whole chain for the bulk benchmarks: QBO emulator, Redis, gunicorn, `python worker.py` x N.

Used by bench/bulk_sync.py and bench/bulk_backlog.py. The emulator is served from this process
(its control API seeds and reads it); Redis, the web server and the workers are processes of
their own, wired by environment variables exactly as in production, on a SQLite file. The bench
signs in over HTTP and starts a run the way the browser does (CSRF token, htmx headers), then
polls the run's progress panel once a second, as the page does.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from redis import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qbo_emulator.testing import EmulatorServer  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import BulkRun, Firm, QboConnection, Role, User, utcnow  # noqa: E402
from webapp.quickbooks import oauth  # noqa: E402

SECRET_KEY = "bench-bulk-secret-key-not-for-production-0123456789"
EMAIL, PASSWORD = "owner@bench.test", "bench password 1234"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


class BulkStack:
    def __init__(self, workers: int = 2, throttling: bool = True, latency_ms: float = 0):
        self.workers_wanted = workers
        self.throttling = throttling
        self.latency_ms = latency_ms
        self.processes: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []

    # Start and stop --------------------------------------------------------------------------

    def __enter__(self) -> BulkStack:
        self._tmp = tempfile.TemporaryDirectory(prefix="ledgerbridge-bulk-")
        tmp = Path(self._tmp.name)
        self.emulator = EmulatorServer(config={"RANDOM_SEED": 7}).start()
        self.realm_id = self.emulator.control.create_company("Bench Bulk Company")
        self.emulator.control.set_faults(
            self.realm_id, throttling=self.throttling, latency_ms=self.latency_ms
        )
        redis_socket = tmp / "redis.sock"
        self._spawn(
            ["redis-server", "--port", "0", "--unixsocket", str(redis_socket), "--save", ""]
        )
        self.redis_url = f"unix://{redis_socket}"
        self._wait(lambda: Redis.from_url(self.redis_url).ping())
        self.database = f"sqlite:///{tmp / 'bench.db'}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database,
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": SECRET_KEY,
            "QBO_ENVIRONMENT": "emulator",
            "QBO_EMULATOR_URL": self.emulator.url,
            "QBO_REDIRECT_URI": f"{self.url}/settings/integrations/quickbooks/callback",
            "LOG_LEVEL": "WARNING",
            "RATELIMIT_ENABLED": "0",
        }
        self.app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": self.database,
                "SECRET_KEY": SECRET_KEY,
                "REDIS_URL": self.redis_url,
                "QBO_EMULATOR_URL": self.emulator.url,
            }
        )
        with self.app.app_context():
            db.create_all()
        return self

    def start_servers(self) -> None:
        """gunicorn (1 process, 4 threads) and the workers, once the data is seeded."""
        self.web = self._spawn(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "1",
                "--threads",
                "4",
                "-b",
                f"127.0.0.1:{self.port}",
                "wsgi:app",
            ],
        )
        self._wait(lambda: requests.get(f"{self.url}/healthz", timeout=1).ok)
        for _ in range(self.workers_wanted):
            self.workers.append(self._spawn([sys.executable, "worker.py"]))

    def __exit__(self, *exc) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.emulator.close()
        with self.app.app_context():
            db.engine.dispose()
        if os.environ.get("BENCH_KEEP"):  # keep the processes' logs to read them
            kept = Path(os.environ["BENCH_KEEP"])
            kept.mkdir(parents=True, exist_ok=True)
            for log in Path(self._tmp.name).glob("*.log"):
                log.rename(kept / log.name)
        self._tmp.cleanup()

    def _spawn(self, args: list[str]) -> subprocess.Popen:
        log = open(Path(self._tmp.name) / f"process-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            args, cwd=ROOT, env=getattr(self, "env", None), stdout=log, stderr=subprocess.STDOUT
        )
        self.processes.append(process)
        return process

    @staticmethod
    def _wait(ready, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if ready():
                    return
            except Exception:
                pass
            time.sleep(0.05)
        raise RuntimeError("a process of the bench did not start")

    # The firm ---------------------------------------------------------------------------------

    def seed_firm(self) -> int:
        """A firm whose owner signs in, connected to the emulator's company."""
        with self.app.app_context():
            firm = Firm(name="Bench Bulk Firm", sync_manual_payments=True)
            owner = User(firm=firm, email=EMAIL, name="Bench Owner", role=Role.OWNER)
            owner.set_password(PASSWORD)
            connection = QboConnection(firm=firm, realm_id=self.realm_id, connected_by=owner)
            db.session.add_all([firm, owner, connection])
            db.session.flush()
            tokens = self.emulator.control.issue_tokens("ledgerbridge-demo", self.realm_id)
            oauth.store_tokens(self.app.config, connection, tokens)
            connection.connected_at = utcnow()
            db.session.commit()
            self.firm_id = firm.id
            return firm.id

    # The browser's part -----------------------------------------------------------------------

    def sign_in(self) -> requests.Session:
        session = requests.Session()
        page = session.get(f"{self.url}/login", timeout=10).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        answer = session.post(
            f"{self.url}/login",
            data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
            timeout=10,
        )
        answer.raise_for_status()
        page = session.get(f"{self.url}/settings/integrations/quickbooks", timeout=10).text
        csrf = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        session.headers.update({"X-CSRFToken": csrf, "HX-Request": "true"})
        self.session = session
        return session

    def start_run(self, list_name: str, data: dict) -> float:
        """POST /bulk/start as the page does; the moment it was sent (time.monotonic())."""
        started = time.monotonic()
        answer = self.session.post(
            f"{self.url}/bulk/start?list={list_name}", data=data, timeout=120
        )
        if answer.status_code not in (200, 204):
            raise RuntimeError(f"start refused: {answer.status_code} {answer.text[:300]}")
        return started

    def watch(self, timeout: float = 1800) -> tuple[BulkRun, float]:
        """Poll the panel once a second until the run is finished; the run and when it ended."""
        with self.app.app_context():
            run_id = db.session.scalars(db.select(BulkRun.id).order_by(BulkRun.id.desc())).first()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.environ.get("BENCH_POLL_DB"):
                with self.app.app_context():
                    done = db.session.get(BulkRun, run_id).finished_at is not None
                panel = 'data-bulk-state="finished"' if done else ""
            else:
                panel = self.session.get(f"{self.url}/bulk/runs/{run_id}", timeout=30).text
            if 'data-bulk-state="finished"' in panel or 'data-bulk-state="cancelled"' in panel:
                ended = time.monotonic()
                with self.app.app_context():
                    run = db.session.get(BulkRun, run_id)
                    db.session.expunge(run)
                return run, ended
            time.sleep(1)
        raise RuntimeError("the run did not finish in time")

    def peak_rss(self) -> dict[str, float]:
        """Peak RSS in MB of the web server (its worker process) and of each job worker."""
        web = [self.web.pid, *children(self.web.pid)]
        return {
            "web": max(peak_rss_mb(pid) for pid in web),
            "workers": max(peak_rss_mb(process.pid) for process in self.workers),
        }

    def qbo_calls(self) -> dict[str, int]:
        """The company's calls in the emulator's log, by kind."""
        kinds: dict[str, int] = {}
        for call in self.emulator.control.requests(self.realm_id, limit=1_000_000):
            path = call["path"].split("?")[0].rsplit("/", 1)[-1]
            if "/batch" in call["path"]:
                kind = "batch"
            elif "/query" in call["path"]:
                kind = "query"
            elif call["method"] == "GET":
                kind = f"read {path}" if not path.isdigit() else "read"
            else:
                kind = "write"
            if call["status"] == 429:
                kind += " (429)"
            kinds[kind] = kinds.get(kind, 0) + 1
        return kinds
