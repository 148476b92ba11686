"""shingle hashes

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from monitor.dedupe import shingle_hashes

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shingles", sa.LargeBinary(), nullable=True))
    # Articles stored before this revision get their shingle hashes now, or they would never be
    # confirmed as the original of a copy.
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, text FROM articles WHERE status = 'ok' AND text IS NOT NULL"))
    for article_id, text in rows.fetchall():
        connection.execute(
            sa.text("UPDATE articles SET shingles = :s WHERE id = :i"),
            {"s": shingle_hashes(text).tobytes(), "i": article_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("shingles")
