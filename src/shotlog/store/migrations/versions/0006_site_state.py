"""site preferences, per-user project access times and Note readings, user subscriptions,
per-project field visibility, work weeks of the studio, projects and users

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 09:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "site_preferences",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("value", JSON, nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_site_preferences")),
    )
    op.create_table(
        "project_accesses",
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("user_type", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("accessed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "user_type", "user_id", name=op.f("pk_project_accesses")),
    )
    with op.batch_alter_table("project_accesses", schema=None) as batch_op:
        batch_op.create_index("ix_project_accesses_user", ["user_type", "user_id"], unique=False)
    op.create_table(
        "field_visibility",
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("field_name", sa.String(length=255), nullable=False),
        sa.Column("visible", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "entity_type", "field_name", name=op.f("pk_field_visibility")),
    )
    op.create_table(
        "note_readings",
        sa.Column("note_id", sa.BigInteger(), nullable=False),
        sa.Column("user_type", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("note_id", "user_type", "user_id", name=op.f("pk_note_readings")),
    )
    op.create_table(
        "user_subscriptions",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("subscription", JSON, nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_subscriptions")),
    )
    op.create_table(
        "work_weeks",
        sa.Column("scope_type", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.BigInteger(), nullable=False),
        sa.Column("days", JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope_type", "scope_id", name=op.f("pk_work_weeks")),
    )


def downgrade() -> None:
    op.drop_table("work_weeks")
    op.drop_table("user_subscriptions")
    op.drop_table("note_readings")
    op.drop_table("field_visibility")
    with op.batch_alter_table("project_accesses", schema=None) as batch_op:
        batch_op.drop_index("ix_project_accesses_user")
    op.drop_table("project_accesses")
    op.drop_table("site_preferences")
