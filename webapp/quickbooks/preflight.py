"""What we can tell before a row is sent: whether QuickBooks would refuse it, and what to fix.

The row menus grey out "Sync … to QuickBooks" with this reason, and the sync views refuse with
it, so no action answers "Sync started." for a sync that is certain to fail. Only facts we hold
are checked (the connection, the rows a row depends on, the cached deposit accounts, the open
balance QuickBooks last told us); anything else is left to QuickBooks, whose answer shows on
the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import has_request_context, request
from flask_babel import gettext as _

from ..extensions import db
from ..i18n import N_, amount
from ..models import (
    Firm,
    Invoice,
    Payment,
    QboAccount,
    QboConnection,
    Refund,
    RemoteState,
    SyncReason,
    SyncStatus,
)
from .state import NOT_CONNECTED

CLIENT_FIRST = N_("Sync the client account first")
PAYMENT_FIRST = N_("Sync the payment first")
ALREADY_RUNNING = N_("A sync is already running")
SETTLE_FIRST = N_("QuickBooks changed it: settle that first")
CONNECT_TO_EDIT = N_(
    "This client is in QuickBooks, so a change must reach QuickBooks too. Connect it in "
    "Settings > Integrations > QuickBooks, then save again."
)


@dataclass(frozen=True)
class Blocker:
    """Why a sync cannot work now: our reason code and what to fix, in plain words."""

    reason: SyncReason
    message: str


def preflight(record) -> Blocker | None:
    """Return why syncing `record` now would fail, or None when it may be sent."""
    if not record.qbo_status.can_sync:
        if record.qbo_status.is_final:
            return None
        return Blocker(SyncReason.DEPENDENCY_BUSY, ALREADY_RUNNING)
    firm, connection = _firm_and_connection(record.firm_id)
    if connection is None or not connection.is_connected:
        return Blocker(SyncReason.NOT_CONNECTED, NOT_CONNECTED)
    if isinstance(record, Invoice | Payment) and record.client.qbo_status is not SyncStatus.SYNCED:
        return Blocker(SyncReason.CLIENT_NOT_SYNCED, CLIENT_FIRST)
    if isinstance(record, Refund) and record.payment.qbo_status is not SyncStatus.SYNCED:
        return Blocker(SyncReason.PAYMENT_NOT_SYNCED, PAYMENT_FIRST)
    if isinstance(record, Payment):
        return _deposit_account_gone(firm, connection) or _above_open_balance(record)
    return None


def sync_blocker(record) -> str | None:
    """The reason "Sync … to QuickBooks" is greyed out for the row, or None when it may run."""
    blocker = preflight(record)
    return _(blocker.message) if blocker else None


def unsync_blocker(record) -> str | None:
    """The reason "Unsync … from QuickBooks" is greyed out for a Synced row, or None."""
    connection = _firm_and_connection(record.firm_id)[1]
    if connection is None or not connection.is_connected:
        return _(NOT_CONNECTED)
    return None


def edit_blocker(record) -> str | None:
    """Why "Edit …" is greyed out (and refused) for the row now, or None.

    A job holds the row; or QuickBooks changed, merged or deleted it and that is not settled yet,
    and an edit sent now would overwrite QuickBooks' side unseen.
    """
    if not record.qbo_status.is_final:
        return _(ALREADY_RUNNING)
    if record.qbo_status is SyncStatus.SYNCED and record.qbo_remote_state in _UNSETTLED:
        return _(SETTLE_FIRST)
    return None


def update_blocker(record) -> str | None:
    """Why a change to the row cannot be saved now: a Synced row's change must reach QuickBooks."""
    if record.qbo_status is not SyncStatus.SYNCED:
        return None  # saved here only; the next sync sends it
    connection = _firm_and_connection(record.firm_id)[1]
    if connection is None or not connection.is_connected:
        return _(CONNECT_TO_EDIT)
    return None


_UNSETTLED = (RemoteState.CHANGED, RemoteState.MERGED, RemoteState.DELETED, RemoteState.VOIDED)


def _known() -> dict:
    """What this request already read: a list page asks for every row it shows."""
    if not has_request_context():
        return {}
    return request.environ.setdefault("ledgerbridge.preflight", {})


def _firm_and_connection(firm_id: int) -> tuple[Firm, QboConnection | None]:
    known = _known()
    if firm_id not in known:
        firm = db.session.get(Firm, firm_id)
        known[firm_id] = (firm, firm.qbo_connection)
    return known[firm_id]


def _deposit_account_gone(firm: Firm, connection) -> Blocker | None:
    """The chosen "Deposit to" account, as last read from QuickBooks, is inactive or gone."""
    if not (firm.deposit_account_enabled and firm.deposit_account_qbo_id):
        return None
    key = ("deposit", firm.id)
    known = _known()
    if key not in known:
        known[key] = db.session.execute(
            db.select(QboAccount).filter_by(
                firm_id=firm.id, realm_id=connection.realm_id, qbo_id=firm.deposit_account_qbo_id
            )
        ).scalar_one_or_none()
    account = known[key]
    if account is None or account.active:
        return None  # not read yet, or still there: QuickBooks has the last word
    name = firm.deposit_account_name or account.name
    return Blocker(
        SyncReason.DEPOSIT_ACCOUNT_INVALID,
        _(
            'The "Deposit to" account "%(name)s" is inactive or gone in QuickBooks. Choose '
            "another account in Settings > Integrations > QuickBooks.",
            name=name,
        ),
    )


def _above_open_balance(payment: Payment) -> Blocker | None:
    """QuickBooks refuses a payment above its invoice's open balance there (as we last saw it)."""
    invoice = payment.invoice
    known: Decimal | None = invoice.qbo_balance
    if invoice.qbo_status is not SyncStatus.SYNCED or known is None or payment.amount <= known:
        return None
    return Blocker(
        SyncReason.QBO_FAULT,
        _(
            "The payment amount %(amount)s is more than the open balance %(balance)s of "
            "%(number)s in QuickBooks. Check the invoice in QuickBooks, or record a smaller "
            "payment.",
            amount=amount(payment.amount),
            balance=amount(known),
            number=invoice.number,
        ),
    )
