"""The reminder rules: who must be told what, and when — each at most once per key.

`plan` reads the database as of a moment and lists the firings that are due and not yet recorded;
`run` records them under their unique key (rule, scope, period, recipient) together with the
messages and outbox deliveries, in the caller's transaction. Every rule looks at the latest moment it
was due, so a run after downtime catches up once (coalesced) and a repeated run finds nothing new.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from states.colours import colour
from states.lifecycle import OPEN_STATES, STATE_LABELS, Role, State
from workflow import clock
from workflow.dates import show_deadline
from workflow.errors import InvalidInput, NotInitialised
from workflow.models import AUDIT, ITEM, PERSON, PROGRESS, ROUND
from workflow.models_reminders import FIRING, MESSAGE, ONGOING_SQL, OUTBOX
from workflow.queries import OPEN_SQL
from workflow.reminder_config import WEEKDAY_LABELS, Settings

RULES: dict[str, str] = {
    "weekly_dispatch": "周调度",
    "weekly_bulletin": "周通报",
    "deadline_notice": "到期提醒",
    "deadline_warning": "黄灯预警",
    "overdue": "红灯逾期",
    "escalation": "逾期督办",
    "revisit_due": "回头看提醒",
    "ongoing_review": "长期坚持定期回头看",
    "monthly_report": "每月汇报",
}
WEBHOOK = "webhook"  # the recipient name of the group robot
LATE_AFTER = timedelta(hours=1)  # a firing this long after its due moment is marked as caught up (补发)
NO_DEPARTMENT = "（未指定部门）"
_OPEN = frozenset(s.value for s in OPEN_STATES)
_WORKING = (State.reported.value, State.assigned.value, State.in_progress.value)


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


# --- schedules: the latest moment each rule was due -------------------------------------------------


def _at(day: date, at: time) -> datetime:
    return datetime.combine(day, at, clock.LOCAL).astimezone(UTC)


def latest_daily(now: datetime, at: time) -> datetime:
    day = clock.local_today(now)
    moment = _at(day, at)
    return moment if moment <= now else _at(day - timedelta(days=1), at)


def latest_weekly(now: datetime, weekday: int, at: time) -> datetime:
    today = clock.local_today(now)
    day = today - timedelta(days=(today.weekday() - weekday) % 7)
    moment = _at(day, at)
    return moment if moment <= now else _at(day - timedelta(days=7), at)


def first_workday(year: int, month: int, settings: Settings) -> date:
    day = date(year, month, 1)
    while not settings.is_workday(day):
        day += timedelta(days=1)
    return day


def latest_monthly(now: datetime, at: time, settings: Settings) -> datetime:
    today = clock.local_today(now)
    moment = _at(first_workday(today.year, today.month, settings), at)
    if moment <= now:
        return moment
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return _at(first_workday(year, month, settings), at)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def deadline_stage(deadline: date, today: date, settings: Settings) -> str | None:
    """Which step of the ladder an item with this deadline is on today (None: not yet)."""
    d = settings.deadline
    left = (deadline - today).days
    if left < 0:
        return "escalation" if -left >= d.escalate_after_days else "overdue"
    if left <= d.warning_days:
        return "deadline_warning"
    if left <= d.notice_days:
        return "deadline_notice"
    return None


# --- people ---------------------------------------------------------------------------------------


@dataclass
class People:
    emails: dict[str, str | None]
    office: list[str]
    leaders: list[str]
    by_department: dict[str, list[str]]  # handler-role people of each department

    def department(self, name: str | None) -> list[str]:
        if not name:
            return []
        # A department nobody is registered for still gets its reminder, as a file under its name.
        return self.by_department.get(name) or [f"dept:{name}"]


def load_people(conn: Connection) -> People:
    emails: dict[str, str | None] = {}
    office: list[str] = []
    leaders: list[str] = []
    by_department: dict[str, list[str]] = defaultdict(list)
    rows = conn.execute(
        sa.select(PERSON.c.name, PERSON.c.roles, PERSON.c.department, PERSON.c.email).order_by(PERSON.c.id)
    )
    for row in rows:
        roles = set(row.roles.split(","))
        emails[row.name] = row.email or None
        if Role.office.value in roles:
            office.append(row.name)
        if Role.leader.value in roles:
            leaders.append(row.name)
        if Role.handler.value in roles and row.department:
            by_department[row.department].append(row.name)
    return People(emails, office, leaders, dict(by_department))


def _unique(names: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(n for n in names if n))


# --- item snapshots -------------------------------------------------------------------------------

_ITEM_COLUMNS = (
    ITEM.c.id,
    ITEM.c.number,
    ITEM.c.title,
    ITEM.c.state,
    ITEM.c.department,
    ITEM.c.leader,
    ITEM.c.handler,
    ITEM.c.deadline_kind,
    ITEM.c.deadline,
)


_STATE = {s.value: s for s in State}


def _item(row: Any, today: date, settings: Settings) -> dict[str, Any]:
    state = _STATE[row.state]
    light = colour(state, row.deadline_kind, row.deadline, today, settings.deadline.warning_days)
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
    if row.deadline_kind == "date" and row.deadline is not None:
        out["days_left"] = (row.deadline - today).days
    return out


# --- the rules --------------------------------------------------------------------------------------


def _horizon(conn: Connection, settings: Settings) -> datetime | None:
    """Periodic reminders due before this moment are not caught up: nothing was being tracked yet."""
    if settings.start is not None:
        return _at(settings.start, time(0))
    first: datetime | None = conn.execute(sa.select(sa.func.min(ROUND.c.created_at))).scalar()
    return first


def _fired(conn: Connection, rule: str, period: str) -> set[tuple[str, str]]:
    rows = conn.execute(
        sa.select(FIRING.c.scope, FIRING.c.recipient).where(FIRING.c.rule == rule, FIRING.c.period == period)
    )
    return {(r.scope, r.recipient) for r in rows}


def _deadline_firings(conn: Connection, settings: Settings, people: People, now: datetime) -> list[Firing]:
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
        sa.select(*_ITEM_COLUMNS, stage.label("stage"))
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
        item = _item(row, today, settings)
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
        for name in _unique(names):
            out.append(Firing(rule, name, f"item:{row.id}", row.deadline.isoformat(), due, row.id, item))
    return out


def _revisit_firings(conn: Connection, settings: Settings, people: People, now: datetime) -> list[Firing]:
    r = settings.revisit
    due = latest_daily(now, r.at)
    today = clock.local_today(due)
    out: list[Firing] = []
    recipients = _unique([*people.office, WEBHOOK if _to_webhook(settings, "revisit_due") else None])
    # Closed on or before this day → due for its revisit (回头看) today.
    cutoff = _at(today - timedelta(days=r.after_days - 1), time(0))
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
        sa.select(*_ITEM_COLUMNS, ITEM.c.closed_at)
        .where(ITEM.c.state == State.closed.value, ITEM.c.closed_at < cutoff, ~revisited, ~fired)
        .order_by(ITEM.c.closed_at, ITEM.c.id)
    )
    for row in conn.execute(query):
        item = _item(row, today, settings)
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
        for row in conn.execute(sa.select(*_ITEM_COLUMNS, ITEM.c.created_at).where(ongoing))
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
        recipients = _unique([*people.office, WEBHOOK if _to_webhook(settings, "ongoing_review") else None])
        for row in rows:
            since = clock.local_today(row.created_at)
            rounds = (today - since).days // every
            if rounds < 1:
                continue
            period = (since + timedelta(days=rounds * every)).isoformat()
            if (row.id, period) in done:
                continue
            item = _item(row, today, settings)
            item["review_round"] = rounds
            out += [
                Firing("ongoing_review", n, f"item:{row.id}", period, due, row.id, item) for n in recipients
            ]
    return out


def _to_webhook(settings: Settings, rule: str) -> bool:
    return settings.webhook is not None and rule in settings.webhook.rules


def _last_progress(conn: Connection, since: date) -> set[int]:
    """Items with a progress entry dated after `since` (one grouped query over recent entries)."""
    rows = conn.execute(
        sa.select(PROGRESS.c.item_id).where(PROGRESS.c.on > since).group_by(PROGRESS.c.item_id)
    )
    return {r.item_id for r in rows}


_LISTS = ("overdue", "upcoming", "stalled", "closed", "open")


def _weekly_firings(
    conn: Connection, settings: Settings, people: People, now: datetime, horizon: datetime
) -> list[Firing]:
    w = settings.weekly
    due = latest_weekly(now, w.weekday, w.at)
    if due < horizon:
        return []
    day = clock.local_today(due)
    period = iso_week(day)
    recently_closed = sa.and_(
        ITEM.c.state.in_((State.closed.value, State.revisited.value)),
        ITEM.c.closed_at >= due - timedelta(days=7),
        ITEM.c.closed_at < due,
    )

    # First the cheap question — who is owed this week's dispatch or bulletin? — so that the
    # repeated runs of a week skip the item-by-item pass. Two DISTINCT halves in a UNION: SQLite
    # scans the table for each, whereas SELECT DISTINCT department, leader walks ix_item_department
    # with a row lookup per item (3× slower at 100k items).
    where = sa.or_(OPEN_SQL, recently_closed)
    pairs = conn.execute(
        sa.union(
            sa.select(sa.literal("dept"), ITEM.c.department).where(where).distinct(),
            sa.select(sa.literal("leader"), ITEM.c.leader).where(where).distinct(),
        )
    ).all()
    if not pairs:
        return []
    robot = [WEBHOOK] if _to_webhook(settings, "weekly_dispatch") else []
    wanted: dict[str, list[str]] = {}
    for kind, name in sorted(p for p in pairs if p[1]):
        wanted[f"{kind}:{name}"] = people.department(name) + robot if kind == "dept" else [name]
    done = _fired(conn, "weekly_dispatch", period)
    todo = {scope: [n for n in names if (scope, n) not in done] for scope, names in wanted.items()}
    todo = {scope: names for scope, names in todo.items() if names}
    done = _fired(conn, "weekly_bulletin", period)
    office = _unique([*people.office, WEBHOOK if _to_webhook(settings, "weekly_bulletin") else None])
    office = [n for n in office if ("all", n) not in done]
    if not todo and not office:
        return []

    limit = settings.max_items_per_message
    active = _last_progress(conn, day - timedelta(days=w.stalled_days))

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
                    item = item or _item(row, day, settings)
                    s["lists"][kind].append(item)
            if "open" in kinds:
                label = STATE_LABELS[_STATE[row.state]]
                s["by_state"][label] = s["by_state"].get(label, 0) + 1

    for row in conn.execute(sa.select(*_ITEM_COLUMNS).where(OPEN_SQL).order_by(ITEM.c.id)):
        kinds = ["open"]
        if row.state in _WORKING[1:] and row.id not in active:
            kinds.append("stalled")
        if row.deadline_kind == "date" and row.deadline is not None:
            left = (row.deadline - day).days
            if left < 0:
                kinds.append("overdue")
            elif left <= w.upcoming_days:
                kinds.append("upcoming")
        add(row, kinds)
    for row in conn.execute(sa.select(*_ITEM_COLUMNS).where(recently_closed).order_by(ITEM.c.id)):
        add(row, ["closed"])

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


def _scopes(row: Any) -> list[str]:
    return ["all", f"dept:{row.department or NO_DEPARTMENT}"] + (
        [f"leader:{row.leader}"] if row.leader else []
    )


def _monthly_firings(
    conn: Connection, settings: Settings, people: People, now: datetime, horizon: datetime
) -> list[Firing]:
    from workflow import queries  # the report's own headline figures, so the two never disagree

    due = latest_monthly(now, settings.monthly.at, settings)
    if due < horizon:
        return []
    day = clock.local_today(due)
    period = f"{day.year}-{day.month:02d}"
    done = _fired(conn, "monthly_report", period)
    recipients = [
        n for n in _unique([*people.leaders, WEBHOOK if _to_webhook(settings, "monthly_report") else None])
    ]
    recipients = [n for n in recipients if (f"leader:{n}" if n != WEBHOOK else "all", n) not in done]
    if not recipients:
        return []
    summary = queries.summary(conn, day)
    if summary["problems"] == 0:
        return []
    this_month = day.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    closed_last_month = conn.execute(
        sa.select(sa.func.count())
        .select_from(ITEM)
        .where(
            ITEM.c.state.in_((State.closed.value, State.revisited.value)),
            ITEM.c.closed_at >= _at(last_month, time(0)),
            ITEM.c.closed_at < _at(this_month, time(0)),
        )
    ).scalar_one()
    mine: dict[str, list[dict[str, Any]]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for row in conn.execute(
        sa.select(*_ITEM_COLUMNS).where(OPEN_SQL, ITEM.c.leader.in_(recipients)).order_by(ITEM.c.id)
    ):
        counts[row.leader] += 1
        if len(mine[row.leader]) < settings.max_items_per_message:
            mine[row.leader].append(_item(row, day, settings))
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


def check_tables(conn: Connection) -> None:
    if not sa.inspect(conn).has_table(FIRING.name):
        raise NotInitialised("数据库中还没有提醒用的表：请运行 zhenggai init（可重复运行，不影响已有数据）")


def plan(conn: Connection, settings: Settings, now: datetime, people: People | None = None) -> list[Firing]:
    """Every reminder due at `now` that has not fired yet. Reads only; a handful of queries."""
    check_tables(conn)
    horizon = _horizon(conn, settings)
    if horizon is None:  # no round recorded yet: nobody to remind of anything
        return []
    people = people or load_people(conn)
    out: list[Firing] = []
    if settings.weekly.enabled:
        out += _weekly_firings(conn, settings, people, now, horizon)
    if settings.deadline.enabled:
        out += _deadline_firings(conn, settings, people, now)
    if settings.revisit.enabled:
        out += _revisit_firings(conn, settings, people, now)
    if settings.monthly.enabled:
        out += _monthly_firings(conn, settings, people, now, horizon)
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
    email = people.emails.get(recipient)
    if settings.smtp is not None and email:
        out.append(("smtp", email))
    return out


def compose(
    groups: dict[tuple[str, str], list[Firing]], settings: Settings, people: People, now: datetime
) -> list[Message]:
    from workflow import reminder_text

    messages = []
    for (recipient, rule), firings in groups.items():
        late = any(now - f.due_at > LATE_AFTER for f in firings)
        subject, body, data = reminder_text.render(rule, recipient, firings, settings, now, late)
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
    firings = plan(conn, settings, now, people)
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
                f"{_who(m.recipient)} 没有可用的投递渠道（文件渠道已关闭且无邮箱），提醒只记录在库中"
            )
    return result


def _who(recipient: str) -> str:
    if recipient == WEBHOOK:
        return "群机器人"
    return f"{recipient[5:]}（部门）" if recipient.startswith("dept:") else recipient


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
    """Each rule with its schedule, recipients and the moment it was last due (for `remind rules`)."""
    d, w, r, m = settings.deadline, settings.weekly, settings.revisit, settings.monthly

    def hm(t: time) -> str:
        return t.strftime("%H:%M")

    daily_due = clock.show(latest_daily(now, d.at))
    heads = "、".join(d.escalate_to) or "整改办（呈领导小组组长）"
    rows = [
        (
            "weekly_dispatch",
            w.enabled,
            f"每{WEEKDAY_LABELS[w.weekday]} {hm(w.at)}",
            "各责任部门的责任人、各责任领导",
            clock.show(latest_weekly(now, w.weekday, w.at)),
        ),
        (
            "weekly_bulletin",
            w.enabled,
            f"每{WEEKDAY_LABELS[w.weekday]} {hm(w.at)}",
            "整改办",
            clock.show(latest_weekly(now, w.weekday, w.at)),
        ),
        ("deadline_notice", d.enabled, f"每天 {hm(d.at)}，剩 {d.notice_days} 天", "责任人", daily_due),
        (
            "deadline_warning",
            d.enabled,
            f"每天 {hm(d.at)}，剩 {d.warning_days} 天（黄灯）",
            "责任人、责任领导",
            daily_due,
        ),
        (
            "overdue",
            d.enabled,
            f"每天 {hm(d.at)}，逾期（红灯）",
            "责任人、责任部门、责任领导、整改办",
            daily_due,
        ),
        (
            "escalation",
            d.enabled,
            f"每天 {hm(d.at)}，逾期 {d.escalate_after_days} 天",
            f"以上各方及{heads}",
            daily_due,
        ),
        (
            "revisit_due",
            r.enabled,
            f"每天 {hm(r.at)}，销号后 {r.after_days} 天",
            "整改办",
            clock.show(latest_daily(now, r.at)),
        ),
        (
            "ongoing_review",
            r.enabled,
            f"每天 {hm(r.at)}，长期坚持事项每 {r.ongoing_every_days} 天",
            "整改办",
            clock.show(latest_daily(now, r.at)),
        ),
        (
            "monthly_report",
            m.enabled,
            f"每月第一个工作日 {hm(m.at)}",
            "各责任领导",
            clock.show(latest_monthly(now, m.at, settings)),
        ),
    ]
    out = []
    for name, enabled, when, who, last in rows:
        if _to_webhook(settings, name):
            who += "、群机器人"
        out.append(
            {
                "rule": name,
                "label": RULES[name],
                "enabled": enabled,
                "when": when,
                "to": who,
                "last_due": last,
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
            "rule_label": RULES.get(row.rule, row.rule),
            "recipient": _who(row.recipient),
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
