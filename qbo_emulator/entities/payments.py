"""Payment and Deposit, plus the computed customer and account balances."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from .. import faults
from .base import USD, Books, Rules, money, num, register
from .names import COMMON_FILTERS
from .sales import applied_to_invoice, refresh_invoice

DEPOSITABLE = ("Bank", "Other Current Asset")


def undeposited_funds(books: Books) -> dict | None:
    """Find Undeposited Funds by its detail type, since users may rename it."""
    for account in books.all("Account"):
        if account.get("AccountSubType") == "UndepositedFunds":
            return account
    return None


def deposit_of(books: Books, payment_id: str) -> dict | None:
    """Return the live Deposit that includes this payment, if any."""
    for deposit in books.all("Deposit"):
        for line in deposit.get("Line", []):
            for linked in line.get("LinkedTxn", []):
                if linked.get("TxnType") == "Payment" and str(linked.get("TxnId")) == str(
                    payment_id
                ):
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


def customer_balances(books: Books) -> dict[str, Decimal]:
    """Open invoice balances less unapplied payment credit, per customer id."""
    balances: dict[str, Decimal] = defaultdict(Decimal)
    for invoice in books.all("Invoice"):
        balances[invoice["CustomerRef"]["value"]] += money(invoice.get("Balance", 0))
    for payment in books.all("Payment"):
        balances[payment["CustomerRef"]["value"]] -= money(payment.get("UnappliedAmt", 0))
    return balances


def account_balances(books: Books) -> dict[str, Decimal]:
    """Derive each account's balance from the live transactions (a simplified ledger)."""
    balances: dict[str, Decimal] = defaultdict(Decimal)
    accounts = {str(a["Id"]): a for a in books.all("Account")}
    receivable = next(
        (a for a in accounts.values() if a.get("AccountType") == "Accounts Receivable"), None
    )
    items = {str(i["Id"]): i for i in books.all("Item")}

    def income_of(line) -> str | None:
        item = items.get(
            str(((line.get("SalesItemLineDetail") or {}).get("ItemRef") or {}).get("value"))
        )
        return ((item or {}).get("IncomeAccountRef") or {}).get("value")

    for invoice in books.all("Invoice"):
        if receivable:
            balances[str(receivable["Id"])] += money(invoice.get("Balance", 0))
        for line in invoice.get("Line", []):
            if line.get("DetailType") == "SalesItemLineDetail" and income_of(line):
                balances[income_of(line)] += money(line.get("Amount", 0))
    for payment in books.all("Payment"):
        balances[payment["DepositToAccountRef"]["value"]] += money(payment.get("TotalAmt", 0))
        if receivable:
            balances[str(receivable["Id"])] -= money(payment.get("UnappliedAmt", 0))
    for refund in books.all("RefundReceipt"):
        balances[refund["DepositToAccountRef"]["value"]] -= money(refund.get("TotalAmt", 0))
        for line in refund.get("Line", []):
            if line.get("DetailType") == "SalesItemLineDetail" and income_of(line):
                balances[income_of(line)] -= money(line.get("Amount", 0))
    for deposit in books.all("Deposit"):
        balances[deposit["DepositToAccountRef"]["value"]] += money(deposit.get("TotalAmt", 0))
        for line in deposit.get("Line", []):
            amount = money(line.get("Amount", 0))
            for link in line.get("LinkedTxn", []):
                payment = books.get("Payment", link.get("TxnId"))
                if link.get("TxnType") == "Payment" and payment:
                    balances[payment["DepositToAccountRef"]["value"]] -= amount
            account_id = ((line.get("DepositLineDetail") or {}).get("AccountRef") or {}).get(
                "value"
            )
            if account_id and account_id in accounts:
                sign = -1 if accounts[account_id].get("Classification") == "Asset" else 1
                balances[account_id] += sign * amount
    return balances
