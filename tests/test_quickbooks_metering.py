"""Calls to QuickBooks counted per company, month and kind: counts add up, whoever writes them."""

from collections import Counter

from webapp.extensions import db
from webapp.quickbooks.metering import add_counts, monthly_counts


def test_counts_add_to_the_months_totals_per_kind(app):
    with app.app_context():
        with db.engine.begin() as conn:
            add_counts(conn, "9130", Counter(query=2, create=1), month="2026-12")
        with db.engine.begin() as conn:  # another job of the same month: added, not replaced
            add_counts(conn, "9130", Counter(query=1, read=4), month="2026-12")
            add_counts(conn, "9130", Counter(query=7), month="2026-11")
            add_counts(conn, "4620", Counter(cdc=1), month="2026-12")
            add_counts(conn, "9130", Counter(), month="2026-12")  # nothing to add

        december = monthly_counts("9130", "2026-12")
        assert december == {"query": 3, "read": 4, "cdc": 0, "create": 1, "update": 0, "delete": 0}
        assert monthly_counts("9130", "2026-11")["query"] == 7
        assert monthly_counts("4620", "2026-12")["cdc"] == 1
