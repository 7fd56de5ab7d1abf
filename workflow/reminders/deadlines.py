"""The item rules: the deadline ladder (notice, yellow warning, red overdue, escalation), the revisit
(回头看) of closed items, and the periodic review of ongoing (长期坚持) items.

Which step of the ladder an item is on is `deadline_stage`, built on the definitions in states/; the
query that picks the items still owed a step filters with its SQL twin `stage_sql`, built on
workflow.read.clauses (tests/integration/test_reminders_ladder.py checks the two agree)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.colours import is_near
from states.deadlines import days_left, is_open, is_overdue
from states.lifecycle import OPEN_STATES, State
from workflow import clock
from workflow.db.tables.core import AUDIT, ITEM, ONGOING_SQL
from workflow.db.tables.reminders import FIRING
from workflow.errors import InvalidInput
from workflow.read.clauses import OPEN_SQL, days_left_at_most, near_clause, overdue_clause
from workflow.reminders.catalogue import RULES, WEBHOOK, Rule
from workflow.reminders.due import ITEM_COLUMNS, STATES, Firing, item_entry, to_webhook
from workflow.reminders.recipients import People, unique
from workflow.reminders.schedule import at_local, latest_daily
from workflow.reminders.settings import Settings

# The ladder chases work still in the handler's hands: a submitted item waits for its sign-off,
# which the weekly dispatch shows.
CHASED_STATES = tuple(s for s in OPEN_STATES if s is not State.submitted)


def deadline_stage(
    state: State, kind: str | None, deadline: date | None, today: date, settings: Settings
) -> str | None:
    """Which step of the ladder an item is on today (None: not yet, or nothing to chase)."""
    if state not in CHASED_STATES:
        return None
    d = settings.deadline
    left = days_left(kind, deadline, today)
    if is_overdue(state, kind, deadline, today):
        return "escalation" if left is not None and -left >= d.escalate_after_days else "overdue"
    if is_near(left, settings.yellow_days):
        return "deadline_warning"
    if is_near(left, d.notice_days):
        return "deadline_notice"
    return None


def chased_sql(today: date, settings: Settings) -> sa.ColumnElement[bool]:
    """The items `deadline_stage` puts on some step, as SQL. OPEN_SQL comes first, literally, so that
    SQLite may walk the partial index ix_item_open_deadline (it does once ANALYZE has run)."""
    return sa.and_(
        OPEN_SQL,
        ITEM.c.state != State.submitted.value,
        days_left_at_most(today, settings.deadline.notice_days),
    )


def stage_sql(today: date, settings: Settings) -> sa.Case[Any]:
    """`deadline_stage` as SQL, for the items `chased_sql` selects."""
    late = overdue_clause(today)
    return sa.case(
        (sa.and_(late, days_left_at_most(today, -settings.deadline.escalate_after_days)), "escalation"),
        (late, "overdue"),
        (near_clause(today, settings.yellow_days), "deadline_warning"),
        (near_clause(today, settings.deadline.notice_days), "deadline_notice"),
        else_=sa.null(),
    )


def _audience(rule: Rule, row: Any, people: People, heads: list[str]) -> list[str]:
    """Whom an item rule tells about this item, in the catalogue's order, each once."""
    names: list[str | None] = []
    for who in rule.audience:
        if who == "handler":
            # A deactivated handler's reminder goes to their department instead.
            names += [row.handler] if people.reachable(row.handler) else people.department(row.department)
        elif who == "department":
            names += people.department(row.department)
        elif who == "leader":
            names.append(row.leader if people.reachable(row.leader) else None)
        else:
            names += people.office if who == "office" else heads
    return people.within(unique(names), row.unit_id)  # nobody hears of another unit's item


