"""The web's views of the live items: my work (what I may do now, most urgent first) and the ledger
page (filtered, sorted, one page of it). The filters are the SQL twins in `clauses`; the colours and
"what may I do" are the rules of `states/`, the same ones `item list` and `item show` apply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.colours import DEFAULT_SCHEME, YELLOW_DAYS, Scheme
from states.deadlines import days_left
from states.guards import Actor
from states.lifecycle import ACTIONS, DONE_STATES, TRANSITIONS, Action, Role, State, Transition
from workflow.db.tables.core import ITEM
from workflow.read.clauses import days_left_at_most, overdue_clause
from workflow.read.facts import ITEM_WITH_COUNTS, options
from workflow.read.items import _item_dict, category_clause
from workflow.read.scope import EVERYTHING, Scope

_URGENCY = {"red": 0, "yellow": 1, "blue": 2, "green": 3}
SORTS = ("number", "deadline", "state", "department", "leader", "colour")
# The actions that are routine on every item one is responsible for: an item is "to do" when
# something else (a move of its lifecycle, a measure to complete) is open to the person.
_ROUTINE = frozenset({"progress", "evidence", "extend", "add_measure", "reassign"})


def _urgency(d: dict[str, Any], row: Any, today: date) -> tuple[int, int, int]:
    left = days_left(row.deadline_kind, row.deadline, today)
    return (_URGENCY[d["colour"]], left if left is not None else 10**6, row.id)


def my_work(
    conn: Connection,
    actor: Actor,
    today: date,
    yellow_days: int = YELLOW_DAYS,
    scheme: Scheme = DEFAULT_SCHEME,
) -> list[dict[str, Any]]:
    """Open items on which `actor` may now do more than routine record-keeping, most urgent first
    (red, yellow, blue, green; then the soonest deadline), each with the actions open to them; of
    the actor's own inspected unit only when they belong to one."""
    q = ITEM_WITH_COUNTS.where(ITEM.c.state.in_(_states_for(actor)), Scope.of(actor).clause())
    if Role.office not in actor.roles and Role.approver not in actor.roles:
        # states.guards.responsible as SQL, for those whose every non-routine action needs it: an item
        # of theirs by name, or of their department.
        mine = [ITEM.c.handler == actor.name, ITEM.c.leader == actor.name]
        if actor.department is not None:
            mine.append(ITEM.c.department == actor.department)
        q = q.where(sa.or_(*mine))
    out = []
    for row in conn.execute(q):
        allowed = [o for o in options(row, actor) if o["allowed"]]
        if not any(o["action"] not in _ROUTINE for o in allowed):
            continue
        d = _item_dict(row, today, yellow_days, scheme)
        d["actions"] = [{"action": o["action"], "label": o["label"]} for o in allowed]
        d["_key"] = _urgency(d, row, today)
        out.append(d)
    out.sort(key=lambda d: d.pop("_key"))
    return out


def _states_for(actor: Actor) -> list[str]:
    """The states in which some non-routine action of the table is open to one of the actor's roles
    (a pre-filter only: the guards still decide, item by item). Closed items are left out: the
    revisit months later is the office's plan, not a to-do of every day."""
    rules: list[Transition | Action] = [*TRANSITIONS, *(a for a in ACTIONS if a.name not in _ROUTINE)]
    states = {s for r in rules if actor.roles & set(r.roles) for s in r.states} - {State.closed}
    return sorted(s.value for s in states)


@dataclass(frozen=True)
class LedgerQuery:
    state: str | None = None
    department: str | None = None
    leader: str | None = None
    colour: str | None = None
    overdue: bool = False
    due_within: int | None = None
    text: str | None = None
    category: str | None = None  # the problem category (方面), as `item list --category`
    unit: str | None = None  # the inspected unit (被巡察单位) by name, as `item list --unit`
    sort: str = "number"
    descending: bool = False
    page: int = 1
    size: int = 50


def ledger_page(
    conn: Connection,
    today: date,
    query: LedgerQuery,
    yellow_days: int = YELLOW_DAYS,
    scheme: Scheme = DEFAULT_SCHEME,
    scope: Scope = EVERYTHING,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the ledger (of the items in `scope`) and the number of rows all pages hold."""
    q = sa.select(ITEM).order_by(ITEM.c.round_id, ITEM.c.aspect_id, ITEM.c.position, ITEM.c.id)
    q = q.where(scope.clause(), Scope(query.unit).clause())  # a unit filter narrows, never widens
    if query.state:
        q = q.where(ITEM.c.state == State(query.state).value)
    if query.department:
        q = q.where(ITEM.c.department == query.department)
    if query.leader:
        q = q.where(ITEM.c.leader == query.leader)
    if query.overdue:
        q = q.where(overdue_clause(today))
    if query.due_within is not None:
        q = q.where(days_left_at_most(today, query.due_within), ITEM.c.state.not_in(_done()))
    if query.text:
        like = "%" + query.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        q = q.where(sa.or_(ITEM.c.title.like(like, escape="\\"), ITEM.c.number.like(like, escape="\\")))
    if query.category:
        q = q.where(category_clause(conn, query.category))
    rows = [_item_dict(r, today, yellow_days, scheme) for r in conn.execute(q)]
    if query.colour:
        rows = [r for r in rows if r["colour"] == query.colour]
    if query.sort != "number":
        key = (lambda r: _URGENCY[r["colour"]]) if query.sort == "colour" else (lambda r: r[query.sort] or "")
        rows.sort(key=key, reverse=query.descending)
    elif query.descending:
        rows.reverse()
    start = (query.page - 1) * query.size
    return rows[start : start + query.size], len(rows)


def _done() -> list[str]:
    return [s.value for s in DONE_STATES]
