"""Bring what QuickBooks changed into our rows: flag, import or ignore; never overwrite silently.

Called with QBO objects that a CDC page or a bulk query already returned (no reads here).
The order of arrival does not matter: an object older than the newest version the row has
seen (by LastUpdatedTime, then SyncToken) is ignored, and so is the same version twice.
A row that a job holds (Syncing…/Unsyncing…) is left to that job. Callers commit.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date

from sqlalchemy.orm import joinedload, selectinload

from ..billing.operations import AmountTooLarge, record_payment
from ..extensions import db
from ..i18n import N_
from ..models import (
    PENDING_STATUSES,
    ClientAccount,
    Invoice,
    Payment,
    PaymentMethod,
    PaymentSource,
    Refund,
    RemoteState,
    SyncStatus,
)
from .differences import (
    DIFFERENCES,
    is_deleted,
    is_voided,
    linked_invoice_ids,
    money,
    qbo_time,
    sync_token,
)
from .mapping import MARKER_PREFIX
from .state import mark_synced, mark_unsynced, record_history

log = logging.getLogger(__name__)

# The QBO entities whose changes matter to us, and the model each one maps to.
ENTITY_MODELS = {
    "Customer": ClientAccount,
    "Invoice": Invoice,
    "Payment": Payment,
    "RefundReceipt": Refund,
}
ACTION = "quickbooks"  # the history action for changes made in QuickBooks


def apply_objects(
    firm_id: int, realm_id: str, entity: str, objects: list[dict], held_back: list | None = None
) -> Counter:
    """Apply QBO's current copies of `entity` objects to the firm's rows.

    Args:
        held_back: if given, gets the LastUpdatedTime of each object left to a busy row, so the
            caller can read it again later instead of losing it.

    Returns:
        How many objects ended how ("flagged", "deleted", "imported", "linked", "same", ...).
    """
    model = ENTITY_MODELS[entity]
    outcome = Counter()
    ids = [str(obj.get("Id")) for obj in objects if obj.get("Id") is not None]
    rows = _rows_by_qbo_id(model, firm_id, realm_id, ids)
    invoices = {}
    if entity == "Payment":
        # The invoices the unknown payments are applied to, in one query per 500.
        wanted = {
            i for obj in objects if str(obj.get("Id")) not in rows for i in linked_invoice_ids(obj)
        }
        invoices = {
            qbo_id: found[0]
            for qbo_id, found in _rows_by_qbo_id(Invoice, firm_id, realm_id, list(wanted)).items()
        }
    for obj in objects:
        matched = rows.get(str(obj.get("Id")), [])
        if not matched:
            if entity == "Payment":
                outcome[import_payment(firm_id, realm_id, obj, invoices)] += 1
            else:
                outcome["unknown"] += 1
            continue
        for row in matched:
            result = apply_object(row, obj)
            outcome[result] += 1
            if result == "busy" and held_back is not None and qbo_time(obj):
                held_back.append(qbo_time(obj))
    return outcome


# What comparing a row with its QBO copy reads, loaded with the rows instead of one row at a time.
_LOAD = {
    ClientAccount: (),
    Invoice: (selectinload(Invoice.lines), joinedload(Invoice.client)),
    Payment: (joinedload(Payment.invoice).joinedload(Invoice.client),),
    Refund: (joinedload(Refund.payment).joinedload(Payment.invoice).joinedload(Invoice.client),),
}


def _rows_by_qbo_id(model, firm_id: int, realm_id: str, ids: list[str]) -> dict[str, list]:
    rows: dict[str, list] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in (
            db.session.execute(
                db.select(model)
                .where(
                    model.firm_id == firm_id,
                    model.qbo_realm_id == realm_id,
                    model.qbo_id.in_(chunk),
                )
                .options(*_LOAD[model])
            )
            .unique()
            .scalars()
        ):
            rows.setdefault(row.qbo_id, []).append(row)
    return rows


def is_newer(row, obj: dict) -> bool:
    """Whether `obj` is a version of the row's object that the row has not taken in yet."""
    when, token, ours = qbo_time(obj), sync_token(obj), _int(row.qbo_sync_token)
    if row.qbo_remote_updated_at and when and when < row.qbo_remote_updated_at:
        return False  # a late delivery of an older version
    if token is not None and ours is not None:
        # Below ours: older. Equal and nothing flagged: the version we wrote or already took.
        return token > ours or (token == ours and row.qbo_remote_state is not None)
    return True


def _int(text) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def apply_object(row, obj: dict) -> str:
    """Apply one QBO copy to one of our rows linked to it; returns what happened."""
    if row.qbo_status in PENDING_STATUSES:
        return "busy"
    if row.qbo_status is not SyncStatus.SYNCED:
        return "not_linked"
    if not is_newer(row, obj):
        return "same"
    when = qbo_time(obj)
    if is_deleted(obj):
        state = RemoteState.MERGED if isinstance(row, ClientAccount) else RemoteState.DELETED
        return _gone(row, state, when)
    if is_voided(obj) and not isinstance(row, ClientAccount):
        return _gone(row, RemoteState.VOIDED, when)
    row.qbo_sync_token = str(obj.get("SyncToken", row.qbo_sync_token))
    row.qbo_remote_updated_at = when or row.qbo_remote_updated_at
    if isinstance(row, Invoice) and obj.get("Balance") is not None:
        row.qbo_balance = money(obj.get("Balance"))
    differences = DIFFERENCES[type(row).RECORD_TYPE](row, obj)
    if isinstance(row, ClientAccount) and obj.get("Active") is False and not differences:
        return _flag(row, RemoteState.INACTIVE, [], N_("Made inactive in QuickBooks"))
    if differences:
        text = "; ".join(
            f"{d['label']}: {d['ours']} here, {d['theirs']} in QuickBooks" for d in differences
        )
        message = N_("Changed in QuickBooks. %(changes)s") % {"changes": text}
        return _flag(row, RemoteState.CHANGED, differences, message)
    if row.qbo_remote_state is not None:
        row.qbo_remote_state = None
        row.qbo_remote_diff = None
        record_history(row, None, ACTION, "matches", message=N_("Matches QuickBooks again"))
        return "cleared"
    return "same"


