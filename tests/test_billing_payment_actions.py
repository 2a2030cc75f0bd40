"""Refund payment, and the Payments row actions: sync, unsync, history."""

import json
from decimal import Decimal

import pytest

from webapp.extensions import db
from webapp.models import (
    Invoice,
    InvoiceStatus,
    Payment,
    Refund,
    SyncStatus,
)

HX = {"HX-Request": "true"}
RESULTS = {**HX, "HX-Target": "payments-results"}


def counts() -> tuple[int, int]:
    """(payments, refunds) as committed: a rolled-back view leaves nothing behind."""
    db.session.rollback()
    return (
        db.session.scalar(db.select(db.func.count(Payment.id))),
        db.session.scalar(db.select(db.func.count(Refund.id))),
    )


def payment_data(invoice, **overrides):
    data = {
        "client_id": str(invoice.client_id),
        "invoice_id": str(invoice.id),
        "amount": "150.00",
        "received_on": "2026-11-27",
        "method": "bank_transfer",
        "reference": "TX-42",
        "description": "Paid through QuickBooks",
        "sync_to_qbo": "y",
        "origin": "payments",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# Refund payment -------------------------------------------------------------------------------


@pytest.fixture
def sendable(make, connected, payment):
    """The payment with what QuickBooks needs first: the firm connected, the client in it."""
    make.synced(payment.client)
    db.session.commit()
    return payment


@pytest.fixture
def payment(make, invoice):
    """A 150.00 payment on the 200.00 invoice (balance 50.00)."""
    payment = make.payment(invoice, "150.00")
    db.session.commit()
    return payment


def test_refund_form_offers_what_is_left(client, make, user, payment):
    make.refund(payment, "50.00")
    db.session.commit()
    body = client.get(f"/billing/payments/{payment.id}/refund", headers=HX).text
    assert body.lstrip().startswith('<form id="refund-form"')
    assert 'value="100.00"' in body
    for label in ("Amount", "Date", "Reason"):
        assert f">{label}</label>" in body


def test_refund_updates_the_payment_row_and_leaves_the_invoice_as_quickbooks_does(
    client, user, invoice, payment
):
    response = client.post(
        f"/billing/payments/{payment.id}/refund",
        data={"amount": "40.00", "refunded_on": "2026-11-28", "reason": "Overpaid"},
        headers=HX,
    )
    assert response.status_code == 200, response.text
    assert response.headers["HX-Retarget"] == f"#payment-{payment.id}"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert response.text.startswith(f'<tr id="payment-{payment.id}"')
    assert "Refunded 40.00" in response.text
    events = json.loads(response.headers["HX-Trigger"])
    assert "close-dialog" in events
    # The toast does not claim the invoice is open again: it is not.
    assert events["toast"]["message"] == (
        f"Refunded 40.00 of the payment for invoice {invoice.number}."
    )
    refund = db.session.execute(db.select(Refund)).scalar_one()
    assert (refund.amount, refund.reason) == (Decimal("40.00"), "Overpaid")
    db.session.refresh(invoice)
    # A refund does not reopen the invoice (a RefundReceipt in QuickBooks).
    assert (invoice.balance, invoice.status) == (Decimal("50.00"), InvoiceStatus.PARTIALLY_PAID)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "150.01"}, "Only 150.00 is left to refund on this payment."),
        ({"amount": "0"}, "The amount must be more than 0."),
        ({"amount": "1.999"}, "Use at most two decimals."),
        ({"amount": "abc"}, "Enter an amount, like 125.00."),
        ({"refunded_on": "31/12/2026"}, "Enter a date like 2026-11-27."),
        ({"reason": "r" * 501}, "cannot be longer than 500"),
    ],
)
def test_bad_refunds_are_refused_with_422_and_nothing_written(
    client, user, invoice, payment, data, message
):
    response = client.post(
        f"/billing/payments/{payment.id}/refund",
        data={"amount": "10.00", "refunded_on": "2026-11-28", **data},
        headers=HX,
    )
    assert response.status_code == 422
    assert message in response.text
    assert counts() == (1, 0)
    db.session.refresh(invoice)
    assert invoice.balance == Decimal("50.00")


