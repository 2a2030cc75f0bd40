"""Never a duplicate, never stuck: lost responses, races, token expiry, QBO down, crashes."""

import threading
import time
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue
from rq.registry import ScheduledJobRegistry

from tests.support.qbo import make_scheduled_jobs_due
from webapp.extensions import db
from webapp.models import Payment, SyncEvent, SyncReason, SyncStatus, User, utcnow
from webapp.quickbooks import jobs, mapping
from webapp.quickbooks.oauth import ConnectionTokens
from webapp.quickbooks.sync import SyncStart, request_sync

pytestmark = pytest.mark.integration


def join_all(threads, seconds=30):
    """Wait for the threads together; a hang fails the test instead of blocking the suite."""
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    hung = [thread.name for thread in threads if thread.is_alive()]
    assert hung == [], f"still running after {seconds} s: {hung}"


@pytest.mark.parametrize("mode", ["error", "timeout"])
def test_a_lost_response_then_a_retry_leaves_exactly_one_qbo_payment(
    qbo_firm, paid_invoice, run_jobs, mode
):
    emulator = qbo_firm.emulator.control
    emulator.set_faults(
        qbo_firm.realm_id,
        lost_response_rate=1.0,
        lost_response_mode=mode,
        lost_response_sleep_ms=2500,
    )
    request_sync(paid_invoice, qbo_firm.user)
    run_jobs(max_jobs=1)  # QBO books the payment, but its answer never reaches us
    assert paid_invoice.qbo_status is SyncStatus.SYNCING  # RQ will retry; the row stays pending
    assert len(qbo_firm.entities("Payment")) == 1
    emulator.clear_faults(qbo_firm.realm_id)
    run_jobs()
    [qbo_payment] = qbo_firm.entities("Payment")
    assert paid_invoice.qbo_status is SyncStatus.SYNCED
    assert paid_invoice.qbo_id == qbo_payment["Id"]
    outcomes = [
        e.outcome
        for e in db.session.execute(
            db.select(SyncEvent).filter_by(record_type="payment", record_id=paid_invoice.id)
        ).scalars()
    ]
    assert outcomes == ["queued", "retrying", "synced"]


def test_the_same_requestid_replays_instead_of_creating_twice(
    qbo_firm, paid_invoice, run_jobs, monkeypatch
):
    """Even with the look-up skipped, a retry of the create is answered from QBO's requestid store."""
    from webapp.quickbooks import mapping

    request_sync(paid_invoice, qbo_firm.user)
    run_jobs()
    first = paid_invoice.qbo_id
    # Pretend our commit was lost: the row is pending again with the same generation.
    paid_invoice.qbo_status = SyncStatus.SYNCING
    paid_invoice.qbo_id = None
    db.session.commit()
    monkeypatch.setattr(mapping, "find_existing_payment", lambda *args, **kwargs: None)
    jobs.run_sync("payment", paid_invoice.id, qbo_firm.user_id)
    db.session.expire_all()
    assert paid_invoice.qbo_id == first
    assert len(qbo_firm.entities("Payment")) == 1


def test_twenty_concurrent_sync_requests_start_one_job_and_make_one_payment(
    qbo_app, qbo_firm, paid_invoice, run_jobs, redis_url
):
    payment_id, user_id = paid_invoice.id, qbo_firm.user_id
    db.session.commit()
    started, errors = [], []
    barrier = threading.Barrier(20, timeout=20)

    def click():
        try:
            with qbo_app.app_context():
                payment = db.session.get(Payment, payment_id)
                user = db.session.get(User, user_id)
                db.session.commit()  # hand the connection back to the pool while we wait
                barrier.wait()
                requested = request_sync(payment, user)
                db.session.commit()
                started.append(requested.outcome)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=click) for _ in range(20)]
    for thread in threads:
        thread.start()
    join_all(threads)
    assert errors == []
    assert started.count(SyncStart.STARTED) == 1
    queue = Queue(qbo_app.config["RQ_QUEUES"][0], connection=Redis.from_url(redis_url))
    assert queue.count == 1
    run_jobs()
    assert len(qbo_firm.entities("Payment")) == 1
    assert db.session.get(Payment, payment_id).qbo_status is SyncStatus.SYNCED


def test_an_expired_token_with_several_workers_is_refreshed_once(qbo_app, qbo_firm, redis_url):
    connection = qbo_firm.connection
    connection.access_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    connection_id = connection.id  # read here: ORM objects must not cross threads
    qbo_firm.emulator.control.expire_tokens(qbo_firm.realm_id)
    results, refreshes, errors = [], [], []
    barrier = threading.Barrier(8, timeout=20)

    def worker():
        try:
            with qbo_app.app_context():
                tokens = ConnectionTokens(connection_id, qbo_app.config, Redis.from_url(redis_url))
                barrier.wait()
                results.append(tokens.access_token())
                refreshes.append(tokens.refreshes)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    join_all(threads)
    assert errors == []
    assert sum(refreshes) == 1
    assert len(set(results)) == 1
    db.session.expire_all()
    assert not qbo_firm.connection.refresh_failing


