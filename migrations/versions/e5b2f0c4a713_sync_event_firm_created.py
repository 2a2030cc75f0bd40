"""sync_event (firm_id, created_at): a list page's news reads the firm's recent events

Revision ID: e5b2f0c4a713
Revises: c3a9d1e07b42
Create Date: 2026-12-03 19:10:00

"""

from alembic import op

revision = "e5b2f0c4a713"
down_revision = "c3a9d1e07b42"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sync_event", schema=None) as batch_op:
        batch_op.create_index("ix_sync_event_firm_created", ["firm_id", "created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("sync_event", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_event_firm_created")
