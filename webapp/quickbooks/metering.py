"""Count the calls made to each QBO company, per month and kind.

Intuit meters data-out calls (queries, reads, CDC) for apps in its partner program, while
creates, updates and deletes are not metered (docs/quickbooks.md). The Settings page shows the
counts so a firm sees what its sync costs. Each client counts in memory and adds its counts
to the database once, when it is closed, in a transaction of its own.
"""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import QboCallCount, utcnow

log = logging.getLogger(__name__)

KINDS = ("query", "read", "cdc", "create", "update", "delete")
METERED = ("query", "read", "cdc")


def kind_of(method: str, path: str, params: dict | None = None, body=None) -> str:
    """Which kind of call a request is, from its method, path and parameters."""
    head = path.split("/", 1)[0].lower()
    if head == "cdc":
        return "cdc"
    if head == "query":
        return "query"
    if method.upper() == "GET":
        return "read"
    operation = str((params or {}).get("operation") or "").lower()
    if operation == "delete":
        return "delete"
    if operation or (isinstance(body, dict) and body.get("Id")):
        return "update"  # full and sparse updates, voids
    return "create"


class CallMeter:
    """Counts one client's calls; `flush` adds them to the company's monthly totals."""

    def __init__(self, realm_id: str):
        self.realm_id = realm_id
        self.counts: Counter = Counter()

    def count(self, method: str, path: str, params=None, body=None) -> None:
        self.counts[kind_of(method, path, params, body)] += 1

    def flush(self, connection=None) -> None:
        """Add the counts to the totals, in a transaction of their own, or, given the job's
        `connection`, in a savepoint of the job's transaction, so the job commits once."""
        if not self.counts:
            return
        counts, self.counts = self.counts, Counter()
        try:
            if connection is None:
                with db.engine.begin() as conn:
                    add_counts(conn, self.realm_id, counts)
            else:
                with connection.begin_nested():
                    add_counts(connection, self.realm_id, counts)
        except (SQLAlchemyError, RuntimeError) as error:  # RuntimeError: no app context
            # A count is not worth failing a sync for; the calls themselves went through.
            log.warning("could not record QBO call counts for %s: %s", self.realm_id, error)


def add_counts(conn, realm_id: str, counts: Counter, month: str | None = None) -> None:
    """Add `counts` to the month's totals in one statement: an insert that adds to the row
    already there (ON CONFLICT … DO UPDATE, on SQLite and PostgreSQL alike), so two workers
    counting at once both count, and a job's counts cost one statement, not one per kind."""
    if not counts:
        return
    month = month or utcnow().strftime("%Y-%m")
    table = QboCallCount.__table__
    insert = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[conn.dialect.name]
    rows = [
        {"realm_id": realm_id, "month": month, "kind": kind, "count": number}
        for kind, number in sorted(counts.items())
    ]
    statement = insert(table).values(rows)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["realm_id", "month", "kind"],
            set_={"count": table.c.count + statement.excluded.count},
        )
    )


def monthly_counts(realm_id: str, month: str | None = None) -> dict[str, int]:
    """{kind: calls} for the company this month (every kind present, zero when none)."""
    month = month or utcnow().strftime("%Y-%m")
    rows = db.session.execute(
        select(QboCallCount.kind, QboCallCount.count).where(
            QboCallCount.realm_id == realm_id, QboCallCount.month == month
        )
    ).all()
    found = dict(rows)
    return {kind: found.get(kind, 0) for kind in KINDS}
