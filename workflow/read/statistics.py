"""The headline figures of a public report: problems, measures, completed, in progress, the rate."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.lifecycle import State
from workflow.db.tables.core import ASPECT, ITEM, MEASURE, ROUND
from workflow.read import snapshot
from workflow.read.clauses import COMPLETED_STATES, overdue_clause


def format_rate(done: int, total: int, precision: int = 0) -> str:
    """The completion rate as reports print it: 2 of 3 → '67%' (precision 0), 688/697 → '98.71%' (2)."""
    if total == 0:
        return "—"
    quantum = Decimal(1).scaleb(-precision)
    value = (Decimal(done) * 100 / Decimal(total)).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{value}%"


def summary(conn: Connection, today: date, *, precision: int = 0) -> dict[str, Any]:
    """The headline figures of a public report, from the current state of every item."""
    by_state: dict[str, int] = dict(
        conn.execute(sa.select(ITEM.c.state, sa.func.count()).group_by(ITEM.c.state)).all()
    )
    total = sum(by_state.values())
    completed = sum(by_state.get(s, 0) for s in COMPLETED_STATES)
    measures = conn.execute(sa.select(sa.func.count()).select_from(MEASURE)).scalar_one()
    overdue = conn.execute(
        sa.select(sa.func.count()).select_from(ITEM).where(overdue_clause(today))
    ).scalar_one()
    rounds = [
        {"name": r.name, "group": r.group_name, "unit": r.unit, "feedback_date": r.feedback_date.isoformat()}
        for r in conn.execute(sa.select(ROUND).order_by(ROUND.c.id))
    ]
    aspects = conn.execute(sa.select(sa.func.count()).select_from(ASPECT)).scalar_one()
    return {
        "as_of": today.isoformat(),
        "rounds": rounds,
        "aspects": aspects,
        "problems": total,
        "measures": measures,
        "completed": completed,
        "in_progress": total - completed,
        "overdue": overdue,
        "completion_rate": format_rate(completed, total, precision),
        "by_state": {State(s).label: by_state.get(s.value, 0) for s in State},
    }


def summary_sentence(s: dict[str, Any]) -> str:
    y, m, d = s["as_of"].split("-")
    return (
        f"共反馈{s['aspects']}个方面{s['problems']}个问题，制定整改措施{s['measures']}项。"
        f"截至{int(y)}年{int(m)}月{int(d)}日，已完成整改{s['completed']}个，"
        f"正在整改{s['in_progress']}个，整改完成率为{s['completion_rate']}。"
    )


def figures(conn: Connection, snap: snapshot.Snapshot, precision: int = 0) -> dict[str, Any]:
    """The headline figures as of the snapshot: problems, measures, completed, rate, rules, accountability."""
    items = snap.items
    completed = sum(i.completed for i in items)
    rules = snapshot.rules(conn, snap)
    acc = snapshot.accountability(conn, snap)
    by_state = Counter(i.state for i in items)
    return {
        "as_of": snap.day.isoformat(),
        "aspects": len({i.aspect_id for i in items}),
        "problems": len(items),
        "measures": sum(snapshot.measure_counts(conn, snap).values()),
        "completed": completed,
        "in_progress": len(items) - completed,
        "overdue": sum(i.overdue(snap.day) for i in items),
        "completion_rate": format_rate(completed, len(items), precision),
        "rules_made": sum(r["kind"] == "made" for r in rules),
        "rules_revised": sum(r["kind"] == "revised" for r in rules),
        "accountability": len(acc),
        "accountability_by_measure": dict(Counter(a["measure"] for a in acc)),
        "by_state": {s.label: by_state.get(s, 0) for s in State},
    }
