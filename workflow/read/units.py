"""The inspected units (被巡察单位) of a round, looked up by name within the reader's scope."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.db.tables.core import UNIT
from workflow.errors import InvalidInput, NotFound
from workflow.read.scope import EVERYTHING, Scope


def units_of(conn: Connection, round_id: int, scope: Scope = EVERYTHING) -> list[Any]:
    """The round's units in their order (id, name, position), those in `scope`."""
    q = sa.select(UNIT.c.id, UNIT.c.name, UNIT.c.position).where(UNIT.c.round_id == round_id)
    if scope.unit is not None:
        q = q.where(UNIT.c.name == scope.unit)
    return list(conn.execute(q.order_by(UNIT.c.position, UNIT.c.id)))


def resolve_unit(conn: Connection, rnd: Any, name: str | None, scope: Scope = EVERYTHING) -> Any:
    """The named unit of the round, or its only one (in scope); a unit out of scope is not found."""
    units = units_of(conn, rnd.id, scope)
    if name:
        found = next((u for u in units if u.name == name), None)
        if found is None:
            raise NotFound(f"巡察轮次「{rnd.name}」没有名为「{name}」的被巡察单位")
        return found
    if len(units) == 1:
        return units[0]
    if not units:
        raise NotFound(f"巡察轮次「{rnd.name}」没有被巡察单位")
    names = "、".join(u.name for u in units)
    raise InvalidInput(f"巡察轮次「{rnd.name}」有多个被巡察单位，请用 --unit 指明：{names}")


def unit_names(conn: Connection, scope: Scope = EVERYTHING) -> list[str]:
    """The names of every round's units in `scope`, each once (the web ledger's 被巡察单位 filter)."""
    q = sa.select(UNIT.c.name).where(scope.clause(UNIT.c.id)).group_by(UNIT.c.name)
    return [r.name for r in conn.execute(q.order_by(sa.func.min(UNIT.c.id)))]
