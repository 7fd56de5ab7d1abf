"""Migrations: the head matches the code, the migrated schema matches the models, and a database of
the first released schema upgrades with every row and the audit chain intact."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tests.backends import fresh_url
from tests.conftest import APPROVER, HANDLER, OFFICE
from workflow import clock, db
from workflow.audit import verify
from workflow.db import migrate
from workflow.db.tables import metadata
from workflow.demo import example_path
from workflow.errors import NotInitialised
from workflow.intake import round_yaml
from workflow.items import actions


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
    return {
        name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for name, table in metadata().tables.items()
    }


def test_a_database_of_the_first_schema_upgrades_with_rows_and_chain_intact(tmp_path: Path) -> None:
    engine = db.make_engine(fresh_url(tmp_path))
    with engine.begin() as conn:
        migrate.upgrade(conn, "0001")
    # Fill it the way 0001-era code did: import, work, sign off (nothing here touches db_login).
    now = clock.parse_moment("2024-10-21T10:00")
    with db.unit_of_work(engine) as conn:
        round_yaml.import_round(conn, round_yaml.load_file(example_path("taishan.yaml")), OFFICE, now)
        actions.fire(conn, 1, "assign", OFFICE, now)
        actions.fire(conn, 1, "start", HANDLER, now)
        actions.complete_measure(conn, 1, 1, HANDLER, now)
        actions.attach_evidence(conn, 1, HANDLER, now, kind="批文", ref="获政土〔2024〕27号")
        actions.fire(conn, 1, "submit", HANDLER, now, summary="已办结")
        actions.fire(conn, 1, "approve", APPROVER, now)
    with engine.connect() as conn:
        before_counts = _counts(conn)
        before_audit = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM audit ORDER BY seq"))]
        before_items = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM item ORDER BY id"))]
    assert db.create_schema(engine) is False  # `zhenggai init` on an existing database upgrades it
    with db.reading(engine) as conn:
        assert migrate.current(conn) == db.SCHEMA_HEAD
        assert _counts(conn) == before_counts
        assert [tuple(r) for r in conn.execute(sa.text("SELECT * FROM audit ORDER BY seq"))] == before_audit
        assert [tuple(r) for r in conn.execute(sa.text("SELECT * FROM item ORDER BY id"))] == before_items
        assert verify.verify(conn).ok
    # And the upgraded database works on: the next action chains onto the old log.
    with db.unit_of_work(engine) as conn:
        actions.fire(conn, 1, "revisit", OFFICE, now)
    with db.reading(engine) as conn:
        verdict = verify.verify(conn)
    assert verdict.ok and verdict.count == len(before_audit) + 1


def test_an_outdated_database_asks_for_an_upgrade(tmp_path: Path) -> None:
    engine = db.make_engine(fresh_url(tmp_path))
    with engine.begin() as conn:
        migrate.upgrade(conn, "0001")
    with pytest.raises(NotInitialised, match="zhenggai db upgrade"), db.reading(engine):
        pass
