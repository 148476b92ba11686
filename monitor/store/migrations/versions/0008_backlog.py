"""a backlog per source: links found but not taken yet

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backlog",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("canonical_url", sa.String(2000), primary_key=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("published", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("backlog")
