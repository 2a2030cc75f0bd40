"""What syncing and unsyncing each kind of row means in QBO; called by jobs.py with a JobContext.

Handlers raise `Blocked` for a reason of ours (nothing was sent), or the client's exceptions;
jobs.py turns both into row statuses. Every create looks for an object we made earlier first,
and sends a requestid built from the row, so neither a retry nor a lost response duplicates.
"""

from __future__ import annotations

from sqlalchemy.orm import joinedload

from ..extensions import db
from ..i18n import N_
from ..models import (
    PENDING_STATUSES,
    SYNCABLE_STATUSES,
    ClientAccount,
    Invoice,
    Payment,
    Refund,
    SyncReason,
    SyncStatus,
)
from . import mapping
from .client import quote
from .errors import INFRASTRUCTURE_ERRORS, Blocked, DependencyBusy, QboFault
from .preflight import CLIENT_FIRST
from .state import SyncAction, fail_row, mark_synced, mark_unsynced, start

CACHE_TTL = 24 * 3600
NAME_CLASH = N_(
    'QuickBooks refused the name "%(name)s": %(qbo)s A vendor or employee in QuickBooks has this '
    "name: rename it there, or give the client another name here (Edit client), then sync again."
)


def in_this_company(record, ctx) -> bool:
    """The row is Synced, and to this company (not to one the firm was connected to before)."""
    return (
        record.qbo_status is SyncStatus.SYNCED
        and record.qbo_id is not None
        and record.qbo_realm_id == ctx.realm_id
    )


def _cached_id(ctx, key: str, lookup) -> str | None:
    """Return an id cached per company in Redis, or look it up in QBO and cache it."""
    cache_key = f"qbo:cache:{ctx.realm_id}:{key}"
    value = ctx.redis.get(cache_key)
    if value:
        return value.decode()
    found = lookup()
    if found:
        ctx.redis.set(cache_key, found, ex=CACHE_TTL)
    return found


def service_item_id(ctx) -> str:
    name = ctx.config["QBO_SERVICE_ITEM_NAME"]

    def lookup():
        items = ctx.client.query("Item", f"Name = {quote(name)}")
        return str(items[0]["Id"]) if items else None

    item_id = _cached_id(ctx, f"item:{name}", lookup)
    if not item_id:
        raise Blocked(
            SyncReason.QBO_FAULT,
            N_(
                'QuickBooks has no item named "%(name)s". Create a service item with that name '
                "in QuickBooks, then sync again."
            )
            % {"name": name},
        )
    return item_id


def deposit_account(ctx) -> tuple[str, str]:
    """The firm's chosen "Deposit to" account, or Undeposited Funds found by its subtype.

    Raises:
        Blocked: the chosen account is gone, inactive, or not a Bank / Other Current Asset one.
    """
    firm = ctx.firm
    if firm.deposit_account_enabled and firm.deposit_account_qbo_id:
        name = firm.deposit_account_name or firm.deposit_account_qbo_id
        problem = N_(
            'The "Deposit to" account "%(name)s" no longer exists in QuickBooks or is inactive. '
            "Choose another account in Settings > Integrations > QuickBooks, then sync again."
        ) % {"name": name}
        try:
            account = ctx.client.read("Account", firm.deposit_account_qbo_id)
        except QboFault as error:
            if error.code == "610":
                raise Blocked(SyncReason.DEPOSIT_ACCOUNT_INVALID, problem) from error
            raise
        if not mapping.is_depositable(account):
            raise Blocked(SyncReason.DEPOSIT_ACCOUNT_INVALID, problem)
        return str(account["Id"]), account.get("Name", name)

    def lookup():
        found = ctx.client.query("Account", "AccountSubType = 'UndepositedFunds'")
        return str(found[0]["Id"]) if found else None

    account_id = _cached_id(ctx, "undeposited-funds", lookup)
    if not account_id:
        raise Blocked(
            SyncReason.DEPOSIT_ACCOUNT_INVALID,
            N_(
                'QuickBooks has no Undeposited Funds account. Choose a "Deposit to" account in '
                "Settings > Integrations > QuickBooks."
            ),
        )
    return account_id, "Undeposited Funds"


# Sync -------------------------------------------------------------------------------------------


def name_clash(name: str, fault: QboFault) -> Blocked:
    """QBO's 6240 for a client: its name is taken, and not by a customer (we looked for one first).

    The row keeps QuickBooks' own words and code, and says what to change: the vendor or employee
    in QuickBooks, the only side the user can rename today (clients have no edit form yet).
    """
    blocked = Blocked(SyncReason.NAME_CLASH, NAME_CLASH % {"name": name, "qbo": fault.qbo_message})
    blocked.__cause__ = fault
    return blocked


def sync_client(ctx, client: ClientAccount) -> None:
    body = mapping.customer_payload(client)
    found = ctx.client.query("Customer", f"DisplayName = {quote(body['DisplayName'])}")
    if found:
        mark_synced(
            client,
            found[0],
            ctx.realm_id,
            ctx.user,
            message=N_("Linked to the existing QuickBooks customer with the same name"),
        )
        return
    try:
        created = ctx.client.create("Customer", body, ctx.requestid(client, "create"))
    except QboFault as error:
        if error.code == "6240":
            raise name_clash(body["DisplayName"], error) from error
        raise
    mark_synced(client, created, ctx.realm_id, ctx.user, summary=f"Customer {body['DisplayName']}")


