"""People are managed (issue 10 §4): person.active — a person who leaves is deactivated, not deleted;
the history keeps their name, the engine refuses their further actions and sends them no reminders.
Every existing person stays active.

On PostgreSQL, where each person has a login (migration 0004): the office's login may now change a
person (`zhenggai db grants` grants UPDATE of roles, department, title, email and active), but only
with the office's `person_edit` or `person_deactivate` entry of the same transaction saying exactly
that change, checked at commit; and a deactivated person's login can append nothing to the trail.

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-01 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

_SAFE = "SECURITY DEFINER SET search_path = pg_catalog, pg_temp"  # as in 0004


def _schema() -> str:
    bind = op.get_bind()
    name = bind.exec_driver_sql("SELECT current_schema()").scalar_one()
    return str(bind.dialect.identifier_preparer.quote_identifier(name))


def _functions(s: str) -> list[str]:
    return [
        # The row after the update is the row before with the entry's changes applied: a deactivation
        # sets active to false, an edit its changes' new values ({"column": [old, new]}), nothing else.
        f"""CREATE OR REPLACE FUNCTION {s}.zhenggai_person_changed() RETURNS trigger
        LANGUAGE plpgsql {_SAFE} AS $$
        DECLARE
            mapped text := {s}.zhenggai_login_person();
            mine xid := pg_current_xact_id()::xid;
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM {s}.person p WHERE p.name = mapped AND p.active
                           AND 'office' = ANY (string_to_array(p.roles, ','))) THEN
                RAISE EXCEPTION '数据库登录 % 的人员（%）不是整改办人员（office），不能修改人员 %', session_user,
                    coalesce(mapped, '无'), OLD.name USING ERRCODE = 'insufficient_privilege';
            END IF;
            PERFORM 1 FROM {s}.audit a
             WHERE a.item_id IS NULL AND a.xmin = mine AND a.action IN ('person_edit', 'person_deactivate')
               AND a.payload::jsonb ->> 'name' = OLD.name
               AND to_jsonb(NEW) = to_jsonb(OLD) || CASE
                   WHEN a.action = 'person_deactivate' THEN jsonb_build_object('active', false)
                   ELSE (SELECT coalesce(jsonb_object_agg(c.key, c.value -> 1), '{{}}'::jsonb)
                           FROM jsonb_each(a.payload::jsonb -> 'changes') c)
               END;
            IF NOT FOUND THEN
                RAISE EXCEPTION '修改人员 % 没有同一事务中与之相符的审计条目：请用 zhenggai person edit 或 zhenggai person deactivate',
                    OLD.name USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NULL;
        END $$""",
        f"""CREATE OR REPLACE FUNCTION {s}.zhenggai_actor_active() RETURNS trigger
        LANGUAGE plpgsql {_SAFE} AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM {s}.person p WHERE p.name = NEW.actor AND NOT p.active) THEN
                RAISE EXCEPTION '人员 % 已停用，不能再写入审计日志', NEW.actor USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$""",
    ]


def upgrade() -> None:
    # A plain ADD COLUMN on both backends (SQLite allows NOT NULL with a constant default): batch mode
    # would copy the person table, which items reference, and trip the foreign keys.
    op.add_column("person", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
    if op.get_bind().dialect.name != "postgresql":
        return
    s = _schema()
    not_owner = f"WHEN (NOT {s}.zhenggai_login_is_owner())"
    for statement in (
        *_functions(s),
        f"CREATE CONSTRAINT TRIGGER zhenggai_person_changed AFTER UPDATE ON {s}.person "
        f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW {not_owner} EXECUTE FUNCTION {s}.zhenggai_person_changed()",
        f"CREATE TRIGGER zhenggai_actor_active BEFORE INSERT ON {s}.audit "
        f"FOR EACH ROW {not_owner} EXECUTE FUNCTION {s}.zhenggai_actor_active()",
    ):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        s = _schema()
        op.execute(f"DROP TRIGGER IF EXISTS zhenggai_person_changed ON {s}.person")
        op.execute(f"DROP TRIGGER IF EXISTS zhenggai_actor_active ON {s}.audit")
        for function in ("zhenggai_person_changed", "zhenggai_actor_active"):
            op.execute(f"DROP FUNCTION IF EXISTS {s}.{function}()")
    op.drop_column("person", "active")  # SQLite 3.35 drops a column in place, as PostgreSQL does
