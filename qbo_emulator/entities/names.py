"""Name-list entities (Customer, Item, Account) and the company singletons."""

from __future__ import annotations

from .. import faults
from . import ledger
from .base import REGISTRY, USD, Books, Rules, register

COMMON_FILTERS = ("Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime")
ACCOUNT_CLASSIFICATION = {
    "Bank": "Asset",
    "Accounts Receivable": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Other Current Liability": "Liability",
    "Long Term Liability": "Liability",
    "Equity": "Equity",
    "Income": "Revenue",
    "Other Income": "Revenue",
    "Cost of Goods Sold": "Expense",
    "Expense": "Expense",
    "Other Expense": "Expense",
}
FORBIDDEN = (":", "\t", "\n")


def _check_name_chars(obj: dict, fields) -> None:
    for field in fields:
        value = obj.get(field)
        if isinstance(value, str) and any(ch in value for ch in FORBIDDEN):
            raise faults.business(
                f"{field} cannot contain a colon (:), tab or newline.", element=field
            )


def _unique(books: Books, entities, field: str, value: str, own_id) -> None:
    """Refuse a name another live object already has (trimmed, case-insensitive), via the index."""
    for entity in entities:
        if entity not in REGISTRY:
            continue
        if any(str(other["Id"]) != str(own_id) for other in books.find(entity, field, value)):
            raise faults.duplicate_name()


NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
# Customers, vendors and employees share one list of names in QuickBooks.
PEOPLE = ("Customer", "Vendor", "Employee")


def _display_name(books: Books, obj: dict) -> None:
    """DisplayName given, or built from the name parts; checked and unique across PEOPLE."""
    if not (obj.get("DisplayName") or "").strip():
        parts = [str(obj[p]).strip() for p in NAME_PARTS if obj.get(p)]
        if not parts:
            raise faults.required("DisplayName")
        obj["DisplayName"] = " ".join(parts)
    obj["DisplayName"] = obj["DisplayName"].strip()
    if len(obj["DisplayName"]) > 500:
        raise faults.business("DisplayName is longer than 500 characters.", element="DisplayName")
    _check_name_chars(obj, ("DisplayName", "PrintOnCheckName") + NAME_PARTS)
    _unique(books, PEOPLE, "DisplayName", obj["DisplayName"], obj.get("Id"))


@register
class CustomerRules(Rules):
    entity = "Customer"
    readonly = Rules.readonly + ("Balance", "BalanceWithJobs", "FullyQualifiedName")
    computed = ("Balance",)
    filterable = COMMON_FILTERS + (
        "DisplayName",
        "GivenName",
        "FamilyName",
        "MiddleName",
        "CompanyName",
        "PrimaryEmailAddr",
        "PrimaryPhone",
        "Active",
        "Balance",
        "FullyQualifiedName",
        "Job",
    )

    def prepare(self, books, obj, old):
        _display_name(books, obj)
        email = (obj.get("PrimaryEmailAddr") or {}).get("Address")
        if email is not None and (
            "@" not in email or "." not in email.split("@")[-1] or len(email) > 100
        ):
            raise faults.business(
                "Email Address does not conform to the syntax rules of RFC 822.",
                element="PrimaryEmailAddr",
            )
        parent = books.ref(obj, "ParentRef", "Customer")
        obj["Job"] = parent is not None
        obj["FullyQualifiedName"] = (
            f"{parent['FullyQualifiedName']}:{obj['DisplayName']}" if parent else obj["DisplayName"]
        )
        obj.setdefault("Active", True)
        obj.setdefault("BillWithParent", False)
        obj.setdefault("Taxable", False)
        if old and old.get("CurrencyRef"):
            obj["CurrencyRef"] = old["CurrencyRef"]
        obj.setdefault("CurrencyRef", dict(USD))
        return obj

    def decorate(self, books, objs):
        balances = ledger.balances_of(books, "Customer", objs)
        for obj in objs:
            balance = balances[str(obj["Id"])]
            obj["Balance"] = float(balance)
            obj["BalanceWithJobs"] = float(balance)
        return objs


