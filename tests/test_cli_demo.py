"""`python -m webapp.demo` (what `make run` runs), end to end in a subprocess.

It comes up from an empty database, connects the demo firm to the emulator and syncs a few rows
for real on its first run (one of them, the firm's landlord, fails for real: a vendor in the
company has its name), lets the demo user sign in, stops everything it started on Ctrl-C, and a
second run reuses the data without syncing again; there the user fixes the failure the QuickBooks
way and syncs again. DEMO_DIR and DATABASE_URL keep it out of instance/.
"""

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from redis import Redis

from webapp.demo.landlord import LANDLORD
from webapp.demo.seed import DEFAULT_PASSWORD, DEMO_EMAIL
from webapp.demo.tour import Browser

ROOT = Path(__file__).resolve().parent.parent

# The demo runs on its own SQLite file, so the PostgreSQL pass of `make test` would only repeat it.
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL_TEST")),
    reason="the demo runs on SQLite; already covered by the SQLite pass",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class DemoProcess:
    """`python -m webapp.demo` with its output collected line by line."""

    def __init__(self, tmp_path: Path, port: int, **extra_env):
        env = {
            **os.environ,
            "DEMO_DIR": str(tmp_path / "demo"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
            "PORT": str(port),
            "PYTHONUNBUFFERED": "1",
        }
        self.db_path = tmp_path / "demo.db"
        for inherited in (
            "REDIS_URL",
            "QBO_EMULATOR_URL",
            "QBO_ENVIRONMENT",
            "DEMO_PASSWORD",
            "DEMO_CONNECT",
            "SECRET_KEY",
        ):
            env.pop(inherited, None)
        env.update(extra_env)
        self.url = f"http://127.0.0.1:{port}"
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "webapp.demo"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop(signal.SIGTERM)
                pytest.fail(f"demo never printed {text!r}:\n{self.output}")
            time.sleep(0.1)

    def stop(self, sig=signal.SIGINT, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(timeout)

    def wait(self, timeout: float = 30) -> int:
        """Wait for the exit code, with all of the output read."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail(f"demo did not stop within {timeout} s:\n{self.output}")
        self._reader.join(timeout=5)
        return code


@pytest.fixture
def start_demo(tmp_path):
    """Start demos; whatever happens in the test, each is stopped (and stops its children)."""
    started: list[DemoProcess] = []

    def start(port: int, **extra_env) -> DemoProcess:
        started.append(DemoProcess(tmp_path, port, **extra_env))
        return started[-1]

    yield start
    for demo in started:
        if demo.proc.poll() is None:
            demo.proc.send_signal(signal.SIGTERM)
            demo.proc.wait(timeout=30)


def sign_in(url: str) -> requests.Response:
    session = requests.Session()
    form = session.get(f"{url}/login", timeout=5).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    return session.post(
        f"{url}/login",
        data={"csrf_token": token, "email": DEMO_EMAIL, "password": DEFAULT_PASSWORD},
        timeout=10,
    )


def synced_payments_here(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT count(*) FROM payment WHERE qbo_status = 'synced'").fetchone()[
            0
        ]


def demo_realm(emulator_url: str) -> str:
    companies = requests.get(f"{emulator_url}/_emulator/api/companies", timeout=5).json()
    return next(c["realmId"] for c in companies if c["name"] == "Demo Sandbox Company")


def in_the_emulator(emulator_url: str, entity: str) -> list[dict]:
    """Live objects of the emulator's demo company, read through its JSON control API."""
    url = f"{emulator_url}/_emulator/api/companies/{demo_realm(emulator_url)}/entities/{entity}"
    return [obj for obj in requests.get(url, timeout=5).json() if obj.get("status") != "Deleted"]


def payments_in_the_emulator(emulator_url: str) -> int:
    return len(in_the_emulator(emulator_url, "Payment"))


def failed_rows_here(db_path: Path) -> list[tuple]:
    """Every Failed row of every synced kind: (table, name or id, QBO's code, message)."""
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT 'client_account', display_name, qbo_error_code, qbo_message "
            "FROM client_account WHERE qbo_status = 'failed'"
        ).fetchall()
        for table in ("invoice", "payment", "refund"):
            rows += conn.execute(
                f"SELECT '{table}', id, qbo_error_code, qbo_message FROM {table} "
                "WHERE qbo_status = 'failed'"
            ).fetchall()
    return rows


def client_status_here(db_path: Path, name: str) -> str:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT qbo_status FROM client_account WHERE display_name = ?", (name,)
        ).fetchone()[0]


