"""(firm_id, qbo_remote_state) on every synced table and (firm_id, qbo_status) on refund: the top
bar's "needs attention" counts read indexes instead of every row of the firm

Revision ID: f1a7c3e9b204
Revises: e5b2f0c4a713
Create Date: 2026-12-04 16:20:00

"""

from alembic import op

revision = "f1a7c3e9b204"
down_revision = "e5b2f0c4a713"
branch_labels = None
depends_on = None

TABLES = ("client_account", "invoice", "payment", "refund")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_firm_remote", ["firm_id", "qbo_remote_state"])
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.create_index("ix_refund_firm_qbo", ["firm_id", "qbo_status"])


def downgrade():
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.drop_index("ix_refund_firm_qbo")
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_firm_remote")
