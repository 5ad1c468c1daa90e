"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 09:30:46.527611
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "entity_links",
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("src_id", sa.BigInteger(), nullable=False),
        sa.Column("dst_type", sa.String(length=64), nullable=False),
        sa.Column("dst_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("field", "src_id", "dst_type", "dst_id", name=op.f("pk_entity_links")),
    )
    with op.batch_alter_table("entity_links", schema=None) as batch_op:
        batch_op.create_index("ix_entity_links_dst", ["dst_type", "dst_id", "field"], unique=False)

    op.create_table(
        "entity_tags",
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("tag", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("field", "owner_id", "tag", name=op.f("pk_entity_tags")),
    )
    with op.batch_alter_table("entity_tags", schema=None) as batch_op:
        batch_op.create_index("ix_entity_tags_tag", ["field", "tag"], unique=False)

    op.create_table(
        "event_log_entries",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
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
        sa.Column(
            "meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("session_uuid", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("cached_display_name", sa.Text(), nullable=True),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("filmstrip_image", sa.Text(), nullable=True),
        sa.Column("image_source_entity_type", sa.String(length=64), nullable=True),
        sa.Column("image_source_entity_id", sa.BigInteger(), nullable=True),
        sa.Column("image_blur_hash", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_log_entries")),
    )
    with op.batch_alter_table("event_log_entries", schema=None) as batch_op:
        batch_op.create_index("ix_event_log_entries_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_event_log_entries_entity", ["entity_type", "entity_id", "id"], unique=False)
        batch_op.create_index("ix_event_log_entries_event_type", ["event_type", "id"], unique=False)
        batch_op.create_index("ix_event_log_entries_project", ["project_id", "id"], unique=False)
        batch_op.create_index(
            "ix_event_log_entries_project_type", ["project_id", "event_type", "id"], unique=False
        )
        batch_op.create_index("ix_event_log_entries_user", ["user_type", "user_id", "id"], unique=False)

    op.create_table(
        "schema_entity_types",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column("display_field", sa.String(length=64), nullable=False),
        sa.Column("project_scoped", sa.Boolean(), nullable=False),
        sa.Column("retirable", sa.Boolean(), nullable=False),
        sa.Column("mutable", sa.Boolean(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("visible", sa.Boolean(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_schema_entity_types")),
        sa.UniqueConstraint("table_name", name=op.f("uq_schema_entity_types_table_name")),
    )
    op.create_table(
        "schema_fields",
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("data_type", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "valid_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "valid_values",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "display_values",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "hidden_values",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "default_value",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("editable", sa.Boolean(), nullable=False),
        sa.Column("mandatory", sa.Boolean(), nullable=False),
        sa.Column("is_unique", sa.Boolean(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("visible", sa.Boolean(), nullable=False),
        sa.Column("reverse_of", sa.String(length=200), nullable=True),
        sa.Column("column_name", sa.String(length=63), nullable=True),
        sa.Column("type_column", sa.String(length=63), nullable=True),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column(
            "properties",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("entity_type", "name", name=op.f("pk_schema_fields")),
    )
    op.create_table(
        "schema_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schema_state")),
    )


def downgrade() -> None:

    op.drop_table("schema_state")
    op.drop_table("schema_fields")
    op.drop_table("schema_entity_types")
    with op.batch_alter_table("event_log_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_event_log_entries_user")
        batch_op.drop_index("ix_event_log_entries_project_type")
        batch_op.drop_index("ix_event_log_entries_project")
        batch_op.drop_index("ix_event_log_entries_event_type")
        batch_op.drop_index("ix_event_log_entries_entity")
        batch_op.drop_index("ix_event_log_entries_created_at")

    op.drop_table("event_log_entries")
    with op.batch_alter_table("entity_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_entity_tags_tag")

    op.drop_table("entity_tags")
    with op.batch_alter_table("entity_links", schema=None) as batch_op:
        batch_op.drop_index("ix_entity_links_dst")

    op.drop_table("entity_links")
