"""source health and adaptive polling, robots.txt per site, operator alerts

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("poll_interval", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("publish_gap", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("last_new_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("health", sa.String(16), nullable=False, server_default="ok"))
        batch_op.add_column(sa.Column("health_since", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("refusals", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("polls", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("not_modified", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "sites",
        sa.Column("site", sa.String(300), primary_key=True),
        sa.Column("robots", sa.Text(), nullable=True),
        sa.Column("robots_fetched_at", sa.DateTime(), nullable=False),
    )
    # An operator alert (a source changed health) has no story, article or match.
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.alter_column("story_id", existing_type=sa.String(32), nullable=True)
        batch_op.alter_column("article_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("match_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("detail", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE alert_id IN (SELECT id FROM alerts WHERE kind = 'source')")
    op.execute("DELETE FROM alerts WHERE kind = 'source'")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("detail")
        batch_op.alter_column("match_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("article_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("story_id", existing_type=sa.String(32), nullable=False)
    op.drop_table("sites")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        for column in ("not_modified", "polls", "refusals", "health_since", "health", "last_new_at", "publish_gap"):
            batch_op.drop_column(column)
        batch_op.drop_column("poll_interval")
