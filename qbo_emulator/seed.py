"""Company creation and the chart of accounts every new company starts with."""

from __future__ import annotations

import secrets

from .clock import qbo_datetime

DEMO_COMPANY = "Demo Sandbox Company"
USD = {"value": "USD", "name": "United States Dollar"}

# Ids follow Intuit's sample company where its API reference shows them (Undeposited Funds 4,
# Checking 35, Services item 1); the others are the emulator's choice.
SEED_ACCOUNTS = [
    ("4", "Undeposited Funds", "Other Current Asset", "UndepositedFunds", "Asset"),
    ("35", "Checking", "Bank", "Checking", "Asset"),
    ("36", "Savings", "Bank", "Savings", "Asset"),
    ("37", "Petty Cash", "Other Current Asset", "OtherCurrentAssets", "Asset"),
    ("84", "Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", "Asset"),
    ("79", "Services", "Income", "ServiceFeeIncome", "Revenue"),
    ("8", "Bank Charges", "Expense", "BankCharges", "Expense"),
    ("15", "Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses", "Expense"),
]


def new_realm_id() -> str:
    return "9" + "".join(secrets.choice("0123456789") for _ in range(18))


def _meta(now) -> dict:
    stamp = qbo_datetime(now)
    return {"CreateTime": stamp, "LastUpdatedTime": stamp}


def seed_entities(store, realm_id: str, name: str) -> None:
    """Insert the starting accounts, the Services item, CompanyInfo and Preferences."""
    now = store.clock.now()
    with store.tx():
        for acc_id, acc_name, acc_type, sub_type, classification in SEED_ACCOUNTS:
            store.put(
                realm_id,
                "Account",
                {
                    "Name": acc_name,
                    "SubAccount": False,
                    "FullyQualifiedName": acc_name,
                    "Active": True,
                    "Classification": classification,
                    "AccountType": acc_type,
                    "AccountSubType": sub_type,
                    "CurrencyRef": dict(USD),
                    "domain": "QBO",
                    "sparse": False,
                    "Id": acc_id,
                    "SyncToken": "0",
                    "MetaData": _meta(now),
                },
            )
        store.put(
            realm_id,
            "Item",
            {
                "Name": "Services",
                "FullyQualifiedName": "Services",
                "Active": True,
                "Type": "Service",
                "Taxable": False,
                "UnitPrice": 0,
                "IncomeAccountRef": {"value": "79", "name": "Services"},
                "domain": "QBO",
                "sparse": False,
                "Id": "1",
                "SyncToken": "0",
                "MetaData": _meta(now),
            },
        )
        store.put(
            realm_id,
            "CompanyInfo",
            {
                "CompanyName": name,
                "LegalName": name,
                "Country": "US",
                "CompanyAddr": {
                    "Line1": "2600 Marine Way",
                    "City": "Mountain View",
                    "PostalCode": "94043",
                },
                "SupportedLanguages": "en",
                "FiscalYearStartMonth": "January",
                "domain": "QBO",
                "sparse": False,
                "Id": "1",
                "SyncToken": "0",
                "MetaData": _meta(now),
            },
        )
        store.put(
            realm_id,
            "Preferences",
            {
                "AccountingInfoPrefs": {"TrackDepartments": False, "ClassTrackingPerTxn": False},
                "SalesFormsPrefs": {"CustomTxnNumbers": False, "AllowDeposit": False},
                "CurrencyPrefs": {"MultiCurrencyEnabled": False, "HomeCurrency": {"value": "USD"}},
                "domain": "QBO",
                "sparse": False,
                "Id": "1",
                "SyncToken": "0",
                "MetaData": _meta(now),
            },
        )


def create_company(store, name: str, realm_id: str | None = None) -> str:
    """Create and seed a company; return its realm id."""
    name = (name or "").strip() or "Sandbox Company"
    realm_id = realm_id or new_realm_id()
    with store.tx():
        store.execute(
            "INSERT INTO companies (realm_id, name, created_at) VALUES (?,?,?)",
            (realm_id, name, store.now_iso()),
        )
        seed_entities(store, realm_id, name)
    return realm_id


def reset_company(store, realm_id: str) -> None:
    """Return a company to its starting state (seed data only, no faults)."""
    with store.tx():
        name = store.company(realm_id)["name"]
        store.wipe_company(realm_id)
        store.execute(
            "DELETE FROM webhook_events WHERE realm_id = ? AND status = 'pending'", (realm_id,)
        )
        seed_entities(store, realm_id, name)
