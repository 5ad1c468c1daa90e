"""a mirror's state: the site it follows, its cursor and open gaps; the names its events link to

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 21:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "mirror_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("site", sa.Text(), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("holes", JSON, nullable=True),
        sa.Column("counts", JSON, nullable=True),
        sa.Column("site_head_id", sa.BigInteger(), nullable=True),
        sa.Column("site_head_at", sa.DateTime(), nullable=True),
        sa.Column("mirrored_at", sa.DateTime(), nullable=True),
        sa.Column("polled_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_state")),
    )
    op.create_table(
        "mirror_links",
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("entity_type", "entity_id", name=op.f("pk_mirror_links")),
    )


def downgrade() -> None:
    op.drop_table("mirror_links")
    op.drop_table("mirror_state")
