"""item.category: the completion category an office set (基本完成, 正在整改, 未完成, 长期坚持), audited by
`categorize` entries and by ledger rows that create an item; NULL for every existing item, whose
category is derived from its state and deadline (states.categories), as before.

On PostgreSQL the people's role may update the new column as it may the item's other columns (when
the role exists: `zhenggai db grants` makes it).

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-01 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (nullable, no default), not a batch rebuild: existing rows keep every value.
    op.add_column("item", sa.Column("category", sa.String(length=20), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """DO $$ BEGIN
                IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'zhenggai_app') THEN
                    GRANT UPDATE (category) ON item TO zhenggai_app;
                END IF;
            END $$"""
        )


def downgrade() -> None:
    op.drop_column("item", "category")
