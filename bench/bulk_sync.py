"""Benchmark 1: 1,000 payments through "Select all N matching" + "Sync selected", 2 workers.

Usage: .venv/bin/python bench/bulk_sync.py [--payments 1000] [--workers 2] [--latency-ms 0]

The whole chain runs (bench/bulk_stack.py): gunicorn, `python worker.py` x 2, Redis, the QBO
emulator with Intuit's limits enforced (500 requests and 40 batch calls in any 60 s, 10 a second,
10 at once) and its default latency (none). 100 clients with 10 invoices each are synced first
(not measured), then the limits' windows are left to empty (61 s), then the bench starts "Sync
selected" on every payment as the browser does and polls the progress panel once a second.

Prints the wall time (the run's own start and finish in the database, and click to panel
"Finished"), objects per minute against Intuit's ceiling (30 objects x 40 batch calls = 1,200 a
minute), the QBO calls of each kind and how many QuickBooks answered 429, and the peak RSS of the
web and worker processes. Target: >= 90 % of the ceiling (1,000 payments in <= 56 s).
"""

from __future__ import annotations

import argparse
import logging
import time
from datetime import date, timedelta
from decimal import Decimal

from bulk_stack import BulkStack
from machine import describe_machine

from webapp.extensions import db
from webapp.models import ClientAccount, Invoice, InvoiceLine, Payment, PaymentMethod, SyncStatus

CEILING_PER_MINUTE = 30 * 40


def seed_rows(stack: BulkStack, payments: int, per_client: int = 10) -> None:
    """`payments` invoices (10 per client), one payment each; nothing synced yet."""
    today = date.today()
    with stack.app.app_context():
        rows = []
        for c in range(payments // per_client):
            client = ClientAccount(firm_id=stack.firm_id, display_name=f"Bench Client {c:04d}")
            rows.append(client)
            for i in range(per_client):
                n = c * per_client + i
                invoice = Invoice(
                    firm_id=stack.firm_id,
                    client=client,
                    number=f"B-{n:06d}",
                    issue_date=today - timedelta(days=30),
                    due_date=today,
                    total=Decimal("100.00"),
                    balance=Decimal("0.00"),
                    lines=[
                        InvoiceLine(
                            description="Monthly bookkeeping",
                            unit_price=Decimal("100.00"),
                            amount=Decimal("100.00"),
                        )
                    ],
                )
                payment = Payment(
                    firm_id=stack.firm_id,
                    client=client,
                    invoice=invoice,
                    amount=Decimal("100.00"),
                    received_on=today - timedelta(days=3),
                    method=PaymentMethod.CHECK,
                )
                rows += [invoice, payment]
        db.session.add_all(rows)
        db.session.commit()


def count_synced(stack: BulkStack, model) -> int:
    with stack.app.app_context():
        return db.session.scalar(
            db.select(db.func.count(model.id)).where(model.qbo_status == SyncStatus.SYNCED)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument(
        "--settle", type=float, default=61, help="seconds to let the limits' windows empty"
    )
    options = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    with BulkStack(workers=options.workers, throttling=False, latency_ms=options.latency_ms) as s:
        s.seed_firm()
        seed_rows(s, options.payments)
        s.start_servers()
        s.sign_in()
        for list_name in ("clients", "invoices"):  # what the payments need, not measured
            s.start_run(list_name, {"action": "sync", "all": "1"})
            s.watch()
        assert count_synced(s, Invoice) == options.payments, "the invoices did not all sync"
        time.sleep(options.settle)  # let the 60 s windows (ours in Redis, the emulator's) empty
        s.emulator.control.set_faults(s.realm_id, throttling=True)
        calls_before = s.qbo_calls()

        clicked = s.start_run("payments", {"action": "sync", "all": "1"})
        run, ended = s.watch()

        calls_after = s.qbo_calls()
        rss = s.peak_rss()
        synced = count_synced(s, Payment)
        in_qbo = [
            p
            for p in s.emulator.control.entities(s.realm_id, "Payment")
            if p.get("status") != "Deleted"
        ]

    wall = (run.finished_at - run.started_at).total_seconds()
    per_minute = run.total * 60 / wall
    calls = {k: calls_after.get(k, 0) - calls_before.get(k, 0) for k in calls_after}
    print(describe_machine())
    print(
        f"bulk sync: {run.total} payments, {options.workers} workers, emulator throttling on, "
        f"latency {options.latency_ms:g} ms, SQLite"
    )
    print(
        f"result: {run.done} done, {run.failed} failed; {synced} Synced; {len(in_qbo)} payments in QBO"
    )
    print(
        f"wall time: {wall:.1f} s (run start to finish); {ended - clicked:.1f} s click to panel 'Finished'"
    )
    print(
        f"objects/minute: {per_minute:,.0f} = {per_minute / CEILING_PER_MINUTE:.0%} of the "
        f"{CEILING_PER_MINUTE:,}/min ceiling (target >= 90 %, i.e. <= "
        f"{run.total * 60 / (0.9 * CEILING_PER_MINUTE):.0f} s)"
    )
    print("QBO calls: " + ", ".join(f"{k} {v}" for k, v in sorted(calls.items()) if v))
    print(
        f"peak RSS: web {rss['web']:.0f} MB, worker {rss['workers']:.0f} MB (target <= 150 MB each)"
    )


if __name__ == "__main__":
    main()
