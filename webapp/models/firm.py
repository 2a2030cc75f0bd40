"""Firms, their users, and their QuickBooks connection."""

import hmac
import secrets
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .types import UTCDateTime, utcnow


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    STAFF = "staff"


class Firm(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # "Sync manually created payments with QuickBooks": the default of each payment's own box.
    sync_manual_payments: Mapped[bool] = mapped_column(default=True)
    # "Define 'Deposit to' account for payments": off means Undeposited Funds.
    deposit_account_enabled: Mapped[bool] = mapped_column(default=False)
    deposit_account_qbo_id: Mapped[str | None] = mapped_column(String(64))
    deposit_account_name: Mapped[str | None] = mapped_column(String(120))
    # Times (sync history, "retrying at 10:42") are shown in this IANA zone, e.g. "Europe/Amsterdam".
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")

    users: Mapped[list["User"]] = relationship(back_populates="firm")
    qbo_connection: Mapped["QboConnection | None"] = relationship(back_populates="firm")


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=8, values_callable=lambda e: [m.value for m in e]),
        default=Role.STAFF,
    )
    active: Mapped[bool] = mapped_column(default=True)
    # "en" or "nl"; None follows the browser's Accept-Language.
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Part of the id kept in the session and remember-me cookies (get_id). Signing out or
    # changing the password replaces it, so every cookie issued before is refused.
    session_token: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))

    firm: Mapped[Firm] = relationship(back_populates="users")

    def set_password(self, password: str) -> None:
        # werkzeug's default is scrypt (n=2**15, r=8, p=1), a memory-hard KDF.
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        """Make every session and remember-me cookie of this user invalid."""
        self.session_token = secrets.token_hex(16)

    def get_id(self) -> str:
        if not self.session_token:  # a new row before its first flush
            self.end_sessions()
        return f"{self.id}:{self.session_token}"

    def has_session_token(self, token: str) -> bool:
        return hmac.compare_digest(self.session_token.encode(), token.encode())

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def can_manage_integrations(self) -> bool:
        return self.role in (Role.OWNER, Role.ADMIN)

    @property
    def display_name(self) -> str:
        return self.name or self.email


class QboConnection(db.Model):
    """The firm's link to one QuickBooks company; tokens are encrypted at rest."""

    __tablename__ = "qbo_connection"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), unique=True)
    realm_id: Mapped[str] = mapped_column(String(64))
    company_name: Mapped[str | None] = mapped_column(String(200))
    access_token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    refresh_token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    access_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    connected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disconnected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    refresh_failing: Mapped[bool] = mapped_column(default=False)
    accounts_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Change data capture: every change QBO made up to this instant has been applied.
    cdc_synced_through: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cdc_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cdc_error: Mapped[str | None] = mapped_column(Text)

    firm: Mapped[Firm] = relationship(back_populates="qbo_connection")
    connected_by: Mapped[User | None] = relationship()

    @property
    def is_connected(self) -> bool:
        return self.disconnected_at is None and self.refresh_token_encrypted is not None


class QboAccount(db.Model):
    """A cached QBO Account (Bank / Other Current Asset) offered as a deposit account."""

    __tablename__ = "qbo_account"
    __table_args__ = (UniqueConstraint("firm_id", "realm_id", "qbo_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), index=True)
    realm_id: Mapped[str] = mapped_column(String(64))
    qbo_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    account_type: Mapped[str] = mapped_column(String(64))
    account_sub_type: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QboCallCount(db.Model):
    """Calls made to one QBO company per month and kind; Intuit meters the data-out kinds."""

    __tablename__ = "qbo_call_count"
    __table_args__ = (UniqueConstraint("realm_id", "month", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    realm_id: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))  # "2026-12"
    kind: Mapped[str] = mapped_column(String(8))  # query, read, cdc, create, update, delete
    count: Mapped[int] = mapped_column(default=0)


class QboWebhookEvent(db.Model):
    """One change notice from an Intuit webhook, stored before the delivery is answered 200.

    `event_id` is the CloudEvents id (or a digest of a legacy entry), unique, so a delivery
    Intuit repeats is stored once. The processing job marks it done; a failed attempt is
    retried like a sync, and the CDC catch-up covers whatever a lost delivery carried.
    """

    __tablename__ = "qbo_webhook_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(120), unique=True)
    realm_id: Mapped[str] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
