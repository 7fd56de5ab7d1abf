"""PostgreSQL: the per-login model made tight (issue 9 §4). Nothing changes on SQLite.

- Every trigger function is SECURITY DEFINER with `search_path = pg_catalog, pg_temp` and names the
  schema it was created in: a login's temporary `person` table (pg_temp is searched first by default)
  can no longer decide whose name an audit entry may carry.
- Who may name whom: a session whose login is mapped to a person writes only in that person's name,
  wherever a row names its author (audit.actor, progress/evidence/rule/accountability/ledger_batch
  .actor, measure.done_by, item.submitted_by). A login mapped to nobody may write nothing, unless it
  is a member of the role that owns the audit table (the owner that ran `init` and `db upgrade`, or
  a superuser): that is the one test, `zhenggai_login_is_owner()`.
- No change without its entry: a row of the people's tables written by a non-owner login needs an
  audit entry appended by the same transaction (for the same item, where the row has one), checked
  at commit; a new person needs the office's `person_add` entry naming it with the same fields.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen as of this revision. Tables a person's login writes, with the column naming the item whose
# entry must accompany the write (None, or a NULL there: any entry appended by the transaction).
AUDITED: dict[str, str | None] = {
    "item": "id",
    "measure": "item_id",
    "evidence": "item_id",
    "progress": "item_id",
    "ledger_key": "item_id",
    "rule": "item_id",
    "accountability": "item_id",
    "round": None,
    "aspect": None,
    "ledger_batch": None,
    "blob": None,
}
# The column of each table that names who did it, and the UPDATE that may change it (None: insert only).
AUTHORS: dict[str, tuple[str, bool]] = {
    "progress": ("actor", False),
    "evidence": ("actor", False),
    "rule": ("actor", False),
    "accountability": ("actor", False),
    "ledger_batch": ("actor", False),
    "measure": ("done_by", True),
    "item": ("submitted_by", True),
}
# A fixed search_path: nothing a login can create is ever looked up (pg_temp last, and never for
# functions or operators); every table is named with its schema anyway.
_SAFE = "SECURITY DEFINER SET search_path = pg_catalog, pg_temp"


def _functions(s: str, audit: str) -> list[str]:
    """The functions, for schema `s` (quoted) whose audit table is the regclass literal `audit`."""
    return [
        f"""CREATE OR REPLACE FUNCTION {s}.zhenggai_login_is_owner() RETURNS boolean
        LANGUAGE sql STABLE {_SAFE} AS $$
            SELECT pg_has_role(session_user, c.relowner, 'MEMBER') FROM pg_class c WHERE c.oid = {audit}
        $$""",
        f"""CREATE OR REPLACE FUNCTION {s}.zhenggai_login_person() RETURNS text
        LANGUAGE sql STABLE {_SAFE} AS $$
            SELECT p.name FROM {s}.person p WHERE p.db_login = session_user
        $$""",
        # session_user, not current_user: SET ROLE cannot change it, so nobody writes as someone else.
        f"""CREATE OR REPLACE FUNCTION {s}.zhenggai_audit_actor() RETURNS trigger
        LANGUAGE plpgsql {_SAFE} AS $$
        DECLARE mapped text := {s}.zhenggai_login_person();
        BEGIN
            IF mapped IS NULL THEN
                IF {s}.zhenggai_login_is_owner() THEN RETURN NEW; END IF;
                RAISE EXCEPTION '数据库登录 % 尚未对应任何人员，不能写入审计日志（请数据库所有者运行 zhenggai person login 姓名 %）',
                    session_user, session_user USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NEW.actor IS DISTINCT FROM mapped THEN
                RAISE EXCEPTION '审计条目的操作人 % 不是数据库登录 % 对应的人员（%）', NEW.actor, session_user, mapped
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$""",
        f"""CREATE OR REPLACE FUNCTION {s}.zhenggai_row_author() RETURNS trigger
        LANGUAGE plpgsql {_SAFE} AS $$
        DECLARE
            named text := to_jsonb(NEW) ->> TG_ARGV[0];
            mapped text;
        BEGIN
            IF named IS NULL OR (TG_OP = 'UPDATE' AND named IS NOT DISTINCT FROM to_jsonb(OLD) ->> TG_ARGV[0]) THEN
                RETURN NEW;
            END IF;
            mapped := {s}.zhenggai_login_person();
            IF named IS DISTINCT FROM mapped THEN
                RAISE EXCEPTION '%.% 为 %，不是数据库登录 % 对应的人员（%）', TG_TABLE_NAME, TG_ARGV[0], named,
                    session_user, coalesce(mapped, '无') USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$""",
        # Rows a transaction appended have its transaction id as xmin. Only the top-level id is
        # compared: the use cases write without savepoints (one that did would be refused, not let in).
        f"""CREATE OR REPLACE FUNCTION {s}.zhenggai_audited() RETURNS trigger
        LANGUAGE plpgsql {_SAFE} AS $$
        DECLARE
            target text := CASE WHEN TG_NARGS > 0 THEN to_jsonb(NEW) ->> TG_ARGV[0] END;
            mine xid := pg_current_xact_id()::xid;
        BEGIN
            IF target IS NOT NULL THEN
                PERFORM 1 FROM {s}.audit a WHERE a.item_id = target::integer AND a.xmin = mine;
            ELSE  -- the transaction holds the chain's tail: its last entry is the head
                PERFORM 1 FROM (SELECT a.xmin FROM {s}.audit a ORDER BY a.seq DESC LIMIT 1) h WHERE h.xmin = mine;
            END IF;
            IF NOT FOUND THEN
                RAISE EXCEPTION '% 的改动没有同一事务中的审计条目：数据库登录 % 只能通过 zhenggai 的命令改动数据',
                    TG_TABLE_NAME || coalesce('（事项 ' || target || '）', ''), session_user
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NULL;
        END $$""",
        f"""CREATE OR REPLACE FUNCTION {s}.zhenggai_person_added() RETURNS trigger
        LANGUAGE plpgsql {_SAFE} AS $$
        DECLARE
            mapped text := {s}.zhenggai_login_person();
            mine xid := pg_current_xact_id()::xid;
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM {s}.person p
                           WHERE p.name = mapped AND 'office' = ANY (string_to_array(p.roles, ','))) THEN
                RAISE EXCEPTION '数据库登录 % 的人员（%）不是整改办人员（office），不能添加人员 %', session_user,
                    coalesce(mapped, '无'), NEW.name USING ERRCODE = 'insufficient_privilege';
            END IF;
            -- person_add entries have no item: the audit index on item_id finds them among few rows.
            PERFORM 1 FROM {s}.audit a
             WHERE a.item_id IS NULL AND a.action = 'person_add' AND a.xmin = mine
               AND a.payload::jsonb @> jsonb_build_object('name', NEW.name, 'roles', NEW.roles)
               AND a.payload::jsonb ->> 'department' IS NOT DISTINCT FROM NEW.department
               AND a.payload::jsonb ->> 'title' IS NOT DISTINCT FROM NEW.title
               AND a.payload::jsonb ->> 'email' IS NOT DISTINCT FROM NEW.email;
            IF NOT FOUND THEN
                RAISE EXCEPTION '添加人员 % 没有同一事务中与之相符的 person_add 审计条目：请用 zhenggai person add', NEW.name
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NULL;
        END $$""",
        f"ALTER FUNCTION {s}.zhenggai_audit_append_only() {_SAFE}",
    ]


def _triggers(s: str) -> list[str]:
    not_owner = f"WHEN (NOT {s}.zhenggai_login_is_owner())"
    out = []
    for table, item in AUDITED.items():
        out.append(
            f"CREATE CONSTRAINT TRIGGER zhenggai_audited AFTER INSERT OR UPDATE ON {s}.{table} "
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW {not_owner} "
            f"EXECUTE FUNCTION {s}.zhenggai_audited({item or ''})"
        )
    for table, (column, updated) in AUTHORS.items():
        events = f"INSERT OR UPDATE OF {column}" if updated else "INSERT"
        out.append(
            f"CREATE TRIGGER zhenggai_row_author BEFORE {events} ON {s}.{table} "
            f"FOR EACH ROW {not_owner} EXECUTE FUNCTION {s}.zhenggai_row_author({column})"
        )
    out.append(
        f"CREATE CONSTRAINT TRIGGER zhenggai_person_added AFTER INSERT ON {s}.person "
        f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW {not_owner} EXECUTE FUNCTION {s}.zhenggai_person_added()"
    )
    return out


def _schema() -> tuple[str, str]:
    """The schema the migration runs in (the connection's current_schema), quoted, and the regclass
    literal of its audit table: fixed in the functions now, never looked up through a search_path."""
    bind = op.get_bind()
    name = bind.exec_driver_sql("SELECT current_schema()").scalar_one()
    quoted = bind.dialect.identifier_preparer.quote_identifier(name)
    return quoted, "'" + f"{quoted}.audit".replace("'", "''") + "'::regclass"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    s, audit = _schema()
    for statement in (*_functions(s, audit), *_triggers(s)):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    s, _ = _schema()
    for table in AUDITED:
        op.execute(f"DROP TRIGGER IF EXISTS zhenggai_audited ON {s}.{table}")
    for table in AUTHORS:
        op.execute(f"DROP TRIGGER IF EXISTS zhenggai_row_author ON {s}.{table}")
    op.execute(f"DROP TRIGGER IF EXISTS zhenggai_person_added ON {s}.person")
    for function in ("zhenggai_audited", "zhenggai_row_author", "zhenggai_person_added"):
        op.execute(f"DROP FUNCTION IF EXISTS {s}.{function}()")
    op.execute(f"ALTER FUNCTION {s}.zhenggai_audit_append_only() SECURITY INVOKER RESET search_path")
    # 0002's actor check, as it was.
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
    for function in ("zhenggai_login_person", "zhenggai_login_is_owner"):
        op.execute(f"DROP FUNCTION IF EXISTS {s}.{function}()")
