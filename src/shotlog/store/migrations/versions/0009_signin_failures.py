"""failed sign-ins per client address and login: the throttle's counts and the folded events

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signin_failures",
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("login", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("reported", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("address", "login", name=op.f("pk_signin_failures")),
    )
    op.create_index("ix_signin_failures_login", "signin_failures", ["login"], unique=False)
    op.create_index("ix_signin_failures_window_start", "signin_failures", ["window_start"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_signin_failures_window_start", table_name="signin_failures")
    op.drop_index("ix_signin_failures_login", table_name="signin_failures")
    op.drop_table("signin_failures")
