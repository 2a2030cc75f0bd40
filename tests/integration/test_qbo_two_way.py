"""What happens in QuickBooks comes back: CDC catch-up and the changes applied to rows.

A "QuickBooks user" here is the emulator's own pages and API over HTTP, as a person in QBO
would act; Ledgerbridge only learns of it through webhooks and CDC. How webhooks are delivered and
stored is in test_qbo_webhook_deliveries.py.
"""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
import requests

from webapp.extensions import db
from webapp.models import (
    InvoiceStatus,
    Payment,
    PaymentSource,
    RemoteState,
    SyncReason,
    SyncStatus,
    utcnow,
)
from webapp.quickbooks.cdc_jobs import catch_up_all, request_catch_up
from webapp.quickbooks.state import mark_skipped
from webapp.quickbooks.sync import SYNC_OFF_FOR_PAYMENT

pytestmark = pytest.mark.integration


def catch_up(firm, run_jobs):
    request_catch_up(firm.firm_id)
    run_jobs()


def test_a_payment_received_in_quickbooks_is_imported_linked_and_the_invoice_follows(
    qbo_firm, synced_invoice, qbo_user, run_jobs
):
    received = qbo_user.receive_payment(synced_invoice.qbo_id, "449.00")
    catch_up(qbo_firm, run_jobs)

    [payment] = synced_invoice.payments
    assert payment.source is PaymentSource.QUICKBOOKS
    assert payment.qbo_status is SyncStatus.SYNCED
    assert payment.qbo_linked is True
    assert payment.qbo_id == received["Id"]
    assert payment.amount == Decimal("449.00")
    assert synced_invoice.balance == Decimal("1.00")
    assert synced_invoice.status is InvoiceStatus.PARTIALLY_PAID
    assert synced_invoice.qbo_balance == Decimal("1.00")
    # Catching up again changes nothing and duplicates nothing, here or in QBO.
    catch_up(qbo_firm, run_jobs)
    assert len(synced_invoice.payments) == 1
    assert len(qbo_firm.entities("Payment")) == 1


def test_a_payment_recorded_here_but_not_synced_is_linked_not_imported_twice(
    qbo_firm, synced_invoice, qbo_user, make, run_jobs
):
    mine = make.payment(synced_invoice, amount="450.00", sync_requested=False)
    db.session.flush()
    mark_skipped(mine, None, SyncReason.SYNC_OFF_FOR_PAYMENT, SYNC_OFF_FOR_PAYMENT)
    db.session.commit()
    received = qbo_user.receive_payment(synced_invoice.qbo_id, "450.00")
    catch_up(qbo_firm, run_jobs)

    assert synced_invoice.payments == [mine]
    assert mine.qbo_status is SyncStatus.SYNCED and mine.qbo_linked
    assert mine.qbo_id == received["Id"]
    assert len(qbo_firm.entities("Payment")) == 1


def test_an_amount_edited_in_quickbooks_flags_the_row_with_each_difference(
    qbo_firm, synced_payment, qbo_user, run_jobs
):
    current = qbo_user.read("Payment", synced_payment.qbo_id)
    qbo_user.post(
        "payment",
        {
            "Id": current["Id"],
            "SyncToken": current["SyncToken"],
            "sparse": True,
            "TxnDate": "2026-11-25",
        },
    )
    catch_up(qbo_firm, run_jobs)

    assert synced_payment.qbo_status is SyncStatus.SYNCED
    assert synced_payment.qbo_remote_state is RemoteState.CHANGED
    [difference] = synced_payment.qbo_remote_diff
    assert (difference["label"], difference["ours"], difference["theirs"]) == (
        "Date",
        "2026-11-20",
        "2026-11-25",
    )
    assert synced_payment.qbo_sync_token == str(int(current["SyncToken"]) + 1)


def test_a_payment_voided_in_quickbooks_says_so_on_the_row(
    qbo_firm, synced_payment, qbo_user, run_jobs
):
    current = qbo_user.read("Payment", synced_payment.qbo_id)
    qbo_user.post(
        "payment",
        {"Id": current["Id"], "SyncToken": current["SyncToken"], "sparse": True},
        operation="update",
        include="void",
    )
    catch_up(qbo_firm, run_jobs)

    assert synced_payment.qbo_status is SyncStatus.NOT_SYNCED
    assert synced_payment.qbo_remote_state is RemoteState.VOIDED
    assert synced_payment.qbo_message == "This was voided in QuickBooks."


def test_reordered_versions_leave_the_newest_one(qbo_firm, synced_payment, qbo_user):
    from webapp.quickbooks.remote import apply_objects

    first = qbo_user.read("Payment", synced_payment.qbo_id)
    qbo_user.post(
        "payment",
        {
            "Id": first["Id"],
            "SyncToken": first["SyncToken"],
            "sparse": True,
            "TxnDate": "2026-11-21",
        },
    )
    second = qbo_user.read("Payment", synced_payment.qbo_id)
    qbo_user.post(
        "payment",
        {
            "Id": first["Id"],
            "SyncToken": second["SyncToken"],
            "sparse": True,
            "TxnDate": "2026-11-22",
        },
    )
    third = qbo_user.read("Payment", synced_payment.qbo_id)
    for version in (third, second, third, first):  # late and repeated deliveries
        apply_objects(qbo_firm.firm_id, qbo_firm.realm_id, "Payment", [version])
    assert synced_payment.qbo_remote_diff[0]["theirs"] == "2026-11-22"
    assert synced_payment.qbo_sync_token == third["SyncToken"]


