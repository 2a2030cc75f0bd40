"""Sales forms: Invoice and RefundReceipt, and their lines."""

from __future__ import annotations

from decimal import Decimal

from .. import faults, index
from . import ledger
from .base import USD, Books, Rules, money, num, register
from .names import COMMON_FILTERS

READ_ONLY_LINE_TYPES = ("SubTotalLineDetail",)


def build_lines(books: Books, obj: dict, old: dict | None) -> Decimal:
    """Validate and number `obj["Line"]`; return the total of the sales lines.

    Lines are replaced all-or-nothing; a line keeps its Id if it names an existing line,
    otherwise it gets a new one (Intuit's Invoice reference). A SubTotalLine is appended.
    """
    sent = obj.get("Line")
    if not isinstance(sent, list):
        sent = []
    old_ids = {str(line.get("Id")) for line in (old or {}).get("Line", []) if line.get("Id")}
    next_id = max([int(i) for i in old_ids if i.isdigit()] + [0]) + 1
    lines, total = [], Decimal("0")
    for position, raw in enumerate(sent):
        if not isinstance(raw, dict) or raw.get("DetailType") in READ_ONLY_LINE_TYPES:
            continue
        line = dict(raw)
        detail_type = line.get("DetailType")
        if not detail_type:
            raise faults.required("Line.DetailType")
        if detail_type == "DescriptionOnly" or detail_type == "DescriptionOnlyLine":
            line["DetailType"] = "DescriptionOnly"
        elif detail_type == "SalesItemLineDetail":
            amount = money(line.get("Amount"), "Line.Amount")
            detail = dict(line.get("SalesItemLineDetail") or {})
            item = books.ref(detail, "ItemRef", "Item")
            qty, price = detail.get("Qty"), detail.get("UnitPrice")
            # Only a non-zero Qty and UnitPrice are checked: python-quickbooks sends 0/0 by default
            # and its integration tests pass against Intuit's sandbox.
            if qty not in (None, 0, "0") and price not in (None, 0, "0"):
                expected = money(Decimal(str(detail["Qty"])) * Decimal(str(detail["UnitPrice"])))
                if expected != amount:
                    raise faults.QBOFault(
                        "6070",
                        "Amount calculation incorrect",
                        f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount}",
                        element="Line.Amount",
                    )
            line["Amount"] = num(amount)
            line["SalesItemLineDetail"] = detail
            if item is not None:
                total += amount
        else:
            raise faults.QBOFault(
                "2170",
                "Invalid Enumeration",
                f"Invalid DetailType : {detail_type}",
                "Line.DetailType",
            )
        if str(line.get("Id")) not in old_ids:
            line["Id"] = str(next_id)
            next_id += 1
        line["LineNum"] = position + 1
        lines.append(line)
    obj["Line"] = lines
    return total


