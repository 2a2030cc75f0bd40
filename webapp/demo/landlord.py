"""The one failure the demo shows, produced for real: a client whose name a vendor already has.

Evergreen Property Management is one of the demo firm's clients and also its landlord: the firm
pays it the office rent, so the firm's QuickBooks company lists it as a vendor. QuickBooks keeps
customers, vendors and employees in one list of names, so syncing that client is refused with
6240, Duplicate Name Exists Error. On the demo's first run the vendor is entered in the emulator's
demo company through the Accounting API, as the firm's bookkeeper entered it in QuickBooks long
ago; the tour then syncs the client with its row action like the others, and the Failed row that
follows carries QuickBooks' own answer. Nothing here runs inside the app: the app only sees the
6240 any QuickBooks company would give it.
"""

import requests

# A client of the demo firm (webapp/demo/names.py) that is also one of its suppliers.
LANDLORD = "Evergreen Property Management"
# The app the emulator registers for the demo (the app's default QBO_CLIENT_ID).
DEMO_APP = "ledgerbridge-demo"
HTTP_TIMEOUT = 15


def _realm_id(emulator_url: str, company: str) -> str | None:
    companies = requests.get(f"{emulator_url}/_emulator/api/companies", timeout=HTTP_TIMEOUT)
    companies.raise_for_status()
    return next((c["realmId"] for c in companies.json() if c["name"] == company), None)


def add_landlord_vendor(emulator_url: str, company: str) -> str | None:
    """Make sure the emulator's `company` has the vendor LANDLORD, as a real company would.

    The control API only hands out an access token (no consent page to click through); the vendor
    is looked up and created with the Accounting API calls an app would make. A company kept from
    an earlier demo may hold the vendor already, or a customer of that name (once a user renamed
    the vendor and synced the client): then nothing is created.

    Returns:
        None when the vendor is there, else why it is not (the tour then does not sync LANDLORD).
    """
    realm = _realm_id(emulator_url, company)
    if realm is None:
        return f"the emulator has no {company!r}"
    tokens = requests.post(
        f"{emulator_url}/_emulator/api/companies/{realm}/tokens",
        json={"client_id": DEMO_APP},
        timeout=HTTP_TIMEOUT,
    )
    tokens.raise_for_status()
    api = f"{emulator_url}/v3/company/{realm}"
    headers = {
        "Authorization": f"Bearer {tokens.json()['access_token']}",
        "Accept": "application/json",
    }
    found = requests.get(
        f"{api}/query",
        params={"query": f"select * from Vendor where DisplayName = '{LANDLORD}'"},
        headers=headers,
        timeout=HTTP_TIMEOUT,
    )
    found.raise_for_status()
    if found.json()["QueryResponse"].get("Vendor"):
        return None
    created = requests.post(
        f"{api}/vendor",
        json={"DisplayName": LANDLORD, "CompanyName": LANDLORD},
        headers=headers,
        timeout=HTTP_TIMEOUT,
    )
    if created.status_code == 400:
        error = created.json()["Fault"]["Error"][0]
        return f"QuickBooks refused the vendor {LANDLORD!r} ({error['code']} {error['Message']})"
    created.raise_for_status()
    return None
