"""The headline figures (problems, measures, completed, in progress, overdue, the rate, rules made,
accountability, the completion categories), computed in one place — `headline` — from either read
model: the live rows (`summary`, the monthly reminder) or the as-of replay of the trail (`figures`:
reports, the board). The rate — which categories it counts as done, and its precision — is one
setting, `states.categories.Rate` ([report] rate_counts and rate_precision, `workflow.config.rate`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.categories import LABELS, Category, Rate, category
from states.deadlines import is_overdue
from states.lifecycle import State
from workflow.db.tables.core import ACCOUNTABILITY, ITEM, MEASURE, ROUND, RULE
from workflow.read import snapshot
from workflow.read.scope import EVERYTHING, Scope

# (state, deadline kind, deadline, aspect id, category mark, how many items share these)
Group = tuple[State, str | None, date | None, int, str | None, int]


def format_rate(done: int, total: int, precision: int = 0) -> str:
    """The completion rate as reports print it: 2 of 3 → '67%' (precision 0), 688/697 → '98.71%' (2)."""
    if total == 0:
        return "—"
    quantum = Decimal(1).scaleb(-precision)
    value = (Decimal(done) * 100 / Decimal(total)).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{value}%"


def headline(
    day: date,
    groups: Iterable[Group],
    *,
    measures: int,
    rules: Sequence[str],
    accountability: Sequence[str],
    rate: Rate,
) -> dict[str, Any]:
    """The figures as of `day` from items grouped by what the rules look at; `rules` are the kinds
    (made / revised) of the rules recorded, `accountability` the measures of the accountability actions.

    `completed` is the items in the category 已完成, `in_progress` all the others; `by_category` counts
    each category; the rate is the categories `rate` counts as done over all problems."""
    problems = overdue = 0
    by_state: Counter[State] = Counter()
    by_category: Counter[Category] = Counter()
    aspects: set[int] = set()
    for state, kind, deadline, aspect_id, mark, n in groups:
        problems += n
        overdue += n if is_overdue(state, kind, deadline, day) else 0
        by_state[state] += n
        by_category[category(state, kind, mark)] += n
        aspects.add(aspect_id)
    completed = by_category[Category.completed]
    return {
        "as_of": day.isoformat(),
        "aspects": len(aspects),
        "problems": problems,
        "measures": measures,
        "completed": completed,
        "in_progress": problems - completed,
        "overdue": overdue,
        "by_category": {c.value: by_category.get(c, 0) for c in Category},
        "rate_counted": rate.counted(by_category),
        "completion_rate": format_rate(rate.counted(by_category), problems, rate.precision),
        "rules_made": sum(kind == "made" for kind in rules),
        "rules_revised": sum(kind == "revised" for kind in rules),
        "accountability": len(accountability),
        "accountability_by_measure": dict(Counter(accountability)),
        "by_state": {s.label: by_state.get(s, 0) for s in State},
    }


def figures(conn: Connection, snap: snapshot.Snapshot, rate: Rate) -> dict[str, Any]:
    """The headline figures as of the snapshot (the trail replayed to the end of its day)."""
    return headline(
        snap.day,
        ((i.state, i.deadline_kind, i.deadline, i.aspect_id, i.category, 1) for i in snap.items),
        measures=sum(snapshot.measure_counts(conn, snap).values()),
        rules=[r["kind"] for r in snapshot.rules(conn, snap)],
        accountability=[a["measure"] for a in snapshot.accountability(conn, snap)],
        rate=rate,
    )


def summary(conn: Connection, today: date, *, rate: Rate, scope: Scope = EVERYTHING) -> dict[str, Any]:
    """The headline figures from the live rows (every round), with the rounds they cover. Confined to a
    unit (`scope`), rules and accountability count those tied to the unit's items."""
    states = {s.value: s for s in State}
    key = (ITEM.c.state, ITEM.c.deadline_kind, ITEM.c.deadline, ITEM.c.aspect_id, ITEM.c.category)
    grouped = conn.execute(sa.select(*key, sa.func.count()).where(scope.clause()).group_by(*key))
    groups = [(states[s], kind, dl, aspect, mark, n) for s, kind, dl, aspect, mark, n in grouped]
    mine = sa.select(ITEM.c.id).where(scope.clause())
    measures_q = sa.select(sa.func.count()).select_from(MEASURE)
    rules_q = sa.select(RULE.c.kind).where(RULE.c.issued_on <= today)
    acc_q = sa.select(ACCOUNTABILITY.c.measure).where(ACCOUNTABILITY.c.decided_on <= today)
    if scope.unit is not None:
        measures_q = measures_q.where(MEASURE.c.item_id.in_(mine))
        rules_q = rules_q.where(RULE.c.item_id.in_(mine))
        acc_q = acc_q.where(ACCOUNTABILITY.c.item_id.in_(mine))
    measures = conn.execute(measures_q).scalar_one()
    rules = conn.execute(rules_q).scalars().all()
    acc = conn.execute(acc_q).scalars()
    q = sa.select(ROUND).order_by(ROUND.c.id)
    if scope.unit is not None:
        q = q.where(ROUND.c.id.in_(sa.select(ITEM.c.round_id).where(scope.clause())))
    rounds = [
        {"name": r.name, "group": r.group_name, "unit": r.unit, "feedback_date": r.feedback_date.isoformat()}
        for r in conn.execute(q)
    ]
    figures = headline(today, groups, measures=measures, rules=rules, accountability=list(acc), rate=rate)
    return {**figures, "rounds": rounds}


def shown_categories(s: dict[str, Any]) -> list[tuple[Category, int]]:
    """The categories a sentence names, in report order: 已完成 always; 正在整改 unless another open
    category is there and it is not; 基本完成, 未完成 and 长期坚持 when there are any."""
    n = {c: s["by_category"][c.value] for c in Category}
    others = any(n[c] for c in (Category.basic, Category.not_done, Category.ongoing))
    return [
        (c, n[c])
        for c in (
            Category.completed,
            Category.basic,
            Category.in_progress,
            Category.not_done,
            Category.ongoing,
        )
        if c is Category.completed or n[c] or (c is Category.in_progress and not others)
    ]


def summary_sentence(s: dict[str, Any], labels: dict[Category, str] = LABELS) -> str:
    y, m, d = s["as_of"].split("-")
    day = f"{int(y)}年{int(m)}月{int(d)}日"
    if s["problems"] == 0:
        return f"截至{day}，尚无巡察反馈问题的记录，没有可统计的整改情况。"
    counts = "，".join(
        f"{labels[c]}整改{n}个" if c is Category.completed else f"{labels[c]}{n}个"
        for c, n in shown_categories(s)
    )
    return (
        f"共反馈{s['aspects']}个方面{s['problems']}个问题，制定整改措施{s['measures']}项。"
        f"截至{day}，{counts}，整改完成率为{s['completion_rate']}。"
    )
