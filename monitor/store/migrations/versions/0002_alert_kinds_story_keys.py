"""alert kinds, story language and cross-language keys

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "story_keys",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("story_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
        ),
        sa.PrimaryKeyConstraint("key", "story_id"),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), server_default="match", nullable=False))
        batch_op.drop_constraint(batch_op.f("uq_alerts_story_topic"), type_="unique")
        batch_op.create_unique_constraint("uq_alerts_story_topic_kind", ["story_id", "topic", "kind"])

    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f("ix_stories_last_seen"), ["last_seen"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stories_last_seen"))
        batch_op.drop_column("language")

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_alerts_story_topic_kind", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_alerts_story_topic"), ["story_id", "topic"])
        batch_op.drop_column("kind")

    op.drop_table("story_keys")