def test_a_401_refreshes_once_and_the_sync_goes_through(qbo_firm, paid_invoice, run_jobs):
    qbo_firm.emulator.control.expire_tokens(qbo_firm.realm_id)  # we still think it is valid
    before = qbo_firm.connection.access_expires_at
    request_sync(paid_invoice, qbo_firm.user)
    run_jobs()
    assert paid_invoice.qbo_status is SyncStatus.SYNCED
    db.session.expire_all()
    assert qbo_firm.connection.access_expires_at > before
    refused = [
        r for r in qbo_firm.emulator.control.requests(qbo_firm.realm_id) if r["status"] == 401
    ]
    assert len(refused) == 1  # one 401, one refresh, then the same call went through
    assert len(qbo_firm.entities("Payment")) == 1


def test_with_qbo_down_rows_fail_with_a_reason_then_sync_when_it_is_back(
    qbo_firm, paid_invoice, run_jobs
):
    emulator = qbo_firm.emulator
    emulator.stop()
    try:
        request_sync(paid_invoice, qbo_firm.user)
        run_jobs()
        assert paid_invoice.qbo_status is SyncStatus.FAILED
        assert paid_invoice.qbo_reason == SyncReason.QBO_UNAVAILABLE.value
        assert "could not be reached" in paid_invoice.qbo_message
        assert paid_invoice.qbo_sync_generation == 0  # QBO may have booked it: same requestid
    finally:
        emulator.start()
    request_sync(paid_invoice, qbo_firm.user)
    run_jobs()
    assert paid_invoice.qbo_status is SyncStatus.SYNCED
    assert len(qbo_firm.entities("Payment")) == 1


def test_throttling_never_fails_the_row_it_waits_intuits_minute_and_then_syncs(
    qbo_app, qbo_firm, paid_invoice, run_jobs, queue
):
    qbo_firm.emulator.control.set_faults(qbo_firm.realm_id, error_429_rate=1.0)
    request_sync(paid_invoice, qbo_firm.user)
    before = utcnow()
    run_jobs()

    assert paid_invoice.qbo_status is SyncStatus.SYNCING  # waiting, never Failed
    wait = qbo_app.config["QBO_THROTTLE_COOLDOWN_SECONDS"]
    assert before + timedelta(seconds=wait - 1) <= paid_invoice.qbo_retry_at
    assert paid_invoice.qbo_retry_at <= utcnow() + timedelta(seconds=wait + 1)
    waits = db.session.execute(
        db.select(SyncEvent).filter_by(record_id=paid_invoice.id, outcome="retrying")
    ).all()
    assert len(waits) == 1  # one 429, then the row waits for the minute without asking again
    scheduled = ScheduledJobRegistry(queue=queue)
    assert scheduled.count == 1 and queue.count == 0

    # The minute passes and QuickBooks has room again: the job comes back and the row syncs.
    qbo_firm.emulator.control.set_faults(qbo_firm.realm_id, error_429_rate=0.0)
    assert make_scheduled_jobs_due(queue.connection, [queue.name]) == 1
    run_jobs()
    assert paid_invoice.qbo_status is SyncStatus.SYNCED
    assert len(qbo_firm.entities("Payment")) == 1


def test_a_qbo_fault_fails_the_row_with_qbos_message_and_code(qbo_firm, paid_invoice, run_jobs):
    import requests

    invoice = paid_invoice.invoice
    tokens = qbo_firm.emulator.control.issue_tokens("ledgerbridge-demo", qbo_firm.realm_id)
    requests.post(
        f"{qbo_firm.emulator.url}/v3/company/{qbo_firm.realm_id}/invoice?operation=delete",
        json={"Id": invoice.qbo_id, "SyncToken": invoice.qbo_sync_token},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    )
    request_sync(paid_invoice, qbo_firm.user)
    run_jobs()
    assert paid_invoice.qbo_status is SyncStatus.FAILED
    assert paid_invoice.qbo_reason == SyncReason.QBO_FAULT.value
    assert paid_invoice.qbo_error_code == "610"
    assert "QuickBooks refused it (code 610)" in paid_invoice.qbo_message
    # QuickBooks names the invoice by its own id; the row names it by our number, and once.
    assert f"({invoice.number})" in paid_invoice.qbo_message
    assert f"(Invoice {invoice.qbo_id})" not in paid_invoice.qbo_message


