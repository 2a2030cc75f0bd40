"""Bulk sync and unsync of one chunk of rows of one kind, as one batch call (batch.py).

The rules are those of the one-row handlers (handlers.py), done for many rows at once:
- look first, in bulk: one query finds what QBO already holds for the whole chunk (customers
  by name, invoices by number, the invoices' linked payments, refunds by customer and date),
  and a row already there is linked, never created again;
- each create or delete is one item of the batch, `bId` made from the row and its sync
  generation; a Fault on one item fails that row alone, with QBO's own message.

Rows are marked in the session; the caller commits. Rows left pending (QBO never answered
for them) are returned, to be tried again, looking first.
"""

from __future__ import annotations

from ..extensions import db
from ..i18n import N_
from ..models import ClientAccount, Invoice, Payment, Refund, SyncReason, SyncStatus
from . import handlers, mapping
from .batch import batch_id, query_in, send_items
from .client import quote
from .errors import Blocked, DependencyBusy, QboFault
from .handlers import in_this_company
from .preflight import CLIENT_FIRST
from .state import SyncAction, fail_row, mark_synced, mark_unsynced

INVOICE_FIRST = N_("Sync the invoice first")
PAYMENT_FIRST = N_("Sync the payment first")
SYNC, UNSYNC = SyncAction.SYNC, SyncAction.UNSYNC


def _sendable(ctx, rows: list, first_needed) -> list:
    """The rows QuickBooks can take now; each other one fails with `first_needed(row)`, the
    Blocked that says what to sync first."""
    ready = []
    for row in rows:
        if blocked := first_needed(row):
            fail_row(row, SYNC, ctx.user, blocked)
        else:
            ready.append(row)
    return ready


# Sync, one function per kind ---------------------------------------------------------------------


def sync_clients(ctx, clients: list[ClientAccount]) -> list:
    bodies = {client.id: mapping.customer_payload(client) for client in clients}
    found = {
        obj.get("DisplayName"): obj
        for obj in query_in(
            ctx, "Customer", "DisplayName", (b["DisplayName"] for b in bodies.values())
        )
    }
    to_create = []
    for client in clients:
        existing = found.get(bodies[client.id]["DisplayName"])
        if existing:
            mark_synced(
                client,
                existing,
                ctx.realm_id,
                ctx.user,
                message=N_("Linked to the existing QuickBooks customer with the same name"),
            )
        else:
            to_create.append((client, bodies[client.id]))
    if not to_create:
        return []
    answers, unanswered = send_items(ctx, "Customer", "create", to_create)
    for client, body in to_create:
        answer = answers.get(batch_id(client))
        if answer is None:
            continue
        if isinstance(answer, QboFault):
            error = answer
            if answer.code == "6240":
                error = handlers.name_clash(body["DisplayName"], answer)
            fail_row(client, SYNC, ctx.user, error)
            continue
        mark_synced(
            client, answer, ctx.realm_id, ctx.user, summary=f"Customer {body['DisplayName']}"
        )
    return unanswered


def sync_invoices(ctx, invoices: list[Invoice]) -> list:
    def first_needed(invoice):
        if not in_this_company(invoice.client, ctx):
            return Blocked(SyncReason.CLIENT_NOT_SYNCED, CLIENT_FIRST)
        return None

    ready = _sendable(ctx, invoices, first_needed)
    if not ready:
        return []
    found = {}
    for obj in query_in(ctx, "Invoice", "DocNumber", (i.number for i in ready)):
        customer = str((obj.get("CustomerRef") or {}).get("value"))
        found.setdefault((obj.get("DocNumber"), customer), obj)
    to_create = []
    for invoice in ready:
        existing = found.get((invoice.number, invoice.client.qbo_id))
        if existing:
            mark_synced(
                invoice,
                existing,
                ctx.realm_id,
                ctx.user,
                message=N_("Linked to the existing QuickBooks invoice with the same number"),
            )
        else:
            to_create.append(invoice)
    if not to_create:
        return []
    item_id = handlers.service_item_id(ctx)
    bodies = [(i, mapping.invoice_payload(i, i.client.qbo_id, item_id)) for i in to_create]
    answers, unanswered = send_items(ctx, "Invoice", "create", bodies)
    for invoice in to_create:
        answer = answers.get(batch_id(invoice))
        if isinstance(answer, QboFault):
            fail_row(invoice, SYNC, ctx.user, answer)
        elif answer is not None:
            mark_synced(
                invoice, answer, ctx.realm_id, ctx.user, summary=f"Invoice {invoice.number}"
            )
    return unanswered


