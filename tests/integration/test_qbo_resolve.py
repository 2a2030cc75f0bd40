"""Rows QuickBooks changed, deleted or voided: flagged on the row, settled from its menu."""

from decimal import Decimal

import pytest

from webapp.extensions import db
from webapp.models import RemoteState, Role, SyncStatus
from webapp.quickbooks.cdc_jobs import request_catch_up
from webapp.quickbooks.metering import kind_of, monthly_counts

pytestmark = pytest.mark.integration


def catch_up(firm, run_jobs):
    request_catch_up(firm.firm_id)
    run_jobs()


def row_url(record, action):
    return f"/reconciliation/rows/{record.RECORD_TYPE}/{record.id}/{action}"


HTMX = {"HX-Request": "true"}


def applied(amount, invoice_qbo_id):
    return {"Amount": amount, "LinkedTxn": [{"TxnId": invoice_qbo_id, "TxnType": "Invoice"}]}


def test_a_changed_payment_shows_its_differences_and_can_take_quickbooks_version(
    client, qbo_firm, synced_payment, qbo_user, run_jobs
):
    qbo_user.edit("Payment", synced_payment.qbo_id, TxnDate="2026-11-27")
    catch_up(qbo_firm, run_jobs)

    page = client.get("/billing/payments").get_data(as_text=True)
    assert "Changed in QuickBooks" in page
    assert "Keep Ledgerbridge&#39;s version" in page and "Take QuickBooks&#39; version" in page
    dialog = client.get(row_url(synced_payment, "differences"), headers=HTMX)
    text = dialog.get_data(as_text=True)
    assert '<th scope="row">Date</th><td>2026-11-20</td><td>2026-11-27</td>' in text

    response = client.post(row_url(synced_payment, "take-theirs"), headers=HTMX)
    assert response.status_code == 200
    assert f'id="payment-{synced_payment.id}"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert synced_payment.received_on.isoformat() == "2026-11-27"
    assert synced_payment.qbo_remote_state is None
    catch_up(qbo_firm, run_jobs)  # nothing left to disagree about
    assert synced_payment.qbo_remote_state is None


def test_keep_ledgerbridge_version_puts_the_amount_back_in_quickbooks(
    client, qbo_firm, synced_payment, qbo_user, run_jobs
):
    qbo_user.edit(
        "Payment",
        synced_payment.qbo_id,
        TotalAmt=400.0,
        Line=[applied(400.0, synced_payment.invoice.qbo_id)],
    )
    catch_up(qbo_firm, run_jobs)
    assert synced_payment.qbo_remote_state is RemoteState.CHANGED
    [difference] = synced_payment.qbo_remote_diff
    assert (difference["ours"], difference["theirs"]) == ("450.00", "400.00")
    # Someone edits it again in QuickBooks before we send ours: the update meets 5010 once.
    qbo_user.edit("Payment", synced_payment.qbo_id, PaymentRefNum="CHK-7")

    response = client.post(row_url(synced_payment, "keep-ours"), headers=HTMX)
    assert response.status_code == 200
    assert synced_payment.qbo_status is SyncStatus.SYNCING
    run_jobs()
    assert synced_payment.qbo_status is SyncStatus.SYNCED
    assert synced_payment.qbo_remote_state is None
    [in_qbo] = qbo_firm.entities("Payment")
    assert Decimal(str(in_qbo["TotalAmt"])) == Decimal("450.00")
    assert in_qbo["SyncToken"] == synced_payment.qbo_sync_token
    catch_up(qbo_firm, run_jobs)  # our own write comes back through CDC: no flag
    assert synced_payment.qbo_remote_state is None


def test_a_payment_deleted_in_quickbooks_can_be_kept_only_here_or_synced_as_new(
    client, qbo_firm, synced_payment, qbo_user, run_jobs
):
    current = qbo_user.read("Payment", synced_payment.qbo_id)
    qbo_user.post(
        "payment", {"Id": current["Id"], "SyncToken": current["SyncToken"]}, operation="delete"
    )
    catch_up(qbo_firm, run_jobs)
    page = client.get("/billing/payments").get_data(as_text=True)
    assert "Deleted in QuickBooks" in page
    assert "Keep only in Ledgerbridge" in page and "Sync payment to QuickBooks" in page

    response = client.post(row_url(synced_payment, "keep-here"), headers=HTMX)
    assert response.status_code == 200
    db.session.expire_all()
    assert synced_payment.qbo_status is SyncStatus.SKIPPED
    assert synced_payment.qbo_remote_state is None
    assert (
        synced_payment.qbo_message == "Kept only in Ledgerbridge after it was deleted in QuickBooks"
    )

    client.post(f"/billing/payments/{synced_payment.id}/sync", headers=HTMX)  # sync again as new
    run_jobs()
    assert synced_payment.qbo_status is SyncStatus.SYNCED
    assert synced_payment.qbo_id != current["Id"]
    assert len(qbo_firm.entities("Payment")) == 1


