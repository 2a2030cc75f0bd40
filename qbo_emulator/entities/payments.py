"""Payment and Deposit, plus the computed customer and account balances."""

from __future__ import annotations

from decimal import Decimal

from .. import faults, index
from . import ledger
from .base import USD, Books, Rules, money, num, register
from .names import COMMON_FILTERS
from .sales import applied_to_invoice, refresh_invoice

DEPOSITABLE = ("Bank", "Other Current Asset")


def undeposited_funds(books: Books) -> dict | None:
    """Find Undeposited Funds by its detail type, since users may rename it."""
    found = [
        a
        for a in books.find("Account", "AccountSubType", "UndepositedFunds")
        if a.get("AccountSubType") == "UndepositedFunds"
    ]
    return found[0] if found else None


def deposit_of(books: Books, payment_id: str) -> dict | None:
    """Return the live Deposit that includes this payment, if any (through the links index)."""
    for deposit_id, _ in index.linked_to(
        books.store, books.realm_id, "Deposit", "Payment", str(payment_id)
    ):
        deposit = books.get("Deposit", deposit_id)
        if deposit is not None:
            return deposit
    return None


def linked_invoice_ids(payment: dict | None) -> set[str]:
    ids = set()
    for line in (payment or {}).get("Line", []):
        for linked in line.get("LinkedTxn", []):
            if linked.get("TxnType") == "Invoice":
                ids.add(str(linked.get("TxnId")))
    return ids


@register
class PaymentRules(Rules):
    entity = "Payment"
    kind = "txn"
    voidable = True
    readonly = Rules.readonly + ("UnappliedAmt",)
    filterable = COMMON_FILTERS + (
        "CustomerRef",
        "TxnDate",
        "PaymentRefNum",
        "TotalAmt",
        "DepositToAccountRef",
    )

    def prepare(self, books, obj, old):
        if old is not None:
            if deposit_of(books, old["Id"]):
                raise faults.deposited()
            if old.get("_voided"):
                raise faults.business("A voided transaction cannot be changed.")
        customer = books.ref(obj, "CustomerRef", "Customer", required=True)
        total = money(obj.get("TotalAmt"), "TotalAmt")
        if total < 0:
            raise faults.business("TotalAmt cannot be negative.", element="TotalAmt")
        if obj.get("DepositToAccountRef"):
            account = books.ref(obj, "DepositToAccountRef", "Account")
        else:
            account = undeposited_funds(books)
            if account is None:
                raise faults.business("The company has no Undeposited Funds account.")
            obj["DepositToAccountRef"] = {"value": str(account["Id"]), "name": account["Name"]}
        if account.get("AccountType") not in DEPOSITABLE:
            raise faults.business(
                "DepositToAccountRef must be a Bank or Other Current Asset account.",
                element="DepositToAccountRef",
            )
        applied = Decimal("0")
        lines = []
        for raw in obj.get("Line") or []:
            line = dict(raw)
            amount = money(line.get("Amount"), "Line.Amount")
            linked = line.get("LinkedTxn") or []
            if not linked:
                raise faults.required("Line.LinkedTxn")
            for link in linked:
                if link.get("TxnType") != "Invoice":
                    raise faults.business(
                        f"The emulator links payments to Invoices only, not {link.get('TxnType')}.",
                        element="Line.LinkedTxn",
                    )
                invoice = books.get("Invoice", link.get("TxnId"))
                if invoice is None:
                    raise faults.not_found("Invoice", str(link.get("TxnId")))
                if invoice.get("CustomerRef", {}).get("value") != str(customer["Id"]):
                    raise faults.business(
                        "The invoice belongs to a different customer.", element="Line.LinkedTxn"
                    )
                other, _ = applied_to_invoice(books, invoice["Id"], skip_payment=obj.get("Id"))
                open_balance = money(invoice.get("TotalAmt", 0)) - other
                if amount > open_balance:
                    raise faults.business(
                        f"The payment amount {amount} is more than the open balance {open_balance} "
                        f"of invoice {invoice['Id']}.",
                        element="Line.Amount",
                    )
                link["TxnId"] = str(invoice["Id"])
            line["Amount"] = num(amount)
            line["LinkedTxn"] = linked
            applied += amount
            lines.append(line)
        if applied > total:
            raise faults.business(
                "The applied amount is more than the payment's TotalAmt.", element="Line"
            )
        obj["Line"] = lines
        obj["TotalAmt"] = num(total)
        obj["UnappliedAmt"] = num(total - applied)
        obj.setdefault("TxnDate", books.today())
        obj.setdefault("ProcessPayment", False)
        obj.setdefault("CurrencyRef", dict(USD))
        return obj

    def contributions(self, books, obj):
        return ledger.payment(books, obj)

    def after_write(self, books, obj, old):
        for invoice_id in sorted(linked_invoice_ids(obj) | linked_invoice_ids(old), key=int):
            refresh_invoice(books, invoice_id)

    def before_delete(self, books, obj):
        if deposit_of(books, obj["Id"]):
            raise faults.deposited()

    def void(self, books, obj):
        if deposit_of(books, obj["Id"]):
            raise faults.deposited()
        obj["TotalAmt"] = 0.0
        obj["UnappliedAmt"] = 0.0
        obj["Line"] = []
        return obj


@register
class DepositRules(Rules):
    entity = "Deposit"
    kind = "txn"
    readonly = Rules.readonly + ("TotalAmt",)
    filterable = COMMON_FILTERS + ("TxnDate", "DepositToAccountRef", "TotalAmt")

    def contributions(self, books, obj):
        return ledger.deposit(books, obj)

    def prepare(self, books, obj, old):
        account = books.ref(obj, "DepositToAccountRef", "Account", required=True)
        if account.get("AccountType") != "Bank":
            raise faults.business(
                "A deposit must go to a Bank account.", element="DepositToAccountRef"
            )
        total, lines = Decimal("0"), []
        for raw in obj.get("Line") or []:
            line = dict(raw)
            amount = money(line.get("Amount"), "Line.Amount")
            for link in line.get("LinkedTxn") or []:
                if link.get("TxnType") != "Payment":
                    continue
                payment = books.get("Payment", link.get("TxnId"))
                if payment is None:
                    raise faults.not_found("Payment", str(link.get("TxnId")))
                other = deposit_of(books, payment["Id"])
                if other and str(other["Id"]) != str(obj.get("Id")):
                    raise faults.business(f"Payment {payment['Id']} is already deposited.")
                ufunds = undeposited_funds(books)
                if ufunds is None or payment["DepositToAccountRef"]["value"] != str(ufunds["Id"]):
                    raise faults.business(f"Payment {payment['Id']} is not in Undeposited Funds.")
                link["TxnId"] = str(payment["Id"])
            if not line.get("LinkedTxn"):
                detail = dict(line.get("DepositLineDetail") or {})
                books.ref(detail, "AccountRef", "Account", required=True)
                line["DepositLineDetail"] = detail
                line.setdefault("DetailType", "DepositLineDetail")
            line["Amount"] = num(amount)
            total += amount
            lines.append(line)
        if not lines:
            raise faults.required("Line")
        obj["Line"] = lines
        obj["TotalAmt"] = num(total)
        obj.setdefault("TxnDate", books.today())
        obj.setdefault("CurrencyRef", dict(USD))
        return obj
