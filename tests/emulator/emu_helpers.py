"""Helpers shared by the emulator tests (kept out of conftest.py so imports are unambiguous)."""

from __future__ import annotations

import base64

DEMO_ID, DEMO_SECRET = "ledgerbridge-demo", "ledgerbridge-demo-secret"


def basic(client_id: str = DEMO_ID, secret: str = DEMO_SECRET) -> dict:
    token = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class Api:
    """Calls /v3/company/<realm>/... on the in-process emulator with a bearer token."""

    def __init__(self, client, control, realm: str, client_id: str = DEMO_ID):
        self.client = client
        self.control = control
        self.realm = realm
        self.client_id = client_id
        self.tokens = control.issue_tokens(client_id, realm)

    def reauth(self) -> None:
        """Get a fresh access token (after a test moved the clock past its hour)."""
        self.tokens = self.control.issue_tokens(self.client_id, self.realm)

    @property
    def headers(self) -> dict:
        return {
            "Authorization": f"Bearer {self.tokens['access_token']}",
            "Accept": "application/json",
        }

    def url(self, path: str) -> str:
        return f"/v3/company/{self.realm}/{path}"

    def get(self, path: str, **params):
        return self.client.get(self.url(path), query_string=params, headers=self.headers)

    def post(self, path: str, body=None, **params):
        return self.client.post(
            self.url(path), json=body, query_string=params, headers=self.headers
        )

    def query(self, text: str):
        return self.get("query", query=text, minorversion=75)

    def q(self, text: str) -> dict:
        """Run a query that must succeed; return its QueryResponse."""
        return self.ok(self.query(text))["QueryResponse"]

    def ok(self, response, entity: str | None = None):
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.json[entity] if entity else response.json

    def customer(self, name: str = "Acme Dental LLC", **fields) -> dict:
        return self.ok(self.post("customer", {"DisplayName": name, **fields}), "Customer")

    def invoice(self, customer_id: str, *amounts, **fields) -> dict:
        lines = [
            {
                "Amount": amount,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": amount},
            }
            for amount in (amounts or (450,))
        ]
        body = {"CustomerRef": {"value": customer_id}, "Line": lines, **fields}
        return self.ok(self.post("invoice", body), "Invoice")

    def payment(self, customer_id: str, total, links=(), **fields):
        body = {
            "TotalAmt": total,
            "CustomerRef": {"value": customer_id},
            "Line": [
                {"Amount": amount, "LinkedTxn": [{"TxnId": inv_id, "TxnType": "Invoice"}]}
                for inv_id, amount in links
            ],
            **fields,
        }
        return self.post("payment", body)


def fault_code(response) -> str:
    return response.json["Fault"]["Error"][0]["code"]


class Receiver:
    """A webhook endpoint on a free port that records deliveries and can fail the first N."""

    def __init__(self, fail_first: int = 0):
        import threading

        from werkzeug.serving import make_server
        from werkzeug.wrappers import Request, Response

        self.received: list[tuple[dict, bytes]] = []
        self.fail_left = fail_first
        self.attempts = 0

        @Request.application
        def app(request):
            self.attempts += 1
            if self.fail_left > 0:
                self.fail_left -= 1
                return Response("down", status=503)
            self.received.append((dict(request.headers), request.get_data()))
            return Response("ok")

        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/webhooks/qbo"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[dict, bytes]]:
        import time

        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.received

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def wait_until(predicate, timeout: float = 5.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
