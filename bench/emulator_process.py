"""The QBO emulator as its own process (`python -m qbo_emulator`), driven over its control API.

The chaos bench restarts it, sets its faults and reads its books over HTTP, as an operator
would; benches that only need an emulator in process use qbo_emulator.testing.EmulatorServer.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


class EmulatorControl:
    """The emulator's control API over HTTP (qbo_emulator/control_api.py)."""

    def __init__(self, url: str):
        self.url = url
        self.api = f"{url}/_emulator/api"

    def _call(self, method: str, path: str, **kwargs):
        response = requests.request(method, f"{self.api}{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def create_company(self, name: str) -> str:
        return self._call("POST", "/companies", json={"name": name})["realmId"]

    def set_faults(self, realm: str, **faults) -> dict:
        return self._call("POST", f"/companies/{realm}/faults", json=faults)

    def clear_faults(self, realm: str) -> None:
        self._call("DELETE", f"/companies/{realm}/faults")

    def entities(self, realm: str, entity: str) -> list[dict]:
        return self._call("GET", f"/companies/{realm}/entities/{entity}")

    def issue_tokens(self, client_id: str, realm: str) -> dict:
        return self._call("POST", f"/companies/{realm}/tokens", json={"client_id": client_id})


class Emulator:
    """`python -m qbo_emulator` on a free port, with its data in `directory`."""

    def __init__(self, directory: Path):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        args = [sys.executable, "-m", "qbo_emulator", "--host", "127.0.0.1", "--port", str(port)]
        args += ["--data", str(directory / "emulator.db")]
        self.process = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.control = EmulatorControl(self.url)
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{self.api_root}/companies", timeout=1)
                return
            except requests.RequestException:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the QBO emulator did not start") from None
                time.sleep(0.1)

    @property
    def api_root(self) -> str:
        return self.control.api

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
