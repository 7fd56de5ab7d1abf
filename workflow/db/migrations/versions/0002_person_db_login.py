"""person.db_login: in a PostgreSQL deployment each person connects with their own login, and the
actor of every audit entry is derived from that login (enforced by a trigger, not only by the CLI).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 11:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch_op:
        batch_op.add_column(sa.Column("db_login", sa.String(length=63), nullable=True))
        batch_op.create_index("ix_person_db_login", ["db_login"], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        # session_user, not current_user: SET ROLE cannot change it, so nobody writes as someone else.
        op.execute(
            """CREATE OR REPLACE FUNCTION zhenggai_audit_actor() RETURNS trigger AS $$
            DECLARE mapped text;
            BEGIN
                SELECT name INTO mapped FROM person WHERE db_login = session_user;
                IF mapped IS NOT NULL AND NEW.actor IS DISTINCT FROM mapped THEN
                    RAISE EXCEPTION 'audit actor % is not the person of login % (%)',
                        NEW.actor, session_user, mapped;
                END IF;
                RETURN NEW;
            END; $$ LANGUAGE plpgsql"""
        )
        op.execute(
            "CREATE TRIGGER audit_actor_is_login BEFORE INSERT ON audit "
            "FOR EACH ROW EXECUTE FUNCTION zhenggai_audit_actor()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_actor_is_login ON audit")
        op.execute("DROP FUNCTION IF EXISTS zhenggai_audit_actor()")
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_index("ix_person_db_login")
        batch_op.drop_column("db_login")
