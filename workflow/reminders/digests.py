"""The digest rules: the weekly dispatch (周调度) per department and leader, the weekly bulletin (周通报)
ranking departments for the office, and the monthly report (每月汇报) to each leader."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.colours import is_near
from states.deadlines import days_left, is_overdue
from states.lifecycle import STATE_LABELS, State
from workflow import clock
from workflow.db.tables.core import ITEM, PROGRESS
from workflow.read import statistics
from workflow.read.clauses import DONE_SQL, OPEN_SQL, not_arrived_closed
from workflow.reminders.catalogue import NO_DEPARTMENT, WEBHOOK
from workflow.reminders.due import ITEM_COLUMNS, STATES, Firing, fired, item_entry, to_webhook
from workflow.reminders.recipients import People, unique
from workflow.reminders.schedule import at_local, iso_week, latest_monthly, latest_weekly
from workflow.reminders.settings import Settings

# Work that can stall: assigned or being worked on (a reported item waits for the office to assign
# it, a submitted one for its sign-off).
_STALLABLE = (State.assigned, State.in_progress)
_LISTS = ("overdue", "upcoming", "stalled", "closed", "open")


def _last_progress(conn: Connection, since: date) -> set[int]:
    """Items with a progress entry dated after `since` (one grouped query over recent entries)."""
    rows = conn.execute(
        sa.select(PROGRESS.c.item_id).where(PROGRESS.c.on > since).group_by(PROGRESS.c.item_id)
    )
    return {r.item_id for r in rows}


def _recently_closed(due: datetime) -> sa.ColumnElement[bool]:
    """Signed off in the seven days before `due` (not brought in done by a ledger import then)."""
    window = sa.and_(DONE_SQL, ITEM.c.closed_at >= due - timedelta(days=7), ITEM.c.closed_at < due)
    return sa.and_(window, not_arrived_closed())


def _owed(
    conn: Connection, settings: Settings, people: People, due: datetime, period: str
) -> tuple[dict[str, list[str]], list[str]]:
    """Who is still owed this week's dispatch (by scope) and bulletin: the cheap question first, so that
    the repeated runs of a week skip the item-by-item pass."""
    # Two DISTINCT halves in a UNION: SQLite scans the table for each, whereas SELECT DISTINCT
    # department, leader walks ix_item_department with a row lookup per item (3× slower at 100k).
    where = sa.or_(OPEN_SQL, _recently_closed(due))
    pairs = conn.execute(
        sa.union(
            sa.select(sa.literal("dept"), ITEM.c.department).where(where).distinct(),
            sa.select(sa.literal("leader"), ITEM.c.leader).where(where).distinct(),
        )
    ).all()
    if not pairs:
        return {}, []
    robot = [WEBHOOK] if to_webhook(settings, "weekly_dispatch") else []
    wanted: dict[str, list[str]] = {}
    for kind, name in sorted(p for p in pairs if p[1]):
        wanted[f"{kind}:{name}"] = people.department(name) + robot if kind == "dept" else [name]
    done = fired(conn, "weekly_dispatch", period)
    todo = {scope: [n for n in names if (scope, n) not in done] for scope, names in wanted.items()}
    done = fired(conn, "weekly_bulletin", period)
    office = unique([*people.office, WEBHOOK if to_webhook(settings, "weekly_bulletin") else None])
    return {s: names for s, names in todo.items() if names}, [n for n in office if ("all", n) not in done]


def _scopes(row: Any) -> list[str]:
    return ["all", f"dept:{row.department or NO_DEPARTMENT}"] + (
        [f"leader:{row.leader}"] if row.leader else []
    )


def _kinds(row: Any, day: date, active: set[int], upcoming_days: int) -> list[str]:
    """The lists of the dispatch an open item belongs to."""
    state = STATES[row.state]
    kinds = ["open"]
    if state in _STALLABLE and row.id not in active:
        kinds.append("stalled")
    if is_overdue(state, row.deadline_kind, row.deadline, day):
        kinds.append("overdue")
    elif is_near(days_left(row.deadline_kind, row.deadline, day), upcoming_days):
        kinds.append("upcoming")
    return kinds


def _tally(conn: Connection, settings: Settings, due: datetime) -> dict[str, dict[str, Any]]:
    """Per scope (all, dept:…, leader:…): exact counts of each list, the open items by state, and the
    lists as far as a message shows them."""
    day = clock.local_today(due)
    limit = settings.max_items_per_message
    active = _last_progress(conn, day - timedelta(days=settings.weekly.stalled_days))

    def blank() -> dict[str, Any]:
        return {"counts": dict.fromkeys(_LISTS, 0), "by_state": {}, "lists": {k: [] for k in _LISTS}}

    scopes: dict[str, dict[str, Any]] = defaultdict(blank)

    def add(row: Any, kinds: list[str]) -> None:
        item: dict[str, Any] | None = None
        for scope in _scopes(row):
            s = scopes[scope]
            for kind in kinds:
                s["counts"][kind] += 1
                # Counts are exact; the lists are what a message can show, so they stop at the limit.
                if scope != "all" and len(s["lists"][kind]) < limit:
                    item = item or item_entry(row, day, settings)
                    s["lists"][kind].append(item)
            if "open" in kinds:
                label = STATE_LABELS[STATES[row.state]]
                s["by_state"][label] = s["by_state"].get(label, 0) + 1

    for row in conn.execute(sa.select(*ITEM_COLUMNS).where(OPEN_SQL).order_by(ITEM.c.id)):
        add(row, _kinds(row, day, active, settings.weekly.upcoming_days))
    for row in conn.execute(sa.select(*ITEM_COLUMNS).where(_recently_closed(due)).order_by(ITEM.c.id)):
        add(row, ["closed"])
    return scopes


def weekly_firings(
    conn: Connection, settings: Settings, people: People, now: datetime, horizon: datetime
) -> list[Firing]:
    w = settings.weekly
    due = latest_weekly(now, w.weekday, w.at)
    if due < horizon:
        return []
    day = clock.local_today(due)
    period = iso_week(day)
    todo, office = _owed(conn, settings, people, due, period)
    if not todo and not office:
        return []
    scopes = _tally(conn, settings, due)

    header = {"week": period, "from": (day - timedelta(days=7)).isoformat(), "to": day.isoformat()}
    out: list[Firing] = []
    for scope, names in todo.items():
        kind, _, name = scope.partition(":")
        entry = {**header, "scope": scope, "kind": kind, "name": name, **scopes[scope]}
        out += [Firing("weekly_dispatch", n, scope, period, due, None, entry) for n in names]

    # 周通报: departments ranked by overdue, then stalled items, for the office (and the group robot).
    ranking: list[dict[str, Any]] = [
        {"department": s.partition(":")[2], **v["counts"]} for s, v in scopes.items() if s.startswith("dept:")
    ]
    ranking.sort(key=lambda r: (-r["overdue"], -r["stalled"], -r["open"], r["department"]))
    entry = {**header, "scope": "all", **scopes["all"]["counts"], "ranking": ranking}
    out += [Firing("weekly_bulletin", n, "all", period, due, None, entry) for n in office]
    return out


def monthly_firings(
    conn: Connection, settings: Settings, people: People, now: datetime, horizon: datetime
) -> list[Firing]:
    due = latest_monthly(now, settings.monthly.at, settings)
    if due < horizon:
        return []
    day = clock.local_today(due)
    period = f"{day.year}-{day.month:02d}"
    done = fired(conn, "monthly_report", period)
    recipients = unique([*people.leaders, WEBHOOK if to_webhook(settings, "monthly_report") else None])
    recipients = [n for n in recipients if (f"leader:{n}" if n != WEBHOOK else "all", n) not in done]
    if not recipients:
        return []
    summary = statistics.summary(conn, day, rate=settings.rate)
    if summary["problems"] == 0:
        return []
    this_month = day.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    closed_last_month = conn.execute(
        sa.select(sa.func.count())
        .select_from(ITEM)
        .where(
            DONE_SQL,
            ITEM.c.closed_at >= at_local(last_month, time(0)),
            ITEM.c.closed_at < at_local(this_month, time(0)),
            not_arrived_closed(),
        )
    ).scalar_one()
    mine: dict[str, list[dict[str, Any]]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for row in conn.execute(
        sa.select(*ITEM_COLUMNS).where(OPEN_SQL, ITEM.c.leader.in_(recipients)).order_by(ITEM.c.id)
    ):
        counts[row.leader] += 1
        if len(mine[row.leader]) < settings.max_items_per_message:
            mine[row.leader].append(item_entry(row, day, settings))
    out: list[Firing] = []
    for name in recipients:
        scope = "all" if name == WEBHOOK else f"leader:{name}"
        entry = {
            "month": period,
            "as_of": day.isoformat(),
            "summary": summary,
            "closed_last_month": closed_last_month,
            "leader": None if name == WEBHOOK else name,
            "items": mine.get(name, []),
            "item_count": counts.get(name, 0),
        }
        out.append(Firing("monthly_report", name, scope, period, due, None, entry))
    return out
