"""`flask seed-demo`, `flask create-user` and `flask qbo-sweep`, run through Flask's CLI runner."""

from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from webapp import create_app
from webapp.demo.seed import DEFAULT_PASSWORD, DEMO_EMAIL, DEMO_FIRM, STAFF_EMAIL
from webapp.extensions import db
from webapp.models import (
    ClientAccount,
    Firm,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentSource,
    Refund,
    Role,
    SyncEvent,
    SyncStatus,
    User,
    utcnow,
)


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def assert_balances_add_up() -> None:
    """Every invoice: total = its lines, balance = total - payments (a refund does not reopen it), status
    from balance."""
    paid, refunded, lines = defaultdict(Decimal), defaultdict(Decimal), defaultdict(Decimal)
    refunds_per_payment = defaultdict(Decimal)
    for invoice_id, amount in db.session.execute(select(Payment.invoice_id, Payment.amount)):
        paid[invoice_id] += amount
    for payment_id, invoice_id, amount in db.session.execute(
        select(Refund.payment_id, Payment.invoice_id, Refund.amount).join(Payment)
    ):
        refunded[invoice_id] += amount
        refunds_per_payment[payment_id] += amount
    for invoice_id, amount in db.session.execute(
        select(InvoiceLine.invoice_id, InvoiceLine.amount)
    ):
        lines[invoice_id] += amount
    for invoice in db.session.execute(select(Invoice)).scalars():
        assert invoice.total == lines[invoice.id] > 0
        assert invoice.balance == invoice.total - paid[invoice.id]
        assert 0 <= invoice.balance <= invoice.total
        expected = (
            InvoiceStatus.PAID
            if invoice.balance == 0
            else InvoiceStatus.UNPAID
            if invoice.balance == invoice.total
            else InvoiceStatus.PARTIALLY_PAID
        )
        assert invoice.status is expected, invoice.number
    for payment in db.session.execute(select(Payment)).scalars():
        assert payment.refunded_amount == refunds_per_payment[payment.id]
        assert 0 <= payment.refunded_amount <= payment.amount
        assert payment.received_on >= payment.invoice.issue_date
        assert payment.client_id == payment.invoice.client_id


def test_seed_demo_creates_the_demo_firm_with_a_login(app, runner):
    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    assert DEMO_EMAIL in result.output and DEFAULT_PASSWORD in result.output
    with app.app_context():
        firm = db.session.execute(select(Firm).filter_by(name=DEMO_FIRM)).scalar_one()
        users = {user.email: user for user in firm.users}
        assert users[DEMO_EMAIL].role is Role.OWNER
        assert users[STAFF_EMAIL].role is Role.STAFF
        assert users[DEMO_EMAIL].check_password(DEFAULT_PASSWORD)
        assert (_count(ClientAccount), _count(Invoice), _count(Payment)) == (20, 60, 80)
        assert _count(Refund) >= 2