def test_a_lost_webhook_is_recovered_by_the_scheduled_catch_up(
    qbo_app, qbo_firm, synced_invoice, qbo_user, run_jobs
):
    qbo_user.receive_payment(synced_invoice.qbo_id, "450.00")  # no webhook reaches us
    connection = qbo_firm.connection
    connection.cdc_checked_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert catch_up_all() == 1
    run_jobs()
    assert [p.source for p in synced_invoice.payments] == [PaymentSource.QUICKBOOKS]
    assert synced_invoice.status is InvoiceStatus.PAID


def test_a_company_out_of_reach_for_30_days_is_re_read_in_full(
    qbo_firm, synced_payment, qbo_user, run_jobs
):
    current = qbo_user.read("Payment", synced_payment.qbo_id)
    qbo_user.post(
        "payment", {"Id": current["Id"], "SyncToken": current["SyncToken"]}, operation="delete"
    )
    connection = qbo_firm.connection
    connection.cdc_synced_through = utcnow() - timedelta(days=31)
    db.session.commit()
    catch_up(qbo_firm, run_jobs)
    assert "30 days" in qbo_firm.connection.cdc_error
    assert synced_payment.qbo_status is SyncStatus.SYNCED  # nothing applied blindly

    request_catch_up(qbo_firm.firm_id, full=True)
    run_jobs()
    assert qbo_firm.connection.cdc_error is None
    assert qbo_firm.connection.cdc_synced_through > utcnow() - timedelta(minutes=1)
    assert synced_payment.qbo_remote_state is RemoteState.DELETED


def test_no_payment_is_imported_for_an_invoice_ledgerbridge_does_not_know(
    qbo_firm, synced_invoice, qbo_user, run_jobs
):
    customer = qbo_user.post("customer", {"DisplayName": "Walk-in Customer"})["Customer"]
    line = {
        "Amount": 20,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
    }
    other = qbo_user.post("invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line]})
    qbo_user.receive_payment(other["Invoice"]["Id"], "20.00")
    catch_up(qbo_firm, run_jobs)
    assert db.session.execute(db.select(Payment)).scalars().all() == []


def test_reconnecting_catches_up_on_what_happened_while_disconnected(
    client, qbo_firm, synced_invoice, qbo_user, connect_qbo, run_jobs
):
    assert client.post("/settings/integrations/quickbooks/disconnect").status_code in (200, 302)
    received = qbo_user.receive_payment(synced_invoice.qbo_id, "450.00")
    # No catch-up had run before the disconnect, and the reconnect comes a second later: what
    # was received meanwhile must still be read (the reconnect does not restart the clock).
    time.sleep(1.1)
    assert connect_qbo(client, qbo_firm.realm_id).status_code == 302
    run_jobs()  # the accounts and the catch-up the reconnect asked for
    assert [p.qbo_id for p in synced_invoice.payments] == [received["Id"]]


def test_a_customer_merged_in_quickbooks_shows_on_the_client_row(
    client, qbo_firm, synced_invoice, qbo_user, run_jobs
):
    survivor = qbo_user.post("customer", {"DisplayName": "Harbor Dental Group"})["Customer"]
    merged = synced_invoice.client
    response = requests.post(
        f"{qbo_user.url}/_emulator/{qbo_user.realm}/customers/{merged.qbo_id}/merge",
        data={"into": survivor["Id"]},
        timeout=5,
    )
    assert response.status_code in (200, 302, 303)
    catch_up(qbo_firm, run_jobs)
    assert merged.qbo_remote_state is RemoteState.MERGED
    assert merged.qbo_status is SyncStatus.NOT_SYNCED
    # Its invoice moved to the other customer in QuickBooks: that shows on the invoice.
    assert synced_invoice.qbo_remote_state is RemoteState.CHANGED
    assert [d["label"] for d in synced_invoice.qbo_remote_diff] == ["Customer"]
    page = client.get("/clients/").get_data(as_text=True)
    assert "Merged in QuickBooks" in page and "Keep only in Ledgerbridge" in page


def test_a_change_to_a_row_a_job_holds_is_applied_by_the_next_catch_up(
    qbo_firm, synced_payment, qbo_user, run_jobs
):
    qbo_user.edit("Payment", synced_payment.qbo_id, TxnDate="2026-11-29")
    synced_payment.qbo_status = SyncStatus.SYNCING  # as while a job works on it
    db.session.commit()
    catch_up(qbo_firm, run_jobs)
    assert synced_payment.qbo_remote_state is None  # left to the job

    synced_payment.qbo_status = SyncStatus.SYNCED  # the job is done
    db.session.commit()
    catch_up(qbo_firm, run_jobs)
    assert synced_payment.qbo_remote_state is RemoteState.CHANGED
    assert synced_payment.qbo_remote_diff[0]["theirs"] == "2026-11-29"


def test_an_invoice_voided_in_quickbooks_says_so_on_the_row(
    client, qbo_firm, synced_invoice, qbo_user, run_jobs
):
    current = qbo_user.read("Invoice", synced_invoice.qbo_id)
    qbo_user.post(
        "invoice", {"Id": current["Id"], "SyncToken": current["SyncToken"]}, operation="void"
    )
    catch_up(qbo_firm, run_jobs)
    assert synced_invoice.qbo_remote_state is RemoteState.VOIDED
    assert synced_invoice.qbo_status is SyncStatus.NOT_SYNCED
    page = client.get("/billing/invoices").get_data(as_text=True)
    assert "Voided in QuickBooks" in page and "Keep only in Ledgerbridge" in page
