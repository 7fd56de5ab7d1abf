"""person.active: a person who leaves is deactivated, not deleted — the history keeps their name, the
engine refuses their further actions and sends them no reminders (issue 10 §4). Every existing person
stays active.

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-01 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both backends (SQLite allows NOT NULL with a constant default): batch mode
    # would copy the person table, which items reference, and trip the foreign keys.
    op.add_column("person", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_column("active")
