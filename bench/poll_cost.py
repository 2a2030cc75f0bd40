"""Cost of the page poller: one request for all watched rows, whatever their number.

Usage: .venv/bin/python bench/poll_cost.py [--payments 2000] [--repeat 30]

Seeds the demo firm on a temporary SQLite database, puts 500 payments (and 500 invoices) in
Syncing…, then calls the poll endpoints through Flask's test client (in process, no network)
with 1, 50 and 500 watched rows: once when nothing changed (204: polling goes on) and once when
every watched row changed (the rows come back as out-of-band swaps). It prints the median and
95th-percentile time per request and the number of SQL statements each request ran.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import url_for  # noqa: E402
from machine import describe_machine  # noqa: E402
from sqlalchemy import event, select, update  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.demo.seed import DEMO_EMAIL, seed_demo  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Invoice, Payment, SyncStatus, User  # noqa: E402

WATCHED = (1, 50, 500)
ENDPOINTS = (("billing.payments_poll", Payment), ("billing.invoices_poll", Invoice))


class QueryCounter:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.count += 1


def measure(client, url: str, counter: QueryCounter, repeat: int):
    timings, queries, status, size = [], set(), None, 0
    for _ in range(repeat):
        counter.count = 0
        started = time.perf_counter()
        response = client.get(url, headers={"HX-Request": "true"})
        timings.append((time.perf_counter() - started) * 1000)
        queries.add(counter.count)
        status, size = response.status_code, len(response.data)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return status, statistics.median(timings), p95, "/".join(map(str, sorted(queries))), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=30)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ledgerbridge-poll-") as tmp:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'poll.db'}", "TESTING": True}
        )
        with app.app_context():
            db.create_all()
            seed_demo(payments=options.payments, invoices=options.payments, clients=300)
            user = db.session.execute(select(User).filter_by(email=DEMO_EMAIL)).scalar_one()
            session_id = user.get_id()  # "<id>:<session token>", as Flask-Login stores it
            pending = {}
            for _, model in ENDPOINTS:
                ids = (
                    db.session.execute(select(model.id).order_by(model.id).limit(max(WATCHED)))
                    .scalars()
                    .all()
                )
                db.session.execute(
                    update(model).where(model.id.in_(ids)).values(qbo_status=SyncStatus.SYNCING)
                )
                pending[model] = ids
            db.session.commit()
            counter = QueryCounter(db.engine)

        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True

        print(f"{'endpoint':<24}{'watched':>8}  {'case':<13}{'status':>6}{'median ms':>11}"
              f"{'p95 ms':>9}{'SQL':>6}{'bytes':>9}")  # fmt: skip
        for endpoint, model in ENDPOINTS:
            with app.test_request_context():
                base = url_for(endpoint)
            for n in WATCHED:
                ids = pending[model][:n]
                for case, sent in (("no change", "syncing"), ("all changed", "not_synced")):
                    query = "&".join(f"watch={i}:{sent}" for i in ids)
                    status, median, p95, queries, size = measure(
                        client, f"{base}?{query}", counter, options.repeat
                    )
                    print(f"{base:<24}{n:>8}  {case:<13}{status:>6}{median:>11.1f}{p95:>9.1f}"
                          f"{queries:>6}{size:>9,}")  # fmt: skip
    print("SQL counts every statement of the request, including loading the signed-in user.")
    print(describe_machine())


if __name__ == "__main__":
    main()
