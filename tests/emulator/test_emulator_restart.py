"""The emulator as a process: restarted on its data file after a kill, and configured from the environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from qbo_emulator.testing import free_port

ROOT = Path(__file__).resolve().parents[2]


def start(data: Path, port: int, **env) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "qbo_emulator", "--port", str(port), "--data", str(data)],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            requests.get(f"http://127.0.0.1:{port}/_emulator/api/companies", timeout=1)
            return proc
        except requests.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("the emulator did not start")


def test_data_tokens_faults_and_webhooks_survive_a_kill(tmp_path):
    data, port = tmp_path / "emu.db", free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(data, port)
    try:
        realm = requests.post(f"{base}/_emulator/api/companies", json={"name": "Kept"}).json()[
            "realmId"
        ]
        tokens = requests.post(f"{base}/_emulator/api/companies/{realm}/tokens", json={}).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        api = f"{base}/v3/company/{realm}"
        faults = {"throttling": True, "limit_per_minute": 50, "webhook_delay_ms": 10}
        requests.post(f"{base}/_emulator/api/companies/{realm}/faults", json=faults)
        requests.put(
            f"{base}/_emulator/api/apps/ledgerbridge-demo/webhook",
            json={"url": "http://127.0.0.1:9/hook", "verifier_token": "t", "format": "legacy"},
        )
        customer = requests.post(
            f"{api}/customer", json={"DisplayName": "Survivor"}, headers=headers
        ).json()["Customer"]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=5)

    proc = start(data, port)
    try:
        query = "select * from Customer where DisplayName = 'Survivor'"
        found = requests.get(f"{api}/query", params={"query": query}, headers=headers).json()
        assert found["QueryResponse"]["Customer"][0]["Id"] == customer["Id"]
        again = requests.post(f"{api}/customer", json={"DisplayName": "survivor"}, headers=headers)
        assert again.json()["Fault"]["Error"][0]["code"] == "6240"
        assert requests.get(f"{base}/_emulator/api/companies/{realm}/faults").json() == faults
        requests.post(f"{api}/customer", json={"DisplayName": "After"}, headers=headers)
        events = requests.get(f"{base}/_emulator/api/companies/{realm}/webhook-events").json()
        assert [(e["entity"], e["operation"]) for e in events] == [("Customer", "Create")] * 2
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_throttling_for_every_company_from_the_environment(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(tmp_path / "t.db", port, QBO_EMULATOR_THROTTLE="1")
    try:
        realm = requests.get(f"{base}/_emulator/api/companies").json()[0]["realmId"]
        tokens = requests.post(f"{base}/_emulator/api/companies/{realm}/tokens", json={}).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        session = requests.Session()
        statuses = [
            session.get(f"{base}/v3/company/{realm}/preferences", headers=headers).status_code
            for _ in range(30)
        ]
        assert 429 in statuses  # 30 calls: some 11 of them fall within one second
    finally:
        proc.terminate()
        proc.wait(timeout=5)
