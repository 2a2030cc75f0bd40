"""Benchmark 2: "Send everything to QuickBooks" for a firm's whole backlog, 2 workers.

Usage: .venv/bin/python bench/bulk_backlog.py [--clients 200] [--invoices 1500]
       [--payments 2000] [--refunds 100] [--workers 2]

The whole chain runs (bench/bulk_stack.py) with the emulator enforcing Intuit's limits. The firm
has 200 clients, 1,500 invoices, 2,000 payments (every invoice paid once, 500 of them twice) and
100 refunds, none in QuickBooks. The bench presses "Send everything to QuickBooks" as the Settings
page does and polls the progress panel until the run is finished.

Prints the wall time against the ceiling for that many objects (Intuit allows 40 batch calls of
30 objects a minute: 1,200 objects), the QBO calls of each kind (and 429s), and the peak RSS
of the web and worker processes.
"""

from __future__ import annotations

import argparse
import logging
from datetime import date, timedelta
from decimal import Decimal

from bulk_stack import BulkStack
from machine import describe_machine

from webapp.extensions import db
from webapp.models import (
    ClientAccount,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentMethod,
    Refund,
    SyncStatus,
)

CEILING_PER_MINUTE = 30 * 40


def seed_backlog(stack: BulkStack, clients: int, invoices: int, payments: int, refunds: int):
    today = date.today()
    with stack.app.app_context():
        accounts = [
            ClientAccount(firm_id=stack.firm_id, display_name=f"Backlog Client {n:04d}")
            for n in range(clients)
        ]
        bills = []
        for n in range(invoices):
            amount = Decimal("200.00")
            bills.append(
                Invoice(
                    firm_id=stack.firm_id,
                    client=accounts[n % clients],
                    number=f"BL-{n:06d}",
                    issue_date=today - timedelta(days=60),
                    due_date=today - timedelta(days=30),
                    total=amount,
                    balance=Decimal("0.00"),
                    lines=[InvoiceLine(description="Tax return", unit_price=amount, amount=amount)],
                )
            )
        paid = []
        for n in range(payments):
            invoice = bills[n % invoices]
            twice = payments > invoices and n % invoices < payments - invoices
            paid.append(
                Payment(
                    firm_id=stack.firm_id,
                    client=invoice.client,
                    invoice=invoice,
                    amount=Decimal("100.00") if twice else Decimal("200.00"),
                    received_on=today - timedelta(days=20 - n % 10),
                    method=PaymentMethod.CHECK,
                )
            )
        back = [
            Refund(
                firm_id=stack.firm_id,
                payment=paid[n * (payments // max(refunds, 1))],
                amount=Decimal("25.00"),
                refunded_on=today - timedelta(days=5),
                reason="Overpaid",
            )
            for n in range(refunds)
        ]
        db.session.add_all([*accounts, *bills, *paid, *back])
        db.session.commit()


def counts(stack: BulkStack) -> dict[str, int]:
    with stack.app.app_context():
        return {
            model.__name__: db.session.scalar(
                db.select(db.func.count(model.id)).where(model.qbo_status == SyncStatus.SYNCED)
            )
            for model in (ClientAccount, Invoice, Payment, Refund)
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--invoices", type=int, default=1500)
    parser.add_argument("--payments", type=int, default=2000)
    parser.add_argument("--refunds", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    with BulkStack(workers=options.workers, throttling=True) as stack:
        stack.seed_firm()
        seed_backlog(stack, options.clients, options.invoices, options.payments, options.refunds)
        stack.start_servers()
        stack.sign_in()
        clicked = stack.start_run("everything", {"action": "sync"})
        run, ended = stack.watch()
        synced = counts(stack)
        calls = stack.qbo_calls()
        rss = stack.peak_rss()
        in_qbo = {
            entity: len(
                [
                    o
                    for o in stack.emulator.control.entities(stack.realm_id, entity)
                    if o.get("status") != "Deleted"
                ]
            )
            for entity in ("Customer", "Invoice", "Payment", "RefundReceipt")
        }

    wall = (run.finished_at - run.started_at).total_seconds()
    ceiling = run.total * 60 / CEILING_PER_MINUTE
    print(describe_machine())
    print(
        f"backlog: {options.clients} clients, {options.invoices} invoices, {options.payments} "
        f"payments, {options.refunds} refunds; {options.workers} workers; emulator throttling on; SQLite"
    )
    print(f"result: {run.done} done, {run.failed} failed of {run.total}; Synced {synced}")
    print(f"in QBO: {in_qbo}")
    print(
        f"wall time: {wall:.1f} s (run start to finish), {ended - clicked:.1f} s click to panel "
        f"'Finished'; ceiling for {run.total:,} objects: {ceiling:.0f} s "
        f"({run.total * 60 / wall:,.0f} objects/min = {ceiling / wall:.0%} of the ceiling)"
    )
    print("QBO calls: " + ", ".join(f"{k} {v}" for k, v in sorted(calls.items())))
    print(f"peak RSS: web {rss['web']:.0f} MB, worker {rss['workers']:.0f} MB")


if __name__ == "__main__":
    main()
