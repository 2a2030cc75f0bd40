"""Time of the Reconciliation page for a firm of 5,000 payments, from the local copy only.

Usage: .venv/bin/python bench/reconciliation.py [--payments 5000] [--repeat 5]

Seeds the demo firm on a temporary SQLite database (its invoices, payments and refunds, none
synced), marks most rows Synced and a few Changed or Deleted in QuickBooks, then asks for the
page through Flask's test client for the whole year, all clients: no call to QuickBooks is
possible (none is configured). Prints the median time per request and the mismatches listed.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from machine import describe_machine  # noqa: E402
from sqlalchemy import select, update  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.demo.seed import DEMO_EMAIL, seed_demo  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Invoice, Payment, RemoteState, SyncStatus, User  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ledgerbridge-recon-") as tmp:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'recon.db'}", "TESTING": True}
        )
        with app.app_context():
            db.create_all()
            seed_demo(payments=options.payments, invoices=options.payments, clients=300)
            for model in (Invoice, Payment):
                db.session.execute(
                    update(model).values(
                        qbo_status=SyncStatus.SYNCED, qbo_id=model.id, qbo_realm_id="1"
                    )
                )
            # A few rows QuickBooks disagrees about: every 100th payment changed, every 250th gone.
            changed = [{"field": "amount", "label": "Amount", "ours": "1.00", "theirs": "0.50"}]
            db.session.execute(
                update(Payment)
                .where(Payment.id % 100 == 0)
                .values(qbo_remote_state=RemoteState.CHANGED, qbo_remote_diff=changed)
            )
            db.session.execute(
                update(Payment)
                .where(Payment.id % 250 == 0)
                .values(qbo_remote_state=RemoteState.DELETED, qbo_status=SyncStatus.NOT_SYNCED)
            )
            db.session.commit()
            user = db.session.execute(select(User).filter_by(email=DEMO_EMAIL)).scalar_one()
            session_id = user.get_id()
            year = db.session.execute(select(db.func.max(Payment.received_on))).scalar_one().year
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
        timings, body = [], ""
        for _ in range(options.repeat):
            started = time.perf_counter()
            response = client.get(f"/reconciliation/?start={year - 1}-01-01&end={year}-12-31")
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
            body = response.get_data(as_text=True)
    print(describe_machine())
    print(f"firm: {options.payments:,} payments and {options.payments:,} invoices over 300 clients")
    print(f"Reconciliation page, two years, all clients: median {statistics.median(timings):.2f} s")
    print(f"  over {options.repeat} requests; {body.count('</tr>'):,} table rows rendered")


if __name__ == "__main__":
    main()
