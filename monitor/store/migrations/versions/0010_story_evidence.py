"""why each article joined its story; when a story key was last seen, for window-bounded lookups

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("join_detail", sa.Text(), nullable=True))
    with op.batch_alter_table("story_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seen", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_story_keys_key_seen", ["key", "seen"], unique=False)
        batch_op.create_index("ix_story_keys_story_id", ["story_id"], unique=False)
    op.execute(
        "UPDATE story_keys SET seen = (SELECT stories.last_seen FROM stories WHERE stories.id = story_keys.story_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("story_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_story_keys_story_id")
        batch_op.drop_index("ix_story_keys_key_seen")
        batch_op.drop_column("seen")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("join_detail")
