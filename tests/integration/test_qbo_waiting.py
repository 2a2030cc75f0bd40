"""While QuickBooks does not answer, a row waiting in Syncing… says so and when it tries again."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from webapp.extensions import db
from webapp.models import Firm, SyncStatus, utcnow
from webapp.quickbooks.sync import request_sync

pytestmark = pytest.mark.integration
HX = {"HX-Request": "true"}


def test_a_row_waiting_on_quickbooks_says_when_it_retries(
    qbo_app, qbo_firm, paid_invoice, run_jobs, client
):
    qbo_app.config["QBO_RETRY_INTERVALS"] = [600, 600]
    firm = db.session.get(Firm, qbo_firm.firm_id)
    firm.time_zone = "Europe/Amsterdam"
    db.session.commit()
    qbo_firm.emulator.stop()
    try:
        request_sync(paid_invoice, qbo_firm.user)
        before = utcnow()
        run_jobs(max_jobs=1)
    finally:
        qbo_firm.emulator.start()
    assert paid_invoice.qbo_status is SyncStatus.SYNCING
    retry_at = paid_invoice.qbo_retry_at
    assert before + timedelta(seconds=599) <= retry_at <= utcnow() + timedelta(seconds=601)

    page = client.get("/billing/payments").text
    row = re.search(rf'<tr id="payment-{paid_invoice.id}".*?</tr>', page, re.S).group(0)
    local = retry_at.astimezone(ZoneInfo("Europe/Amsterdam"))
    expected = local.strftime("%-I:%M\u202f%p")  # Babel's short English time
    assert f"QuickBooks is not answering; retrying at {expected}" in row
    # The poller notices the new retry time even though the status is still Syncing….
    watch = re.search(r'name="watch" value="([^"]+)"', row).group(1)
    assert watch == f"{paid_invoice.id}:syncing@{int(retry_at.timestamp())}"
    stale = client.get(f"/billing/payments/poll?watch={paid_invoice.id}:syncing", headers=HX)
    assert stale.status_code == 200 and "retrying at" in stale.text
    same = client.get(f"/billing/payments/poll?watch={watch}", headers=HX)
    assert same.status_code == 204
