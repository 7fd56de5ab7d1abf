"""The item rules: the deadline ladder (notice, yellow warning, red overdue, escalation), the revisit
(回头看) of closed items, and the periodic review of ongoing (长期坚持) items."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.lifecycle import OPEN_STATES, State
from workflow import clock
from workflow.db.tables.core import AUDIT, ITEM, ONGOING_SQL
from workflow.db.tables.reminders import FIRING
from workflow.errors import InvalidInput
from workflow.read.clauses import OPEN_SQL
from workflow.reminders.catalogue import WEBHOOK
from workflow.reminders.due import ITEM_COLUMNS, Firing, item_entry, to_webhook
from workflow.reminders.recipients import People, unique
from workflow.reminders.schedule import at_local, latest_daily
from workflow.reminders.settings import Settings

_OPEN = frozenset(s.value for s in OPEN_STATES)


def deadline_firings(conn: Connection, settings: Settings, people: People, now: datetime) -> list[Firing]:
    d = settings.deadline
    due = latest_daily(now, d.at)
    today = clock.local_today(due)
    notice_from = today + timedelta(days=d.notice_days)
    stage = sa.case(
        (ITEM.c.deadline <= today - timedelta(days=d.escalate_after_days), "escalation"),
        (ITEM.c.deadline < today, "overdue"),
        (ITEM.c.deadline <= today + timedelta(days=d.warning_days), "deadline_warning"),
        else_="deadline_notice",
    )
    period = sa.cast(ITEM.c.deadline, sa.String)
    already = (
        sa.exists()
        .where(FIRING.c.item_id == ITEM.c.id, FIRING.c.rule == stage, FIRING.c.period == period)
        .correlate(ITEM)
    )
    # OPEN_SQL is repeated literally so that SQLite may walk the partial index ix_item_open_deadline
    # (it does once ANALYZE has run; without statistics it takes ix_item_state). A submitted item
    # waits for its sign-off, which the weekly dispatch shows, not for its handler.
    query = (
        sa.select(*ITEM_COLUMNS, stage.label("stage"))
        .where(
            OPEN_SQL,
            ITEM.c.deadline <= notice_from,
            ITEM.c.deadline_kind == "date",
            ITEM.c.state != State.submitted.value,
            ~already,
        )
        .order_by(ITEM.c.deadline, ITEM.c.id)
    )
    heads = list(d.escalate_to) or people.office
    unknown = [n for n in d.escalate_to if n not in people.emails]
    if unknown:
        raise InvalidInput(
            f"配置 [reminders.deadline] escalate_to 中的人员不存在：{'、'.join(unknown)}（先用 zhenggai person add 添加）"
        )
    webhook_rules = settings.webhook.rules if settings.webhook else ()
    out: list[Firing] = []
    for row in conn.execute(query):
        rule = row.stage
        item = item_entry(row, today, settings)
        handler = [row.handler] if row.handler else people.department(row.department)
        if rule == "deadline_notice":
            names = handler
        elif rule == "deadline_warning":
            names = [*handler, row.leader]
        else:
            names = [*handler, *people.department(row.department), row.leader, *people.office]
            if rule == "escalation":
                names += heads
        if rule in webhook_rules:
            names.append(WEBHOOK)
        for name in unique(names):
            out.append(Firing(rule, name, f"item:{row.id}", row.deadline.isoformat(), due, row.id, item))
    return out


def revisit_firings(conn: Connection, settings: Settings, people: People, now: datetime) -> list[Firing]:
    r = settings.revisit
    due = latest_daily(now, r.at)
    today = clock.local_today(due)
    out: list[Firing] = []
    recipients = unique([*people.office, WEBHOOK if to_webhook(settings, "revisit_due") else None])
    # Closed on or before this day → due for its revisit (回头看) today.
    cutoff = at_local(today - timedelta(days=r.after_days - 1), time(0))
    revisited = (
        sa.exists()
        .where(AUDIT.c.item_id == ITEM.c.id, AUDIT.c.action == "revisit", AUDIT.c.at >= ITEM.c.closed_at)
        .correlate(ITEM)
    )
    fired = (
        sa.exists()
        .where(
            FIRING.c.item_id == ITEM.c.id, FIRING.c.rule == "revisit_due", FIRING.c.period == ITEM.c.closed_at
        )
        .correlate(ITEM)
    )
    query = (
        sa.select(*ITEM_COLUMNS, ITEM.c.closed_at)
        .where(ITEM.c.state == State.closed.value, ITEM.c.closed_at < cutoff, ~revisited, ~fired)
        .order_by(ITEM.c.closed_at, ITEM.c.id)
    )
    for row in conn.execute(query):
        item = item_entry(row, today, settings)
        item["closed_on"] = clock.local_today(row.closed_at).isoformat()
        item["days_closed"] = (today - clock.local_today(row.closed_at)).days
        period = clock.to_text(row.closed_at)
        out += [Firing("revisit_due", n, f"item:{row.id}", period, due, row.id, item) for n in recipients]

    # 长期坚持: no date to miss, so the office looks again every N days from when the item was recorded.
    every = r.ongoing_every_days
    # Only the literal condition of the partial index ix_item_ongoing: with the state condition too,
    # SQLite would rather scan the table. The few closed ones are dropped here.
    ongoing = sa.text(f"item.{ONGOING_SQL}")
    rows = [
        row
        for row in conn.execute(sa.select(*ITEM_COLUMNS, ITEM.c.created_at).where(ongoing))
        if row.state in _OPEN
    ]
    if rows:
        done = {
            (f.item_id, f.period)
            for f in conn.execute(
                sa.select(FIRING.c.item_id, FIRING.c.period)
                .join(ITEM, ITEM.c.id == FIRING.c.item_id)
                .where(FIRING.c.rule == "ongoing_review", ongoing)
            )
        }
        recipients = unique([*people.office, WEBHOOK if to_webhook(settings, "ongoing_review") else None])
        for row in rows:
            since = clock.local_today(row.created_at)
            rounds = (today - since).days // every
            if rounds < 1:
                continue
            period = (since + timedelta(days=rounds * every)).isoformat()
            if (row.id, period) in done:
                continue
            item = item_entry(row, today, settings)
            item["review_round"] = rounds
            out += [
                Firing("ongoing_review", n, f"item:{row.id}", period, due, row.id, item) for n in recipients
            ]
    return out
