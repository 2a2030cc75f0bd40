"""The demo's first run, played as a user in a browser: sign in, connect QuickBooks, sync a few rows.

`python -m webapp.demo` calls `run_tour` once, right after `seed-demo` created the firm and the web
server, the worker and the QBO emulator are up. Everything goes over plain HTTP with one cookie
session, through the same forms, redirects, CSRF tokens and htmx row actions a browser uses, so
the Synced rows it leaves behind point at objects that really exist in the emulator's company.
One client, the firm's landlord (landlord.py), is synced too and fails for real: the company has
a vendor of that name, and QuickBooks refuses a second use of it (6240).
The database is only read: to pick the rows to sync and to wait until the worker has synced them.
"""

import json
import re
import time
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests
from sqlalchemy import exists, or_, select

from ..extensions import db
from ..models import ClientAccount, Firm, Invoice, Payment, SyncStatus
from .landlord import LANDLORD, add_landlord_vendor

DEMO_COMPANY = "Demo Sandbox Company"
CLIENTS = 6
PAYMENTS = 10
PER_CLIENT = 2
WAIT_SECONDS = 30
HTTP_TIMEOUT = 15


class TourFailed(Exception):
    """A step of the tour did not go as a user would expect; the message says which."""


@dataclass
class TourResult:
    clients: int
    invoices: int
    payments: int
    # What became of syncing the landlord: QuickBooks' refusal on its row, or why it was not tried.
    landlord: str = ""

    def summary(self) -> str:
        synced = (
            f"Connected the demo firm to the emulator's {DEMO_COMPANY} and synced "
            f"{self.clients} clients, {self.invoices} invoices and {self.payments} payments."
        )
        return f"{synced} {self.landlord}" if self.landlord else synced


def explain(error: Exception) -> str:
    """One short line for the warning the demo prints when the tour fails."""
    if isinstance(error, TourFailed):
        return str(error)
    request = getattr(error, "request", None)
    if isinstance(error, requests.ConnectionError) and request is not None:
        return f"cannot reach {urlsplit(request.url).netloc}"
    if isinstance(error, requests.Timeout) and request is not None:
        return f"no answer from {urlsplit(request.url).netloc} within {HTTP_TIMEOUT} s"
    return f"{type(error).__name__}: {error}"