def refusals_by_the_emulator(emulator_url: str) -> list[tuple]:
    """Every accounting call the emulator answered with an error: (method, path, status)."""
    calls = requests.get(
        f"{emulator_url}/_emulator/api/requests",
        params={"realm": demo_realm(emulator_url)},
        timeout=5,
    ).json()
    return [
        (c["method"], c["path"].split("?")[0].rsplit("/", 1)[-1], c["status"])
        for c in calls
        if c["status"] != 200
    ]


def assert_the_landlord_failed_for_real(demo, emulator_url: str) -> str:
    """Exactly one Failed row: the landlord's, with QuickBooks' 6240 answer, which the emulator gave."""
    [(table, name, code, message)] = failed_rows_here(demo.db_path)
    assert (table, name, code) == ("client_account", LANDLORD, "6240")
    assert "Duplicate Name Exists Error: The name supplied already exists." in message
    assert "A vendor or employee in QuickBooks has this name: rename it there" in message
    # The refusal is the emulator's: its one error answer is to a Customer create, and the
    # company holds the vendor and no customer of that name.
    assert refusals_by_the_emulator(emulator_url) == [("POST", "customer", 400)]
    assert [v["DisplayName"] for v in in_the_emulator(emulator_url, "Vendor")] == [LANDLORD]
    customers = [c["DisplayName"] for c in in_the_emulator(emulator_url, "Customer")]
    assert LANDLORD not in customers
    return message


def rename_the_vendor_and_sync_again(demo, emulator_url: str) -> None:
    """The fix the row asks for: rename the vendor in QuickBooks, then sync the client again."""
    [vendor] = in_the_emulator(emulator_url, "Vendor")
    renamed = requests.post(
        f"{emulator_url}/_emulator/{demo_realm(emulator_url)}/vendors/{vendor['Id']}/rename",
        data={"display_name": f"{LANDLORD} (office lease)"},
        timeout=5,
    )
    assert renamed.ok and "error=" not in renamed.url
    with sqlite3.connect(demo.db_path) as conn:
        (client_id,) = conn.execute(
            "SELECT id FROM client_account WHERE display_name = ?", (LANDLORD,)
        ).fetchone()
    browser = Browser(demo.url)
    browser.sign_in(DEMO_EMAIL, DEFAULT_PASSWORD)
    clients_page = browser.get("/clients/").text
    row = clients_page[clients_page.index(f'<tr id="client-{client_id}"') :]
    row = row[: row.index("</tr>")]
    assert "Failed" in row and "(code 6240)" in row
    assert "Duplicate Name Exists Error: The name supplied already exists." in row
    browser.row_actions("/clients/", [(f"/clients/{client_id}/sync", f"client-{client_id}")])
    deadline = time.monotonic() + 30
    while client_status_here(demo.db_path, LANDLORD) != "synced":
        assert time.monotonic() < deadline, client_status_here(demo.db_path, LANDLORD)
        time.sleep(0.2)
    assert failed_rows_here(demo.db_path) == []
    assert LANDLORD in [c["DisplayName"] for c in in_the_emulator(emulator_url, "Customer")]