def test_an_invoice_edited_in_quickbooks_lists_its_lines_side_by_side(
    client, qbo_firm, synced_invoice, qbo_user, run_jobs
):
    line = {
        "Amount": 500.0,
        "Description": "Bookkeeping, September",
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": 500.0},
    }
    qbo_user.edit("Invoice", synced_invoice.qbo_id, Line=[line], DueDate="2026-12-31")
    catch_up(qbo_firm, run_jobs)
    labels = [d["label"] for d in synced_invoice.qbo_remote_diff]
    assert labels == ["Total", "Due date", "Lines"]
    client.post(row_url(synced_invoice, "take-theirs"), headers=HTMX)
    db.session.expire_all()
    assert synced_invoice.qbo_remote_state is None
    assert [(line.description, line.amount) for line in synced_invoice.lines] == [
        ("Bookkeeping, September", Decimal("500.00"))
    ]
    assert (synced_invoice.total, synced_invoice.balance) == (Decimal("500.00"), Decimal("500.00"))
    assert synced_invoice.due_date.isoformat() == "2026-12-31"


def test_a_customer_renamed_or_made_inactive_in_quickbooks_shows_on_the_client_row(
    client, qbo_firm, synced_invoice, qbo_user, run_jobs
):
    customer = synced_invoice.client
    qbo_user.edit("Customer", customer.qbo_id, DisplayName="Harbor Dental Group")
    catch_up(qbo_firm, run_jobs)
    assert customer.qbo_remote_state is RemoteState.CHANGED
    page = client.get("/clients/").get_data(as_text=True)
    assert "Changed in QuickBooks" in page and "Name differ" in page
    client.post(row_url(customer, "take-theirs"), headers=HTMX)
    db.session.expire_all()
    assert customer.display_name == "Harbor Dental Group"

    qbo_user.edit("Customer", customer.qbo_id, Active=False)
    catch_up(qbo_firm, run_jobs)
    assert customer.qbo_remote_state is RemoteState.INACTIVE
    assert "Inactive in QuickBooks" in client.get("/clients/").get_data(as_text=True)


def test_the_reconciliation_page_lists_a_seeded_mismatch_with_a_link_to_the_row(
    client, qbo_firm, synced_payment, qbo_user, run_jobs
):
    qbo_user.edit(
        "Payment",
        synced_payment.qbo_id,
        TotalAmt=400.0,
        Line=[applied(400.0, synced_payment.invoice.qbo_id)],
    )
    catch_up(qbo_firm, run_jobs)
    page = client.get("/reconciliation/?start=2026-01-01&end=2026-12-31").get_data(as_text=True)
    assert "Harbor Dental LLC" in page
    assert "Payment of 450.00 on Nov 20, 2026 for" in page  # the lists' one date format
    assert "Changed in QuickBooks" in page
    assert f"#payment-{synced_payment.id}" in page
    assert 'class="nav-count"' in page  # the top bar counts it


def test_the_settings_page_counts_calls_and_offers_a_catch_up(
    client, qbo_firm, synced_invoice, qbo_user, run_jobs
):
    qbo_user.receive_payment(synced_invoice.qbo_id, "450.00")
    before = monthly_counts(qbo_firm.realm_id)
    assert before["create"] == 2  # the client's and the invoice's syncs
    response = client.post("/settings/integrations/quickbooks/catch-up", headers=HTMX)
    assert response.status_code == 200
    run_jobs()
    after = monthly_counts(qbo_firm.realm_id)
    # One CDC call brought the payment in: no read or query per object.
    assert {kind: after[kind] - before[kind] for kind in after if after[kind] != before[kind]} == {
        "cdc": 1
    }
    page = client.get("/settings/integrations/quickbooks").get_data(as_text=True)
    assert "Changes made in QuickBooks" in page
    assert "Calls to QuickBooks in" in page
    assert "Check QuickBooks for changes now" in page


def test_reconciliation_is_for_owners_and_admins(client, auth, make):
    staff = make.user(role=Role.STAFF)
    db.session.commit()
    auth.login(staff)
    assert client.get("/reconciliation/").status_code == 403
    assert 'href="/reconciliation/"' not in client.get("/billing/payments").get_data(as_text=True)


def test_each_call_is_counted_under_its_kind():
    assert kind_of("GET", "query", {"query": "SELECT * FROM Item"}) == "query"
    assert kind_of("GET", "cdc", {"entities": "Payment"}) == "cdc"
    assert kind_of("GET", "invoice/130") == "read"
    assert kind_of("POST", "payment", None, {"TotalAmt": 5}) == "create"
    assert kind_of("POST", "payment", None, {"Id": "7", "SyncToken": "0"}) == "update"
    assert kind_of("POST", "payment", {"operation": "update", "include": "void"}) == "update"
    assert kind_of("POST", "payment", {"operation": "delete"}, {"Id": "7"}) == "delete"
