"""The rest of the pages and fragments at a firm's real size: the same budget as the lists.

Usage: .venv/bin/python bench/fragments.py [--size 100000] [--databases sqlite postgresql]
                                           [--repeat 40] [--keep DIR [--reuse]]

On the database bench/pages.py seeds (`seed-demo --payments N`; --keep/--reuse share its
files), one client is given 2,000 open invoices, then each of these is requested `--repeat`
times through Flask's test client, signed in as the demo owner, as htmx asks for it: the Settings
pages, the Record payment dialog, its invoice list for that client of 2,000 invoices, one
payment's row and its sync history, and the Payments poller watching 50 pending rows with no
change. It prints p50/p95 and SQL statements per request. Goal: the 30 ms of the list pages.
"""

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from machine import describe_machine  # noqa: E402
from pages import SignedIn, percentile_95, postgres_reachable, prepare  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402

from webapp.demo.seed import DEMO_EMAIL  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import (  # noqa: E402
    ClientAccount,
    Invoice,
    InvoiceStatus,
    Payment,
    SyncStatus,
    User,
)

BIG_CLIENT = "Bench Client With 2,000 Invoices"
BIG_INVOICES = 2_000
HX = {"HX-Request": "true"}


def big_client(site: SignedIn) -> int:
    """The id of a client of the demo firm with 2,000 open invoices (added on first use)."""
    with site.app.app_context():
        user = db.session.execute(select(User).filter_by(email=DEMO_EMAIL)).scalar_one()
        client_id = db.session.scalar(
            select(ClientAccount.id).filter_by(firm_id=user.firm_id, display_name=BIG_CLIENT)
        )
        if client_id is not None:
            return client_id
        client = ClientAccount(firm_id=user.firm_id, display_name=BIG_CLIENT, active=True)
        db.session.add(client)
        db.session.flush()
        first = date(2025, 1, 1)
        db.session.execute(
            insert(Invoice),
            [
                {
                    "firm_id": user.firm_id,
                    "client_id": client.id,
                    "number": f"BIG-{n:05d}",
                    "issue_date": first + timedelta(days=n % 700),
                    "due_date": first + timedelta(days=n % 700 + 30),
                    "total": Decimal("250.00"),
                    "balance": Decimal("250.00"),
                    "status": InvoiceStatus.UNPAID,
                    "qbo_status": SyncStatus.NOT_SYNCED,
                }
                for n in range(BIG_INVOICES)
            ],
        )
        db.session.commit()
        return client.id


def targets(site: SignedIn, client_id: int) -> list[tuple[str, str]]:
    with site.app.app_context():
        payments = db.session.scalars(
            select(Payment).order_by(Payment.id).limit(50).options(selectinload(Payment.refunds))
        ).all()
        # What the page shows of each row, as its poller sends it: nothing has changed since.
        watch = "&".join(f"watch={p.id}%3A{quote(p.qbo_watch_state)}" for p in payments)
        one = payments[0].id
    return [
        ("Settings › QuickBooks", "/settings/integrations/quickbooks"),
        ("Settings › Preferences", "/settings/preferences"),
        ("Record payment dialog", "/billing/payments/new"),
        (
            f"its invoices, {BIG_INVOICES:,} open",
            f"/billing/payments/new/invoices?client_id={client_id}",
        ),
        ("one payment's row", f"/billing/payments/{one}/row"),
        ("one payment's sync history", f"/billing/payments/{one}/history"),
        ("poll, 50 rows, no change", f"/billing/payments/poll?{watch}"),
    ]


def measure(site: SignedIn, pages, repeat: int) -> list[tuple[str, float, float, str, int]]:
    results = []
    for name, url in pages:
        timings, statements = [], set()
        for round_ in range(repeat + 3):  # 3 to warm
            site.counter.count = 0
            started = time.perf_counter()
            response = site.client.get(url, headers=HX)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code in (200, 204, 286), (url, response.status_code)
            if round_ >= 3:
                timings.append(elapsed)
                statements.add(site.counter.count)
        results.append(
            (
                name,
                statistics.median(timings),
                percentile_95(timings),
                "/".join(map(str, sorted(statements))),
                response.status_code,
            )
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--keep", type=Path, help="keep the SQLite files here (and PG databases)")
    parser.add_argument("--reuse", action="store_true", help="with --keep: reuse seeded databases")
    options = parser.parse_args()
    logging.getLogger("webapp.requests").setLevel(logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="ledgerbridge-fragments-") as tmp:
        folder = options.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for database in options.databases:
            if database == "postgresql" and not postgres_reachable():
                print("PostgreSQL does not answer: skipped (BENCH_POSTGRES_URL)")
                continue
            url, seed_seconds = prepare(
                database, options.size, folder, options.reuse and options.keep
            )
            if seed_seconds is not None:
                print(
                    f"{database}: seed-demo --payments {options.size:,} took {seed_seconds:.1f} s"
                )
            site = SignedIn(url, DEMO_EMAIL)
            results = measure(site, targets(site, big_client(site)), options.repeat)
            site.close()
            print(f"\n== {database}, {options.size:,} payments, as htmx asks (HX-Request)")
            print(f"{'page or fragment':<36}{'p50 ms':>8}{'p95 ms':>8}{'SQL':>5}{'status':>8}")
            for name, p50, p95, sql, status in results:
                print(f"{name:<36}{p50:>8.1f}{p95:>8.1f}{sql:>5}{status:>8}")
    print(describe_machine())


if __name__ == "__main__":
    main()
