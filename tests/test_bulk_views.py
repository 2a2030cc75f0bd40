"""The bulk actions of the lists and of Settings: preview, start, progress, cancel, scoping."""

import re

import pytest
from rq import Queue

from webapp.extensions import db
from webapp.models import BulkRun, Payment, QboConnection, Role, SyncStatus

HX = {"HX-Request": "true"}
REALM = "9130000000000001"


@pytest.fixture
def connected(app, user, queue):
    """The signed-in user's firm connected to QuickBooks (no call to QBO is made here)."""
    db.session.add(
        QboConnection(firm_id=user.firm_id, realm_id=REALM, refresh_token_encrypted=b"sealed")
    )
    db.session.commit()
    return user


@pytest.fixture
def bulk_queue(app, redis_conn):
    return Queue(app.config["QBO_BULK_QUEUE"], connection=redis_conn)


@pytest.fixture
def sixty_payments(make, connected):
    """60 payments not synced, their clients and invoices synced; 30 of them by "Check"."""
    client = make.synced(make.client(connected.firm, display_name="Harbor Dental"), realm_id=REALM)
    payments = []
    for n in range(60):
        invoice = make.synced(make.invoice(client, amount="50.00"), realm_id=REALM)
        payments.append(make.payment(invoice, reference="check" if n % 2 else None))
    db.session.commit()
    return payments


def statuses(payments):
    db.session.expire_all()
    return [db.session.get(Payment, p.id).qbo_status for p in payments]


def test_the_payments_list_has_checkboxes_and_the_selection_bar(client, sixty_payments):
    page = client.get("/billing/payments").text
    assert page.count('name="ids"') == 50  # one per row on the first page
    assert 'form="payments-bulk"' in page
    assert "Select all 60 matching" in page
    assert ">Sync selected<" in page and ">Unsync selected<" in page
    assert "Retry all failed" not in page  # nothing has failed


def test_sync_selected_previews_the_counts_then_starts_a_run(client, sixty_payments, bulk_queue):
    picked = [str(p.id) for p in sixty_payments[:3]]
    preview = client.post(
        "/bulk/preview?list=payments", data={"action": "sync", "ids": picked}, headers=HX
    )
    assert preview.status_code == 200
    assert re.search(r"<strong>3</strong> payments", preview.text)
    assert statuses(sixty_payments[:3]) == [SyncStatus.NOT_SYNCED] * 3  # nothing started yet

    started = client.post(
        "/bulk/start?list=payments", data={"action": "sync", "ids": picked}, headers=HX
    )
    assert started.status_code == 204
    assert started.headers["HX-Redirect"] == "/billing/payments"
    assert statuses(sixty_payments[:3]) == [SyncStatus.SYNCING] * 3
    assert statuses(sixty_payments[3:4]) == [SyncStatus.NOT_SYNCED]
    run = db.session.scalars(db.select(BulkRun)).one()
    assert (run.total, run.action, run.record_type) == (3, "sync", "payment")
    assert bulk_queue.count == 2  # its lanes, on the bulk queue (workers read it last)

    page = client.get("/billing/payments").text
    assert 'id="bulk-panel"' in page
    assert f'hx-get="/bulk/runs/{run.id}"' in page  # the panel polls itself


