"""permission rule sets and their rules: the permission_rules table; on a database made before
this step, the PermissionRuleSet entities with FPTR's default sets, and each user type's text
permission_rule_set turned into a link to the set of that name, in place

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 21:10:00.000000
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "permission_rules",
        sa.Column("rule_set_id", sa.BigInteger(), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=128), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint(
            "rule_set_id", "entity_type", "field", "operation", name=op.f("pk_permission_rules")
        ),
    )
    # a new database has no entity tables yet: the catalog makes them, and the seed step the sets
    from shotlog.store.permission_rules import convert_text_fields

    convert_text_fields(op.get_bind(), dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0))


def downgrade() -> None:
    op.drop_table("permission_rules")
