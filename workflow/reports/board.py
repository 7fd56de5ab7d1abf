"""The board (挂图作战): counts by department and leader with the warning lights, in the terminal or as
one self-contained HTML page with a chart of open / closed / overdue items over time (rebuilt from the
audit trail) and a bar per department. The page loads nothing from the network.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction
from itertools import accumulate
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.categories import DEFAULT_RATE, LABELS, Category, Rate
from states.colours import ATTENTION, DEFAULT_SCHEME, YELLOW_DAYS, Colour, Meaning, Scheme, legend
from states.lifecycle import OPEN_STATES
from workflow import clock
from workflow.db.tables.core import AUDIT, ITEM, ROUND, UNIT
from workflow.read import snapshot
from workflow.read.scope import EVERYTHING, Scope
from workflow.read.statistics import figures, format_rate, shown_categories

MAX_POINTS = 200  # timeline samples: daily for up to half a year, coarser for longer
ATTENTION_LIMIT = 50


def data(
    conn: Connection,
    day: date,
    *,
    round_id: int | None = None,
    yellow_days: int = YELLOW_DAYS,
    rate: Rate = DEFAULT_RATE,
    labels: dict[Category, str] = LABELS,
    scheme: Scheme = DEFAULT_SCHEME,
    scope: Scope = EVERYTHING,
) -> dict[str, Any]:
    """Everything the board shows, as of `day`: totals, groups, the items needing attention, the
    timeline, and what each colour means under the office's scheme ([lights.colours]); the items in
    `scope` only, and, when they span several inspected units, a row per unit."""
    snap = snapshot.take(conn, day, round_id)
    unit_names = dict(conn.execute(sa.select(UNIT.c.id, UNIT.c.name)).all())
    if scope.unit is not None:
        snap = _in_unit(snap, unit_names, scope.unit)
    meanings = {i.id: i.meaning(day, yellow_days) for i in snap.items}
    lights = {i.id: scheme[meanings[i.id]] for i in snap.items}
    groups, departments, units = _tally(snap.items, day, lights, unit_names)
    head = figures(conn, snap, rate)
    attention = sorted(
        (i for i in snap.items if meanings[i.id] in ATTENTION and not i.completed),
        key=lambda i: (meanings[i.id] is not Meaning.overdue, i.deadline or date.max, i.number),
    )
    names = sa.select(ROUND.c.name).order_by(ROUND.c.id)
    rounds = conn.execute(names if round_id is None else names.where(ROUND.c.id == round_id)).scalars().all()
    return {
        "as_of": day.isoformat(),
        "rounds": list(rounds),
        "totals": _totals(head, lights, labels),
        "groups": [
            {"department": d, "leader": leader, **_counts(c, rate)}
            for (d, leader), c in sorted(groups.items())
        ],
        "departments": [{"department": d, **_counts(c, rate)} for d, c in sorted(departments.items())],
        "attention": [_attention_row(i, lights) for i in attention[:ATTENTION_LIMIT]],
        "attention_total": len(attention),
        "timeline": timeline(conn, day, round_id, scope),
        "legend": {c.value: "、".join(m.label for m in ms) for c, ms in legend(scheme).items()},
        # Several units: a row each, the slowest first (as the county roll-up sorts them).
        **({"units": _by_unit(units, rate)} if len(units) > 1 else {}),
    }


def _in_unit(snap: snapshot.Snapshot, unit_names: dict[int, str], unit: str) -> snapshot.Snapshot:
    """The snapshot narrowed to the items of the units of this name (the acting person's scope)."""
    mine = {i for i, name in unit_names.items() if name == unit}
    return replace(
        snap,
        items=[i for i in snap.items if i.unit_id in mine],
        unit_id=next(iter(mine)) if len(mine) == 1 else None,
    )


def _tally(
    items: list[snapshot.ItemAt], day: date, lights: dict[int, Colour], unit_names: dict[int, str]
) -> tuple[dict[tuple[str, str], Counter[str]], dict[str, Counter[str]], dict[str, Counter[str]]]:
    """The counts by (department, leader), by department and by unit name."""
    groups: dict[tuple[str, str], Counter[str]] = {}
    departments: dict[str, Counter[str]] = {}
    for i in items:
        key = (i.department or "（未指定）", i.leader or "（未指定）")
        for counter in (groups.setdefault(key, Counter()), departments.setdefault(key[0], Counter())):
            counter["total"] += 1
            counter[i.completion.value] += 1  # the category 已完成 is the key "completed"
            counter["overdue"] += i.overdue(day)
            counter[lights[i.id].value] += 1
    units: dict[str, Counter[str]] = {}
    for i in items:
        c = units.setdefault(unit_names[i.unit_id], Counter())
        c["total"] += 1
        c[i.completion.value] += 1
        c["overdue"] += i.overdue(day)
        c[lights[i.id].value] += 1
    return groups, departments, units


def _totals(head: dict[str, Any], lights: dict[int, Colour], labels: dict[Category, str]) -> dict[str, Any]:
    return {
        "problems": head["problems"],
        "completed": head["completed"],
        "open": head["in_progress"],
        "overdue": head["overdue"],
        "completion_rate": head["completion_rate"],
        "by_category": head["by_category"],
        # The categories a sentence names (statistics.shown_categories), with their wording.
        "categories": [{"key": c.value, "label": labels[c], "n": n} for c, n in shown_categories(head)],
        **{c.value: sum(light is c for light in lights.values()) for c in Colour},
    }


def _attention_row(i: snapshot.ItemAt, lights: dict[int, Colour]) -> dict[str, Any]:
    return {
        "id": i.id,
        "number": i.number,
        "title": i.title,
        "department": i.department,
        "leader": i.leader,
        "deadline": i.deadline.isoformat() if i.deadline else "",
        "state": i.state.label,
        "colour": lights[i.id].value,
    }


def _by_unit(units: dict[str, Counter[str]], rate: Rate) -> list[dict[str, Any]]:
    rows = [{"unit": name, **_counts(c, rate)} for name, c in units.items()]
    return sorted(rows, key=lambda r: (Fraction(r["completed"], r["total"]), -r["overdue"], r["unit"]))


def _counts(c: Counter[str], rate: Rate) -> dict[str, Any]:
    by_category = {k: c[k.value] for k in Category}
    return {
        "total": c["total"],
        "completed": c["completed"],
        "open": c["total"] - c["completed"],
        "overdue": c["overdue"],
        "by_category": {k.value: n for k, n in by_category.items()},
        "rate": format_rate(rate.counted(by_category), c["total"], rate.precision),
        **{colour.value: c[colour.value] for colour in Colour},
    }


def timeline(
    conn: Connection, day: date, round_id: int | None = None, scope: Scope = EVERYTHING
) -> list[dict[str, Any]]:
    """Open, closed and overdue items at the end of each sampled day, replaying the audit trail once.

    The state at each sample is the latest entry (highest seq) made by then, as in `snapshot`; an
    open item is overdue once its deadline (as it stood then, extensions included) has passed."""
    cut = snapshot.cutoff(day)
    moves, deadline = _moves(conn, cut, round_id, scope)
    if not moves:
        return []
    start = clock.from_text(moves[0][0]).astimezone(clock.LOCAL).date()
    span = (day - start).days
    step = max(1, math.ceil((span + 1) / MAX_POINTS))
    samples = [day - timedelta(days=k) for k in range(0, span + 1, step)][::-1]
    state: dict[int, tuple[int, str]] = {}
    open_deadlines: Counter[date] = Counter()  # open items with a date deadline, by deadline
    open_states = {s.value for s in OPEN_STATES}

    def contribution(item: int, sign: int) -> None:
        entry = state.get(item)
        kind, dl = deadline.get(item, (None, None))
        if entry is not None and entry[1] in open_states and kind == "date" and dl is not None:
            open_deadlines[dl] += sign

    points = []
    counts: Counter[str] = Counter()
    k = 0
    for sample in samples:
        until = snapshot.cutoff(sample)
        while k < len(moves) and moves[k][0] < until:
            _at, seq, item, (key, value) = moves[k]
            k += 1
            contribution(item, -1)
            if key == "state":
                old = state.get(item)
                if old is None or seq > old[0]:
                    if old is not None:
                        counts["open" if old[1] in open_states else "closed"] -= 1
                    state[item] = (seq, value)
                    counts["open" if value in open_states else "closed"] += 1
            else:
                kind, dl = deadline.get(item, (None, None))
                deadline[item] = (value, dl) if key == "deadline_kind" else (kind, value)
            contribution(item, +1)
        days = sorted(open_deadlines)
        prefix = list(accumulate(open_deadlines[d] for d in days))
        late = bisect_left(days, sample)
        points.append(
            {
                "date": sample.isoformat(),
                "open": counts["open"],
                "closed": counts["closed"],
                "overdue": prefix[late - 1] if late else 0,
            }
        )
    return points


Move = tuple[str, int, int, tuple[str, Any]]


def _moves(
    conn: Connection, cut: str, round_id: int | None, scope: Scope = EVERYTHING
) -> tuple[list[Move], dict[int, tuple[str | None, Any]]]:
    """What moves the timeline, in trail order: state changes between open and closed, and deadline
    changes; with each item's deadline as it stood at creation. Of the items in `scope` only."""
    # Only entries that open, close or reopen an item move the lines; moves between open states
    # (assign, start, submit) or between closed ones leave every count as it was.
    open_values = [s.value for s in OPEN_STATES]
    was_open, now_open = AUDIT.c.from_state.in_(open_values), AUDIT.c.to_state.in_(open_values)
    q = (
        sa.select(AUDIT.c.at, AUDIT.c.seq, AUDIT.c.item_id, AUDIT.c.to_state)
        .where(
            AUDIT.c.at < cut,
            AUDIT.c.item_id.is_not(None),
            AUDIT.c.to_state.is_not(None),
            sa.or_(AUDIT.c.from_state.is_(None), sa.and_(was_open, ~now_open), sa.and_(~was_open, now_open)),
        )
        .order_by(AUDIT.c.at, AUDIT.c.seq)
    )
    deadlines_now = sa.select(ITEM.c.id, ITEM.c.deadline_kind, ITEM.c.deadline).where(scope.clause())
    if round_id is not None:
        deadlines_now = deadlines_now.where(ITEM.c.round_id == round_id)
    # The deadline at creation is the first old value of any later change, else today's value.
    current = {r.id: (r.deadline_kind, r.deadline) for r in conn.execute(deadlines_now)}
    # The round is filtered in Python, as in snapshot.field_changes, to keep SQLite on the `at` index.
    moves = [(at, seq, item, ("state", to)) for at, seq, item, to in conn.execute(q) if item in current]
    if not moves:
        return [], {}
    first: dict[int, dict[str, Any]] = {}
    for at, seq, item, key, old, new in snapshot.field_changes(conn, round_id, at_to=cut):
        if key in ("deadline", "deadline_kind") and item in current:
            first.setdefault(item, {}).setdefault(key, old)
            moves.append((at, seq, item, (key, new)))
    moves.sort(key=lambda m: (m[0], m[1]))
    deadline = {
        i: (first.get(i, {}).get("deadline_kind", kind), first.get(i, {}).get("deadline", dl))
        for i, (kind, dl) in current.items()
    }
    return moves, deadline
