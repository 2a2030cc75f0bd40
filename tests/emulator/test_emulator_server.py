"""The emulator as a real threaded server: EmulatorServer, the CLI, concurrency, python-quickbooks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from qbo_emulator.clock import FrozenClock, SystemClock
from qbo_emulator.testing import EmulatorServer, free_port

ROOT = Path(__file__).resolve().parents[2]
REDIRECT = "http://localhost:8000/callback"


@pytest.fixture(scope="module")
def emu():
    with EmulatorServer(clock=FrozenClock()) as server:
        yield server


def bearer(emu, realm):
    token = emu.control.issue_tokens("ledgerbridge-demo", realm)["access_token"]
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def test_server_serves_and_restarts_on_the_same_port(emu):
    realm = emu.control.demo_realm_id()
    assert not emu.url.endswith("/")
    headers = bearer(emu, realm)
    assert requests.get(f"{emu.url}/v3/company/{realm}/preferences", headers=headers, timeout=5).ok
    port = emu.port
    emu.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{emu.url}/v3/company/{realm}/preferences", headers=headers, timeout=2)
    emu.start()
    assert emu.port == port
    assert requests.get(f"{emu.url}/v3/company/{realm}/preferences", headers=headers, timeout=5).ok


def test_concurrency_limit_gives_429(emu):
    realm = emu.control.create_company("Busy Co")
    headers = bearer(emu, realm)
    # Long enough that all fourteen calls overlap even on a busy machine.
    emu.control.set_faults(realm, throttling=True, latency_ms=1000)
    url = f"{emu.url}/v3/company/{realm}/preferences"
    with ThreadPoolExecutor(max_workers=14) as pool:
        statuses = list(
            pool.map(
                lambda _: requests.get(url, headers=headers, timeout=10).status_code, range(14)
            )
        )
    assert statuses.count(429) >= 1 and statuses.count(200) >= 10
    emu.control.clear_faults(realm)


def test_control_json_api(emu):
    api = f"{emu.url}/_emulator/api"
    created = requests.post(f"{api}/companies", json={"name": "Json Co"}, timeout=5)
    assert created.status_code == 201
    realm = created.json()["realmId"]
    assert {"realmId": realm, "name": "Json Co"} in requests.get(
        f"{api}/companies", timeout=5
    ).json()
    headers = bearer(emu, realm)
    base = f"{emu.url}/v3/company/{realm}"
    customer = requests.post(
        f"{base}/customer", json={"DisplayName": "C"}, headers=headers, timeout=5
    ).json()
    payment = requests.post(
        f"{base}/payment?requestid=r1",
        json={"TotalAmt": 5, "CustomerRef": {"value": customer["Customer"]["Id"]}},
        headers=headers,
        timeout=5,
    ).json()["Payment"]
    requests.post(
        f"{base}/payment?operation=delete",
        json={"Id": payment["Id"], "SyncToken": "0"},
        headers=headers,
        timeout=5,
    )
    listed = requests.get(f"{api}/companies/{realm}/entities/Payment", timeout=5).json()
    assert [p.get("status") for p in listed] == ["Deleted"]
    log = requests.get(f"{api}/requests", params={"realm": realm}, timeout=5).json()
    assert [(r["method"], r["requestid"], r["status"]) for r in log][1] == ("POST", "r1", 200)
    assert {"method", "path", "requestid", "status"} <= set(log[0])
    assert requests.post(f"{api}/companies/{realm}/reset", timeout=5).ok
    assert requests.get(f"{api}/companies/{realm}/entities/Customer", timeout=5).json() == []
    assert len(requests.get(f"{api}/companies/{realm}/entities/Account", timeout=5).json()) == 8
    advanced = requests.post(f"{api}/clock/advance", json={"seconds": 1}, timeout=5)
    assert advanced.status_code == 200


def test_clock_advance_needs_a_frozen_clock(tmp_path):
    with EmulatorServer(config={"DATABASE": str(tmp_path / "s.db")}, clock=SystemClock()) as server:
        response = requests.post(
            f"{server.url}/_emulator/api/clock/advance", json={"seconds": 5}, timeout=5
        )
        assert response.status_code == 409


def test_python_quickbooks_drives_the_emulator(emu, monkeypatch):
    pytest.importorskip("quickbooks")
    from intuitlib.client import AuthClient
    from quickbooks import QuickBooks
    from quickbooks.objects.customer import Customer

    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    realm = emu.control.create_company("PyQB Co")
    auth = AuthClient(
        "ledgerbridge-demo",
        "ledgerbridge-demo-secret",
        REDIRECT,
        environment=f"{emu.url}/.well-known/openid_configuration",
    )
    consent = requests.post(
        f"{emu.url}/connect/oauth2",
        data={
            "client_id": "ledgerbridge-demo",
            "response_type": "code",
            "scope": "com.intuit.quickbooks.accounting",
            "redirect_uri": REDIRECT,
            "state": "s",
            "realm_id": realm,
            "action": "connect",
        },
        allow_redirects=False,
        timeout=5,
    )
    code = parse_qs(urlparse(consent.headers["Location"]).query)["code"][0]
    auth.get_bearer_token(code, realm_id=realm)
    assert auth.access_token and auth.refresh_token
    qb = QuickBooks(
        auth_client=auth, refresh_token=auth.refresh_token, company_id=realm, minorversion=75
    )
    qb.api_url_v3 = f"{emu.url}/v3"

    customer = Customer()
    customer.DisplayName = "PyQB Customer"
    customer.save(qb=qb)
    assert customer.Id  # pyqb copies only Id back from the response
    fetched = Customer.get(customer.Id, qb=qb)
    assert fetched.DisplayName == "PyQB Customer" and fetched.SyncToken == "0"
    found = Customer.filter(DisplayName="PyQB Customer", qb=qb)
    assert [c.Id for c in found] == [customer.Id]
    assert Customer.count(qb=qb) == 1
    fetched.CompanyName = "PyQB Inc"
    fetched.save(qb=qb)  # a full update carrying SyncToken "0"
    updated = Customer.get(customer.Id, qb=qb)
    assert updated.CompanyName == "PyQB Inc" and updated.SyncToken == "1"
    fetched.CompanyName = "Stale Inc"  # still holds SyncToken "0"
    with pytest.raises(Exception, match="Stale"):
        fetched.save(qb=qb)

    from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
    from quickbooks.objects.invoice import Invoice

    invoice = Invoice()
    line = SalesItemLine()
    line.Amount = 120
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = {"value": "1"}
    invoice.Line.append(line)
    invoice.CustomerRef = customer.to_ref()
    invoice.save(qb=qb)
    invoice = Invoice.get(invoice.Id, qb=qb)
    assert invoice.TotalAmt == 120 and invoice.Balance == 120
    invoice.delete(qb=qb)
    assert [i.get("status") for i in emu.control.entities(realm, "Invoice")] == ["Deleted"]


def test_cli_runs_a_server(tmp_path):
    port = free_port()
    data = tmp_path / "cli.db"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qbo_emulator",
            "--port",
            str(port),
            "--data",
            str(data),
            "--client",
            "my-app:my-secret:http://127.0.0.1:9000/cb",
            "--webhook",
            "my-app:http://127.0.0.1:9000/hooks:tok",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                doc = requests.get(f"{url}/.well-known/openid_configuration", timeout=1).json()
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        assert doc["token_endpoint"] == f"{url}/oauth2/v1/tokens/bearer"
        companies = requests.get(f"{url}/_emulator/api/companies", timeout=2).json()
        assert [c["name"] for c in companies] == ["Demo Sandbox Company"]
        page = requests.get(
            f"{url}/connect/oauth2",
            params={
                "client_id": "my-app",
                "response_type": "code",
                "scope": "com.intuit.quickbooks.accounting",
                "redirect_uri": "http://127.0.0.1:9000/cb",
                "state": "x",
            },
            timeout=2,
        )
        assert page.status_code == 200 and data.exists()
    finally:
        proc.terminate()
        proc.wait(timeout=5)
