"""What the rules have in common: a due reminder (`Firing`), the item as a message shows it, which keys
already fired, and from when on periodic reminders are owed at all."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.colours import colour
from states.deadlines import days_left
from states.lifecycle import STATE_LABELS, State
from workflow.dates import show_deadline
from workflow.db.tables.core import ITEM, ROUND
from workflow.db.tables.reminders import FIRING
from workflow.errors import NotInitialised
from workflow.reminders.schedule import at_local
from workflow.reminders.settings import Settings


@dataclass
class Firing:
    """One due reminder: the key, when it was due, and what the message says about its scope."""

    rule: str
    recipient: str
    scope: str
    period: str
    due_at: datetime
    item_id: int | None = None
    entry: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.rule, self.scope, self.period, self.recipient)


ITEM_COLUMNS = (
    ITEM.c.id,
    ITEM.c.number,
    ITEM.c.title,
    ITEM.c.state,
    ITEM.c.department,
    ITEM.c.leader,
    ITEM.c.handler,
    ITEM.c.deadline_kind,
    ITEM.c.deadline,
    ITEM.c.unit_id,
)


STATES = {s.value: s for s in State}


def item_entry(row: Any, today: date, settings: Settings) -> dict[str, Any]:
    """The item as a message shows it (and as the webhook's JSON carries it), with its light today."""
    state = STATES[row.state]
    light = colour(state, row.deadline_kind, row.deadline, today, settings.yellow_days, settings.lights)
    out = {
        "id": row.id,
        "number": row.number,
        "title": row.title,
        "state": row.state,
        "state_label": STATE_LABELS[state],
        "department": row.department,
        "leader": row.leader,
        "handler": row.handler,
        "deadline": show_deadline(row.deadline_kind, row.deadline),
        "colour": light.value,
    }
    left = days_left(row.deadline_kind, row.deadline, today)
    if left is not None:
        out["days_left"] = left
    return out


# --- the rules --------------------------------------------------------------------------------------


def horizon(conn: Connection, settings: Settings) -> datetime | None:
    """Periodic reminders due before this moment are not caught up: nothing was being tracked yet."""
    if settings.start is not None:
        return at_local(settings.start, time(0))
    first: datetime | None = conn.execute(sa.select(sa.func.min(ROUND.c.created_at))).scalar()
    return first


def fired(conn: Connection, rule: str, period: str) -> set[tuple[str, str]]:
    rows = conn.execute(
        sa.select(FIRING.c.scope, FIRING.c.recipient).where(FIRING.c.rule == rule, FIRING.c.period == period)
    )
    return {(r.scope, r.recipient) for r in rows}


def to_webhook(settings: Settings, rule: str) -> bool:
    """Whether the group robot gets this rule ([channels.webhook] rules, by default the catalogue's)."""
    return settings.webhook is not None and rule in settings.webhook.rules


def check_tables(conn: Connection) -> None:
    if not sa.inspect(conn).has_table(FIRING.name):
        raise NotInitialised("数据库中还没有提醒用的表：请运行 zhenggai init（可重复运行，不影响已有数据）")
