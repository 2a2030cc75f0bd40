"""list pages: indexes for each list's order and filters, and an index for the client search

Revision ID: b7e41c0d9a52
Revises: da6fd737b458
Create Date: 2026-12-03 19:00:00.000000

Each list pages by seek pagination on (firm, [filter,] sort key, id), so each gets an index in
that order; the two older (firm, date) indexes are covered by the new ones. The Search box is
served by a trigram index: pg_trgm on PostgreSQL, an FTS5 table kept in step by triggers on
SQLite (webapp/models/client_search.py creates the same for db.create_all).
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "b7e41c0d9a52"
down_revision = "da6fd737b458"
branch_labels = None
depends_on = None

CLIENT_SORT = [sa.text("lower(display_name)"), "id"]
INDEXES = [
    ("ix_client_account_firm_sort", "client_account", ["firm_id", *CLIENT_SORT]),
    ("ix_client_account_firm_active_sort", "client_account", ["firm_id", "active", *CLIENT_SORT]),
    ("ix_client_account_firm_qbo_sort", "client_account", ["firm_id", "qbo_status", *CLIENT_SORT]),
    ("ix_invoice_firm_sort", "invoice", ["firm_id", "issue_date", "id"]),
    ("ix_invoice_firm_status_sort", "invoice", ["firm_id", "status", "issue_date", "id"]),
    ("ix_invoice_firm_qbo_sort", "invoice", ["firm_id", "qbo_status", "issue_date", "id"]),
    ("ix_payment_firm_sort", "payment", ["firm_id", "received_on", "id"]),
    ("ix_payment_firm_qbo_sort", "payment", ["firm_id", "qbo_status", "received_on", "id"]),
    ("ix_payment_firm_method_sort", "payment", ["firm_id", "method", "received_on", "id"]),
]
REPLACED = [
    ("ix_invoice_firm_issue", "invoice", ["firm_id", "issue_date"]),
    ("ix_payment_firm_received", "payment", ["firm_id", "received_on"]),
]

SEARCH = "client_account_name_search"
SQLITE_SEARCH = [
    f"CREATE VIRTUAL TABLE {SEARCH} USING fts5("
    "display_name, content='client_account', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER {SEARCH}_insert AFTER INSERT ON client_account BEGIN "
    f"INSERT INTO {SEARCH}(rowid, display_name) VALUES (new.id, new.display_name); END",
    f"CREATE TRIGGER {SEARCH}_delete AFTER DELETE ON client_account BEGIN "
    f"INSERT INTO {SEARCH}({SEARCH}, rowid, display_name) "
    "VALUES ('delete', old.id, old.display_name); END",
    f"CREATE TRIGGER {SEARCH}_update AFTER UPDATE OF display_name ON client_account BEGIN "
    f"INSERT INTO {SEARCH}({SEARCH}, rowid, display_name) "
    "VALUES ('delete', old.id, old.display_name); "
    f"INSERT INTO {SEARCH}(rowid, display_name) VALUES (new.id, new.display_name); END",
    f"INSERT INTO {SEARCH}({SEARCH}) VALUES ('rebuild')",
]
POSTGRESQL_SEARCH = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_client_account_name_trgm ON client_account "
    "USING gin (display_name gin_trgm_ops)",
]


def upgrade():
    for name, table, columns in REPLACED:
        op.drop_index(name, table_name=table)
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_SEARCH, "postgresql": POSTGRESQL_SEARCH}.get(dialect, []):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {SEARCH}_{trigger}")
        op.execute(f"DROP TABLE IF EXISTS {SEARCH}")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_client_account_name_trgm")
    for name, table, columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    for name, table, columns in REPLACED:
        op.create_index(name, table, columns)
