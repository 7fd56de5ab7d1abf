"""Inspected units (被巡察单位): a round inspects many units, each with its own aspects, items and
ledger numbers (issue 10 §3); a person may belong to one unit (NULL: the county level).

Every existing round gets one unit, named as the round's `unit` and with the round's id, so that an
entry written before units existed (its payload names no unit) reads as "the round's own unit": the
trail still rebuilds every row (workflow/audit/replay.py). Item numbers, aspect numbers and ledger
序号 are unique per unit instead of per round.

On SQLite the item, aspect and ledger_key tables are rebuilt (batch mode); `db.create_schema` runs
migrations with foreign keys off, as SQLite's own procedure for a rebuild asks, and this migration
checks them before it ends. On PostgreSQL the new table gets 0004's "no change without its entry"
trigger, and a person's unit joins what `person_add` must match.

Revision ID: 0007
Revises: 0008 (written beside 0008 from 0004; chained after it when both met on main)
Create Date: 2026-12-01 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0008"
branch_labels = None
depends_on = None

# Reflected unnamed unique constraints get these names in SQLite batch mode; PostgreSQL named them.
_CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
_OLD_UNIQUE = {
    "aspect": ("round_id", "number"),
    "item": ("round_id", "number"),
    "ledger_key": ("round_id", "ledger_no"),
}
_NEW_UNIQUE = {
    "aspect": ("unit_id", "number"),
    "item": ("unit_id", "number"),
    "ledger_key": ("unit_id", "ledger_no"),
}
# The item indexes a SQLite rebuild must not lose (0001 made them; the first in plain SQL).
_OPEN_DEADLINE = "CREATE INDEX ix_item_open_deadline ON item (deadline) WHERE state IN ('reported','assigned','in_progress','submitted')"
_ONGOING = "CREATE INDEX ix_item_ongoing ON item (created_at) WHERE deadline_kind = 'ongoing'"


def _unique_name(dialect: str, table: str, columns: tuple[str, ...]) -> str:
    if dialect == "postgresql":
        return f"{table}_{'_'.join(columns)}_key"
    return f"uq_{table}_{columns[0]}"


def _retarget(dialect: str, table: str, fill: str, index: bool = False) -> None:
    """Add unit_id to `table`, fill it, make it required and the unique key's first column."""
    op.add_column(table, sa.Column("unit_id", sa.Integer(), nullable=True))
    op.execute(f"UPDATE {table} SET unit_id = {fill}")
    with op.batch_alter_table(table, naming_convention=_CONVENTION) as batch:
        batch.alter_column("unit_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint(_unique_name(dialect, table, _OLD_UNIQUE[table]), type_="unique")
        batch.create_unique_constraint(
            _unique_name(dialect, table, _NEW_UNIQUE[table]), list(_NEW_UNIQUE[table])
        )
        fk = f"{table}_unit_id_fkey" if dialect == "postgresql" else f"fk_{table}_unit_id"
        batch.create_foreign_key(fk, "unit", ["unit_id"], ["id"])
        if index:
            batch.create_index("ix_item_unit_id", ["unit_id"], unique=False)


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(length=27), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "name"),
    )
    op.create_index("ix_unit_round_id", "unit", ["round_id"], unique=False)
    op.execute(
        "INSERT INTO unit (id, round_id, name, position, created_at) SELECT id, id, unit, 0, created_at FROM round"
    )
    if dialect == "postgresql":  # the ids above were given, not drawn: the sequence goes on after them
        op.execute(
            "SELECT setval(pg_get_serial_sequence('unit', 'id'), coalesce(max(id), 0) + 1, false) FROM unit"
        )
    op.add_column("person", sa.Column("unit", sa.String(length=200), nullable=True))
    if dialect == "sqlite":
        op.execute("DROP INDEX ix_item_open_deadline")
        op.execute("DROP INDEX ix_item_ongoing")
    _retarget(dialect, "aspect", "round_id")
    _retarget(dialect, "item", "round_id", index=True)
    _retarget(dialect, "ledger_key", "(SELECT i.unit_id FROM item i WHERE i.id = ledger_key.item_id)")
    if dialect == "sqlite":
        op.execute(_OPEN_DEADLINE)
        op.execute(_ONGOING)
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")
    else:
        _postgresql()


