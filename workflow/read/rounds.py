"""A round looked up by name (or the only one), and the records kept for it: rules made or revised,
accountability actions."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.db.tables.core import ACCOUNTABILITY, ROUND, RULE
from workflow.errors import InvalidInput, NotFound

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


def list_rules(conn: Connection, round_name: str | None = None) -> list[dict[str, Any]]:
    q = sa.select(RULE).order_by(RULE.c.issued_on, RULE.c.id)
    if round_name:
        q = q.where(RULE.c.round_id == resolve_round(conn, round_name).id)
    return [{**r._mapping, "kind_label": RULE_KINDS[r.kind]} for r in conn.execute(q)]


def list_accountability(conn: Connection, round_name: str | None = None) -> list[dict[str, Any]]:
    q = sa.select(ACCOUNTABILITY).order_by(ACCOUNTABILITY.c.decided_on, ACCOUNTABILITY.c.id)
    if round_name:
        q = q.where(ACCOUNTABILITY.c.round_id == resolve_round(conn, round_name).id)
    return [dict(r._mapping) for r in conn.execute(q)]
