"""The deadline ladder's SQL twin picks the same items, on the same step, as its Python definition — on
each backend, at every boundary of the ladder (0, 1, the yellow days, the notice days, the escalation
days and one either side), for every state and kind of deadline."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from states.colours import is_near
from states.deadlines import days_left
from states.lifecycle import DeadlineKind, State
from workflow import db
from workflow.db.tables.core import ITEM
from workflow.read.clauses import days_left_at_most, near_clause
from workflow.reminders.deadlines import chased_sql, deadline_stage, stage_sql
from workflow.reminders.settings import Settings, load

TODAY = date(2025, 1, 10)
SETTINGS = {
    "default": load({}),  # notice 20, yellow 10, escalation after 30
    "tight": load(
        {
            "lights": {"yellow_days": 1},
            "reminders": {"deadline": {"notice_days": 2, "escalate_after_days": 2}},
        }
    ),
    "yellow at once": load(
        {
            "lights": {"yellow_days": 0},
            "reminders": {"deadline": {"notice_days": 1, "escalate_after_days": 3}},
        }
    ),
    "escalated at once": load({"reminders": {"deadline": {"escalate_after_days": 1}}}),
}


def boundaries(s: Settings) -> set[int]:
    """Days left at which some answer may change, and one day either side."""
    edges = {0, 1, s.yellow_days, s.deadline.notice_days, -1, -s.deadline.escalate_after_days}
    return {e + step for e in edges for step in (-1, 0, 1)}


OFFSETS = sorted(set().union(*(boundaries(s) for s in SETTINGS.values())))
KINDS = (DeadlineKind.date.value, DeadlineKind.immediate.value, DeadlineKind.ongoing.value)
CASES: list[tuple[State, str, date | None]] = [
    (state, kind, None if offset is None else TODAY + timedelta(days=offset))
    for state, kind, offset in itertools.product(State, KINDS, [None, *OFFSETS])
]


@pytest.fixture
def grid(seeded: sa.Engine) -> sa.Engine:
    """One item per (state, kind, deadline) of the grid, ids from 100 on."""
    with db.unit_of_work(seeded) as conn:
        template = conn.execute(sa.select(ITEM).where(ITEM.c.id == 1)).one()._asdict()
        rows = [
            {
                **template,
                "id": 100 + n,
                "number": f"t/{n}",
                "state": s.value,
                "deadline_kind": k,
                "deadline": d,
            }
            for n, (s, k, d) in enumerate(CASES)
        ]
        conn.execute(ITEM.insert(), rows)
    return seeded


def chosen(engine: sa.Engine, clause: sa.ColumnElement[bool], *columns: Any) -> dict[int, Any]:
    with db.reading(engine) as conn:
        query = sa.select(ITEM.c.id, *columns).where(ITEM.c.id >= 100, clause)
        return {row[0]: row[1] if columns else None for row in conn.execute(query)}


@pytest.mark.parametrize("name", SETTINGS)
def test_the_sql_ladder_puts_each_item_on_the_step_the_python_ladder_says(grid: sa.Engine, name: str) -> None:
    s = SETTINGS[name]
    want = {
        100 + n: stage
        for n, (state, kind, deadline) in enumerate(CASES)
        if (stage := deadline_stage(state, kind, deadline, TODAY, s)) is not None
    }
    assert chosen(grid, chased_sql(TODAY, s), stage_sql(TODAY, s)) == want
    # The grid reaches every step, so the comparison above is not vacuous (escalated one day after the
    # deadline, an item skips the red step).
    steps = {"deadline_notice", "deadline_warning", "escalation"}
    assert set(want.values()) == steps | ({"overdue"} if s.deadline.escalate_after_days > 1 else set())


@pytest.mark.parametrize("days", sorted({*OFFSETS, 0, 10, 20}))
def test_days_left_and_near_select_what_the_python_rules_say(grid: sa.Engine, days: int) -> None:
    left = {100 + n: days_left(kind, deadline, TODAY) for n, (_, kind, deadline) in enumerate(CASES)}
    at_most = {i for i, v in left.items() if v is not None and v <= days}
    assert set(chosen(grid, days_left_at_most(TODAY, days))) == at_most
    if days >= 0:
        assert set(chosen(grid, near_clause(TODAY, days))) == {i for i, v in left.items() if is_near(v, days)}