def test_make_run_brings_the_demo_up_stops_it_on_ctrl_c_and_reuses_data_next_time(start_demo):
    port = free_port()
    demo = start_demo(port)
    demo.wait_for("Ledgerbridge is running at", timeout=90)  # the first run also syncs rows
    assert "Seeded the demo firm: 20 clients, 60 invoices, 80 payments" in demo.output
    assert f"Sign in as {DEMO_EMAIL} with the password {DEFAULT_PASSWORD}" in demo.output
    redis_url = re.search(r"Started Redis \(.*\) at (\S+)\.", demo.output).group(1)
    emulator = re.search(r"Started the QBO emulator at (http://127.0.0.1:(\d+))", demo.output)
    assert emulator, demo.output
    toured = re.search(
        r"Connected the demo firm to the emulator's Demo Sandbox Company and synced "
        r"(\d+) clients, (\d+) invoices and (\d+) payments\.",
        demo.output,
    )
    assert toured, demo.output
    clients, invoices, payments = map(int, toured.groups())
    assert clients == 6 and invoices > 0 and payments > 0
    assert synced_payments_here(demo.db_path) == payments
    assert payments_in_the_emulator(emulator.group(1)) == payments
    # Everything else the tour synced is Synced; the landlord alone failed, as QuickBooks said.
    with sqlite3.connect(demo.db_path) as conn:
        synced_clients = conn.execute(
            "SELECT count(*) FROM client_account WHERE qbo_status = 'synced'"
        ).fetchone()[0]
    assert synced_clients == clients == len(in_the_emulator(emulator.group(1), "Customer"))
    message = assert_the_landlord_failed_for_real(demo, emulator.group(1))
    assert f"{LANDLORD} is Failed, as QuickBooks answered (code 6240): {message}" in demo.output

    assert requests.get(f"{demo.url}/healthz", timeout=5).json() == {"status": "ok"}
    page = sign_in(demo.url)
    assert page.url == f"{demo.url}/billing/invoices"
    assert "Demo Accounting LLP" in page.text
    assert Redis.from_url(redis_url).ping()
    assert requests.get(f"{emulator.group(1)}/_emulator/", timeout=5).ok

    assert demo.stop(signal.SIGINT) == 0
    assert "Stopped everything this run started." in demo.output
    assert not port_open(port)
    assert not port_open(int(emulator.group(2)))
    with pytest.raises(Exception):  # noqa: B017 (any connection error: the server is gone)
        Redis.from_url(redis_url, socket_connect_timeout=1).ping()

    again = start_demo(port)
    again.wait_for("Ledgerbridge is running at")
    assert "The demo firm is already there; reusing its data." in again.output
    assert "Connected the demo firm" not in again.output
    assert sign_in(again.url).url == f"{again.url}/billing/invoices"
    emulator_again = re.search(r"Started the QBO emulator at (\S+) ", again.output).group(1)
    assert payments_in_the_emulator(emulator_again) == payments
    assert synced_payments_here(again.db_path) == payments
    assert_the_landlord_failed_for_real(again, emulator_again)  # left as it was
    rename_the_vendor_and_sync_again(again, emulator_again)
    assert again.stop(signal.SIGTERM) == 0


def test_make_run_refuses_a_port_in_use(start_demo):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        demo = start_demo(busy.getsockname()[1])
        assert demo.wait() == 1
    assert "is in use" in demo.output


def test_make_run_starts_again_a_worker_or_redis_that_dies(start_demo):
    demo = start_demo(free_port(), DEMO_CONNECT="0")
    demo.wait_for("Ledgerbridge is running at", timeout=90)
    worker_pid = int(
        re.search(r"Started one RQ worker \(python worker.py, pid (\d+)\)", demo.output)[1]
    )
    redis_pid = int(re.search(r"Started Redis \(.*, pid (\d+)\)", demo.output)[1])

    os.kill(worker_pid, signal.SIGKILL)
    demo.wait_for("worker exited with code -9; starting it again", timeout=10)
    os.kill(redis_pid, signal.SIGKILL)
    demo.wait_for("redis exited with code -9; starting it again", timeout=10)

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        health = requests.get(f"{demo.url}/healthz", timeout=5)
        if health.status_code == 200:
            break
        time.sleep(0.5)
    assert health.json() == {"status": "ok"}  # the web server reaches the new Redis
    time.sleep(3)
    assert demo.output.count("worker exited") == 1  # the worker outlived the Redis restart
    assert demo.proc.poll() is None  # nothing stopped the demo
    assert "stopping the demo" not in demo.output
    assert demo.stop(signal.SIGTERM) == 0
