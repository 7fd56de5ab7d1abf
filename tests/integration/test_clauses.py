"""The SQL twins of the lifecycle's rules (workflow.read.clauses) select exactly the items the Python
definitions in states/ pick, on each backend, at every boundary of the deadline."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import sqlalchemy as sa

from states.deadlines import is_done, is_open, is_overdue
from states.lifecycle import DeadlineKind, State
from workflow import db
from workflow.db.tables.core import ITEM
from workflow.read.clauses import DONE_SQL, OPEN_SQL, overdue_clause

TODAY = date(2025, 1, 10)
KINDS = (DeadlineKind.date.value, DeadlineKind.immediate.value, DeadlineKind.ongoing.value, None)
DEADLINES = (None, TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=1))


def test_open_done_and_overdue_select_what_the_python_rules_say(seeded: sa.Engine) -> None:
    cases = list(itertools.product(State, KINDS, DEADLINES))
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
            for n, (s, k, d) in enumerate(cases)
        ]
        conn.execute(ITEM.insert(), rows)
        mine = ITEM.c.id >= 100

        def chosen(clause: sa.ColumnElement[bool] | sa.TextClause) -> set[int]:
            return set(conn.execute(sa.select(ITEM.c.id).where(mine, clause)).scalars())

        by_id = {100 + n: case for n, case in enumerate(cases)}
        assert chosen(OPEN_SQL) == {i for i, (s, _, _) in by_id.items() if is_open(s)}
        assert chosen(DONE_SQL) == {i for i, (s, _, _) in by_id.items() if is_done(s)}
        late = {i for i, (s, k, d) in by_id.items() if is_overdue(s, k, d, TODAY)}
        assert chosen(overdue_clause(TODAY)) == late
        assert late  # the grid reaches the rule: some items are overdue, some one day short of it
        assert any(d == TODAY and s is State.in_progress and k == "date" for s, k, d in cases)
