"""Rows the integration tests share."""

import pytest

from webapp.extensions import db
from webapp.models import SyncStatus
from webapp.quickbooks.sync import request_sync


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
