"""Use cases on inspected units (被巡察单位): a round's units, each added with an audited `unit_add`
entry — except a round's own first unit, which has the round's id and the round's `unit` as its name
and is implied by the round's entry (as for every round made before units existed, migration 0007).

Unit ids are given here, never drawn from a sequence: the round's own unit takes the round's id when
it is free, any other unit the next id after the largest. Writers hold the chain's lock (SQLite's
BEGIN IMMEDIATE, PostgreSQL's advisory lock), so two writers never pick the same id."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.audit import chain
from workflow.audit.payloads import UnitAdded
from workflow.db.tables.core import UNIT
from workflow.inputs import clean_line


def _insert(conn: Connection, unit_id: int, round_id: int, name: str, position: int, now: datetime) -> None:
    conn.execute(
        UNIT.insert().values(id=unit_id, round_id=round_id, name=name, position=position, created_at=now)
    )


def own_unit(conn: Connection, round_id: int, name: str, actor: str, now: datetime) -> int:
    """The first unit of a round just added (in the same transaction, right after the round's entry)."""
    taken = conn.execute(sa.select(UNIT.c.id).where(UNIT.c.id == round_id)).first() is not None
    if not taken:
        _insert(conn, round_id, round_id, name, 0, now)  # implied by the round's entry: no entry of its own
        return round_id
    return add_unit(conn, round_id, name, actor, now)


def add_unit(conn: Connection, round_id: int, name: str, actor: str, now: datetime) -> int:
    """Add a unit to a round (audited); the caller has checked the actor may."""
    name = clean_line(name, "被巡察单位", 200, required=True)
    unit_id = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(UNIT.c.id), 0))).scalar_one()) + 1
    position = int(
        conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(UNIT.c.position) + 1, 0)).where(
                UNIT.c.round_id == round_id
            )
        ).scalar_one()
    )
    _insert(conn, unit_id, round_id, name, position, now)
    chain.append(
        conn,
        at=now,
        actor=actor,
        action="unit_add",
        payload=UnitAdded(id=unit_id, round_id=round_id, name=name, position=position),
    )
    return unit_id


def unit_named(conn: Connection, round_id: int, name: str, actor: str, now: datetime) -> int:
    """The round's unit of that name, added when the round has none (a ledger naming a new unit)."""
    name = clean_line(name, "被巡察单位", 200, required=True)
    found = conn.execute(
        sa.select(UNIT.c.id).where(UNIT.c.round_id == round_id, UNIT.c.name == name)
    ).scalar()
    return int(found) if found is not None else add_unit(conn, round_id, name, actor, now)


def in_payload(unit_id: int, round_id: int) -> int | None:
    """The unit as an entry names it: not at all for the round's own unit (the id is the round's),
    so such entries are byte for byte what they were before units existed."""
    return None if unit_id == round_id else unit_id
