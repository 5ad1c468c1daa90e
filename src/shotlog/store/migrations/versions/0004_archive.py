"""event archive bookkeeping

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 12:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "archive_segments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("first_id", sa.BigInteger(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("first_at", sa.DateTime(), nullable=True),
        sa.Column("last_at", sa.DateTime(), nullable=True),
        sa.Column("event_count", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_segments")),
        sa.UniqueConstraint("key", name=op.f("uq_archive_segments_key")),
    )
    with op.batch_alter_table("archive_segments", schema=None) as batch_op:
        batch_op.create_index("ix_archive_segments_first_id", ["first_id"], unique=False)
        batch_op.create_index("ix_archive_segments_month", ["month"], unique=False)

    op.create_table(
        "archive_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("archived_through", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_state")),
    )


def downgrade() -> None:
    op.drop_table("archive_state")
    with op.batch_alter_table("archive_segments", schema=None) as batch_op:
        batch_op.drop_index("ix_archive_segments_month")
        batch_op.drop_index("ix_archive_segments_first_id")
    op.drop_table("archive_segments")
