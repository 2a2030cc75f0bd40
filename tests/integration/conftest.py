"""Rows the integration tests share, and a QuickBooks user acting in QBO directly."""

import threading
from contextlib import contextmanager

import pytest
import requests
from werkzeug.serving import make_server

from tests.support.qbo import committed
from webapp.extensions import db
from webapp.models import SyncStatus
from webapp.quickbooks.sync import SyncStart, request_sync


@pytest.fixture
def paid_invoice(qbo_firm, make, run_jobs):
    """A synced client and invoice, and a payment not yet synced."""
    client = make.client(qbo_firm.firm, display_name="Lost & Found LLC")
    invoice = make.invoice(client, amount="300.00")
    payment = make.payment(invoice, amount="300.00")
    db.session.commit()
    for record in (client, invoice):
        request_sync(record, qbo_firm.user)
        run_jobs()
        assert record.qbo_status is SyncStatus.SYNCED
    return payment


class QboUser:
    """Someone working in the QuickBooks company directly (the emulator's API and pages)."""

    def __init__(self, firm):
        self.url = firm.emulator.url
        self.realm = firm.realm_id
        self.control = firm.emulator.control
        token = self.control.issue_tokens("ledgerbridge-demo", self.realm)["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def post(self, entity, body, **params):
        response = requests.post(
            f"{self.url}/v3/company/{self.realm}/{entity}",
            json=body,
            params=params,
            headers=self.headers,
            timeout=5,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def read(self, entity, entity_id):
        response = requests.get(
            f"{self.url}/v3/company/{self.realm}/{entity.lower()}/{entity_id}",
            headers=self.headers,
            timeout=5,
        )
        return response.json()[entity]

    def edit(self, entity, entity_id, **fields):
        """A sparse update of the object as it is now (its current SyncToken)."""
        current = self.read(entity, entity_id)
        body = {"Id": entity_id, "SyncToken": current["SyncToken"], "sparse": True, **fields}
        return self.post(entity.lower(), body)[entity]

    def receive_payment(self, invoice_qbo_id, amount):
        """The emulator's "Receive payment" page on the invoice."""
        response = requests.post(
            f"{self.url}/_emulator/{self.realm}/invoices/{invoice_qbo_id}/receive-payment",
            data={"amount": amount},
            timeout=5,
        )
        assert response.status_code in (200, 302, 303), response.text
        return self.control.entities(self.realm, "Payment")[-1]


@pytest.fixture
def qbo_user(qbo_firm):
    return QboUser(qbo_firm)


@pytest.fixture
def synced_invoice(qbo_firm, make, run_jobs):
    client = make.client(qbo_firm.firm, display_name="Harbor Dental LLC")
    invoice = make.invoice(client, amount="450.00")
    db.session.commit()
    for record in (client, invoice):
        request_sync(record, qbo_firm.user)
        run_jobs()
        assert record.qbo_status is SyncStatus.SYNCED
    return invoice


@pytest.fixture
def synced_payment(qbo_firm, synced_invoice, make, run_jobs):
    payment = make.payment(synced_invoice, amount="450.00")
    db.session.commit()
    request_sync(payment, qbo_firm.user)
    run_jobs()
    assert payment.qbo_status is SyncStatus.SYNCED
    return payment


@pytest.fixture
def sync(run_jobs):
    """sync(record, user): Sync from the row menu, then run the job; the row is returned."""

    def do(record, user):
        assert committed(request_sync(record, user)) is SyncStart.STARTED
        assert record.qbo_status is SyncStatus.SYNCING
        run_jobs()
        return record

    return do


@pytest.fixture
def books(qbo_firm, make):
    """A client, an invoice and a manual payment of the connected firm, none synced yet."""
    firm = qbo_firm.firm
    client = make.client(firm, display_name="Acme Dental LLC", email="ap@acme.test")
    invoice = make.invoice(client, amount="450.00")
    payment = make.payment(invoice, amount="450.00", sync_requested=True)
    db.session.commit()
    return client, invoice, payment


@pytest.fixture
def webhooks_to_app(qbo_app, qbo_firm):
    """`with webhooks_to_app(format=...):` the emulator delivers its webhooks to the app, served
    on a real port for the test, until the block ends."""
    server = make_server("127.0.0.1", 0, qbo_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_port}/settings/integrations/quickbooks/webhook"
    control = qbo_firm.emulator.control
    token = qbo_app.config["QBO_WEBHOOK_VERIFIER_TOKEN"]

    @contextmanager
    def delivering(**options):
        control.set_webhook("ledgerbridge-demo", endpoint, verifier_token=token, **options)
        try:
            yield
        finally:
            control.set_webhook("ledgerbridge-demo", "")

    yield delivering
    server.shutdown()
