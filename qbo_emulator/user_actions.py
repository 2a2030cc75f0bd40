"""What a QuickBooks user does on the emulator's pages, as changes to the books.

Each function runs inside one transaction (pages.act) and goes through the same entity rules as the
API, so SyncTokens move, balances follow and webhooks fire exactly as for an API write.
"""

from __future__ import annotations

import copy
from datetime import date

from . import faults
from .entities.base import Books, money, num

# Transactions that name a customer and move with it when it is merged into another.
CUSTOMER_TRANSACTIONS = ("Invoice", "Payment", "RefundReceipt")


def _txn_date(text: str | None, current: str | None) -> str:
    if not text:
        return current
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise faults.business("The date must look like 2026-09-03.", element="TxnDate") from None


def receive_payment(books: Books, invoice_id: str, form) -> dict:
    """A payment of the chosen amount applied to the invoice, as the customer paying through QBO."""
    invoice = books.get("Invoice", invoice_id)
    if invoice is None:
        raise faults.not_found("Invoice", invoice_id)
    amount = form.get("amount") or invoice.get("Balance")
    payment = {
        "CustomerRef": {"value": invoice["CustomerRef"]["value"]},
        "TotalAmt": amount,
        "Line": [
            {"Amount": amount, "LinkedTxn": [{"TxnId": str(invoice_id), "TxnType": "Invoice"}]}
        ],
    }
    if form.get("txn_date"):
        payment["TxnDate"] = _txn_date(form["txn_date"], None)
    if form.get("deposit_account"):
        payment["DepositToAccountRef"] = {"value": form["deposit_account"]}
    if form.get("ref"):
        payment["PaymentRefNum"] = form["ref"]
    return books.create("Payment", payment)


def edit_payment(books: Books, payment_id: str, form) -> dict:
    """Change a payment's amount and date.

    Lowering the amount lowers what is applied, from the last line back; raising it leaves the extra
    unapplied (a credit), as QuickBooks does when nothing more is ticked. The emulator's choice.
    """
    payment = books.get("Payment", payment_id)
    if payment is None:
        raise faults.not_found("Payment", payment_id)
    amount = money(form.get("amount") or payment["TotalAmt"], "TotalAmt")
    lines = copy.deepcopy(payment.get("Line", []))
    excess = sum((money(line["Amount"]) for line in lines), start=money(0)) - amount
    for line in reversed(lines):
        if excess <= 0:
            break
        cut = min(excess, money(line["Amount"]))
        line["Amount"] = num(money(line["Amount"]) - cut)
        excess -= cut
    body = {
        "Id": payment_id,
        "SyncToken": payment["SyncToken"],
        "sparse": True,
        "TotalAmt": num(amount),
        "TxnDate": _txn_date(form.get("txn_date"), payment.get("TxnDate")),
        "Line": [line for line in lines if line["Amount"] > 0],
    }
    return books.update("Payment", body)


def void_or_delete_payment(books: Books, payment_id: str, action: str) -> None:
    payment = books.get("Payment", payment_id)
    if payment is None:
        raise faults.not_found("Payment", payment_id)
    body = {"Id": payment_id, "SyncToken": payment["SyncToken"], "sparse": True}
    if action == "void":
        books.void("Payment", body)
    else:
        books.delete("Payment", body)


def _customer(books: Books, customer_id: str) -> dict:
    customer = books.get("Customer", customer_id)
    if customer is None:
        raise faults.not_found("Customer", customer_id)
    return customer


def rename_customer(books: Books, customer_id: str, name: str) -> dict:
    customer = _customer(books, customer_id)
    body = {"Id": customer_id, "SyncToken": customer["SyncToken"], "sparse": True}
    return books.update("Customer", {**body, "DisplayName": (name or "").strip()})


def set_customer_active(books: Books, customer_id: str, active: bool) -> dict:
    customer = _customer(books, customer_id)
    body = {"Id": customer_id, "SyncToken": customer["SyncToken"], "sparse": True}
    return books.update("Customer", {**body, "Active": active})


def merge_customer(books: Books, customer_id: str, into_id: str) -> dict:
    """Merge a customer into another: its transactions move, it disappears, a Merge event fires.

    QuickBooks merges when a customer is renamed to another's name. Here the merged customer is
    kept as a deleted tombstone (CDC lists it as Deleted), each moved transaction gets an Update
    (SyncToken +1) and the survivor a Merge event naming the merged one (`deletedId`). Intuit
    documents the Merge operation; the rest is the emulator's choice.
    """
    if str(customer_id) == str(into_id):
        raise faults.business("A customer cannot be merged into itself.", element="into")
    merged = _customer(books, customer_id)
    survivor = _customer(books, into_id)
    ref = {"value": str(survivor["Id"]), "name": survivor["DisplayName"]}
    for entity in CUSTOMER_TRANSACTIONS:
        for obj in books.find(entity, "CustomerRef", str(customer_id)):
            obj["CustomerRef"] = dict(ref)
            books.save(entity, obj, "Update")
    books.retire("Customer", merged)
    books.emit("Customer", survivor["Id"], "Merge", deleted_id=str(merged["Id"]))
    return survivor


def rename_vendor(books: Books, vendor_id: str, name: str) -> dict:
    vendor = books.get("Vendor", vendor_id)
    if vendor is None:
        raise faults.not_found("Vendor", vendor_id)
    body = {"Id": vendor_id, "SyncToken": vendor["SyncToken"], "sparse": True}
    return books.update("Vendor", {**body, "DisplayName": (name or "").strip()})
