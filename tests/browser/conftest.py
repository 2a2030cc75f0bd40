"""Browser tests: Debian's Chromium driven by Playwright against the app served from a thread.

Every test here is marked `browser`. They are skipped, with the reason, when /usr/bin/chromium is
missing, except under CI=true, where .ci/run installs it and a missing browser is a failure.
Playwright's sync API runs its own event loop, so the app is served by a werkzeug server in a
daemon thread (and, for `live_stack`, the worker runs in a subprocess).

Fixtures:
    live_server: the app on a free port with its own SQLite file, shared by the session.
    billing_data: fresh rows for each test (firm, owner, clients, invoices, a payment).
    signed_in: a Playwright page already signed in as billing_data's owner.
    live_stack: app thread + private Redis + the QBO emulator over HTTP + a real `python
        worker.py`, all wired together, torn down after the test (for the sync-engine tests).
"""

import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.browser.screens import words
from tests.factories import PASSWORD, Factory
from webapp import create_app
from webapp.extensions import db
from webapp.models import Firm, InvoiceStatus

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SECRET_KEY = "browser-tests-secret-never-used-in-production"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark every test in this folder `browser` (so `-m "not browser"` leaves them out)."""
    missing = not os.path.exists(CHROMIUM) and not os.environ.get("CI")
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(
                    pytest.mark.skip(reason=f"{CHROMIUM} is missing: apt-get install chromium")
                )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Playwright's own browser download does not work here; Debian's Chromium does.
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"CI is set but {CHROMIUM} is missing; .ci/run installs it (apt chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """A werkzeug server for `app` on 127.0.0.1:`port`, serving from a daemon thread."""

    def __init__(self, app, port: int | None = None):
        self.app = app
        self._server = make_server("127.0.0.1", port or 0, app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "LiveServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def live_app(database_path: Path, **config):
    """The production app (CSRF on, no TESTING) on a SQLite file, with the schema created."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database_path}",
            "SECRET_KEY": SECRET_KEY,
            "REDIS_URL": "redis://127.0.0.1:1/0",
            **config,
        }
    )
    with app.app_context():
        db.create_all()
    return app


def empty_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, redis_url):
    """The app on a free port, its own SQLite file, for the whole session."""
    app = live_app(tmp_path_factory.mktemp("live") / "live.db", REDIS_URL=redis_url)
    server = LiveServer(app).start()
    yield server
    server.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def base_url(live_server):
    """pytest-playwright resolves page.goto("/path") against this."""
    return live_server.url


@dataclass
class BillingData:
    email: str
    password: str
    firm_id: int
    client: str  # not synced, two open invoices
    open_invoice: str
    second_invoice: str
    paid_invoice: str  # of another client, paid by `payment_amount`
    payment_amount: Decimal
    payment_id: int


def seed_billing(app) -> BillingData:
    """A firm whose owner signs in, two clients, three invoices and one payment, all Not synced."""
    with app.app_context():
        make = Factory()
        firm = make.firm(name="Browser Test LLP", sync_manual_payments=True)
        owner = make.user(firm, email="owner@browser.test", name="Olivia Owner")
        db.session.commit()
        return add_billing_rows(app, firm.id, owner.email)


def add_billing_rows(app, firm_id: int, email: str = "owner@browser.test") -> BillingData:
    """seed_billing's clients, invoices and payment, for a firm that already has its owner."""
    with app.app_context():
        make = Factory()
        firm = db.session.get(Firm, firm_id)
        acme = make.client(firm, display_name="Acme Dental PLLC")
        birch = make.client(firm, display_name="Birch Bakery LLC")
        issued = date.today() - timedelta(days=10)
        first = make.invoice(acme, "500.00", number="INV-00101", issue_date=issued)
        second = make.invoice(acme, "300.00", number="INV-00102", issue_date=issued)
        paid = make.invoice(birch, "400.00", number="INV-00103", issue_date=issued)
        payment = make.payment(paid, "400.00", received_on=date.today() - timedelta(days=2))
        assert paid.status is InvoiceStatus.PAID
        db.session.commit()
        return BillingData(
            email=email,
            password=PASSWORD,
            firm_id=firm.id,
            client=acme.display_name,
            open_invoice=first.number,
            second_invoice=second.number,
            paid_invoice=paid.number,
            payment_amount=payment.amount,
            payment_id=payment.id,
        )


@pytest.fixture
def billing_data(live_server):
    """Fresh rows for this test in the live server's database."""
    empty_tables(live_server.app)
    return seed_billing(live_server.app)


def sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture
def signed_in(page, live_server, billing_data):
    """A page signed in as the seeded owner."""
    sign_in(page, live_server.url, billing_data.email, billing_data.password)
    return page


# --- the whole chain, for the sync-engine browser tests --------------------------------------


@dataclass
class LiveStack:
    url: str
    app: object
    emulator: object  # qbo_emulator.testing.EmulatorServer
    redis_url: str
    worker: subprocess.Popen
    data: BillingData

    def sign_in(self, page) -> None:
        sign_in(page, self.url, self.data.email, self.data.password)


def _wait_for_worker(proc: subprocess.Popen, redis_url: str, log: Path, timeout: float = 20):
    """Wait until this worker process has registered itself in Redis (it is then listening)."""
    from redis import Redis
    from rq import Worker

    conn = Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while not any(w.pid == proc.pid for w in Worker.all(connection=conn)):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            output = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"worker.py did not start (exit code {proc.poll()}):\n{output}")
        time.sleep(0.1)


@pytest.fixture
def live_stack(tmp_path, redis_url, redis_conn):
    """App thread + private Redis + QBO emulator (HTTP) + `python worker.py`, wired by env.

    Each test gets a fresh database, emulator and worker; Redis is flushed afterwards.
    """
    from qbo_emulator.testing import EmulatorServer

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database = tmp_path / "stack.db"
    log_path = tmp_path / "worker.log"
    emulator = server = worker = app = None
    with open(log_path, "wb") as log:
        try:
            emulator = EmulatorServer().start()
            settings = {
                "REDIS_URL": redis_url,
                "QBO_EMULATOR_URL": emulator.url,
                "QBO_REDIRECT_URI": f"{url}/settings/integrations/quickbooks/callback",
            }
            app = live_app(database, **settings)
            data = seed_billing(app)
            server = LiveServer(app, port).start()
            env = {
                **os.environ,
                **settings,
                "DATABASE_URL": f"sqlite:///{database}",
                "SECRET_KEY": SECRET_KEY,
            }
            worker = subprocess.Popen(
                [sys.executable, "worker.py"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            _wait_for_worker(worker, redis_url, log_path)
            yield LiveStack(url, app, emulator, redis_url, worker, data)
        finally:
            if worker is not None and worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
            if server is not None:
                server.stop()
            if emulator is not None:
                emulator.close()
            if app is not None:
                with app.app_context():
                    db.engine.dispose()


# --- every screen in each language, at each width (test_every_screen*.py) -------------------

BROWSER_LOCALES = {"en": "en-US", "nl": "nl-NL"}
WIDTHS = [390, 768, 1280]


def reset_rows(app, firm_id: int) -> None:
    """Everything but the firm and its users goes; the firm's settings go back to the defaults."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                if table.name not in ("firm", "user"):
                    conn.execute(table.delete())
        firm = db.session.get(Firm, firm_id)
        firm.time_zone, firm.sync_manual_payments = "UTC", True
        for user in firm.users:
            user.locale = None
        db.session.commit()


@pytest.fixture(scope="module")
def module_firm(live_server) -> BillingData:
    """One firm and owner for a whole module, so each language signs in once."""
    empty_tables(live_server.app)
    return seed_billing(live_server.app)


@pytest.fixture(scope="module", params=list(BROWSER_LOCALES))
def language(request) -> str:
    """The browser's language: "en" or "nl" (the app follows Accept-Language)."""
    return request.param


@pytest.fixture(scope="module")
def language_page(browser, live_server, module_firm, language):
    """A page whose browser asks for `language`, signed in once for the module."""
    context = browser.new_context(base_url=live_server.url, locale=BROWSER_LOCALES[language])
    page = context.new_page()
    page.goto("/login")
    page.locator("input[name=email]").fill(module_firm.email)
    page.locator("input[name=password]").fill(module_firm.password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)
    yield page
    context.close()


@pytest.fixture
def say(language):
    """say("More actions"): the app's words in the module's language (tests/browser/screens.py)."""
    return words(language)


@pytest.fixture(params=WIDTHS)
def width(request) -> int:
    return request.param


@pytest.fixture
def screen(language_page, live_server, module_firm, width):
    """The signed-in page at `width` px, with only the firm and its owner left in the database."""
    reset_rows(live_server.app, module_firm.firm_id)
    language_page.set_viewport_size({"width": width, "height": 800})
    return language_page
