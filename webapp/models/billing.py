"""Client accounts, invoices, payments and refunds: the rows that sync to QuickBooks."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, Enum, ForeignKey, Index, Numeric, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from .sync import SyncedRecordMixin
from .types import ZERO, Money, UTCDateTime, utcnow


def _enum(enum_cls, length: int = 16) -> Enum:
    """Store StrEnums by value in a VARCHAR, the same on SQLite and PostgreSQL."""
    return Enum(
        enum_cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class InvoiceStatus(StrEnum):
    UNPAID = "unpaid"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"

    @property
    def label(self) -> str:
        return str(_INVOICE_STATUS_LABELS[self.value])


class PaymentMethod(StrEnum):
    CASH = "cash"
    CHECK = "check"
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(_METHOD_LABELS[self.value])


class PaymentSource(StrEnum):
    MANUAL = "manual"
    ONLINE = "online"
    QUICKBOOKS = "quickbooks"

    @property
    def label(self) -> str:
        return str(_SOURCE_LABELS[self.value])


# Labels in the user's language (lazy: they are read per request).
_INVOICE_STATUS_LABELS = {
    "unpaid": _l("Unpaid"),
    "partially_paid": _l("Partially paid"),
    "paid": _l("Paid"),
}
_METHOD_LABELS = {
    "cash": _l("Cash"),
    "check": _l("Check"),
    "bank_transfer": _l("Bank transfer"),
    "card": _l("Card"),
    "other": _l("Other"),
}
_SOURCE_LABELS = {
    "manual": _l("Recorded by hand"),
    "online": _l("Online"),
    "quickbooks": _l("QuickBooks"),
}


class ClientAccount(SyncedRecordMixin, db.Model):
    __tablename__ = "client_account"
    __table_args__ = (
        UniqueConstraint("firm_id", "display_name"),
        Index("ix_client_account_firm_name", "firm_id", "display_name"),
    )
    RECORD_TYPE = "client"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    invoices: Mapped[list["Invoice"]] = relationship(back_populates="client")


# The Clients list: its order (name in any case, id breaks ties) after each filter.
_client_sort = (func.lower(ClientAccount.display_name), ClientAccount.id)
Index("ix_client_account_firm_sort", ClientAccount.firm_id, *_client_sort)
Index(
    "ix_client_account_firm_active_sort", ClientAccount.firm_id, ClientAccount.active, *_client_sort
)
Index(
    "ix_client_account_firm_qbo_sort",
    ClientAccount.firm_id,
    ClientAccount.qbo_status,
    *_client_sort,
)


class Invoice(SyncedRecordMixin, db.Model):
    __table_args__ = (
        UniqueConstraint("firm_id", "number"),
        # The Invoices list: its order (newest first, id breaks ties) after each filter.
        Index("ix_invoice_firm_sort", "firm_id", "issue_date", "id"),
        Index("ix_invoice_firm_status_sort", "firm_id", "status", "issue_date", "id"),
        Index("ix_invoice_firm_qbo_sort", "firm_id", "qbo_status", "issue_date", "id"),
    )
    RECORD_TYPE = "invoice"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client_account.id"), index=True)
    number: Mapped[str] = mapped_column(String(21))  # QBO DocNumber allows at most 21 characters
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    balance: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    status: Mapped[InvoiceStatus] = mapped_column(
        _enum(InvoiceStatus), default=InvoiceStatus.UNPAID
    )
    memo: Mapped[str | None] = mapped_column(String(1000))
    # The open balance QuickBooks shows, from the local copy kept fresh by CDC and webhooks.
    qbo_balance: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    client: Mapped[ClientAccount] = relationship(back_populates="invoices")
    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )
    payments: Mapped[list["Payment"]] = relationship(back_populates="invoice")


class InvoiceLine(db.Model):
    __tablename__ = "invoice_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(String(4000))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2, asdecimal=True), default=Decimal("1"))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class Payment(SyncedRecordMixin, db.Model):
    __table_args__ = (
        # The Payments list: its order (newest first, id breaks ties) after each filter.
        Index("ix_payment_firm_sort", "firm_id", "received_on", "id"),
        Index("ix_payment_firm_qbo_sort", "firm_id", "qbo_status", "received_on", "id"),
        Index("ix_payment_firm_method_sort", "firm_id", "method", "received_on", "id"),
    )
    RECORD_TYPE = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client_account.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    refunded_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    received_on: Mapped[date] = mapped_column(Date)
    method: Mapped[PaymentMethod] = mapped_column(_enum(PaymentMethod), default=PaymentMethod.OTHER)
    reference: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(1000))
    source: Mapped[PaymentSource] = mapped_column(
        _enum(PaymentSource), default=PaymentSource.MANUAL
    )
    # The "Sync this payment with QuickBooks" box as the user left it (always True for online payments).
    sync_requested: Mapped[bool] = mapped_column(default=True)
    # The QBO account the payment was deposited to when it synced.
    qbo_deposit_account_id: Mapped[str | None] = mapped_column(String(64))
    # Linked to a payment that was already in QuickBooks instead of creating one ("Linked").
    qbo_linked: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    client: Mapped[ClientAccount] = relationship()
    invoice: Mapped[Invoice] = relationship(back_populates="payments")
    refunds: Mapped[list["Refund"]] = relationship(back_populates="payment", order_by="Refund.id")

    @property
    def refundable_amount(self) -> Decimal:
        return self.amount - self.refunded_amount

    # The payment's row also shows its refunds' QuickBooks status, so it waits and polls for them.
    @property
    def qbo_pending(self) -> bool:
        return not self.qbo_status.is_final or any(r.qbo_pending for r in self.refunds)

    @property
    def qbo_watch_state(self) -> str:
        own = super().qbo_watch_state
        return own + "".join(f"/{refund.qbo_status.value}" for refund in self.refunds)


class Refund(SyncedRecordMixin, db.Model):
    RECORD_TYPE = "refund"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    refunded_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="refunds")


# The top bar's "needs attention" counts (reconciliation/attention.py) on every page: a firm's
# Failed rows and the rows QuickBooks changed, each found through an index, not a scan of the
# firm's rows. Invoices, payments and clients already lead their list indexes with firm and status.
for _model in (ClientAccount, Invoice, Payment, Refund):
    Index(f"ix_{_model.__tablename__}_firm_remote", _model.firm_id, _model.qbo_remote_state)
Index("ix_refund_firm_qbo", Refund.firm_id, Refund.qbo_status)