def _applied_payments(ctx, invoice_ids) -> dict[str, list[dict]]:
    """The QBO payments applied to each invoice, in two queries for the whole chunk."""
    invoices = query_in(ctx, "Invoice", "Id", invoice_ids)
    links = {
        str(inv["Id"]): [
            str(link["TxnId"])
            for link in inv.get("LinkedTxn") or []
            if link.get("TxnType") == "Payment" and link.get("TxnId")
        ]
        for inv in invoices
    }
    wanted = {pid for ids in links.values() for pid in ids}
    payments = {str(p["Id"]): p for p in query_in(ctx, "Payment", "Id", wanted)} if wanted else {}
    return {inv_id: [payments[p] for p in ids if p in payments] for inv_id, ids in links.items()}


def sync_payments(ctx, payments: list[Payment]) -> list:
    def first_needed(payment):
        if not in_this_company(payment.invoice.client, ctx):
            return Blocked(SyncReason.CLIENT_NOT_SYNCED, CLIENT_FIRST)
        if not in_this_company(payment.invoice, ctx):
            return Blocked(SyncReason.INVOICE_NOT_SYNCED, INVOICE_FIRST)
        return None

    ready = _sendable(ctx, payments, first_needed)
    if not ready:
        return []
    account_id, account_name = handlers.deposit_account(ctx)
    applied = _applied_payments(ctx, (p.invoice.qbo_id for p in ready))
    all_ids = {str(obj["Id"]) for objs in applied.values() for obj in objs}
    holders = (
        dict(
            db.session.execute(
                db.select(Payment.qbo_id, Payment.id).where(
                    Payment.firm_id == ctx.firm.id,
                    Payment.qbo_realm_id == ctx.realm_id,
                    Payment.qbo_id.in_(all_ids),
                )
            ).all()
        )
        if all_ids
        else {}
    )
    to_create = []
    for payment in ready:
        # Held by another row of ours, or linked to another row of this chunk just now.
        taken = {qid for qid, row_id in holders.items() if row_id != payment.id}
        existing = mapping.find_existing_payment(
            applied.get(payment.invoice.qbo_id, []), payment, payment.invoice.qbo_id, taken=taken
        )
        if existing:
            holders[str(existing["Id"])] = payment.id
            payment.qbo_deposit_account_id = (existing.get("DepositToAccountRef") or {}).get(
                "value"
            )
            payment.qbo_linked = True
            mark_synced(
                payment,
                existing,
                ctx.realm_id,
                ctx.user,
                message=N_("Linked to the payment already in QuickBooks"),
            )
            continue
        body = mapping.payment_payload(
            payment, payment.invoice.client.qbo_id, payment.invoice.qbo_id, account_id
        )
        to_create.append((payment, body))
    if not to_create:
        return []
    answers, unanswered = send_items(ctx, "Payment", "create", to_create)
    for payment, _ in to_create:
        answer = answers.get(batch_id(payment))
        if isinstance(answer, QboFault):
            fail_row(payment, SYNC, ctx.user, answer)
        elif answer is not None:
            payment.qbo_deposit_account_id = (answer.get("DepositToAccountRef") or {}).get(
                "value", account_id
            )
            mark_synced(
                payment,
                answer,
                ctx.realm_id,
                ctx.user,
                summary=f"Payment {payment.amount} to {account_name}",
            )
    return unanswered


