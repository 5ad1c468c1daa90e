"""webhook hooks: since when their status holds, when a user last enabled them, whom to notify

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("webhook_hooks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_since", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("enabled_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("notify_emails", _json(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("webhook_hooks", schema=None) as batch_op:
        batch_op.drop_column("notify_emails")
        batch_op.drop_column("enabled_at")
        batch_op.drop_column("status_since")