def deadline_firings(conn: Connection, settings: Settings, people: People, now: datetime) -> list[Firing]:
    due = latest_daily(now, settings.deadline.at)
    today = clock.local_today(due)
    escalate_to = settings.deadline.escalate_to
    unknown = [n for n in escalate_to if n not in people.emails]
    if unknown:
        raise InvalidInput(
            f"配置 [reminders.deadline] escalate_to 中的人员不存在：{'、'.join(unknown)}（先用 zhenggai person add 添加）"
        )
    heads = list(escalate_to) or people.office
    # The step each item is owed is filtered in SQL (a repeated run returns nothing at 100k items);
    # the period is the deadline, so an extension starts the ladder again.
    period = sa.cast(ITEM.c.deadline, sa.String)
    already = (
        sa.exists()
        .where(
            FIRING.c.item_id == ITEM.c.id,
            FIRING.c.rule == stage_sql(today, settings),
            FIRING.c.period == period,
        )
        .correlate(ITEM)
    )
    query = (
        sa.select(*ITEM_COLUMNS)
        .where(chased_sql(today, settings), ~already)
        .order_by(ITEM.c.deadline, ITEM.c.id)
    )
    out: list[Firing] = []
    for row in conn.execute(query):
        stage = deadline_stage(STATES[row.state], row.deadline_kind, row.deadline, today, settings)
        if stage is None:  # cannot happen while stage_sql agrees with deadline_stage (tested)
            continue
        rule = RULES[stage]
        item = item_entry(row, today, settings)
        names = _audience(rule, row, people, heads) + ([WEBHOOK] if to_webhook(settings, stage) else [])
        out += [
            Firing(stage, n, f"item:{row.id}", row.deadline.isoformat(), due, row.id, item) for n in names
        ]
    return out


def revisit_firings(conn: Connection, settings: Settings, people: People, now: datetime) -> list[Firing]:
    r = settings.revisit
    due = latest_daily(now, r.at)
    today = clock.local_today(due)
    rule = RULES["revisit_due"]
    # Closed on or before this day → due for its revisit (回头看) today.
    cutoff = at_local(today - timedelta(days=r.after_days - 1), time(0))
    revisited = (
        sa.exists()
        .where(AUDIT.c.item_id == ITEM.c.id, AUDIT.c.action == "revisit", AUDIT.c.at >= ITEM.c.closed_at)
        .correlate(ITEM)
    )
    fired = (
        sa.exists()
        .where(FIRING.c.item_id == ITEM.c.id, FIRING.c.rule == rule.name, FIRING.c.period == ITEM.c.closed_at)
        .correlate(ITEM)
    )
    query = (
        sa.select(*ITEM_COLUMNS, ITEM.c.closed_at)
        .where(ITEM.c.state == State.closed.value, ITEM.c.closed_at < cutoff, ~revisited, ~fired)
        .order_by(ITEM.c.closed_at, ITEM.c.id)
    )
    out: list[Firing] = []
    for row in conn.execute(query):
        item = item_entry(row, today, settings)
        item["closed_on"] = clock.local_today(row.closed_at).isoformat()
        item["days_closed"] = (today - clock.local_today(row.closed_at)).days
        period = clock.to_text(row.closed_at)
        names = _audience(rule, row, people, []) + ([WEBHOOK] if to_webhook(settings, rule.name) else [])
        out += [Firing(rule.name, n, f"item:{row.id}", period, due, row.id, item) for n in names]
    return out + _ongoing_firings(conn, settings, people, due)


def _ongoing_firings(conn: Connection, settings: Settings, people: People, due: datetime) -> list[Firing]:
    """长期坚持: no date to miss, so the office looks again every N days from when the item was recorded."""
    every = settings.revisit.ongoing_every_days
    today = clock.local_today(due)
    rule = RULES["ongoing_review"]
    # Only the literal condition of the partial index ix_item_ongoing: with the state condition too,
    # SQLite would rather scan the table. The few closed ones are dropped here.
    ongoing = sa.text(f"item.{ONGOING_SQL}")
    rows = [
        row
        for row in conn.execute(sa.select(*ITEM_COLUMNS, ITEM.c.created_at).where(ongoing))
        if is_open(STATES[row.state])
    ]
    if not rows:
        return []
    done = {
        (f.item_id, f.period)
        for f in conn.execute(
            sa.select(FIRING.c.item_id, FIRING.c.period)
            .join(ITEM, ITEM.c.id == FIRING.c.item_id)
            .where(FIRING.c.rule == rule.name, ongoing)
        )
    }
    out: list[Firing] = []
    for row in rows:
        since = clock.local_today(row.created_at)
        rounds = (today - since).days // every
        period = (since + timedelta(days=rounds * every)).isoformat()
        if rounds < 1 or (row.id, period) in done:
            continue
        item = item_entry(row, today, settings)
        item["review_round"] = rounds
        names = _audience(rule, row, people, []) + ([WEBHOOK] if to_webhook(settings, rule.name) else [])
        out += [Firing(rule.name, n, f"item:{row.id}", period, due, row.id, item) for n in names]
    return out