def sync_invoice(ctx, invoice: Invoice) -> None:
    client = invoice.client
    if not in_this_company(client, ctx):
        raise Blocked(SyncReason.CLIENT_NOT_SYNCED, CLIENT_FIRST)
    found = ctx.client.query(
        "Invoice", f"DocNumber = {quote(invoice.number)} AND CustomerRef = {quote(client.qbo_id)}"
    )
    if found:
        mark_synced(
            invoice,
            found[0],
            ctx.realm_id,
            ctx.user,
            message=N_("Linked to the existing QuickBooks invoice with the same number"),
        )
        return
    body = mapping.invoice_payload(invoice, client.qbo_id, service_item_id(ctx))
    created = ctx.client.create("Invoice", body, ctx.requestid(invoice, "create"))
    mark_synced(invoice, created, ctx.realm_id, ctx.user, summary=f"Invoice {invoice.number}")


def ensure_invoice_synced(ctx, invoice: Invoice) -> None:
    """Sync the payment's invoice inside the payment's job, when its client is in QBO."""
    if in_this_company(invoice, ctx):
        return
    if not in_this_company(invoice.client, ctx):
        raise Blocked(SyncReason.CLIENT_NOT_SYNCED, CLIENT_FIRST)
    # A Synced invoice lands here when it is linked in another company.
    claimable = (*SYNCABLE_STATUSES, SyncStatus.SYNCED)
    if invoice.qbo_status in PENDING_STATUSES or not start(
        invoice, SyncAction.SYNC, ctx.user, N_("Synced first, for its payment"), claimable
    ):
        raise DependencyBusy(
            N_("The invoice is being synced by another job. Sync again when it is done.")
        )
    # Other requests must see the claim at once, not wait on our row lock while we call QBO.
    ctx.commit_progress()
    try:
        sync_invoice(ctx, invoice)
        ctx.commit_progress()
    except Exception as error:
        db.session.rollback()
        if not isinstance(error, INFRASTRUCTURE_ERRORS):  # else pending, for the sweeper
            fail_row(invoice, SyncAction.SYNC, ctx.user, error)
            ctx.commit_progress()
        raise


def payments_applied_to(ctx, invoice_qbo_id: str) -> list[dict]:
    """The QBO payments applied to an invoice, as the invoice's LinkedTxn lists them."""
    qbo_invoice = ctx.client.read("Invoice", invoice_qbo_id)
    ids = [
        str(link["TxnId"])
        for link in qbo_invoice.get("LinkedTxn") or []
        if link.get("TxnType") == "Payment" and link.get("TxnId")
    ]
    if not ids:
        return []
    return ctx.client.query("Payment", f"Id IN ({', '.join(quote(i) for i in ids)})")


def held_by_other_rows(ctx, payment: Payment, qbo_payments: list[dict]) -> set[str]:
    """The Ids among `qbo_payments` that other payment rows of ours are linked to."""
    ids = [str(obj["Id"]) for obj in qbo_payments]
    if not ids:
        return set()
    return set(
        db.session.execute(
            db.select(Payment.qbo_id).where(
                Payment.firm_id == payment.firm_id,
                Payment.id != payment.id,
                Payment.qbo_realm_id == ctx.realm_id,
                Payment.qbo_id.in_(ids),
            )
        ).scalars()
    )


def sync_payment(ctx, payment: Payment) -> None:
    invoice = payment.invoice
    ensure_invoice_synced(ctx, invoice)
    customer_id = invoice.client.qbo_id
    account_id, account_name = deposit_account(ctx)
    # Never a duplicate: a payment already applied to the invoice in QBO (ours whose answer was
    # lost, or one entered in QuickBooks) is linked instead of creating another.
    applied = payments_applied_to(ctx, invoice.qbo_id)
    existing = mapping.find_existing_payment(
        applied, payment, invoice.qbo_id, taken=held_by_other_rows(ctx, payment, applied)
    )
    if existing:
        payment.qbo_deposit_account_id = (existing.get("DepositToAccountRef") or {}).get("value")
        # One entered in QuickBooks (not ours, whose answer was lost) shows as "Linked".
        payment.qbo_linked = mapping.marker(payment) not in (existing.get("PrivateNote") or "")
        mark_synced(
            payment,
            existing,
            ctx.realm_id,
            ctx.user,
            message=N_("Linked to the payment already in QuickBooks"),
            summary=f"QuickBooks payment {existing['Id']}",
        )
        return
    # A retry sends the same body under the same requestid, so QBO replays its first answer
    # (only a deposit account changed in between alters the body, and by then the look-up above
    # has found any payment the first try made). An invoice paid by something else is refused.
    body = mapping.payment_payload(payment, customer_id, invoice.qbo_id, account_id)
    created = ctx.client.create("Payment", body, ctx.requestid(payment, "create"))
    payment.qbo_deposit_account_id = (created.get("DepositToAccountRef") or {}).get(
        "value", account_id
    )
    mark_synced(
        payment,
        created,
        ctx.realm_id,
        ctx.user,
        summary=f"Payment {payment.amount} to {account_name}",
    )


