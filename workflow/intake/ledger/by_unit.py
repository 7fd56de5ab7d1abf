"""A ledger of many inspected units at once (a 被巡察单位 column, as a county office keeps one for a
whole round): split into one ledger per unit, each imported into its unit as if on its own (one
batch per unit, all in one transaction). An empty cell continues the unit above it (a merged column,
the usual layout); without the column the whole ledger is one unit's (`ledger import --unit`).
`target_unit` is the unit an import writes into, added to the round when new."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.db.tables.core import UNIT
from workflow.errors import InvalidInput
from workflow.inputs import clean_line
from workflow.intake.ledger.plan import Plan
from workflow.intake.ledger.workbook import Problem, Table
from workflow.items import units


def split(table: Table) -> tuple[list[tuple[str | None, Table]], list[Problem]]:
    """(unit name, its rows as a table) in the order units first appear; None: no unit column."""
    col = table.index("unit")
    if col is None:
        return [(None, table)], []
    groups: dict[str, list[tuple[int, list[Any]]]] = {}
    problems: list[Problem] = []
    current: str | None = None
    for number, values in table.rows:
        cell = values[col] if col < len(values) else None
        text = "" if cell is None else str(cell).strip()
        if text:
            try:
                current = clean_line(text, "被巡察单位", 200, required=True)
            except InvalidInput as exc:
                problems.append(table.problem(number, col, str(exc)))
                continue
        if current is None:
            problems.append(table.problem(number, col, "被巡察单位为空，上方也没有可沿用的单位"))
            continue
        groups.setdefault(current, []).append((number, values))
    return [
        (unit, replace(table, rows=rows, problems=list(table.problems))) for unit, rows in groups.items()
    ], problems


def target_unit(conn: Connection, plan: Plan, rid: int, now: datetime) -> int:
    """The unit's id: the new round's own, or the one named (added, audited, when new)."""
    target = plan.round
    if target.unit_id is None:
        if conn.execute(sa.select(UNIT.c.id).where(UNIT.c.round_id == rid)).first() is None:
            target.unit_id = units.own_unit(conn, rid, str(target.values["unit"]), plan.actor, now)
        if (target.unit and target.unit != target.values["unit"]) or target.unit_id is None:
            target.unit_id = units.unit_named(conn, rid, target.unit, plan.actor, now)
    return target.unit_id
