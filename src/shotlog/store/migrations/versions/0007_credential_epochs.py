"""credentials epochs: tokens die when their user's password changes or the user is disabled;
REST refresh tokens are single-use within a family

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 10:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credential_epochs",
        sa.Column("user_type", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_type", "user_id", name=op.f("pk_credential_epochs")),
    )
    with op.batch_alter_table("session_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("epoch", sa.BigInteger(), nullable=False, server_default=sa.text("0")))
        batch_op.add_column(sa.Column("family", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("used_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_session_tokens_family", ["family"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("session_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_session_tokens_family")
        batch_op.drop_column("used_at")
        batch_op.drop_column("family")
        batch_op.drop_column("epoch")
    op.drop_table("credential_epochs")
