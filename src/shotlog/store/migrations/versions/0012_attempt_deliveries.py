"""webhook attempts: which deliveries each one carried, so a delivery lists all of its attempts

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 18:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_attempt_deliveries",
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("attempt_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", "attempt_id", name=op.f("pk_webhook_attempt_deliveries")),
    )
    op.create_index(
        "ix_webhook_attempt_deliveries_attempt_id", "webhook_attempt_deliveries", ["attempt_id"], unique=False
    )
    # Attempts recorded before this carried no link; a delivery's last one is known, so it is kept.
    op.execute(
        "INSERT INTO webhook_attempt_deliveries (delivery_id, attempt_id) "
        "SELECT id, last_attempt_id FROM webhook_deliveries WHERE last_attempt_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_attempt_deliveries_attempt_id", table_name="webhook_attempt_deliveries")
    op.drop_table("webhook_attempt_deliveries")