def with_subtotal(obj: dict, total: Decimal) -> None:
    obj["Line"] = obj["Line"] + [
        {"Amount": num(total), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
    ]


def has_sales_line(obj: dict) -> bool:
    return any(line.get("DetailType") == "SalesItemLineDetail" for line in obj.get("Line", []))


def applied_to_invoice(books: Books, invoice_id: str, skip_payment: str | None = None):
    """Return (total applied, [payment ids]) for an invoice from all live payments."""
    applied, payment_ids = Decimal("0"), []
    links = index.linked_to(books.store, books.realm_id, "Payment", "Invoice", str(invoice_id))
    for payment_id, amount in links:
        if skip_payment and payment_id == str(skip_payment):
            continue
        applied += money(amount)
        if payment_id not in payment_ids:
            payment_ids.append(payment_id)
    return applied, payment_ids


def refresh_invoice(books: Books, invoice_id: str) -> None:
    """Recompute an invoice's Balance and LinkedTxn after a payment changed."""
    invoice = books.get("Invoice", invoice_id)
    if invoice is None:
        return
    applied, payment_ids = applied_to_invoice(books, invoice_id)
    balance = money(invoice.get("TotalAmt", 0)) - applied
    linked = [{"TxnId": pid, "TxnType": "Payment"} for pid in payment_ids]
    if invoice.get("Balance") == num(balance) and invoice.get("LinkedTxn", []) == linked:
        return
    invoice["Balance"] = num(balance)
    invoice["LinkedTxn"] = linked
    books.save("Invoice", invoice, "Update")


@register
class InvoiceRules(Rules):
    entity = "Invoice"
    kind = "txn"
    voidable = True
    readonly = Rules.readonly + ("TotalAmt", "Balance", "LinkedTxn", "HomeBalance")
    filterable = COMMON_FILTERS + (
        "DocNumber",
        "TxnDate",
        "DueDate",
        "CustomerRef",
        "TotalAmt",
        "Balance",
    )

    def prepare(self, books, obj, old):
        if old and old.get("_voided"):
            raise faults.business("A voided transaction cannot be changed.")
        customer = books.ref(obj, "CustomerRef", "Customer", required=True)
        total = build_lines(books, obj, old)
        if not has_sales_line(obj):
            raise faults.required("Line")
        if not obj.get("DocNumber"):
            obj["DocNumber"] = (
                old.get("DocNumber") if old else books.store.next_doc_number(books.realm_id)
            )
        obj.setdefault("TxnDate", books.today())
        obj.setdefault("DueDate", obj["TxnDate"])
        for addr in ("BillAddr", "ShipAddr"):
            if not obj.get(addr) and customer.get(addr):
                obj[addr] = customer[addr]
        if not obj.get("BillEmail") and (customer.get("PrimaryEmailAddr") or {}).get("Address"):
            obj["BillEmail"] = {"Address": customer["PrimaryEmailAddr"]["Address"]}
        applied, payment_ids = applied_to_invoice(books, obj["Id"]) if old else (Decimal("0"), [])
        if total < applied:
            raise faults.business(
                "The invoice total cannot be less than the payments applied to it.", element="Line"
            )
        obj["TotalAmt"] = num(total)
        obj["Balance"] = num(total - applied)
        obj["LinkedTxn"] = [{"TxnId": pid, "TxnType": "Payment"} for pid in payment_ids]
        with_subtotal(obj, total)
        obj.setdefault("EmailStatus", "NotSet")
        obj.setdefault("PrintStatus", "NotSet")
        obj.setdefault("CurrencyRef", dict(USD))
        return obj

    def contributions(self, books, obj):
        return ledger.invoice(books, obj)

    def before_delete(self, books, obj):
        if obj.get("LinkedTxn"):
            raise faults.business(
                "This invoice has payments applied. Delete or void the payments first.",
            )

    def void(self, books, obj):
        if obj.get("LinkedTxn"):
            raise faults.business(
                "This invoice has payments applied. Delete or void the payments first."
            )
        for line in obj.get("Line", []):
            line["Amount"] = 0.0
            detail = line.get("SalesItemLineDetail")
            if detail:
                detail["Qty"] = 0
                detail.pop("UnitPrice", None)
        obj["TotalAmt"] = 0.0
        obj["Balance"] = 0.0
        return obj


@register
class RefundReceiptRules(Rules):
    entity = "RefundReceipt"
    kind = "txn"
    readonly = Rules.readonly + ("TotalAmt", "Balance")
    filterable = COMMON_FILTERS + (
        "DocNumber",
        "TxnDate",
        "CustomerRef",
        "TotalAmt",
        "DepositToAccountRef",
    )

    def contributions(self, books, obj):
        return ledger.refund(books, obj)

    def prepare(self, books, obj, old):
        books.ref(obj, "CustomerRef", "Customer")
        account = books.ref(obj, "DepositToAccountRef", "Account", required=True)
        if account.get("AccountType") not in ("Bank", "Other Current Asset"):
            raise faults.business(
                "DepositToAccountRef must be a Bank or Other Current Asset account.",
                element="DepositToAccountRef",
            )
        total = build_lines(books, obj, old)
        if not has_sales_line(obj):
            raise faults.required("Line")
        if not obj.get("DocNumber"):
            obj["DocNumber"] = (
                old.get("DocNumber") if old else books.store.next_doc_number(books.realm_id)
            )
        obj.setdefault("TxnDate", books.today())
        obj["TotalAmt"] = num(total)
        obj["Balance"] = 0.0
        with_subtotal(obj, total)
        obj.setdefault("CurrencyRef", dict(USD))
        return obj