def _postgresql() -> None:
    bind = op.get_bind()
    name = bind.exec_driver_sql("SELECT current_schema()").scalar_one()
    s = bind.dialect.identifier_preparer.quote_identifier(name)
    op.execute(
        f"CREATE CONSTRAINT TRIGGER zhenggai_audited AFTER INSERT OR UPDATE ON {s}.unit "
        f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NOT {s}.zhenggai_login_is_owner()) "
        f"EXECUTE FUNCTION {s}.zhenggai_audited()"
    )
    op.execute(_person_added(s, with_unit=True))
    # A deployment's roles keep working before its grants are renewed (`zhenggai db grants`): the new
    # table gets what each role has on `round`, the table it hangs from.
    grants = bind.exec_driver_sql(
        "SELECT grantee, privilege_type FROM information_schema.role_table_grants "
        "WHERE table_schema = current_schema() AND table_name = 'round' "
        "AND grantee <> current_user AND privilege_type IN ('SELECT', 'INSERT')"
    ).all()
    for grantee, privilege in grants:
        role = bind.dialect.identifier_preparer.quote_identifier(grantee)
        op.execute(f"GRANT {privilege} ON {s}.unit TO {role}")


def _person_added(s: str, with_unit: bool) -> str:
    """0004's check of a new person; from this revision on, the unit is among the fields it matches."""
    unit = (
        "\n               AND a.payload::jsonb ->> 'unit' IS NOT DISTINCT FROM NEW.unit" if with_unit else ""
    )
    return f"""CREATE OR REPLACE FUNCTION {s}.zhenggai_person_added() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            mapped text := {s}.zhenggai_login_person();
            mine xid := pg_current_xact_id()::xid;
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM {s}.person p
                           WHERE p.name = mapped AND 'office' = ANY (string_to_array(p.roles, ','))) THEN
                RAISE EXCEPTION '数据库登录 % 的人员（%）不是整改办人员（office），不能添加人员 %', session_user,
                    coalesce(mapped, '无'), NEW.name USING ERRCODE = 'insufficient_privilege';
            END IF;
            PERFORM 1 FROM {s}.audit a
             WHERE a.item_id IS NULL AND a.action = 'person_add' AND a.xmin = mine
               AND a.payload::jsonb @> jsonb_build_object('name', NEW.name, 'roles', NEW.roles)
               AND a.payload::jsonb ->> 'department' IS NOT DISTINCT FROM NEW.department
               AND a.payload::jsonb ->> 'title' IS NOT DISTINCT FROM NEW.title
               AND a.payload::jsonb ->> 'email' IS NOT DISTINCT FROM NEW.email{unit};
            IF NOT FOUND THEN
                RAISE EXCEPTION '添加人员 % 没有同一事务中与之相符的 person_add 审计条目：请用 zhenggai person add', NEW.name
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NULL;
        END $$"""


def downgrade() -> None:
    """Back to one unit per round: only where every round has exactly its own unit (the round's id)."""
    bind = op.get_bind()
    dialect = bind.dialect.name
    folded = bind.exec_driver_sql(
        "SELECT count(*) FROM unit u WHERE u.id <> u.round_id OR u.name <> (SELECT r.unit FROM round r WHERE r.id = u.round_id)"
    ).scalar()
    if folded:
        raise RuntimeError("0007 cannot be undone: some round has several inspected units (or a renamed one)")
    if dialect == "postgresql":
        name = bind.exec_driver_sql("SELECT current_schema()").scalar_one()
        s = bind.dialect.identifier_preparer.quote_identifier(name)
        op.execute(f"DROP TRIGGER IF EXISTS zhenggai_audited ON {s}.unit")
        op.execute(_person_added(s, with_unit=False))
    else:
        op.execute("DROP INDEX ix_item_open_deadline")
        op.execute("DROP INDEX ix_item_ongoing")
    for table in ("ledger_key", "item", "aspect"):
        fk = f"{table}_unit_id_fkey" if dialect == "postgresql" else f"fk_{table}_unit_id"
        with op.batch_alter_table(table, naming_convention=_CONVENTION) as batch:
            if table == "item":
                batch.drop_index("ix_item_unit_id")
            batch.drop_constraint(fk, type_="foreignkey")
            batch.drop_constraint(_unique_name(dialect, table, _NEW_UNIQUE[table]), type_="unique")
            batch.create_unique_constraint(
                _unique_name(dialect, table, _OLD_UNIQUE[table]), list(_OLD_UNIQUE[table])
            )
            batch.drop_column("unit_id")
    if dialect == "sqlite":
        op.execute(_OPEN_DEADLINE)
        op.execute(_ONGOING)
    op.drop_column("person", "unit")
    op.drop_index("ix_unit_round_id", table_name="unit")
    op.drop_table("unit")