def sync_refund(ctx, refund: Refund) -> None:
    payment = refund.payment
    if not in_this_company(payment, ctx):
        raise Blocked(SyncReason.PAYMENT_NOT_SYNCED, N_("Sync the payment first"))
    customer_id = payment.invoice.client.qbo_id
    candidates = ctx.client.query(
        "RefundReceipt",
        f"CustomerRef = {quote(customer_id)} AND TxnDate = {quote(refund.refunded_on.isoformat())}",
    )
    existing = mapping.find_by_marker(candidates, refund)
    if existing:
        mark_synced(
            refund,
            existing,
            ctx.realm_id,
            ctx.user,
            message=N_("Linked to the refund already in QuickBooks"),
        )
        return
    account_id = payment.qbo_deposit_account_id or deposit_account(ctx)[0]
    body = mapping.refund_payload(refund, customer_id, service_item_id(ctx), account_id)
    created = ctx.client.create("RefundReceipt", body, ctx.requestid(refund, "create"))
    mark_synced(refund, created, ctx.realm_id, ctx.user, summary=f"RefundReceipt {refund.amount}")


# Unsync -----------------------------------------------------------------------------------------


def delete_in_qbo(ctx, entity: str, record) -> None:
    """Delete the row's QBO object with its current SyncToken; a stale token re-reads once."""
    for attempt in (1, 2):
        try:
            current = ctx.client.read(entity, record.qbo_id)
        except QboFault as error:
            if error.code == "610":
                return  # already gone in QBO
            raise
        if current.get("status") == "Deleted":
            return
        token = str(current.get("SyncToken", "0"))
        try:
            ctx.client.delete(entity, record.qbo_id, token, ctx.requestid(record, f"del{token}"))
            return
        except QboFault as error:
            if error.code == "610":
                return
            if error.code == "5010" and attempt == 1:
                continue  # someone changed it meanwhile: read the new SyncToken and try again
            raise


def unsync_payment(ctx, payment: Payment) -> None:
    """Delete the payment's refunds in QBO, then the payment; all become Not synced.

    Raises:
        DependencyBusy: a refund's job may be creating its RefundReceipt right now; deleting
            the payment under it would leave that receipt in QBO with no payment (retried).
    """
    if any(refund.qbo_status in PENDING_STATUSES for refund in payment.refunds):
        raise DependencyBusy(
            N_("A refund of this payment is still being synced. Unsync again when it is done.")
        )
    for refund in payment.refunds:
        if refund.qbo_id and refund.qbo_realm_id == ctx.realm_id:
            delete_in_qbo(ctx, "RefundReceipt", refund)
            mark_unsynced(refund, ctx.user, message=N_("Deleted from QuickBooks with its payment"))
            ctx.commit_progress()  # the delete is done in QBO; a later failure must not undo it
    if payment.qbo_id and payment.qbo_realm_id == ctx.realm_id:
        delete_in_qbo(ctx, "Payment", payment)
    payment.qbo_deposit_account_id = None
    mark_unsynced(payment, ctx.user, message=N_("Deleted from QuickBooks"))


def unsync_refund(ctx, refund: Refund) -> None:
    if refund.qbo_id and refund.qbo_realm_id == ctx.realm_id:
        delete_in_qbo(ctx, "RefundReceipt", refund)
    mark_unsynced(refund, ctx.user, message=N_("Deleted from QuickBooks"))


def unsync_invoice(ctx, invoice: Invoice) -> None:
    """Unlink the invoice; it stays in QBO (its payments may be applied to it)."""
    mark_unsynced(invoice, ctx.user, message=N_("Unlinked; the invoice stays in QuickBooks"))


def unsync_client(ctx, client: ClientAccount) -> None:
    """Unlink the client and its invoices; customers are never deleted in QBO."""
    for invoice in client.invoices:
        if invoice.qbo_status is SyncStatus.SYNCED:
            mark_unsynced(invoice, ctx.user, message=N_("Unlinked with its client account"))
    mark_unsynced(client, ctx.user, message=N_("Unlinked; the customer stays in QuickBooks"))


# What the handlers read besides the row itself, loaded with it in one statement.
ROW_LOADS = {
    "invoice": (joinedload(Invoice.client),),
    "payment": (joinedload(Payment.invoice).joinedload(Invoice.client),),
    "refund": (joinedload(Refund.payment).joinedload(Payment.invoice).joinedload(Invoice.client),),
}
SYNC = {
    "client": sync_client,
    "invoice": sync_invoice,
    "payment": sync_payment,
    "refund": sync_refund,
}
UNSYNC = {
    "client": unsync_client,
    "invoice": unsync_invoice,
    "payment": unsync_payment,
    "refund": unsync_refund,
}
