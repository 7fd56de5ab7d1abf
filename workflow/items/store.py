"""The write path's SQL: the item as a write transaction sees it, and the versioned update. Statements
are prepared (see `workflow.db.prepared`): this is the engine's hot loop."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow import clock
from workflow.audit.payloads import CitedEvidence
from workflow.db.prepared import Prepared
from workflow.db.tables.core import EVIDENCE, ITEM, MEASURE, ROUND, UNIT
from workflow.errors import Conflict
from workflow.read.facts import E_COUNT, M_DONE, M_TOTAL
from workflow.read.scope import not_found


class Current(NamedTuple):
    """What the write path needs of an item: the guard facts and the version to bump."""

    id: int
    number: str
    state: str
    version: int
    leader: str | None
    department: str | None
    handler: str | None
    deadline_kind: str | None
    deadline: date | None
    original_deadline: date | None
    submitted_by: str | None
    summary: str | None
    cooperating: str | None
    measures_total: int
    measures_done: int
    evidence_count: int
    feedback_date: date  # of the item's round: nothing is done to an item before its feedback
    unit: str  # the name of the item's unit: who may see it (states.guards.sees)


_FEEDBACK = sa.select(ROUND.c.feedback_date).where(ROUND.c.id == ITEM.c.round_id).scalar_subquery()
_UNIT = sa.select(UNIT.c.name).where(UNIT.c.id == ITEM.c.unit_id).scalar_subquery()
_CURRENT = Prepared(
    lambda: sa.select(
        *(ITEM.c[name] for name in Current._fields[:13]), M_TOTAL, M_DONE, E_COUNT, _FEEDBACK, _UNIT
    ).where(ITEM.c.id == sa.bindparam("p_id"))
)
_UPDATES: dict[frozenset[str], Prepared] = {}
_EVIDENCE_OF = Prepared(
    lambda: (
        sa.select(EVIDENCE.c.id, EVIDENCE.c.kind, EVIDENCE.c.ref, EVIDENCE.c.hash, EVIDENCE.c.file_sha256)
        .where(EVIDENCE.c.item_id == sa.bindparam("p_item"))
        .order_by(EVIDENCE.c.id)
    )
)
_MEASURE = Prepared(
    lambda: sa.select(MEASURE.c.id, MEASURE.c.done_on).where(
        MEASURE.c.item_id == sa.bindparam("p_item"), MEASURE.c.seq == sa.bindparam("p_seq")
    )
)
_MEASURE_DONE = Prepared(
    lambda: (
        MEASURE.update()
        .where(MEASURE.c.id == sa.bindparam("p_id"))
        .values(done_on=sa.bindparam("done_on"), done_by=sa.bindparam("done_by"))
    )
)
_ADD_EVIDENCE = Prepared(
    lambda: (
        EVIDENCE.insert()
        .values({c.name: sa.bindparam(c.name) for c in EVIDENCE.c if c.name != "id"})
        .returning(EVIDENCE.c.id)
    )
)


def _day(value: Any) -> date | None:
    # The driver hands back a date (psycopg) or the ISO text SQLAlchemy stored (SQLite).
    return value if value is None or isinstance(value, date) else date.fromisoformat(value)


def _plain(value: Any) -> Any:
    """Bind form of a value for the prepared statements: moments as canonical UTC text, dates ISO."""
    if isinstance(value, datetime):
        return clock.to_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def current(conn: Connection, item_id: int) -> Current:
    """The item as the write path sees it (inside the caller's write transaction)."""
    row = _CURRENT.run(conn, {"p_id": item_id}).fetchone()
    if row is None:
        raise not_found(item_id)
    row = list(row)
    row[8], row[9], row[16] = _day(row[8]), _day(row[9]), _day(row[16])
    return Current(*row)


def bump(conn: Connection, row: Current, now: datetime, **values: Any) -> None:
    """Write the item with its version bumped; a concurrent writer makes the WHERE miss → Conflict."""
    keys = frozenset(values)
    statement = _UPDATES.get(keys)
    if statement is None:
        statement = _UPDATES[keys] = Prepared(
            lambda: (
                ITEM.update()
                .where(ITEM.c.id == sa.bindparam("p_id"), ITEM.c.version == sa.bindparam("p_version"))
                .values(
                    version=sa.bindparam("p_next"),
                    updated_at=sa.bindparam("p_at"),
                    **{k: sa.bindparam(k) for k in sorted(keys)},
                )
            )
        )
    params = {k: _plain(v) for k, v in values.items()}
    params.update(p_id=row.id, p_version=row.version, p_next=row.version + 1, p_at=clock.to_text(now))
    if statement.run(conn, params).rowcount != 1:
        raise Conflict(f"事项 {row.id} 已被他人改动，请刷新后重试")


def evidence_of(conn: Connection, item_id: int) -> list[CitedEvidence]:
    """The item's evidence as a sign-off cites it: id, kind, reference and the two hashes."""
    return [
        CitedEvidence(id=i, kind=kind, ref=ref, hash=digest, file_sha256=file_sha256)
        for i, kind, ref, digest, file_sha256 in _EVIDENCE_OF.run(conn, {"p_item": item_id}).fetchall()
    ]


def measure(conn: Connection, item_id: int, seq: int) -> tuple[int, Any] | None:
    """(id, done_on) of measure `seq` of the item, or None."""
    row = _MEASURE.run(conn, {"p_item": item_id, "p_seq": seq}).fetchone()
    return None if row is None else (row[0], row[1])


def mark_measure_done(conn: Connection, measure_id: int, day: date, actor: str) -> None:
    _MEASURE_DONE.run(conn, {"p_id": measure_id, "done_on": day.isoformat(), "done_by": actor})


def add_evidence(conn: Connection, values: dict[str, Any]) -> int:
    """Insert an evidence row (every column but id, in bind form); returns its id."""
    return int(_ADD_EVIDENCE.run(conn, values).fetchone()[0])
