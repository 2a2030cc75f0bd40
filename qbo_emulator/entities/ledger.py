"""What each transaction adds to customer and account balances (a simplified ledger, not double entry).

Customer balance = open invoice balances - unapplied payment credit. Accounts: A/R carries open
invoices less unapplied credit; income accounts the invoice lines (less refund lines) of their items;
bank and Undeposited Funds the payments, refunds and deposits paid into or out of them.

Each transaction's share is recorded when it is saved (index.set_contributions), so reading a
balance costs one lookup. A transaction's share is fixed at its last save: renaming an item's
income account later does not move the income already booked (the emulator's choice).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from .base import Books, money


def customer(obj: dict) -> str:
    return f"Customer:{obj['CustomerRef']['value']}"


def account(ref: dict | None) -> str | None:
    value = (ref or {}).get("value")
    return f"Account:{value}" if value else None


def receivable(books: Books) -> str | None:
    """The company's Accounts Receivable account (the first one by Id)."""
    found = books.find("Account", "AccountType", "Accounts Receivable")
    return f"Account:{found[0]['Id']}" if found else None


def _line_income(books: Books, obj: dict, sign: int, amounts: dict) -> None:
    items: dict = {}
    for line in obj.get("Line", []):
        if line.get("DetailType") != "SalesItemLineDetail":
            continue
        item_id = str(((line.get("SalesItemLineDetail") or {}).get("ItemRef") or {}).get("value"))
        if item_id not in items:
            items[item_id] = books.get("Item", item_id)
        income = account((items[item_id] or {}).get("IncomeAccountRef"))
        if income:
            amounts[income] += sign * money(line.get("Amount", 0))


def invoice(books: Books, obj: dict) -> dict:
    amounts: dict = defaultdict(Decimal)
    balance = money(obj.get("Balance", 0))
    amounts[customer(obj)] += balance
    ar = receivable(books)
    if ar:
        amounts[ar] += balance
    _line_income(books, obj, 1, amounts)
    return amounts


def payment(books: Books, obj: dict) -> dict:
    amounts: dict = defaultdict(Decimal)
    unapplied = money(obj.get("UnappliedAmt", 0))
    amounts[customer(obj)] -= unapplied
    amounts[account(obj.get("DepositToAccountRef"))] += money(obj.get("TotalAmt", 0))
    ar = receivable(books)
    if ar:
        amounts[ar] -= unapplied
    return amounts


def refund(books: Books, obj: dict) -> dict:
    amounts: dict = defaultdict(Decimal)
    amounts[account(obj.get("DepositToAccountRef"))] -= money(obj.get("TotalAmt", 0))
    _line_income(books, obj, -1, amounts)
    return amounts


def deposit(books: Books, obj: dict) -> dict:
    amounts: dict = defaultdict(Decimal)
    amounts[account(obj.get("DepositToAccountRef"))] += money(obj.get("TotalAmt", 0))
    for line in obj.get("Line", []):
        amount = money(line.get("Amount", 0))
        for link in line.get("LinkedTxn", []):
            paid = (
                books.get("Payment", link.get("TxnId"))
                if link.get("TxnType") == "Payment"
                else None
            )
            if paid:
                amounts[account(paid.get("DepositToAccountRef"))] -= amount
        ref = (line.get("DepositLineDetail") or {}).get("AccountRef")
        target = books.get("Account", (ref or {}).get("value")) if ref else None
        if target:
            sign = -1 if target.get("Classification") == "Asset" else 1
            amounts[account(ref)] += sign * amount
    return amounts


def balances_of(books: Books, prefix: str, objs: list[dict]) -> dict[str, Decimal]:
    """{Id: balance} for the given customers or accounts."""
    keys = [f"{prefix}:{o['Id']}" for o in objs]
    found = books.balances(keys)
    return {str(o["Id"]): found.get(key, Decimal("0")) for o, key in zip(objs, keys, strict=True)}