@register
class ItemRules(Rules):
    entity = "Item"
    readonly = Rules.readonly + ("FullyQualifiedName",)
    filterable = COMMON_FILTERS + ("Name", "Type", "Active", "Sku", "FullyQualifiedName")
    TYPES = ("Inventory", "Service", "NonInventory", "Category")

    def prepare(self, books, obj, old):
        name = (obj.get("Name") or "").strip()
        if not name:
            raise faults.required("Name")
        if len(name) > 100:
            raise faults.business("Name is longer than 100 characters.", element="Name")
        _check_name_chars(obj, ("Name",))
        obj["Name"] = name
        if not obj.get("Type"):
            raise faults.required("Type")
        if obj["Type"] not in self.TYPES:
            raise faults.QBOFault(
                "2170", "Invalid Enumeration", f"Invalid Type : {obj['Type']}", "Type"
            )
        _unique(books, ("Item",), "Name", name, obj.get("Id"))
        books.ref(
            obj, "IncomeAccountRef", "Account", required=obj["Type"] in ("Service", "Inventory")
        )
        books.ref(obj, "ExpenseAccountRef", "Account")
        obj["FullyQualifiedName"] = name
        obj.setdefault("Active", True)
        obj.setdefault("Taxable", False)
        return obj


@register
class AccountRules(Rules):
    entity = "Account"
    computed = ("CurrentBalance",)
    readonly = Rules.readonly + (
        "CurrentBalance",
        "CurrentBalanceWithSubAccounts",
        "FullyQualifiedName",
        "Classification",
    )
    filterable = COMMON_FILTERS + (
        "Name",
        "AccountType",
        "AccountSubType",
        "Active",
        "Classification",
        "CurrentBalance",
        "FullyQualifiedName",
        "AcctNum",
        "SubAccount",
    )

    def prepare(self, books, obj, old):
        name = (obj.get("Name") or "").strip()
        if not name:
            raise faults.required("Name")
        _check_name_chars(obj, ("Name",))
        obj["Name"] = name
        if not obj.get("AccountType") and not obj.get("AccountSubType"):
            raise faults.QBOFault(
                "6010", "Invalid account type", "AccountType or AccountSubType must be specified"
            )
        if obj.get("AccountType") and obj["AccountType"] not in ACCOUNT_CLASSIFICATION:
            raise faults.QBOFault(
                "2170",
                "Invalid Enumeration",
                f"Invalid AccountType : {obj['AccountType']}",
                "AccountType",
            )
        obj.setdefault("AccountType", "Other Current Asset")
        _unique(books, ("Account",), "Name", name, obj.get("Id"))
        obj["Classification"] = ACCOUNT_CLASSIFICATION[obj["AccountType"]]
        obj["FullyQualifiedName"] = name
        obj.setdefault("SubAccount", False)
        obj.setdefault("Active", True)
        obj.setdefault("CurrencyRef", dict(USD))
        return obj

    def decorate(self, books, objs):
        balances = ledger.balances_of(books, "Account", objs)
        for obj in objs:
            balance = float(balances[str(obj["Id"])])
            obj["CurrentBalance"] = balance
            obj["CurrentBalanceWithSubAccounts"] = balance
        return objs


@register
class CompanyInfoRules(Rules):
    entity = "CompanyInfo"
    kind = "singleton"
    filterable = COMMON_FILTERS + ("CompanyName",)

    def prepare(self, books, obj, old):
        if not (obj.get("CompanyName") or "").strip():
            raise faults.required("CompanyName")
        return obj


@register
class PreferencesRules(Rules):
    entity = "Preferences"
    kind = "singleton"
    filterable = COMMON_FILTERS


@register
class VendorRules(Rules):
    """A supplier of the company: a name in the same list as customers and employees.

    Minimal: names, contact fields and Active are stored as sent; no bills, terms or 1099 checks.
    """

    entity = "Vendor"
    filterable = COMMON_FILTERS + (
        "DisplayName",
        "GivenName",
        "FamilyName",
        "CompanyName",
        "PrimaryEmailAddr",
        "Active",
    )

    def prepare(self, books, obj, old):
        _display_name(books, obj)
        obj.setdefault("Active", True)
        if old and old.get("CurrencyRef"):
            obj["CurrencyRef"] = old["CurrencyRef"]
        obj.setdefault("CurrencyRef", dict(USD))
        return obj
