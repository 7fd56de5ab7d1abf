"""The web server's tables (issue 11): passwords, sessions, API tokens, the login log, the web inbox.

Not audited facts (see workflow/db/tables/web.py); on PostgreSQL people's logins get no privilege on
them (workflow/db/grants.py), so only the server's role reads or writes them.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

_MOMENT = sa.String(length=27)


def upgrade() -> None:
    op.create_table(
        "web_account",
        sa.Column("person", sa.String(64), sa.ForeignKey("person.name"), primary_key=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("must_change", sa.Boolean(), nullable=False),
        sa.Column("changed_at", _MOMENT, nullable=False),
    )
    op.create_table(
        "web_session",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("person", sa.String(64), nullable=False, index=True),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("last_seen", _MOMENT, nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
    )
    op.create_table(
        "web_token",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person", sa.String(64), nullable=False, index=True),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("last_used", _MOMENT, nullable=True),
        sa.Column("revoked_at", _MOMENT, nullable=True),
    )
    op.create_table(
        "web_login",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", _MOMENT, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
    )
    op.create_index("ix_web_login_name_at", "web_login", ["name", "at"])
    op.create_index("ix_web_login_address_at", "web_login", ["address", "at"])
    op.create_table(
        "web_inbox_read",
        sa.Column("message_key", sa.String(32), primary_key=True),
        sa.Column("person", sa.String(64), primary_key=True),
        sa.Column("read_at", _MOMENT, nullable=False),
    )


def downgrade() -> None:
    for table in ("web_inbox_read", "web_login", "web_token", "web_session", "web_account"):
        op.drop_table(table)
