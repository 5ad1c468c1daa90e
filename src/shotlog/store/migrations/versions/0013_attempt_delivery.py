"""webhook attempts: the delivery a single-delivery request carried, on the attempt row (placeholder until filled)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 21:10:00.000000
"""

from __future__ import annotations

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
