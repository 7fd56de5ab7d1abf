"""SQL renderings of the rules in `states/` (open, done, overdue, days left, near), for queries that
filter in the database. Each has its Python twin in `states.deadlines` or `states.colours`;
tests/integration/test_clauses.py and test_reminders_ladder.py run both over the same rows on each
backend and check they agree."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from states.lifecycle import DONE_STATES, OPEN_STATES, DeadlineKind
from workflow.db.tables.core import AUDIT, ITEM


def _in(states: tuple[str, ...]) -> str:
    return "item.state IN (" + ",".join(f"'{s}'" for s in states) + ")"


# Literal, not bound: SQLite uses the partial index ix_item_open_deadline only when the query's WHERE
# repeats the index's own condition, text for text (migration 0001 creates it with this very text).
OPEN_SQL = sa.text(_in(tuple(s.value for s in OPEN_STATES)))
DONE_SQL = sa.text(_in(tuple(s.value for s in DONE_STATES)))
DONE_VALUES = tuple(s.value for s in DONE_STATES)


def overdue_clause(today: date) -> sa.ColumnElement[bool]:
    """states.deadlines.is_overdue as SQL: open, a dated deadline, and that date before `today`."""
    return sa.and_(OPEN_SQL, ITEM.c.deadline_kind == DeadlineKind.date.value, ITEM.c.deadline < today)


def days_left_at_most(today: date, days: int) -> sa.ColumnElement[bool]:
    """`days_left(kind, deadline, today) <= days` (states.deadlines) as SQL: never true without a date."""
    return sa.and_(
        ITEM.c.deadline_kind == DeadlineKind.date.value, ITEM.c.deadline <= today + timedelta(days=days)
    )


def near_clause(today: date, days: int) -> sa.ColumnElement[bool]:
    """states.colours.is_near(days_left(…), days) as SQL: a dated deadline from today to `days` ahead."""
    return sa.and_(
        ITEM.c.deadline_kind == DeadlineKind.date.value,
        ITEM.c.deadline >= today,
        ITEM.c.deadline <= today + timedelta(days=days),
    )


# The actions that create an item, in a state past 已登记 when it came from a ledger (a baseline:
# workflow.read.snapshot.is_baseline, which names the same actions).
BASELINE_ACTIONS = ("ledger_baseline", "ledger_import")


def not_arrived_closed() -> sa.ColumnElement[bool]:
    """The item's closed_at is not the moment a ledger import brought it in already done: it was
    signed off in the system, so "closed this week / last month" may count it. (An item a ledger
    brought in done has the moment of its baseline entry as closed_at.)"""
    return ~sa.exists().where(
        AUDIT.c.item_id == ITEM.c.id,
        AUDIT.c.action.in_(BASELINE_ACTIONS),
        AUDIT.c.from_state.is_(None),
        AUDIT.c.at == ITEM.c.closed_at,
    )
