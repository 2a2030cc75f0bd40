"""Row factories for tests: each returns a flushed row with sensible defaults you can override."""

import functools
import itertools
from datetime import date, timedelta
from decimal import Decimal

from webapp.extensions import db
from webapp.models import (
    ClientAccount,
    Firm,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentSource,
    QboConnection,
    Refund,
    Role,
    SyncStatus,
    User,
    utcnow,
)

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"


@functools.cache
def _password_hash() -> str:
    """PASSWORD hashed once per run: scrypt takes about 0.15 s, and most tests make a user."""
    user = User()
    user.set_password(PASSWORD)
    return user.password_hash


class Factory:
    """`make.firm()`, `make.user(firm)`, `make.client(firm)`, `make.invoice(client)`, ..."""

    def firm(self, **overrides) -> Firm:
        firm = Firm(name=overrides.pop("name", f"Firm {next(_seq)}"), **overrides)
        db.session.add(firm)
        db.session.flush()
        return firm

    def user(self, firm: Firm | None = None, role: Role = Role.OWNER, **overrides) -> User:
        firm = firm or self.firm()
        user = User(
            firm=firm,
            email=overrides.pop("email", f"user{next(_seq)}@example.test"),
            name=overrides.pop("name", "Test User"),
            role=role,
            **overrides,
        )
        user.password_hash = _password_hash()
        db.session.add(user)
        db.session.flush()
        return user

    def client(self, firm: Firm, **overrides) -> ClientAccount:
        n = next(_seq)
        client = ClientAccount(
            firm_id=firm.id,
            display_name=overrides.pop("display_name", f"Client {n}"),
            email=overrides.pop("email", f"client{n}@example.test"),
            **overrides,
        )
        db.session.add(client)
        db.session.flush()
        return client

    def invoice(
        self, client: ClientAccount, amount: str | Decimal = "100.00", **overrides
    ) -> Invoice:
        amount = Decimal(amount)
        issued = overrides.pop("issue_date", date(2026, 11, 1))
        invoice = Invoice(
            firm_id=client.firm_id,
            client_id=client.id,
            number=overrides.pop("number", f"INV-{next(_seq):05d}"),
            issue_date=issued,
            due_date=overrides.pop("due_date", issued + timedelta(days=30)),
            total=amount,
            balance=overrides.pop("balance", amount),
            status=overrides.pop("status", InvoiceStatus.UNPAID),
            **overrides,
        )
        invoice.lines.append(
            InvoiceLine(
                position=0,
                description="Bookkeeping",
                quantity=Decimal(1),
                unit_price=amount,
                amount=amount,
            )
        )
        db.session.add(invoice)
        db.session.flush()
        return invoice

    def payment(
        self, invoice: Invoice, amount: str | Decimal | None = None, **overrides
    ) -> Payment:
        """A payment row; it also lowers the invoice balance, as recording one does."""
        amount = Decimal(amount) if amount is not None else invoice.balance
        payment = Payment(
            firm_id=invoice.firm_id,
            client_id=invoice.client_id,
            invoice_id=invoice.id,
            amount=amount,
            received_on=overrides.pop("received_on", date(2026, 11, 20)),
            method=overrides.pop("method", PaymentMethod.CHECK),
            source=overrides.pop("source", PaymentSource.MANUAL),
            **overrides,
        )
        invoice.balance -= amount
        invoice.status = (
            InvoiceStatus.PAID if invoice.balance == 0 else InvoiceStatus.PARTIALLY_PAID
        )
        db.session.add(payment)
        db.session.flush()
        return payment

    def refund(self, payment: Payment, amount: str | Decimal, **overrides) -> Refund:
        amount = Decimal(amount)
        refund = Refund(
            firm_id=payment.firm_id,
            payment_id=payment.id,
            amount=amount,
            refunded_on=overrides.pop("refunded_on", date(2026, 11, 25)),
            reason=overrides.pop("reason", "Overpaid"),
            **overrides,
        )
        payment.refunded_amount += amount
        db.session.add(refund)
        db.session.flush()
        return refund

    def connection(self, firm: Firm, realm_id: str = "9130000000000001") -> QboConnection:
        """The firm connected to a QuickBooks company, as the OAuth callback leaves it.

        The tokens are placeholders: nothing here talks to QuickBooks (see tests/support/qbo.py).
        """
        connection = QboConnection(
            firm_id=firm.id,
            realm_id=realm_id,
            company_name="Acme Books Inc.",
            refresh_token_encrypted=b"x",
            access_token_encrypted=b"x",
            access_expires_at=utcnow() + timedelta(hours=1),
            refresh_expires_at=utcnow() + timedelta(days=90),
            connected_at=utcnow(),
        )
        db.session.add(connection)
        db.session.flush()
        return connection

    def synced(self, record, qbo_id: str | None = None, realm_id: str = "9130000000000001"):
        """Mark a row as already in QBO."""
        record.qbo_status = SyncStatus.SYNCED
        record.qbo_id = qbo_id or str(next(_seq))
        record.qbo_sync_token = "0"
        record.qbo_realm_id = realm_id
        db.session.flush()
        return record
