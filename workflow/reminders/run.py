"""Running the reminder rules: who must be told what, and when — each at most once per key.

`plan` reads the database as of a moment and lists the firings that are due and not yet recorded;
`run` records them under their unique key (rule, scope, period, recipient) together with the
messages and outbox deliveries, in the caller's transaction. Every rule looks at the latest moment it
was due, so a run after downtime catches up once (coalesced) and a repeated run finds nothing new.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from workflow import clock
from workflow.db.tables.reminders import FIRING, MESSAGE, OUTBOX
from workflow.errors import InvalidInput
from workflow.reminders import text
from workflow.reminders.catalogue import LATE_AFTER, RULES, WEBHOOK, label
from workflow.reminders.deadlines import deadline_firings, revisit_firings
from workflow.reminders.digests import monthly_firings, weekly_firings
from workflow.reminders.due import Firing, check_tables, horizon, to_webhook
from workflow.reminders.recipients import People, load_people
from workflow.reminders.schedule import last_due
from workflow.reminders.settings import WEEKDAY_LABELS, Settings


@dataclass
class Message:
    key: str
    rule: str
    recipient: str
    subject: str
    body: str
    data: dict[str, Any]
    late: bool
    firings: list[Firing]
    channels: list[tuple[str, str]]  # (channel, address)


@dataclass
class RunResult:
    now: datetime
    firings: list[Firing]
    messages: list[Message]
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)


def plan(conn: Connection, settings: Settings, now: datetime, people: People | None = None) -> list[Firing]:
    """Every reminder due at `now` that has not fired yet. Reads only; a handful of queries."""
    check_tables(conn)
    since = horizon(conn, settings)
    if since is None:  # no round recorded yet: nobody to remind of anything
        return []
    people = people or load_people(conn)
    out: list[Firing] = []
    if settings.weekly.enabled:
        out += weekly_firings(conn, settings, people, now, since)
    if settings.deadline.enabled:
        out += deadline_firings(conn, settings, people, now)
    if settings.revisit.enabled:
        out += revisit_firings(conn, settings, people, now)
    if settings.monthly.enabled:
        out += monthly_firings(conn, settings, people, now, since)
    return out


# --- recording: firings, messages and deliveries in one transaction --------------------------------


def _insert(conn: Connection, table: sa.Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _group(firings: Sequence[Firing]) -> dict[tuple[str, str], list[Firing]]:
    groups: dict[tuple[str, str], list[Firing]] = defaultdict(list)
    for f in firings:
        groups[(f.recipient, f.rule)].append(f)
    return groups


def _channels(recipient: str, settings: Settings, people: People) -> list[tuple[str, str]]:
    if recipient == WEBHOOK:
        return [("webhook", WEBHOOK)] if settings.webhook else []
    out = [("file", recipient)] if settings.file.enabled else []
    if settings.web.enabled and recipient in people.emails:  # a person (not a department, say)
        out.append(("web", recipient))
    email = people.emails.get(recipient)
    if settings.smtp is not None and email:
        out.append(("smtp", email))
    return out


def compose(
    groups: dict[tuple[str, str], list[Firing]], settings: Settings, people: People, now: datetime
) -> list[Message]:
    messages = []
    for (recipient, rule), firings in groups.items():
        late = any(now - f.due_at > LATE_AFTER for f in firings)
        subject, body, data = text.render(rule, recipient, firings, settings, now, late)
        messages.append(
            Message(
                key=uuid.uuid4().hex,
                rule=rule,
                recipient=recipient,
                subject=subject,
                body=body,
                data=data,
                late=late,
                firings=firings,
                channels=_channels(recipient, settings, people),
            )
        )
    return messages


def run(conn: Connection, settings: Settings, now: datetime, *, dry_run: bool = False) -> RunResult:
    """Evaluate every rule at `now` and queue what is due, in the caller's (write) transaction.

    The firing rows go in first with ON CONFLICT DO NOTHING: only the keys that this call inserted
    get a message, so two processes racing on one database still tell each person once."""
    check_tables(conn)
    people = load_people(conn)
    # Nobody deactivated is reminded, whichever rule names them (a leader's weekly list, say).
    firings = [f for f in plan(conn, settings, now, people) if f.recipient not in people.inactive]
    result = RunResult(now, [], [], dry_run)
    if not firings:
        return result
    if dry_run:
        result.firings = firings
        result.messages = compose(_group(firings), settings, people, now)
    else:
        keys = {key: uuid.uuid4().hex for key in _group(firings)}
        # Canonical text once per moment, not once per row (UtcMoment passes text through).
        now_text, due_text = clock.to_text(now), dict[datetime, str]()
        rows = [
            {
                "rule": f.rule,
                "recipient": f.recipient,
                "scope": f.scope,
                "period": f.period,
                "item_id": f.item_id,
                "message_key": keys[(f.recipient, f.rule)],
                "due_at": due_text.get(f.due_at) or due_text.setdefault(f.due_at, clock.to_text(f.due_at)),
                "fired_at": now_text,
            }
            for f in firings
        ]
        stmt = (
            _insert(conn, FIRING)
            .on_conflict_do_nothing(index_elements=["rule", "scope", "period", "recipient"])
            .returning(FIRING.c.rule, FIRING.c.scope, FIRING.c.period, FIRING.c.recipient)
        )
        inserted = {tuple(r) for r in conn.execute(stmt, rows)}
        result.firings = [f for f in firings if f.key in inserted]
        result.messages = compose(_group(result.firings), settings, people, now)
        for m in result.messages:  # the key the firing rows already carry
            m.key = keys[(m.recipient, m.rule)]
        _store(conn, result.messages, now)
    for m in result.messages:
        if not m.channels:
            result.notes.append(
                f"{text.named(m.recipient)} 没有可用的投递渠道（文件渠道已关闭且无邮箱），提醒只记录在库中"
            )
    return result


def _store(conn: Connection, messages: Sequence[Message], now: datetime) -> None:
    if not messages:
        return
    conn.execute(
        MESSAGE.insert(),
        [
            {
                "key": m.key,
                "rule": m.rule,
                "recipient": m.recipient,
                "subject": m.subject,
                "body": m.body,
                "data": json.dumps(m.data, ensure_ascii=False, default=str),
                "late": m.late,
                "created_at": now,
            }
            for m in messages
        ],
    )
    deliveries = [
        {
            "message_key": m.key,
            "channel": channel,
            "address": address,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for m in messages
        for channel, address in m.channels
    ]
    if deliveries:
        conn.execute(OUTBOX.insert(), deliveries)


# --- read side for the CLI ----------------------------------------------------------------------------


def describe(settings: Settings, now: datetime) -> list[dict[str, Any]]:
    """Each rule of the catalogue with its schedule, recipients and the moment it was last due (for
    `remind rules`)."""
    heads = "、".join(settings.deadline.escalate_to) or "整改办（呈领导小组组长）"
    weekday = WEEKDAY_LABELS[settings.weekly.weekday]
    out = []
    for rule in RULES.values():
        table = settings.section(rule.section)
        to = rule.to.format(heads=heads) + ("、群机器人" if to_webhook(settings, rule.name) else "")
        out.append(
            {
                "rule": rule.name,
                "label": rule.label,
                "enabled": table.enabled,
                "when": rule.when.format(at=f"{table.at:%H:%M}", weekday=weekday, **text.numbers(settings)),
                "to": to,
                "last_due": clock.show(last_due(rule.section, now, settings)),
            }
        )
    return out


def history(
    conn: Connection, *, item_id: int | None = None, rule: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    q = (
        sa.select(FIRING, MESSAGE.c.subject, MESSAGE.c.late)
        .join(MESSAGE, MESSAGE.c.key == FIRING.c.message_key, isouter=True)
        .order_by(FIRING.c.id.desc())
        .limit(limit)
    )
    if item_id is not None:
        q = q.where(FIRING.c.item_id == item_id)
    if rule is not None:
        if rule not in RULES:
            raise InvalidInput(f"未知规则 {rule!r}（可用：{'、'.join(RULES)}）")
        q = q.where(FIRING.c.rule == rule)
    return [
        {
            "id": row.id,
            "rule": row.rule,
            "rule_label": label(row.rule),
            "recipient": text.named(row.recipient),
            "scope": row.scope,
            "period": row.period,
            "due_at": clock.show(row.due_at),
            "fired_at": clock.show(row.fired_at),
            "late": bool(row.late),
            "subject": row.subject,
            "message": row.message_key,
        }
        for row in conn.execute(q)
    ]