def test_seeded_balances_and_invoice_statuses_add_up(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        assert_balances_add_up()
        statuses = Counter(db.session.execute(select(Invoice.status)).scalars())
        assert set(statuses) == set(InvoiceStatus)


def test_seed_demo_covers_the_statuses_a_seed_can_honestly_claim(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        payments = db.session.execute(select(Payment)).scalars().all()
        by_status = Counter(p.qbo_status for p in payments)
        assert set(by_status) == {SyncStatus.NOT_SYNCED, SyncStatus.SKIPPED}
        assert Counter(p.source for p in payments).keys() == set(PaymentSource)

        # Synced / Syncing… / Failed are left to real syncs: no row claims a QBO Id that exists
        # nowhere, nor an answer QuickBooks never gave (a 6240 on a company with no vendors).
        for model in (ClientAccount, Invoice, Payment, Refund):
            rows = db.session.execute(select(model)).scalars().all()
            assert all(row.qbo_id is None and row.qbo_status.is_final for row in rows)
            assert {SyncStatus.SYNCED, SyncStatus.FAILED}.isdisjoint(r.qbo_status for r in rows)
            assert all(row.qbo_error_code is None for row in rows)

        cleared = [p for p in payments if not p.sync_requested]
        assert cleared and all(p.source is PaymentSource.MANUAL for p in cleared)
        assert all(p.qbo_status is SyncStatus.SKIPPED for p in cleared)
        assert {p.qbo_message for p in cleared} == {"Sync turned off for this payment"}

        from_qbo = [p for p in payments if p.source is PaymentSource.QUICKBOOKS]
        assert len(from_qbo) >= 3
        assert all("QuickBooks" in p.description for p in from_qbo)

        # Every Skipped row has its line in the sync history.
        events = db.session.execute(select(SyncEvent.record_type, SyncEvent.record_id)).all()
        not_plain = [p for p in payments if p.qbo_status is not SyncStatus.NOT_SYNCED]
        assert {("payment", p.id) for p in not_plain} <= set(events)


def test_seed_demo_twice_changes_nothing(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    result = runner.invoke(args=["seed-demo", "--payments", "500"])

    assert result.exit_code == 0
    assert "already exists; nothing changed" in result.output
    with app.app_context():
        assert _count(Firm) == 1 and _count(User) == 2 and _count(Payment) == 80


def test_seed_demo_password_comes_from_demo_password(app, runner, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "a-chosen-secret")
    result = runner.invoke(args=["seed-demo"])

    assert "a-chosen-secret" in result.output
    with app.app_context():
        user = db.session.execute(select(User).filter_by(email=DEMO_EMAIL)).scalar_one()
        assert user.check_password("a-chosen-secret")


def test_seed_demo_scales_invoices_and_clients_with_payments(app, runner):
    result = runner.invoke(args=["seed-demo", "--payments", "3000"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert _count(Payment) == 3000
        assert _count(Invoice) == 2250
        assert _count(ClientAccount) == 750
        assert_balances_add_up()


def test_seed_demo_with_explicit_sizes(app, runner):
    result = runner.invoke(
        args=["seed-demo", "--clients", "3", "--invoices", "5", "--payments", "40"]
    )

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert (_count(ClientAccount), _count(Invoice), _count(Payment)) == (3, 5, 40)
        assert_balances_add_up()


def test_seed_demo_rejects_negative_sizes(runner):
    result = runner.invoke(args=["seed-demo", "--payments", "-1"])
    assert result.exit_code == 2
    assert "-1 is not in the range x>=0" in result.output


def test_seed_demo_on_an_empty_database_says_to_migrate(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e.db'}"})
    result = app.test_cli_runner().invoke(args=["seed-demo"])

    assert result.exit_code == 1
    assert "Run `flask --app wsgi db upgrade` first." in result.output


def test_create_user_creates_the_firm_when_missing(app, runner):
    result = runner.invoke(
        args=["create-user", "Ann@Example.test", "--firm", "Ledger & Co", "--role", "owner"],
        input="s3cret-pass\ns3cret-pass\n",
    )

    assert result.exit_code == 0, result.output
    assert 'Created the firm "Ledger & Co".' in result.output
    with app.app_context():
        user = db.session.execute(select(User).filter_by(email="ann@example.test")).scalar_one()
        assert user.role is Role.OWNER
        assert user.firm.name == "Ledger & Co"
        assert user.check_password("s3cret-pass")


def test_create_user_joins_an_existing_firm_as_staff_by_default(app, runner, make):
    firm = make.firm(name="Existing LLP")
    db.session.commit()
    result = runner.invoke(
        args=[
            "create-user",
            "bo@example.test",
            "--firm",
            "Existing LLP",
            "--password",
            "long-enough",
        ]
    )

    assert result.exit_code == 0, result.output
    assert "Created the firm" not in result.output
    with app.app_context():
        user = db.session.execute(select(User).filter_by(email="bo@example.test")).scalar_one()
        assert (user.firm_id, user.role) == (firm.id, Role.STAFF)
        assert _count(Firm) == 1


def test_create_user_refuses_a_taken_email(app, runner, owner):
    result = runner.invoke(
        args=["create-user", owner.email, "--firm", "Other", "--password", "long-enough"]
    )

    assert result.exit_code == 1
    assert "already exists" in result.output
    with app.app_context():
        assert _count(User) == 1 and _count(Firm) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not-an-email", "--firm", "F", "--password", "long-enough"], "Invalid value for EMAIL"),
        (["a@example.test", "--firm", "F", "--password", "short"], "at least 8 characters"),
        (["a@example.test", "--firm", "  ", "--password", "long-enough"], "firm name"),
        (["a@example.test", "--firm", "F", "--role", "boss", "--password", "x" * 9], "boss"),
    ],
)
def test_create_user_rejects_bad_input_and_writes_nothing(app, runner, args, message):
    result = runner.invoke(args=["create-user", *args])

    assert result.exit_code == 2
    assert message in result.output
    with app.app_context():
        assert _count(User) == 0 and _count(Firm) == 0


def test_create_user_password_prompt_must_match(app, runner):
    result = runner.invoke(
        args=["create-user", "c@example.test", "--firm", "F"], input="one-password\nother-one\n" * 3
    )

    assert result.exit_code != 0
    assert "do not match" in result.output
    with app.app_context():
        assert _count(User) == 0


def test_qbo_sweep_re_enqueues_a_row_stuck_in_syncing(app, runner, queue, invoice):
    invoice.qbo_status = SyncStatus.SYNCING  # as if Redis lost its job an hour ago
    invoice.qbo_status_changed_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    result = runner.invoke(args=["qbo-sweep"])
    assert result.exit_code == 0, result.output
    assert result.output == "Re-enqueued 1 stuck rows.\n"
    assert queue.count == 1
    assert runner.invoke(args=["qbo-sweep"]).output == "Re-enqueued 0 stuck rows.\n"
