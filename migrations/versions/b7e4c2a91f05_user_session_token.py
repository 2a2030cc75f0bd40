"""user.session_token: signing out and changing a password end every session of the user

Revision ID: b7e4c2a91f05
Revises: 5dc18c8979d2
Create Date: 2026-12-03 18:40:00

Session and remember-me cookies carry "<user id>:<session_token>"; cookies issued before this
revision carried the id alone and are refused, so everyone signs in once more.
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "b7e4c2a91f05"
down_revision = "5dc18c8979d2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("session_token", sa.String(length=32), nullable=True))
    user = sa.table("user", sa.column("id", sa.Integer), sa.column("session_token", sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(user.c.id)).all():
        connection.execute(
            user.update().where(user.c.id == user_id).values(session_token=secrets.token_hex(16))
        )
    with op.batch_alter_table("user") as batch:
        batch.alter_column("session_token", existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table("user") as batch:
        batch.drop_column("session_token")