class FormParser(HTMLParser):
    """The forms of a page: action, hidden and text inputs, and each select's options."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._option: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append({"action": attrs.get("action", ""), "inputs": {}, "selects": {}})
        elif not self.forms:
            return
        elif tag == "input" and attrs.get("name"):
            # As a browser submits: unchecked boxes are left out.
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.forms[-1]["inputs"][attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self._select = attrs.get("name", "")
            self.forms[-1]["selects"][self._select] = []
        elif tag == "option" and self._select is not None:
            self._option = {"value": attrs.get("value", ""), "text": ""}
            self.forms[-1]["selects"][self._select].append(self._option)

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag):
        if tag == "option":
            self._option = None
        elif tag == "select":
            self._select = None


def page_forms(html: str) -> list[dict]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


class Browser:
    """One signed-in user's cookie session against the app."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.session = requests.Session()

    def get(self, path_or_url: str) -> requests.Response:
        response = self.session.get(urljoin(self.base_url, path_or_url), timeout=HTTP_TIMEOUT)
        if response.status_code != 200:
            raise TourFailed(f"GET {response.url} answered {response.status_code}")
        return response

    def form_with(self, html: str, action_part: str = "", field: str = "") -> dict:
        """The page's first form whose action contains `action_part` and that has `field`."""
        for form in page_forms(html):
            if action_part in form["action"] and (not field or field in form["inputs"]):
                return form
        raise TourFailed(f"no form {action_part or field!r} on the page")

    def sign_in(self, email: str, password: str) -> None:
        page = self.get("/login")
        form = self.form_with(page.text, field="password")
        response = self.session.post(
            urljoin(page.url, form["action"]),
            data={**form["inputs"], "email": email, "password": password},
            timeout=HTTP_TIMEOUT,
        )
        if response.status_code != 200 or response.url.rstrip("/").endswith("/login"):
            raise TourFailed(f"signing in as {email} failed (status {response.status_code})")

    def connect_quickbooks(self) -> None:
        """Settings > "Connect to QuickBooks", pick the demo company on the consent page, come back."""
        settings = self.get("/settings/integrations/quickbooks").text
        if "Connect to QuickBooks" not in settings:
            raise TourFailed("the settings page offers no Connect to QuickBooks button")
        form = self.form_with(settings, "/quickbooks/connect")
        to_intuit = self.session.post(
            urljoin(self.base_url, form["action"]),
            data=form["inputs"],
            allow_redirects=False,
            timeout=HTTP_TIMEOUT,
        )
        if to_intuit.status_code not in (302, 303) or not to_intuit.headers.get("Location"):
            raise TourFailed(f"Connect answered {to_intuit.status_code}, not a redirect")
        consent = self.get(to_intuit.headers["Location"])
        form = self.form_with(consent.text, "/connect/oauth2")
        companies = form["selects"].get("realm_id", [])
        realm = next(
            (c["value"] for c in companies if c["text"].strip().startswith(DEMO_COMPANY)), None
        )
        if realm is None:
            raise TourFailed(f"the consent page does not offer {DEMO_COMPANY!r}")
        data = {**form["inputs"], "realm_id": realm, "new_company_name": "", "action": "connect"}
        back = self.session.post(
            urljoin(consent.url, form["action"]),
            data=data,
            allow_redirects=False,
            timeout=HTTP_TIMEOUT,
        )
        callback = back.headers.get("Location", "")
        if back.status_code not in (302, 303) or "code=" not in callback:
            raise TourFailed(f"the consent page answered {back.status_code} without a code")
        landed = self.get(callback)
        if "QuickBooks is connected." not in landed.text:
            raise TourFailed("the app did not say QuickBooks is connected after the callback")

    def row_actions(self, page: str, urls_and_targets: list[tuple[str, str]]) -> None:
        """Open `page`, then click each row's menu item (an htmx POST carrying the page's token)."""
        html = self.get(page).text
        match = re.search(r"hx-headers='([^']*)'", html)
        if not match:
            raise TourFailed(f"{page} carries no hx-headers with a CSRF token")
        headers = {
            **json.loads(match.group(1)),
            "HX-Request": "true",
            "HX-Current-URL": urljoin(self.base_url, page),
        }
        for url, target in urls_and_targets:
            response = self.session.post(
                urljoin(self.base_url, url),
                headers={**headers, "HX-Target": target},
                timeout=HTTP_TIMEOUT,
            )
            if response.status_code != 200:
                raise TourFailed(f"POST {url} answered {response.status_code}: {response.text}")


def pick_rows(firm_id: int):
    """Clients that have no Failed rows and are not Skipped, and a few of their Not-synced payments.

    The seed makes no Failed rows; a database that met QuickBooks before holds some from real
    syncs (the landlord's, at least), and those are left as they are. The landlord is not picked:
    its sync is meant to fail (see `landlord_id`). Skipped payments stay true (they were never
    meant to be sent), so their clients may be synced. At most two payments per client, on
    different invoices: two payments of one invoice would race to sync that invoice first.
    """
    failed = SyncStatus.FAILED
    troubled = or_(
        ClientAccount.qbo_status.in_((SyncStatus.FAILED, SyncStatus.SKIPPED)),
        exists().where(Invoice.client_id == ClientAccount.id, Invoice.qbo_status == failed),
        exists().where(Payment.client_id == ClientAccount.id, Payment.qbo_status == failed),
    )
    client_ids = list(
        db.session.execute(
            select(ClientAccount.id)
            .where(ClientAccount.firm_id == firm_id, ClientAccount.active.is_(True), ~troubled)
            .where(ClientAccount.display_name != LANDLORD)
            .where(exists().where(Payment.client_id == ClientAccount.id))
            .order_by(ClientAccount.id)
            .limit(CLIENTS)
        ).scalars()
    )
    rows = db.session.execute(
        select(Payment.id, Payment.invoice_id, Payment.client_id)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(
            Payment.client_id.in_(client_ids),
            Payment.qbo_status == SyncStatus.NOT_SYNCED,
            Invoice.qbo_status == SyncStatus.NOT_SYNCED,
        )
        .order_by(Payment.client_id, Payment.id)
    ).all()
    payment_ids, invoices, per_client = [], set(), Counter()
    for payment_id, invoice_id, client_id in rows:
        if invoice_id in invoices or per_client[client_id] >= PER_CLIENT:
            continue
        invoices.add(invoice_id)
        per_client[client_id] += 1
        payment_ids.append(payment_id)
    return client_ids, payment_ids[:PAYMENTS]


