"""event daemon plugin cursors and status

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 12:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "daemon_cursors",
        sa.Column("daemon", sa.String(length=64), nullable=False),
        sa.Column("collection", sa.String(length=512), nullable=False),
        sa.Column("plugin", sa.String(length=255), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=True),
        sa.Column("pending", JSON, nullable=True),
        sa.Column("done_callbacks", JSON, nullable=True),
        sa.Column("fence_event_id", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("resume_token", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("error_event_id", sa.BigInteger(), nullable=True),
        sa.Column("processed", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("daemon", "collection", "plugin", name=op.f("pk_daemon_cursors")),
    )
    op.create_table(
        "daemon_instances",
        sa.Column("daemon", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("head_position", sa.BigInteger(), nullable=False),
        sa.Column("head_event_id", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("daemon", name=op.f("pk_daemon_instances")),
    )
    op.create_table(
        "daemon_journal",
        sa.Column("daemon", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("event", JSON, nullable=False),
        sa.PrimaryKeyConstraint("daemon", "seq", name=op.f("pk_daemon_journal")),
    )
    with op.batch_alter_table("daemon_journal", schema=None) as batch_op:
        batch_op.create_index("ix_daemon_journal_event", ["daemon", "event_id"], unique=True)
    op.create_table(
        "daemon_feeds",
        sa.Column("daemon", sa.String(length=64), nullable=False),
        sa.Column("max_seen_id", sa.BigInteger(), nullable=False),
        sa.Column("holes", JSON, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("daemon", name=op.f("pk_daemon_feeds")),
    )


def downgrade() -> None:
    op.drop_table("daemon_feeds")
    with op.batch_alter_table("daemon_journal", schema=None) as batch_op:
        batch_op.drop_index("ix_daemon_journal_event")
    op.drop_table("daemon_journal")
    op.drop_table("daemon_instances")
    op.drop_table("daemon_cursors")
