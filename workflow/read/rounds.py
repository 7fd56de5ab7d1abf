"""A round looked up by name (or the only one), and the records kept for it: rules made or revised,
accountability actions."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.db.tables.core import ACCOUNTABILITY, ITEM, ROUND, RULE, UNIT
from workflow.errors import InvalidInput, NotFound
from workflow.read.scope import EVERYTHING, Scope

RULE_KINDS = {"made": "制定", "revised": "修订"}


def resolve_round(conn: Connection, name: str | None = None) -> Any:
    """The named round, or the only one; a clear error otherwise."""
    if name:
        row = conn.execute(sa.select(ROUND).where(ROUND.c.name == name)).first()
        if row is None:
            raise NotFound(f"没有名为「{name}」的巡察轮次")
        return row
    rows = conn.execute(sa.select(ROUND).order_by(ROUND.c.id)).all()
    if len(rows) == 1:
        return rows[0]
    if not rows:
        raise NotFound("数据库中还没有巡察轮次（先用 zhenggai import 或 zhenggai ledger import 导入）")
    raise InvalidInput(f"有多个巡察轮次，请用 --round 指明：{'、'.join(r.name for r in rows)}")


def _in_scope(table: sa.Table, scope: Scope) -> Any:
    """A record a unit's reader sees: of an item of the unit, or of no item in a round whose only
    unit is theirs (workflow/read/snapshot.py::unit_of_record counts them the same way)."""
    if scope.unit is None:
        return sa.true()
    mine = sa.select(ITEM.c.id).where(scope.clause())
    units = sa.select(sa.func.count()).where(UNIT.c.round_id == table.c.round_id).scalar_subquery()
    sole = sa.exists().where(UNIT.c.round_id == table.c.round_id, UNIT.c.name == scope.unit)
    return sa.or_(table.c.item_id.in_(mine), sa.and_(table.c.item_id.is_(None), units == 1, sole))


def list_rules(
    conn: Connection, round_name: str | None = None, scope: Scope = EVERYTHING
) -> list[dict[str, Any]]:
    q = sa.select(RULE).where(_in_scope(RULE, scope)).order_by(RULE.c.issued_on, RULE.c.id)
    if round_name:
        q = q.where(RULE.c.round_id == resolve_round(conn, round_name).id)
    return [{**r._mapping, "kind_label": RULE_KINDS[r.kind]} for r in conn.execute(q)]


def list_accountability(
    conn: Connection, round_name: str | None = None, scope: Scope = EVERYTHING
) -> list[dict[str, Any]]:
    q = sa.select(ACCOUNTABILITY).where(_in_scope(ACCOUNTABILITY, scope))
    q = q.order_by(ACCOUNTABILITY.c.decided_on, ACCOUNTABILITY.c.id)
    if round_name:
        q = q.where(ACCOUNTABILITY.c.round_id == resolve_round(conn, round_name).id)
    return [dict(r._mapping) for r in conn.execute(q)]
