"""Rows remember when a sync is retried; the firm's time zone; each user's language

Revision ID: c3a9d1e07b42
Revises: b7e41c0d9a52
Create Date: 2026-12-03 19:20:00

qbo_retry_at lets a row waiting on QuickBooks say "retrying at 10:42"; firm.time_zone is the zone
times are shown in; user.locale is the language chosen in the profile (None: the browser's).
"""

import sqlalchemy as sa
from alembic import op

revision = "c3a9d1e07b42"
down_revision = "b7e41c0d9a52"
branch_labels = None
depends_on = None

SYNCED_TABLES = ("client_account", "invoice", "payment", "refund")


def upgrade():
    # Plain ADD / DROP COLUMN (SQLite has both): a batch copy of these tables would lose their
    # expression indexes.
    for table in SYNCED_TABLES:
        op.add_column(table, sa.Column("qbo_retry_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("firm") as batch:
        batch.add_column(
            sa.Column("time_zone", sa.String(length=64), nullable=False, server_default="UTC")
        )
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table("user") as batch:
        batch.drop_column("locale")
    with op.batch_alter_table("firm") as batch:
        batch.drop_column("time_zone")
    for table in SYNCED_TABLES:
        op.drop_column(table, "qbo_retry_at")
