"""SQL renderings of the lifecycle's rules, for queries that filter in the database. Each has its Python
twin in `states/`; tests/unit and tests/integration check the two agree."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from states.lifecycle import OPEN_STATES, State
from workflow.db.tables.core import ITEM

# Literal, not bound: SQLite only uses the partial index ix_item_open_deadline when the query's
# WHERE repeats the index's own condition.
OPEN_SQL = sa.text("item.state IN ('reported','assigned','in_progress','submitted')")
assert {s.value for s in OPEN_STATES} == {"reported", "assigned", "in_progress", "submitted"}
COMPLETED_STATES = (State.closed.value, State.revisited.value)


def overdue_clause(today: date) -> sa.ColumnElement[bool]:
    return sa.and_(OPEN_SQL, ITEM.c.deadline < today, ITEM.c.deadline_kind == "date")