def _flag(row, state: RemoteState, differences: list[dict], message: str) -> str:
    if row.qbo_remote_state is state and (row.qbo_remote_diff or []) == differences:
        return "same"
    row.qbo_remote_state = state
    row.qbo_remote_diff = differences or None
    record_history(row, None, ACTION, state.value, message=message)
    return "flagged"


def _gone(row, state: RemoteState, when) -> str:
    """Deleted, voided or merged away in QBO: the row is Not synced and says so on its badge."""
    message = {
        RemoteState.DELETED: N_("This was deleted in QuickBooks."),
        RemoteState.VOIDED: N_("This was voided in QuickBooks."),
        RemoteState.MERGED: N_("This was merged into another customer in QuickBooks."),
    }[state]
    if isinstance(row, Payment):
        row.qbo_deposit_account_id = None
        row.qbo_linked = False
    mark_unsynced(row, None, action=ACTION, message=message)
    row.qbo_remote_state = state
    row.qbo_remote_diff = None
    row.qbo_remote_updated_at = when
    return state.value


# Payments received in QuickBooks ------------------------------------------------------------


def import_payment(firm_id: int, realm_id: str, obj: dict, invoices: dict | None = None) -> str:
    """A QBO payment no row of ours is linked to: link our matching row, or import it.

    Only a payment applied to exactly one invoice that we have synced is taken in; one that
    carries our marker is ours (an unsynced row's old object) and is left alone.
    """
    if is_deleted(obj) or is_voided(obj) or MARKER_PREFIX in str(obj.get("PrivateNote") or ""):
        return "ignored"
    applied_to = linked_invoice_ids(obj)
    if len(applied_to) != 1:
        return "ignored"
    invoice = (invoices or {}).get(applied_to[0])
    if invoice is None and invoices is None:
        found = _rows_by_qbo_id(Invoice, firm_id, realm_id, applied_to)
        invoice = found[applied_to[0]][0] if found else None
    if invoice is None or invoice.qbo_status is not SyncStatus.SYNCED:
        return "ignored"
    amount = sum(
        (money(line.get("Amount")) for line in obj.get("Line") or [] if line.get("LinkedTxn")),
        money(0),
    )
    if amount <= 0:
        return "ignored"
    received_on = _date(obj.get("TxnDate"))
    # A row recorded here for the same money and not in QBO yet is that payment: link it.
    twin = db.session.execute(
        db.select(Payment)
        .where(
            Payment.invoice_id == invoice.id,
            Payment.amount == amount,
            Payment.qbo_id.is_(None),
            Payment.qbo_status.in_((SyncStatus.NOT_SYNCED, SyncStatus.FAILED, SyncStatus.SKIPPED)),
        )
        .order_by((Payment.received_on == received_on).desc(), Payment.id)
        .limit(1)
    ).scalar_one_or_none()
    message = N_("Linked to payment %(id)s received in QuickBooks") % {"id": obj["Id"]}
    if twin is not None:
        _link(twin, obj, realm_id, message)
        return "linked"
    try:
        payment = record_payment(
            invoice,
            amount=amount,
            received_on=received_on,
            method=PaymentMethod.OTHER,
            user=None,
            reference=str(obj.get("PaymentRefNum") or "")[:100] or None,
            description="Received in QuickBooks",  # data on the row, like any description
            source=PaymentSource.QUICKBOOKS,
        )
    except AmountTooLarge:
        # Our payments already cover the invoice: show the disagreement instead of a duplicate.
        return _flag(
            invoice,
            RemoteState.CHANGED,
            [
                {
                    "field": "payments",
                    "label": N_("Payments"),
                    "ours": N_("%(amount)s received here")
                    % {"amount": f"{invoice.total - invoice.balance:,.2f}"},
                    "theirs": N_("payment %(id)s of %(amount)s on %(date)s")
                    % {
                        "id": obj["Id"],
                        "amount": f"{amount:,.2f}",
                        "date": received_on.isoformat(),
                    },
                    "value": None,
                    "safe": False,
                }
            ],
            N_("QuickBooks has payment %(id)s of %(amount)s that Ledgerbridge has no room for")
            % {"id": obj["Id"], "amount": f"{amount:,.2f}"},
        )
    imported = N_("Imported payment %(id)s received in QuickBooks") % {"id": obj["Id"]}
    _link(payment, obj, realm_id, imported)
    # On the invoice's history too, which also brings its row up to date on an open list page.
    record_history(
        invoice,
        None,
        ACTION,
        "paid",
        message=N_("Payment %(id)s of %(amount)s received in QuickBooks")
        % {"id": obj["Id"], "amount": f"{amount:,.2f}"},
    )
    return "imported"


def _link(payment: Payment, obj: dict, realm_id: str, message: str) -> None:
    payment.qbo_deposit_account_id = (obj.get("DepositToAccountRef") or {}).get("value")
    payment.qbo_linked = True
    payment.qbo_remote_state = None
    payment.qbo_remote_diff = None
    payment.qbo_remote_updated_at = qbo_time(obj)
    mark_synced(payment, obj, realm_id, None, action=ACTION, summary=message)
    payment.qbo_reason = None


def _date(text) -> date:
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return date.today()