def sync_refunds(ctx, refunds: list[Refund]) -> list:
    def first_needed(refund):
        if not in_this_company(refund.payment, ctx):
            return Blocked(SyncReason.PAYMENT_NOT_SYNCED, PAYMENT_FIRST)
        return None

    ready = _sendable(ctx, refunds, first_needed)
    if not ready:
        return []
    dates = ", ".join(sorted({quote(r.refunded_on.isoformat()) for r in ready}))
    candidates = query_in(
        ctx,
        "RefundReceipt",
        "CustomerRef",
        (r.payment.invoice.client.qbo_id for r in ready),
        extra=f"TxnDate IN ({dates})",
    )
    to_create = []
    for refund in ready:
        existing = mapping.find_by_marker(candidates, refund)
        if existing:
            mark_synced(
                refund,
                existing,
                ctx.realm_id,
                ctx.user,
                message=N_("Linked to the refund already in QuickBooks"),
            )
        else:
            to_create.append(refund)
    if not to_create:
        return []
    item_id = handlers.service_item_id(ctx)
    bodies = []
    for refund in to_create:
        account_id = refund.payment.qbo_deposit_account_id or handlers.deposit_account(ctx)[0]
        customer_id = refund.payment.invoice.client.qbo_id
        bodies.append((refund, mapping.refund_payload(refund, customer_id, item_id, account_id)))
    answers, unanswered = send_items(ctx, "RefundReceipt", "create", bodies)
    for refund in to_create:
        answer = answers.get(batch_id(refund))
        if isinstance(answer, QboFault):
            fail_row(refund, SYNC, ctx.user, answer)
        elif answer is not None:
            mark_synced(
                refund, answer, ctx.realm_id, ctx.user, summary=f"RefundReceipt {refund.amount}"
            )
    return unanswered


# Unsync --------------------------------------------------------------------------------------------


def _delete(ctx, entity: str, rows: list, message: str) -> list:
    """Delete each row's object with its current SyncToken, read for the whole chunk at once."""
    ours = [row for row in rows if row.qbo_id and row.qbo_realm_id == ctx.realm_id]
    current = {str(obj["Id"]): obj for obj in query_in(ctx, entity, "Id", (r.qbo_id for r in ours))}
    to_delete = []
    for row in rows:
        obj = current.get(str(row.qbo_id)) if row in ours else None
        if obj is None or obj.get("status") == "Deleted":
            _unsynced(row, ctx, message)  # already gone in QBO (or never in this company)
        else:
            to_delete.append(
                (row, {"Id": str(row.qbo_id), "SyncToken": str(obj.get("SyncToken", "0"))})
            )
    if not to_delete:
        return []
    answers, unanswered = send_items(ctx, entity, "delete", to_delete)
    for row, _ in to_delete:
        answer = answers.get(batch_id(row))
        if answer is None:
            continue
        if isinstance(answer, QboFault) and answer.code == "5010":
            unanswered.append(row)  # changed meanwhile: read its new SyncToken next round
        elif isinstance(answer, QboFault) and answer.code != "610":
            fail_row(row, UNSYNC, ctx.user, answer)
        else:
            _unsynced(row, ctx, message)
    return unanswered


def _unsynced(row, ctx, message) -> None:
    if isinstance(row, Payment):
        row.qbo_deposit_account_id = None
    mark_unsynced(row, ctx.user, message=message)


def unsync_payments(ctx, payments: list[Payment]) -> list:
    busy = [p for p in payments if any(r.qbo_status is SyncStatus.SYNCING for r in p.refunds)]
    for payment in busy:
        fail_row(
            payment,
            UNSYNC,
            ctx.user,
            DependencyBusy(
                N_("A refund of this payment is still being synced. Unsync again when it is done.")
            ),
        )
    # Refunds in QBO are deleted first, in their own earlier stage of the run; any left here
    # (synced since) go with their payment, as the one-row unsync does.
    rest = [p for p in payments if p not in busy]
    refunds = [r for p in rest for r in p.refunds if in_this_company(r, ctx)]
    unanswered = _delete(
        ctx, "RefundReceipt", refunds, N_("Deleted from QuickBooks with its payment")
    )
    blocked = {r.payment_id for r in unanswered}
    ready = [p for p in rest if p.id not in blocked]
    return [p for p in rest if p.id in blocked] + _delete(
        ctx, "Payment", ready, N_("Deleted from QuickBooks")
    )


def unsync_refunds(ctx, refunds: list[Refund]) -> list:
    return _delete(ctx, "RefundReceipt", refunds, N_("Deleted from QuickBooks"))


def unlink(ctx, rows: list) -> list:
    """Clients and invoices stay in QuickBooks: unsyncing them only unlinks (no call to QBO)."""
    for row in rows:
        handlers.UNSYNC[type(row).RECORD_TYPE](ctx, row)
    return []


SYNC_CHUNK = {
    "client": sync_clients,
    "invoice": sync_invoices,
    "payment": sync_payments,
    "refund": sync_refunds,
}
UNSYNC_CHUNK = {
    "client": unlink,
    "invoice": unlink,
    "payment": unsync_payments,
    "refund": unsync_refunds,
}
