"""Migrations: the head matches the code, the migrated schema matches the models, and a database of
the first released schema upgrades with every row and the audit chain intact."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tests.backends import fresh_url
from tests.conftest import OFFICE
from tests.fixtures.legacy import legacy_url
from workflow import clock, db
from workflow.audit import verify
from workflow.db import migrate
from workflow.db.tables import metadata
from workflow.errors import NotInitialised
from workflow.items import round_records


def test_the_code_expects_the_head_revision() -> None:
    assert migrate.head() == db.SCHEMA_HEAD


def test_the_migrated_schema_is_the_models_schema(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata())
    # The partial index of the overdue query is made by the migration, not declared on the model.
    diff = [d for d in diff if not (d[0] == "remove_index" and d[1].name == "ix_item_open_deadline")]
    assert diff == []


def _counts(conn: sa.Connection) -> dict[str, int]:
    """Rows per table, of the tables the old schema had (0007 added `unit`)."""
    present = set(sa.inspect(conn).get_table_names())
    return {
        name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for name, table in metadata().tables.items()
        if name in present and name != "unit"
    }


def test_an_empty_database_of_the_first_schema_upgrades_to_the_head(tmp_path: Path) -> None:
    engine = db.make_engine(fresh_url(tmp_path))
    with engine.begin() as conn:
        migrate.upgrade(conn, "0001")
    assert db.create_schema(engine) is False
    with db.reading(engine) as conn:
        assert migrate.current(conn) == db.SCHEMA_HEAD


def test_a_database_the_old_code_made_upgrades_with_rows_and_chain_intact(tmp_path: Path) -> None:
    """tests/fixtures/legacy: made by the code before the restructure (schema 0002), 86 entries."""
    engine = db.make_engine(legacy_url(tmp_path))
    with engine.connect() as conn:
        before_counts = _counts(conn)
        before_audit = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM audit ORDER BY seq"))]
        before_items = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM item ORDER BY id"))]
        assert "unit" not in sa.inspect(conn).get_table_names()
    assert db.create_schema(engine) is False  # `zhenggai init` on an existing database upgrades it
    with db.reading(engine) as conn:
        assert migrate.current(conn) == db.SCHEMA_HEAD
        after_counts = _counts(conn)
        assert {k: after_counts[k] for k in before_counts} == before_counts
        assert all(after_counts[k] == 0 for k in set(after_counts) - set(before_counts))
        after = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM audit ORDER BY seq"))]
        assert [r[:11] for r in after] == before_audit and {r[11] for r in after} == {None}
        # Every old column as it was; 0006 adds item.category, empty (derived from the state) for all;
        # 0007 item.unit_id.
        columns = ", ".join(
            c.name for c in metadata().tables["item"].columns if c.name not in ("unit_id", "category")
        )
        assert [
            tuple(r) for r in conn.execute(sa.text(f"SELECT {columns} FROM item ORDER BY id"))
        ] == before_items
        assert {r[0] for r in conn.execute(sa.text("SELECT category FROM item"))} == {None}
        # Each old round became one unit, with the round's id, holding every item of the round.
        units = conn.execute(sa.text("SELECT id, round_id, name FROM unit ORDER BY id")).all()
        rounds = conn.execute(sa.text("SELECT id, id, unit FROM round ORDER BY id")).all()
        assert units == rounds and len(units) >= 1
        assert not conn.execute(sa.text("SELECT 1 FROM item WHERE unit_id <> round_id")).first()
        assert verify.verify(conn).ok
    # And the upgraded database works on: the next action chains onto the old log.
    with db.unit_of_work(engine) as conn:
        round_records.add_rule(
            conn,
            OFFICE,
            clock.parse_moment("2025-03-10T10:00"),
            title="巡察整改长效机制",
            kind="made",
            issued_on=date(2025, 3, 10),
            round_name="县委上下联动乡村振兴专项巡察（太山镇）",
        )
    with db.reading(engine) as conn:
        verdict = verify.verify(conn)
    assert verdict.ok and verdict.count == len(before_audit) + 1
    engine.dispose()


def test_an_outdated_database_asks_for_an_upgrade(tmp_path: Path) -> None:
    engine = db.make_engine(fresh_url(tmp_path))
    with engine.begin() as conn:
        migrate.upgrade(conn, "0001")
    with pytest.raises(NotInitialised, match="zhenggai db upgrade"), db.reading(engine):
        pass
