"""shotlog's own events on a mirrored database, kept beside the site's log instead of in it

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 00:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "mirror_local_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event_type", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("entity_type", sa.String(length=64), nullable=True),
        sa.Column("entity_id", sa.BigInteger(), nullable=True),
        sa.Column("project_type", sa.String(length=64), nullable=True),
        sa.Column("project_id", sa.BigInteger(), nullable=True),
        sa.Column("user_type", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("attribute_name", sa.String(length=255), nullable=True),
        sa.Column("meta", JSON, nullable=True),
        sa.Column("session_uuid", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_local_events")),
    )


def downgrade() -> None:
    op.drop_table("mirror_local_events")
