"""webhook attempts: the delivery a single-delivery request carried, on the attempt row

Migration 0012 linked every attempt to its deliveries through webhook_attempt_deliveries, one more
row (and two index entries) per request in the transaction that records it. Nearly every request
carries one delivery, so its id now goes on the attempt row itself; the link table keeps only the
batched requests. Upgrading moves the attempts with exactly one link onto their row; downgrading
links them again.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 21:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_id", sa.String(length=36), nullable=True))
        batch_op.create_index("ix_webhook_attempts_delivery_id", ["delivery_id"], unique=False)
    op.execute(
        "UPDATE webhook_attempts SET delivery_id = ("
        " SELECT l.delivery_id FROM webhook_attempt_deliveries l WHERE l.attempt_id = webhook_attempts.id"
        ") WHERE id IN ("
        " SELECT attempt_id FROM webhook_attempt_deliveries GROUP BY attempt_id HAVING COUNT(*) = 1"
        ")"
    )
    op.execute(
        "DELETE FROM webhook_attempt_deliveries WHERE attempt_id IN ("
        " SELECT id FROM webhook_attempts WHERE delivery_id IS NOT NULL"
        ")"
    )


def downgrade() -> None:
    op.execute(
        "INSERT INTO webhook_attempt_deliveries (delivery_id, attempt_id) "
        "SELECT delivery_id, id FROM webhook_attempts WHERE delivery_id IS NOT NULL"
    )
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_attempts_delivery_id")
        batch_op.drop_column("delivery_id")
