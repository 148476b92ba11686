"""a source never read is `new`; the settings its refusals were made under; failed polls counted;
how each article joined its story; alerts listed by time

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.alter_column("health", existing_type=sa.String(16), server_default="new")
        batch_op.add_column(sa.Column("refusal_rules", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("failed_polls", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("joined_by", sa.String(20), nullable=True))
    op.create_index("ix_alerts_created_at", "alerts", ["created_at"])
    op.execute("UPDATE sources SET health = 'new' WHERE last_ok_at IS NULL AND health = 'ok'")


def downgrade() -> None:
    op.execute("UPDATE sources SET health = 'ok' WHERE health = 'new'")
    op.drop_index("ix_alerts_created_at", table_name="alerts")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("joined_by")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("failed_polls")
        batch_op.drop_column("refusal_rules")
        batch_op.alter_column("health", existing_type=sa.String(16), server_default="ok")
