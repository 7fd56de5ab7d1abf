"""audit.recorded_at: when each entry was written by the machine's clock, beside `at` (when it
happened); hashed for every entry written from now on, NULL (and not hashed) for older ones.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch rebuild: rebuilding the audit table would copy every entry
    # and drop its append-only triggers.
    op.add_column("audit", sa.Column("recorded_at", sa.String(length=27), nullable=True))


def downgrade() -> None:
    op.drop_column("audit", "recorded_at")
