"""Cost of one emulator request as the company grows: a payment create and a query, at 100 and 10,000 payments.

Usage: .venv/bin/python bench/emulator_cost.py [--sizes 100 10000] [--requests 300]

For each size it seeds a fresh company in process (that many customers' invoices, each paid by one
payment, plus open invoices to pay during the run), serves the emulator over HTTP on a free port
(throttling off, no latency), then sends, one at a time from one client:
- `create`: POST /payment applied to an open invoice (what syncing a payment does);
- `query`: SELECT * FROM Invoice WHERE DocNumber = ... AND CustomerRef = ... (the duplicate guard);
- `read`: GET /invoice/<id>;
- `batch`: POST /batch of 30 payment creates (what bulk sync sends), reported as objects per second.
It prints requests per second for each, so the figures at 100 and 10,000 can be compared.
"""

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from machine import describe_machine  # noqa: E402

from qbo_emulator.entities import Books  # noqa: E402
from qbo_emulator.testing import EmulatorServer  # noqa: E402

CUSTOMERS_PER_100_PAYMENTS = 10


def payment_body(customer: str, invoice: str) -> dict:
    link = [{"TxnId": invoice, "TxnType": "Invoice"}]
    return {
        "CustomerRef": {"value": customer},
        "TotalAmt": 100,
        "Line": [{"Amount": 100, "LinkedTxn": link}],
    }


def seed(emu, realm: str, payments: int, open_invoices: int) -> list[tuple[str, str, str]]:
    """Create the company's history; return (customer id, invoice id, DocNumber) of open invoices."""
    state = emu.app.extensions["qbo_emulator"]
    books = Books(state.store, realm, state.clock, lambda *args: None)
    customers = max(1, payments * CUSTOMERS_PER_100_PAYMENTS // 100)
    with state.store.tx():
        ids = [
            books.create("Customer", {"DisplayName": f"Customer {n:06d}"})["Id"]
            for n in range(customers)
        ]
        line = {
            "Amount": 100,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": 100},
        }
        opened = []
        for n in range(payments + open_invoices):
            customer = ids[n % customers]
            invoice = books.create("Invoice", {"CustomerRef": {"value": customer}, "Line": [line]})
            if n < payments:
                books.create("Payment", payment_body(customer, invoice["Id"]))
            else:
                opened.append((customer, invoice["Id"], invoice["DocNumber"]))
    return opened


def rate(session, requests_list) -> float:
    started = time.perf_counter()
    for method, url, kwargs in requests_list:
        response = session.request(method, url, timeout=30, **kwargs)
        if response.status_code != 200:
            raise SystemExit(f"{method} {url}: HTTP {response.status_code} {response.text[:300]}")
    return len(requests_list) / (time.perf_counter() - started)


def measure(size: int, count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        config = {"DATABASE": str(Path(tmp) / "emu.db"), "WEBHOOK_BACKGROUND_DELIVERY": False}
        with EmulatorServer(config=config) as emu:
            realm = emu.control.create_company(f"Cost {size}")
            started = time.perf_counter()
            opened = seed(emu, realm, size, count)
            seeded = time.perf_counter() - started
            token = emu.control.issue_tokens("ledgerbridge-demo", realm)["access_token"]
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            base = f"{emu.url}/v3/company/{realm}"
            queries = [
                (
                    "GET",
                    f"{base}/query",
                    {
                        "params": {
                            "query": f"SELECT * FROM Invoice WHERE DocNumber = '{doc}' "
                            f"AND CustomerRef = '{customer}'"
                        }
                    },
                )
                for customer, _, doc in opened
            ]
            reads = [("GET", f"{base}/invoice/{invoice}", {}) for _, invoice, _ in opened]
            half = len(opened) // 2
            creates = [
                ("POST", f"{base}/payment", {"json": payment_body(customer, invoice)})
                for customer, invoice, _ in opened[:half]
            ]
            batches = [
                (
                    "POST",
                    f"{base}/batch",
                    {
                        "json": {
                            "BatchItemRequest": [
                                {
                                    "bId": str(n),
                                    "operation": "create",
                                    "Payment": payment_body(customer, invoice),
                                }
                                for n, (customer, invoice, _) in enumerate(
                                    opened[start : start + 30]
                                )
                            ]
                        }
                    },
                )
                for start in range(half, len(opened) - 29, 30)
            ]
            return {
                "seed_s": seeded,
                "query": rate(session, queries),
                "read": rate(session, reads),
                "create": rate(session, creates),
                "batch_objects": rate(session, batches) * 30,
            }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10000])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    print(describe_machine())
    print(
        f"{args.requests} queries and reads, {args.requests // 2} single creates and "
        f"{args.requests // 2} creates in batches of 30, one call at a time over HTTP, throttling off"
    )
    for size in args.sizes:
        figures = measure(size, args.requests)
        print(
            f"{size:>7,} payments: create {figures['create']:7.1f} req/s, "
            f"query {figures['query']:7.1f} req/s, read {figures['read']:7.1f} req/s, "
            f"batch {figures['batch_objects']:7.1f} objects/s "
            f"(seeded in {figures['seed_s']:.1f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
