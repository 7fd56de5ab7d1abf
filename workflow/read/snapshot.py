"""Everything as it stood at the end of a day (Asia/Shanghai), rebuilt from the audit trail.

An item's state then is the `to_state` of its latest audit entry made by the end of that day (one
query for all items); fields changed later (deadline, leader, department …) are rolled back to the
old values those later entries recorded. Progress, evidence, rules and accountability count when
they had both happened and been recorded by then: a report as of a date says what the office could
have said that day.

An item's first entry creates it (`import`, `ledger_import`, or `ledger_baseline` for a ledger row that
starts past 已登记): before it the item does not exist, from it on it has that entry's state.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.categories import Category, category
from states.colours import DEFAULT_SCHEME, YELLOW_DAYS, Colour, Meaning, Scheme, colour, meaning
from states.deadlines import is_done, is_overdue
from states.lifecycle import State
from workflow import clock
from workflow.audit.payloads import CHANGING
from workflow.db.tables.core import (
    ACCOUNTABILITY,
    ASPECT,
    AUDIT,
    EVIDENCE,
    ITEM,
    MEASURE,
    PROGRESS,
    RULE,
    UNIT,
)
from workflow.read import clauses

# Fields that later audited actions may have changed; the actions that record [old, new] are those
# whose payloads say so (workflow.audit.payloads.CHANGING).
ROLLBACK_FIELDS = (
    "title",
    "description",
    "instance",
    "leader",
    "department",
    "cooperating",
    "handler",
    "deadline_kind",
    "deadline",
    "aspect_id",
    "number",
    "category",
)
CHANGING_ACTIONS = tuple(CHANGING)


def cutoff(day: date) -> str:
    """The end of `day` in Asia/Shanghai as stored UTC text: what happened by then has `at < cutoff`."""
    return clock.to_text(datetime.combine(day + timedelta(days=1), time(0), clock.LOCAL))


@dataclass(frozen=True)
class ItemAt:
    id: int
    round_id: int
    unit_id: int
    aspect_id: int
    number: str
    title: str
    description: str
    instance: str
    leader: str | None
    department: str | None
    cooperating: str
    handler: str | None
    deadline_kind: str | None
    deadline: date | None
    category: str | None  # the mark the office set then (states.categories), None: derived
    state: State

    @property
    def completed(self) -> bool:
        return is_done(self.state)

    @property
    def completion(self) -> Category:
        """The completion category then (已完成, 基本完成 …), as states.categories defines it."""
        return category(self.state, self.deadline_kind, self.category)

    def overdue(self, day: date) -> bool:
        return is_overdue(self.state, self.deadline_kind, self.deadline, day)

    def colour(self, day: date, yellow_days: int = YELLOW_DAYS, scheme: Scheme = DEFAULT_SCHEME) -> Colour:
        return colour(self.state, self.deadline_kind, self.deadline, day, yellow_days, scheme)

    def meaning(self, day: date, yellow_days: int = YELLOW_DAYS) -> Meaning:
        return meaning(self.state, self.deadline_kind, self.deadline, day, yellow_days)


@dataclass(frozen=True)
class Snapshot:
    day: date
    cut: str
    round_id: int | None
    items: list[ItemAt]
    aspects: dict[int, tuple[str, str]]  # id → (number, title), for the items present
    unit_id: int | None = None  # the one unit it covers (None: the whole round, or every round)

    @property
    def ids(self) -> set[int]:
        return {i.id for i in self.items}


def _latest(cut: str, unit_id: int | None = None) -> Any:
    """Per item, the seq of its latest entry with a state made before `cut` (of one unit's items)."""
    # Grouped by `item_id + 0`, not the bare column: on the bare column SQLite walks ix_audit_item_id
    # and looks up every row of the log (3x slower at 700,000 entries); on the expression it scans the
    # `at` range once and groups in a temporary b-tree. The literal 0 keeps the two expressions
    # textually equal, as PostgreSQL requires.
    item = AUDIT.c.item_id + sa.literal_column("0")
    q = sa.select(item.label("item_id"), sa.func.max(AUDIT.c.seq).label("seq")).where(
        AUDIT.c.at < cut, AUDIT.c.item_id.is_not(None), AUDIT.c.to_state.is_not(None)
    )
    if unit_id is not None:
        # One unit's items are a few hundred of a county's log: found by the item_id index, they
        # cost a few hundred lookups instead of a scan of the whole `at` range.
        q = q.where(AUDIT.c.item_id.in_(sa.select(ITEM.c.id).where(ITEM.c.unit_id == unit_id)))
    return q.group_by(item).subquery()


def take(conn: Connection, day: date, round_id: int | None = None, unit_id: int | None = None) -> Snapshot:
    """The items that existed at the end of `day`, with their state and fields as they were then (of
    one round, and of one of its units, when given)."""
    cut = cutoff(day)
    latest = _latest(cut, unit_id)
    cols = [ITEM.c[f.name] for f in fields(ItemAt) if f.name != "state"]  # in ItemAt's order
    q = (
        sa.select(*cols, AUDIT.c.to_state)
        .select_from(
            ITEM.join(latest, latest.c.item_id == ITEM.c.id)
            .join(AUDIT, AUDIT.c.seq == latest.c.seq)
            .join(ASPECT, ASPECT.c.id == ITEM.c.aspect_id)
        )
        .order_by(ITEM.c.round_id, ASPECT.c.position, ITEM.c.position, ITEM.c.id)
    )
    if round_id is not None:
        q = q.where(ITEM.c.round_id == round_id)
    if unit_id is not None:
        q = q.where(ITEM.c.unit_id == unit_id)
    states = {s.value: s for s in State}  # a dict lookup is several times cheaper than State(value)
    items = [ItemAt(*r[:-1], states[r[-1]]) for r in conn.execute(q)]  # type: ignore[call-arg]
    items = _roll_back(conn, cut, round_id, items, unit_id)
    wanted = {i.aspect_id for i in items}
    aspects = {
        a.id: (a.number, a.title)
        for a in conn.execute(
            sa.select(ASPECT.c.id, ASPECT.c.number, ASPECT.c.title).order_by(ASPECT.c.position)
        )
        if a.id in wanted
    }
    return Snapshot(day, cut, round_id, items, aspects, unit_id)


def field_changes(
    conn: Connection,
    round_id: int | None,
    *,
    at_from: str | None = None,
    at_to: str | None = None,
    unit_id: int | None = None,
) -> Iterable[tuple[str, int, int, str, Any, Any]]:
    """(at, seq, item_id, field, old, new) for every audited field change, in log order (of a round's
    items, or of one unit's)."""
    # No ORDER BY seq in SQL: it would make SQLite scan the whole log in seq order instead of
    # using the `at` index; the (few) rows are sorted here.
    q = sa.select(AUDIT.c.at, AUDIT.c.seq, AUDIT.c.item_id, AUDIT.c.action, AUDIT.c.payload).where(
        AUDIT.c.action.in_(CHANGING_ACTIONS), AUDIT.c.from_state.is_not(None)
    )
    if at_from is not None:
        q = q.where(AUDIT.c.at >= at_from)
    if at_to is not None:
        q = q.where(AUDIT.c.at < at_to)
    # The round is filtered here rather than in SQL: an IN (items of the round) makes SQLite walk the
    # item_id index over the whole log instead of the `at` range.
    wanted = None
    if unit_id is not None:  # a few hundred items: the item_id index finds their entries (see _latest)
        q = q.where(AUDIT.c.item_id.in_(sa.select(ITEM.c.id).where(ITEM.c.unit_id == unit_id)))
    elif round_id is not None:
        wanted = set(conn.execute(sa.select(ITEM.c.id).where(ITEM.c.round_id == round_id)).scalars())
    for at, seq, item_id, action, payload in sorted(conn.execute(q), key=lambda r: r.seq):
        if wanted is not None and item_id not in wanted:
            continue
        pairs = CHANGING[action].from_dict(json.loads(payload)).field_changes()
        for key, value in pairs.items():
            if key in ROLLBACK_FIELDS and isinstance(value, list) and len(value) == 2:
                old, new = value
                if key == "deadline":
                    old, new = (date.fromisoformat(v) if isinstance(v, str) else v for v in (old, new))
                yield at, seq, item_id, key, old, new


def _roll_back(
    conn: Connection, cut: str, round_id: int | None, items: list[ItemAt], unit_id: int | None = None
) -> list[ItemAt]:
    """Undo the field changes made after the cut: the first later change of a field holds its value then."""
    old: dict[int, dict[str, Any]] = {}
    for _at, _seq, item_id, key, before, _after in field_changes(
        conn, round_id, at_from=cut, unit_id=unit_id
    ):
        old.setdefault(item_id, {}).setdefault(key, before)
    if not old:
        return items
    return [replace(i, **old[i.id]) if i.id in old else i for i in items]


def first_day(conn: Connection, round_id: int | None) -> date | None:
    """The day (Asia/Shanghai) the first item of the round (of any round: None) came in, if any."""
    q = sa.select(sa.func.min(AUDIT.c.at)).where(AUDIT.c.item_id.is_not(None), AUDIT.c.from_state.is_(None))
    if round_id is not None:
        q = q.where(AUDIT.c.item_id.in_(sa.select(ITEM.c.id).where(ITEM.c.round_id == round_id)))
    at = conn.execute(q).scalar()
    return None if at is None else clock.from_text(at).astimezone(clock.LOCAL).date()


# --- the parts, as of the snapshot ----------------------------------------------------------------------


def _in_round(q: Any, table: Any, snap: Snapshot) -> Any:
    """The rows of the snapshot's items' round (of its unit, when it has one)."""
    if snap.unit_id is not None:
        return q.where(table.c.item_id.in_(sa.select(ITEM.c.id).where(ITEM.c.unit_id == snap.unit_id)))
    if snap.round_id is None:
        return q
    return q.where(table.c.item_id.in_(sa.select(ITEM.c.id).where(ITEM.c.round_id == snap.round_id)))


def _added_after(conn: Connection, snap: Snapshot) -> dict[int, int]:
    # Counted here: GROUP BY item_id in SQL would walk the item_id index over the whole log instead of
    # the `at` range, and the round is filtered here for the same reason (see field_changes).
    q = sa.select(AUDIT.c.item_id).where(AUDIT.c.action == "add_measure", AUDIT.c.at >= snap.cut)
    ids = snap.ids
    return Counter(i for (i,) in conn.execute(q) if i in ids)


def measure_counts(conn: Connection, snap: Snapshot) -> dict[int, int]:
    """Measures per item then: today's count less those added (audited `add_measure`) since."""
    q = sa.select(MEASURE.c.item_id, sa.func.count()).group_by(MEASURE.c.item_id)
    now: dict[int, int] = dict(conn.execute(_in_round(q, MEASURE, snap)).all())
    later = _added_after(conn, snap)
    return {i: now.get(i, 0) - later.get(i, 0) for i in snap.ids}


def measure_texts(conn: Connection, snap: Snapshot) -> dict[int, list[str]]:
    counts = measure_counts(conn, snap)
    out: dict[int, list[str]] = {}
    q = sa.select(MEASURE.c.item_id, MEASURE.c.text).order_by(MEASURE.c.item_id, MEASURE.c.seq)
    for item_id, text in conn.execute(_in_round(q, MEASURE, snap)):
        texts = out.setdefault(item_id, [])
        if len(texts) < counts.get(item_id, 0):  # later measures have the higher seq
            texts.append(text)
    return out


def progress(
    conn: Connection, snap: Snapshot, since: date | None = None
) -> dict[int, list[tuple[date, str | None, str]]]:
    """Dated actions per item, in date order: done by the day and recorded by its end."""
    q = (
        sa.select(PROGRESS.c.item_id, PROGRESS.c.on, PROGRESS.c.when_text, PROGRESS.c.text)
        .where(PROGRESS.c.on <= snap.day, PROGRESS.c.created_at < snap.cut)
        .order_by(PROGRESS.c.item_id, PROGRESS.c.on, PROGRESS.c.id)
    )
    if since is not None:
        q = q.where(PROGRESS.c.on >= since)
    ids = snap.ids
    out: dict[int, list[tuple[date, str | None, str]]] = {}
    for item_id, on, when, text in conn.execute(_in_round(q, PROGRESS, snap)):
        if item_id in ids:
            out.setdefault(item_id, []).append((on, when, text))
    return out


def evidence(conn: Connection, snap: Snapshot) -> dict[int, list[tuple[str, str]]]:
    """Evidence references per item (kind, number or file name) recorded by then."""
    q = (
        sa.select(EVIDENCE.c.item_id, EVIDENCE.c.kind, EVIDENCE.c.ref, EVIDENCE.c.file_name)
        .where(EVIDENCE.c.created_at < snap.cut)
        .order_by(EVIDENCE.c.item_id, EVIDENCE.c.id)
    )
    ids = snap.ids
    out: dict[int, list[tuple[str, str]]] = {}
    for item_id, kind, ref, file_name in conn.execute(_in_round(q, EVIDENCE, snap)):
        if item_id in ids:
            out.setdefault(item_id, []).append((kind, ref or file_name or ""))
    return out


def _records(conn: Connection, table: Any, day_column: str, snap: Snapshot) -> list[dict[str, Any]]:
    q = (
        sa.select(table)
        .where(table.c[day_column] <= snap.day, table.c.created_at < snap.cut)
        .order_by(table.c[day_column], table.c.id)
    )
    if snap.round_id is not None:
        q = q.where(table.c.round_id == snap.round_id)
    rows = [dict(r._mapping) for r in conn.execute(q)]
    if snap.unit_id is None:
        return rows
    return [r for r in rows if unit_of_record(conn, r["item_id"], snap.round_id) == snap.unit_id]


def unit_of_record(conn: Connection, item_id: int | None, round_id: int | None) -> int | None:
    """The unit a rule or an accountability record counts for: its item's; without an item, the
    round's only unit (None when the round has several: the record is the round's as a whole)."""
    if item_id is not None:
        return conn.execute(sa.select(ITEM.c.unit_id).where(ITEM.c.id == item_id)).scalar()
    units = conn.execute(sa.select(UNIT.c.id).where(UNIT.c.round_id == round_id).limit(2)).scalars().all()
    return units[0] if len(units) == 1 else None


def rules(conn: Connection, snap: Snapshot) -> list[dict[str, Any]]:
    return _records(conn, RULE, "issued_on", snap)


def accountability(conn: Connection, snap: Snapshot) -> list[dict[str, Any]]:
    return _records(conn, ACCOUNTABILITY, "decided_on", snap)


# --- ledger baselines -----------------------------------------------------------------------------------

# A ledger baseline: a new item a ledger import created in a state past 已登记, as the importing person
# vouched for it, with no lifecycle behind it in the system. Written as `ledger_baseline`; before that
# action existed (issue 9) the same creation was a `ledger_import` entry without a from_state.
BASELINE_ACTIONS = clauses.BASELINE_ACTIONS
BASELINE_PHRASE: dict[State, str] = {
    State.assigned: "台账导入时已交办，系统内无交办记录",
    State.in_progress: "台账导入时已在整改中，系统内无交办、开始整改记录",
    State.submitted: "台账导入时已提请销号，系统内无提请销号记录",
    State.closed: "台账导入时已完成，系统内无销号审核记录",
    State.revisited: "台账导入时已完成并在回头看，系统内无销号审核记录",
}


def is_baseline(action: str, from_state: str | None, to_state: str | None) -> bool:
    """Whether an entry is a ledger baseline (see BASELINE_ACTIONS); the SQL twin is in `baselines`."""
    return action in BASELINE_ACTIONS and from_state is None and to_state not in (None, State.reported.value)


def baselines(conn: Connection, snap: Snapshot) -> dict[int, State]:
    """The items whose state at the snapshot is still the ledger baseline they were created in: no
    entry by then has moved them since."""
    base, later = AUDIT.alias("base"), AUDIT.alias("later")
    moved = sa.exists().where(
        later.c.item_id == base.c.item_id,
        later.c.seq > base.c.seq,
        later.c.at < snap.cut,
        later.c.from_state.is_not(None),
        later.c.from_state != later.c.to_state,
    )
    q = sa.select(base.c.item_id, base.c.to_state).where(
        base.c.action.in_(BASELINE_ACTIONS),
        base.c.from_state.is_(None),
        base.c.to_state.is_not(None),
        base.c.to_state != State.reported.value,
        base.c.at < snap.cut,
        ~moved,
    )
    if snap.unit_id is not None:  # one unit's items, by the index (see _latest)
        q = q.where(base.c.item_id.in_(sa.select(ITEM.c.id).where(ITEM.c.unit_id == snap.unit_id)))
    ids = snap.ids
    return {item_id: State(state) for item_id, state in conn.execute(q) if item_id in ids}