def test_invariant_holds_after_payments_and_refunds_through_the_pages(client, user, invoice):
    def pay(amount):
        response = client.post(
            "/billing/payments", data=payment_data(invoice, amount=amount), headers=HX
        )
        assert response.status_code == 200, response.text
        return db.session.execute(
            db.select(Payment).order_by(Payment.id.desc()).limit(1)
        ).scalar_one()

    def refund(payment, amount):
        response = client.post(
            f"/billing/payments/{payment.id}/refund",
            data={"amount": amount, "refunded_on": "2026-11-28"},
            headers=HX,
        )
        assert response.status_code == 200, response.text

    first = pay("120.00")
    refund(first, "20.00")
    second = pay("79.99")
    refund(second, "79.99")
    pay("0.01")
    refund(first, "100.00")
    db.session.expire_all()
    invoice = db.session.get(Invoice, first.invoice_id)
    paid = db.session.scalar(db.select(db.func.sum(Payment.amount)))
    refunded = db.session.scalar(db.select(db.func.sum(Refund.amount)))
    assert refunded == Decimal("199.99")
    assert invoice.balance == invoice.total - paid == Decimal("0.00")
    assert invoice.status is InvoiceStatus.PAID


# Row actions ----------------------------------------------------------------------------------


def test_sync_payment_enqueues_the_job_and_returns_the_row_then_the_poller(
    client, user, payment, queue, sendable
):
    response = client.post(f"/billing/payments/{payment.id}/sync", headers=HX)
    body = response.text
    assert response.status_code == 200
    assert body.startswith(f'<tr id="payment-{payment.id}"')
    assert "Syncing…" in body
    assert '<div id="payments-poller" hx-get="/billing/payments/poll"' in body
    [job_id] = queue.job_ids
    job = queue.fetch_job(job_id)
    assert (job.func_name, job.args) == (
        "webapp.quickbooks.jobs.run_sync",
        ("payment", payment.id, user.id),
    )


def test_unsync_payment_enqueues_the_unsync_job(client, make, user, payment, queue, connected):
    make.synced(payment)
    db.session.commit()
    response = client.post(f"/billing/payments/{payment.id}/unsync", headers=HX)
    assert response.status_code == 200
    assert "Unsyncing…" in response.text
    [job_id] = queue.job_ids
    assert queue.fetch_job(job_id).func_name == "webapp.quickbooks.jobs.run_unsync"


@pytest.mark.parametrize("action", ["sync", "unsync"])
def test_an_action_on_a_pending_row_starts_nothing(client, user, payment, queue, action):
    payment.qbo_status = SyncStatus.SYNCING
    db.session.commit()
    response = client.post(f"/billing/payments/{payment.id}/{action}", headers=HX)
    assert response.status_code == 200
    assert queue.job_ids == []
    db.session.refresh(payment)
    assert payment.qbo_status is SyncStatus.SYNCING


def test_sync_of_a_synced_payment_is_refused(client, make, user, payment, queue):
    make.synced(payment)
    db.session.commit()
    response = client.post(f"/billing/payments/{payment.id}/sync", headers=HX)
    assert response.status_code == 409
    assert json.loads(response.headers["HX-Trigger"])["toast"]["level"] == "error"
    assert queue.job_ids == []


def test_payment_history_shows_its_refunds(client, make, user, payment):
    make.refund(payment, "10.00", reason="Goodwill")
    db.session.commit()
    body = client.get(f"/billing/payments/{payment.id}/history", headers=HX).text
    assert "Refunds" in body and "Goodwill" in body and "10.00" in body
    assert "No sync history is recorded for this row yet." in body


def test_when_the_queue_is_down_the_row_fails_with_a_plain_reason(client, user, payment, sendable):
    # TestConfig points REDIS_URL at a closed port: enqueueing fails, the row must not stay Syncing.
    response = client.post(f"/billing/payments/{payment.id}/sync", headers=HX)
    assert response.status_code == 200
    db.session.refresh(payment)
    assert payment.qbo_status is SyncStatus.FAILED
    assert "queue is not reachable" in response.text
    toast = json.loads(response.headers["HX-Trigger"])["toast"]
    assert toast["level"] == "error"
    assert 'name="watch"' not in response.text