def landlord_id(firm_id: int) -> int | None:
    """The landlord client, if the firm has it active and Not synced."""
    return db.session.execute(
        select(ClientAccount.id).where(
            ClientAccount.firm_id == firm_id,
            ClientAccount.display_name == LANDLORD,
            ClientAccount.active.is_(True),
            ClientAccount.qbo_status == SyncStatus.NOT_SYNCED,
        )
    ).scalar_one_or_none()


def landlord_outcome(client_id: int) -> str:
    """One sentence on the landlord's row after the wait: QuickBooks' answer, or its status."""
    client = db.session.get(ClientAccount, client_id)
    status, code, message = client.qbo_status, client.qbo_error_code, client.qbo_message
    db.session.remove()
    if status is SyncStatus.FAILED and code:
        return f"{LANDLORD} is Failed, as QuickBooks answered (code {code}): {message}"
    return f"{LANDLORD} ended {status.label}, not refused by QuickBooks as expected."


def wait_until_final(model, ids: list[int], deadline: float) -> list[int]:
    """Poll the rows until none is Syncing… (or the deadline passes); return the Synced ids."""
    while True:
        statuses = dict(
            db.session.execute(select(model.id, model.qbo_status).where(model.id.in_(ids))).all()
        )
        db.session.remove()  # no read transaction held open while the worker writes (SQLite)
        if all(status.is_final for status in statuses.values()) or time.monotonic() > deadline:
            return [i for i in ids if statuses.get(i) is SyncStatus.SYNCED]
        time.sleep(0.2)


def run_tour(
    app, base_url: str, email: str, password: str, firm_name: str, emulator_url: str
) -> TourResult:
    """Sign in, connect the firm to the emulator's demo company, sync a few clients and payments.

    Before connecting, the company gets the vendor that makes the landlord's sync fail for real;
    the landlord is synced with the other clients.

    Args:
        app: the Flask app, for reading the database only.
        base_url: where the web server answers, e.g. http://127.0.0.1:5000.
        email: the demo owner's email.
        password: the demo owner's password.
        firm_name: the demo firm's name.
        emulator_url: where the QBO emulator answers, e.g. http://127.0.0.1:5055.

    Returns:
        How many clients, invoices and payments ended Synced, and the landlord's outcome.

    Raises:
        TourFailed: a step failed; the message says which.
    """
    deadline = time.monotonic() + WAIT_SECONDS
    with app.app_context():
        firm_id = db.session.execute(select(Firm.id).filter_by(name=firm_name)).scalar_one()
        client_ids, payment_ids = pick_rows(firm_id)
        landlord = landlord_id(firm_id)
        db.session.remove()
        if not client_ids:
            raise TourFailed("no client without Failed rows to sync")
        outcome = ""
        if landlord is not None:
            try:
                not_there = add_landlord_vendor(emulator_url, DEMO_COMPANY)
            except requests.RequestException as error:  # the other rows are still worth syncing
                not_there = explain(error)
            if not_there:
                outcome, landlord = f"{LANDLORD} was not synced: {not_there}.", None
        to_sync = client_ids + ([landlord] if landlord is not None else [])
        browser = Browser(base_url)
        browser.sign_in(email, password)
        browser.connect_quickbooks()
        browser.row_actions("/clients/", [(f"/clients/{i}/sync", f"client-{i}") for i in to_sync])
        synced = wait_until_final(ClientAccount, to_sync, deadline)
        synced_clients = [i for i in synced if i in client_ids]
        if landlord is not None:
            outcome = landlord_outcome(landlord)
        # A payment's job syncs its invoice first, but only once the client is in QuickBooks.
        payment_ids = [
            pid
            for pid, client_id in db.session.execute(
                select(Payment.id, Payment.client_id).where(Payment.id.in_(payment_ids))
            ).all()
            if client_id in synced_clients
        ]
        db.session.remove()
        browser.row_actions(
            "/billing/payments",
            [(f"/billing/payments/{i}/sync", f"payment-{i}") for i in payment_ids],
        )
        synced_payments = wait_until_final(Payment, payment_ids, deadline)
        invoices = db.session.execute(
            select(db.func.count(db.distinct(Payment.invoice_id)))
            .join(Invoice, Invoice.id == Payment.invoice_id)
            .where(Payment.id.in_(synced_payments), Invoice.qbo_status == SyncStatus.SYNCED)
        ).scalar_one()
        db.session.remove()
    if not synced_clients:
        raise TourFailed("no client reached Synced within the wait (is the worker running?)")
    return TourResult(len(synced_clients), invoices, len(synced_payments), outcome)