def test_select_all_matching_covers_every_page_of_the_current_filter(client, sixty_payments):
    args = "list=payments&q=Harbor"
    response = client.post(f"/bulk/start?{args}", data={"action": "sync", "all": "1"}, headers=HX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/billing/payments?q=Harbor"
    assert statuses(sixty_payments) == [SyncStatus.SYNCING] * 60  # 50 on page 1, 10 on page 2


def test_select_all_matching_sends_only_what_the_filter_shows(
    client, make, connected, sixty_payments
):
    other = make.synced(make.client(connected.firm, display_name="Zed Bikes"), REALM)
    zed = make.payment(make.synced(make.invoice(other, amount="9.00"), realm_id=REALM))
    db.session.commit()
    response = client.post(
        "/bulk/start?list=payments&q=Zed", data={"action": "sync", "all": "1"}, headers=HX
    )
    assert response.status_code == 204
    assert statuses([zed]) == [SyncStatus.SYNCING]
    assert statuses(sixty_payments) == [SyncStatus.NOT_SYNCED] * 60


def test_another_firms_ids_are_ignored(client, make, connected, sixty_payments):
    stranger = make.user()
    theirs = make.payment(make.invoice(make.client(stranger.firm), amount="10.00"))
    db.session.commit()
    response = client.post(
        "/bulk/start?list=payments", data={"action": "sync", "ids": [str(theirs.id)]}, headers=HX
    )
    assert response.status_code == 409
    assert "Nothing to do" in response.headers["HX-Trigger"]
    assert statuses([theirs]) == [SyncStatus.NOT_SYNCED]


def test_another_firms_run_is_not_found(client, make, user):
    stranger = make.user()
    run = BulkRun(firm_id=stranger.firm_id, action="sync", scope="selected", total=1)
    db.session.add(run)
    db.session.commit()
    assert client.get(f"/bulk/runs/{run.id}", headers=HX).status_code == 404
    assert client.post(f"/bulk/runs/{run.id}/cancel", headers=HX).status_code == 404


def test_cancel_puts_the_rows_not_sent_back_as_they_were(client, sixty_payments):
    client.post("/bulk/start?list=payments", data={"action": "sync", "all": "1"}, headers=HX)
    run = db.session.scalars(db.select(BulkRun)).one()

    response = client.post(f"/bulk/runs/{run.id}/cancel", headers=HX)

    assert response.status_code == 200
    assert "Cancelled" in response.text and "60</strong> not sent" in response.text
    assert 'hx-trigger="every 2s"' not in response.text  # the panel stops polling
    assert statuses(sixty_payments) == [SyncStatus.NOT_SYNCED] * 60
    db.session.expire_all()
    run = db.session.get(BulkRun, run.id)
    assert run.is_finished and run.cancelled == 60


def test_the_panel_reports_done_failed_and_left(client, sixty_payments):
    client.post("/bulk/start?list=payments", data={"action": "sync", "all": "1"}, headers=HX)
    run = db.session.scalars(db.select(BulkRun)).one()
    for payment in sixty_payments[:20]:
        payment.qbo_status = SyncStatus.SYNCED
    sixty_payments[20].qbo_status = SyncStatus.FAILED
    db.session.commit()
    panel = client.get(f"/bulk/runs/{run.id}", headers=HX).text
    figures = dict(re.findall(r'data-figure="(\w+)"><strong>([\d,]+)</strong>', panel))
    assert figures == {"done": "20", "failed": "1", "left": "39"}
    assert 'href="/billing/payments?qbo=failed"' in panel  # failed rows, with QBO's reason


def test_unsync_preview_says_what_will_be_deleted_in_quickbooks(client, make, connected):
    client_row = make.synced(make.client(connected.firm), realm_id=REALM)
    payment = make.synced(
        make.payment(make.synced(make.invoice(client_row, "80.00"), realm_id=REALM)), REALM
    )
    make.synced(make.refund(payment, "10.00"), realm_id=REALM)
    db.session.commit()
    preview = client.post(
        "/bulk/preview?list=payments",
        data={"action": "unsync", "ids": [str(payment.id)]},
        headers=HX,
    )
    assert "This will be deleted in QuickBooks" in preview.text
    assert re.search(r"<strong>1</strong> payment<", preview.text)
    assert re.search(r"<strong>1</strong> refund<", preview.text)


def test_retry_all_failed_is_offered_and_takes_only_the_failed_rows(client, sixty_payments):
    for payment in sixty_payments[:4]:
        payment.qbo_status = SyncStatus.FAILED
        payment.qbo_message = "QuickBooks rejected it (code 6000): Business Validation Error"
    db.session.commit()
    assert "Retry all failed (4)" in client.get("/billing/payments").text
    client.post("/bulk/start?list=payments", data={"action": "retry"}, headers=HX)
    assert statuses(sixty_payments[:5]) == [SyncStatus.SYNCING] * 4 + [SyncStatus.NOT_SYNCED]


def test_send_everything_previews_counts_in_dependency_order(client, make, connected):
    firm = connected.firm
    firm.sync_manual_payments = True
    acme = make.client(firm, display_name="Acme")
    invoice = make.invoice(acme, "100.00")
    make.payment(invoice, amount="60.00")
    make.payment(invoice, amount="40.00", sync_requested=False)  # its own box cleared
    db.session.commit()
    page = client.get("/settings/integrations/quickbooks").text
    assert "Send everything to QuickBooks…" in page
    preview = client.post("/bulk/preview?list=everything", data={"action": "sync"}, headers=HX)
    counts = re.findall(
        r"<strong>(\d+)</strong> (client accounts?|invoices?|payments?|refunds?)<", preview.text
    )
    assert counts == [("1", "client account"), ("1", "invoice"), ("1", "payment")]
    assert "1 payments entered by hand whose sync is off" in preview.text


def test_send_everything_is_for_owners_and_admins(client, make, auth, connected):
    staff = make.user(firm=connected.firm, role=Role.STAFF)
    db.session.commit()
    auth.login(staff)
    response = client.post("/bulk/preview?list=everything", data={"action": "sync"}, headers=HX)
    assert response.status_code == 403


def test_a_bulk_post_without_the_csrf_token_is_refused(app, client, sixty_payments):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(
        "/bulk/start?list=payments", data={"action": "sync", "all": "1"}, headers=HX
    )
    assert response.status_code == 400
    assert statuses(sixty_payments[:1]) == [SyncStatus.NOT_SYNCED]
