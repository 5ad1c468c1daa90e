"""webhook subscriptions, deliveries and the delivery cursor

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 12:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "webhook_hooks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("token", sa.Text(), nullable=True),
        sa.Column("signing_secrets", _json(), nullable=False),
        sa.Column("standard_webhooks", sa.Boolean(), nullable=False),
        sa.Column("entity_types", _json(), nullable=True),
        sa.Column("event_types", _json(), nullable=True),
        sa.Column("projects", _json(), nullable=False),
        sa.Column("include_in_create", sa.Boolean(), nullable=False),
        sa.Column("validate_ssl_cert", sa.Boolean(), nullable=False),
        sa.Column("batch_deliveries", sa.Boolean(), nullable=False),
        sa.Column("ordered", sa.Boolean(), nullable=False),
        sa.Column("max_concurrency", sa.Integer(), nullable=False),
        sa.Column("timeout", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("start_event_id", sa.BigInteger(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("paused_until", sa.DateTime(), nullable=True),
        sa.Column("num_deliveries", sa.BigInteger(), nullable=False),
        sa.Column("last_success_at", sa.DateTime(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_hooks")),
    )
    op.create_table(
        "webhook_cursor",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_cursor")),
    )
    # The dispatcher starts at the head: events older than every hook are never delivered anyway.
    op.execute(
        "INSERT INTO webhook_cursor (id, last_event_id) SELECT 1, COALESCE(MAX(id), 0) FROM event_log_entries"
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hook_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("service_data", _json(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("event_time", sa.DateTime(), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=True),
        sa.Column("entity_id", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("last_attempt_id", sa.String(length=36), nullable=True),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("process_time", sa.Float(), nullable=True),
        sa.Column("acknowledgement", sa.Text(), nullable=True),
        sa.Column("redelivery_of", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_deliveries_created_at", ["created_at"], unique=False)
        batch_op.create_index(
            "ix_webhook_deliveries_due", ["state", "hook_id", "next_attempt_at", "event_id"], unique=False
        )
        batch_op.create_index("ix_webhook_deliveries_order", ["state", "hook_id", "event_id"], unique=False)
        batch_op.create_index("ix_webhook_deliveries_hook", ["hook_id", "event_time"], unique=False)
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hook_id", sa.String(length=36), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("process_time", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("request_headers", _json(), nullable=False),
        sa.Column("request_body", sa.Text(), nullable=False),
        sa.Column("response_headers", _json(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_attempts_hook", ["hook_id", "started_at"], unique=False)
        batch_op.create_index("ix_webhook_attempts_started_at", ["started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_attempts_started_at")
        batch_op.drop_index("ix_webhook_attempts_hook")
    op.drop_table("webhook_attempts")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_hook")
        batch_op.drop_index("ix_webhook_deliveries_order")
        batch_op.drop_index("ix_webhook_deliveries_due")
        batch_op.drop_index("ix_webhook_deliveries_created_at")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_cursor")
    op.drop_table("webhook_hooks")