def test_a_job_that_dies_is_marked_failed_by_the_failure_callback(
    qbo_firm, paid_invoice, run_jobs, monkeypatch
):
    def crash(*args):
        raise RuntimeError("worker lost its database")

    monkeypatch.setattr(jobs, "_attempt", crash)
    request_sync(paid_invoice, qbo_firm.user)
    run_jobs()
    assert paid_invoice.qbo_status is SyncStatus.FAILED
    assert paid_invoice.qbo_reason == SyncReason.INTERNAL_ERROR.value
    assert "worker lost its database" in paid_invoice.qbo_message


def test_a_refused_refresh_token_fails_the_row_and_asks_to_reconnect(
    qbo_app, qbo_firm, paid_invoice, run_jobs, client
):
    import requests

    from webapp.quickbooks import oauth

    refresh_token = oauth.decrypt(qbo_app.config, qbo_firm.connection.refresh_token_encrypted)
    requests.post(  # the user removed the app in QuickBooks
        f"{qbo_firm.emulator.url}/v2/oauth2/tokens/revoke",
        json={"token": refresh_token},
        auth=("ledgerbridge-demo", "ledgerbridge-demo-secret"),
        timeout=5,
    )
    request_sync(paid_invoice, qbo_firm.user)
    run_jobs()
    assert paid_invoice.qbo_status is SyncStatus.FAILED
    assert paid_invoice.qbo_reason == SyncReason.AUTH_FAILED.value
    assert "Reconnect" in paid_invoice.qbo_message
    assert qbo_firm.connection.refresh_failing
    assert "Reconnect" in client.get("/settings/integrations/quickbooks").get_data(as_text=True)


def test_refresh_reads_accounts_added_in_quickbooks(qbo_firm, client, run_jobs):
    import requests

    tokens = qbo_firm.emulator.control.issue_tokens("ledgerbridge-demo", qbo_firm.realm_id)
    requests.post(
        f"{qbo_firm.emulator.url}/v3/company/{qbo_firm.realm_id}/account",
        json={"Name": "Operating Account", "AccountType": "Bank"},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    )
    response = client.post(
        "/settings/integrations/quickbooks/accounts/refresh", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'hx-trigger="every 1s"' in response.get_data(as_text=True)
    run_jobs()
    since = float(response.get_data(as_text=True).split("since=")[1].split('"')[0])
    section = client.get(
        f"/settings/integrations/quickbooks/deposit?since={since}", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "Operating Account (Bank)" in section
    assert "every 1s" not in section  # the list landed: polling stops


def test_a_payment_already_entered_in_quickbooks_is_linked_not_booked_twice(
    qbo_firm, paid_invoice, run_jobs
):
    import requests

    invoice = paid_invoice.invoice
    tokens = qbo_firm.emulator.control.issue_tokens("ledgerbridge-demo", qbo_firm.realm_id)
    entered = requests.post(  # the customer's payment, recorded by hand in QuickBooks
        f"{qbo_firm.emulator.url}/v3/company/{qbo_firm.realm_id}/payment",
        json={
            "CustomerRef": {"value": invoice.client.qbo_id},
            "TotalAmt": 300.0,
            "Line": [
                {"Amount": 300.0, "LinkedTxn": [{"TxnId": invoice.qbo_id, "TxnType": "Invoice"}]}
            ],
        },
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    ).json()["Payment"]
    request_sync(paid_invoice, qbo_firm.user)
    run_jobs()
    assert paid_invoice.qbo_status is SyncStatus.SYNCED
    assert paid_invoice.qbo_id == entered["Id"]
    assert paid_invoice.qbo_message == "Linked to the payment already in QuickBooks"
    assert len(qbo_firm.entities("Payment")) == 1


def test_every_create_carries_a_requestid_built_from_the_row_and_its_generation(
    qbo_firm, paid_invoice, run_jobs, make
):
    invoice = paid_invoice.invoice
    request_sync(paid_invoice, qbo_firm.user)
    run_jobs()
    refund = make.refund(paid_invoice, "10.00")
    db.session.commit()
    request_sync(refund, qbo_firm.user)
    run_jobs()
    assert refund.qbo_status is SyncStatus.SYNCED
    writes = [
        r["requestid"]
        for r in qbo_firm.emulator.control.requests(qbo_firm.realm_id)
        if r["method"] == "POST"
    ]
    firm = mapping.firm_namespace(qbo_firm.firm)
    assert writes == [
        f"lb-{firm}-client-{invoice.client_id}-g0-create",
        f"lb-{firm}-invoice-{invoice.id}-g0-create",
        f"lb-{firm}-payment-{paid_invoice.id}-g0-create",
        f"lb-{firm}-refund-{refund.id}-g0-create",
    ]
