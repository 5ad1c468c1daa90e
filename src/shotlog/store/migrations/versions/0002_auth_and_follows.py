"""auth and follows

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:44:44.472133
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
        "follows",
        sa.Column("user_type", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_type", "user_id", "entity_type", "entity_id", name=op.f("pk_follows")),
    )
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.create_index("ix_follows_entity", ["entity_type", "entity_id"], unique=False)

    op.create_table(
        "script_keys",
        sa.Column("api_user_id", sa.BigInteger(), nullable=False),
        sa.Column("key_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("api_user_id", name=op.f("pk_script_keys")),
    )
    op.create_table(
        "session_tokens",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_type", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token_sha256", name=op.f("pk_session_tokens")),
    )
    with op.batch_alter_table("session_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_session_tokens_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("session_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_session_tokens_expires_at")

    op.drop_table("session_tokens")
    op.drop_table("script_keys")
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.drop_index("ix_follows_entity")

    op.drop_table("follows")
