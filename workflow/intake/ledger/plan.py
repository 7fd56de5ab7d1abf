"""Planning a ledger import (整改台账): which round, which rows create or update which items, and every
problem found against the file and the database — before anything is written (see `apply`).

Re-importing the same ledger updates items by their 序号 (kept in `ledger_key`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.guards import Actor, Facts, plan_complete
from states.lifecycle import Role, State
from workflow.chinese import chinese_number
from workflow.dates import parse_date
from workflow.db.tables.core import ASPECT, EVIDENCE, ITEM, MEASURE, PERSON, PROGRESS, ROUND
from workflow.db.tables.ledger import LEDGER_KEY
from workflow.errors import InvalidInput, PermissionDenied
from workflow.inputs import clean_text
from workflow.intake.ledger.rows import Row, Tick, parse_rows
from workflow.intake.ledger.workbook import Problem, Table
from workflow.read.people import load_actor

MAX_SHOWN = 200  # problems listed in the message; the rest are counted
_RANK = {s: i for i, s in enumerate(State)}
_BACKWARD_HINT = {
    State.submitted: "用 zhenggai item reject 驳回",
    State.closed: "用 zhenggai item revisit 和 item reopen",
    State.revisited: "用 zhenggai item reopen 或 item confirm",
}
META_KEYS = {
    "巡察轮次": "name",
    "巡察组": "group_name",
    "被巡察单位": "unit",
    "巡察开始": "visit_start",
    "巡察结束": "visit_end",
    "反馈日期": "feedback_date",
    "集中整改期止": "rectification_end",
}
TEXT_FIELDS = ("title", "description", "instance", "cooperating")  # stored as '' when empty


class LedgerInvalid(InvalidInput):
    """The ledger has problems; `problems` lists each with its sheet, row and column."""

    def __init__(self, file_name: str, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "\n".join(str(p) for p in problems[:MAX_SHOWN])
        more = f"\n……另有 {len(problems) - MAX_SHOWN} 处问题未列出" if len(problems) > MAX_SHOWN else ""
        super().__init__(f"{file_name} 有 {len(problems)} 处问题，未导入任何内容：\n{shown}{more}")


# --- the round ------------------------------------------------------------------------------------------


@dataclass
class RoundTarget:
    """The round the ledger goes into: an existing one (id) or one to create from `values`."""

    id: int | None
    values: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.values["name"])

    @property
    def feedback_date(self) -> date:
        value = self.values["feedback_date"]
        assert isinstance(value, date)
        return value


def target_round(
    conn: Connection, meta: dict[str, str], name: str | None = None, **given: Any
) -> RoundTarget:
    """Which round: --round NAME, else the one named in the 轮次信息 sheet, else the only round.
    A round that does not exist yet is created from that sheet and the options (group, unit, dates)."""
    from_meta: dict[str, Any] = {META_KEYS[k]: v for k, v in meta.items() if k in META_KEYS and v}
    name = name or from_meta.get("name")
    columns = (ROUND.c.id, ROUND.c.name, ROUND.c.group_name, ROUND.c.unit, ROUND.c.feedback_date)
    if not name:
        rounds = conn.execute(sa.select(*columns).order_by(ROUND.c.id)).all()
        if len(rounds) == 1:
            return RoundTarget(rounds[0].id, dict(rounds[0]._mapping))
        if not rounds:
            raise InvalidInput(
                "数据库中还没有巡察轮次：用 --round NAME --group 巡察组 --unit 被巡察单位 --feedback-date 日期 新建，"
                "或先用 zhenggai import 导入轮次"
            )
        raise InvalidInput(
            f"数据库中有多个巡察轮次，请用 --round 指明导入到哪一个：{'、'.join(r.name for r in rounds)}"
        )
    row = conn.execute(sa.select(*columns).where(ROUND.c.name == name)).first()
    if row is not None:
        return RoundTarget(row.id, dict(row._mapping))
    values = {
        **(from_meta if from_meta.get("name") in (None, name) else {}),
        **{k: v for k, v in given.items() if v},
    }
    values["name"] = clean_text(name, "巡察轮次名称", 200, required=True)
    missing = [
        label
        for label, key in (
            ("--group", "group_name"),
            ("--unit", "unit"),
            ("--feedback-date", "feedback_date"),
        )
        if not values.get(key)
    ]
    if missing:
        raise InvalidInput(
            f"数据库中没有巡察轮次「{name}」；新建它需要 {'、'.join(missing)}（或台账中的「轮次信息」工作表）"
        )
    for key in ("visit_start", "visit_end", "feedback_date", "rectification_end"):
        if values.get(key) is not None:
            values[key] = parse_date(values[key])
    for key, label in (("group_name", "巡察组"), ("unit", "被巡察单位")):
        values[key] = clean_text(values[key], label, 200, required=True)
    return RoundTarget(None, {k: values.get(k) for k in ("name", *META_KEYS.values())})


# --- the plan: what the import will do -------------------------------------------------------------------


@dataclass
class _Known:
    """What the database already holds for the round, loaded once (a query per table, not per row)."""

    items: dict[int, Any] = field(default_factory=dict)
    by_number: dict[str, int] = field(default_factory=dict)
    keys: dict[str, int] = field(default_factory=dict)  # 序号 → item id
    aspects: dict[int, tuple[str, str]] = field(default_factory=dict)  # id → (number, title)
    measures: dict[int, dict[int, str]] = field(default_factory=dict)  # item → seq → text
    progress: dict[int, set[str]] = field(default_factory=dict)
    evidence: dict[int, set[tuple[str, str]]] = field(default_factory=dict)
    people: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, conn: Connection, round_id: int | None) -> _Known:
        known = cls(people=set(conn.execute(sa.select(PERSON.c.name)).scalars()))
        if round_id is None:
            return known
        of_round = ITEM.c.round_id == round_id
        known.items = {r.id: r for r in conn.execute(sa.select(ITEM).where(of_round))}
        known.by_number = {r.number: r.id for r in known.items.values()}
        known.keys = dict(
            conn.execute(
                sa.select(LEDGER_KEY.c.ledger_no, LEDGER_KEY.c.item_id).where(
                    LEDGER_KEY.c.round_id == round_id
                )
            ).all()
        )
        known.aspects = {
            a.id: (a.number, a.title)
            for a in conn.execute(
                sa.select(ASPECT.c.id, ASPECT.c.number, ASPECT.c.title).where(ASPECT.c.round_id == round_id)
            )
        }
        for item_id, seq, text in conn.execute(
            sa.select(MEASURE.c.item_id, MEASURE.c.seq, MEASURE.c.text).join(ITEM).where(of_round)
        ):
            known.measures.setdefault(item_id, {})[seq] = text
        for item_id, text in conn.execute(
            sa.select(PROGRESS.c.item_id, PROGRESS.c.text).join(ITEM).where(of_round)
        ):
            known.progress.setdefault(item_id, set()).add(text)
        q = sa.select(EVIDENCE.c.item_id, EVIDENCE.c.kind, EVIDENCE.c.ref, EVIDENCE.c.file_name).join(ITEM)
        for item_id, kind, ref, file_name in conn.execute(q.where(of_round)):
            known.evidence.setdefault(item_id, set()).add((kind, ref or file_name or ""))
        return known


@dataclass
class Change:
    row: Row
    item: Any  # the current item row
    changes: dict[str, list[Any]]  # field → [old, new], for the audit entry; item columns are written
    state: State
    measure_texts: dict[int, str]  # seq → new text
    last_seq: int  # new measures are numbered after it
    new_measures: list[str]
    progress: list[tuple[date, str | None, str]]
    evidence: list[tuple[str, str]]


@dataclass
class Plan:
    table: Table
    round: RoundTarget
    actor: str
    creates: list[tuple[Row, str, tuple[str, str]]] = field(default_factory=list)  # row, number, aspect
    updates: list[Change] = field(default_factory=list)
    unchanged: int = 0
    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    adopted: list[tuple[int, str]] = field(default_factory=list)  # (item id, 序号) of keyless items
    aspects: dict[tuple[str, str], int | None] = field(default_factory=dict)  # (number, title) → id


def _number(aspect_no: str, ledger_no: str) -> str:
    """Item number from the aspect and 序号. Export writes keyless nested numbers as '一-1-(1)'."""
    if ledger_no.startswith(aspect_no + "-"):
        return ledger_no.replace("-", "/")
    return f"{aspect_no}/{ledger_no}"


def norm(key: str, value: Any) -> Any:
    if key in TEXT_FIELDS:
        return value or ""
    return value or None


def prepare(
    conn: Connection,
    table: Table,
    target: RoundTarget,
    actor_name: str | None,
    *,
    today: date,
    tick: Tick | None = None,
) -> Plan:
    """Check everything against the file and the database; raise LedgerInvalid listing every problem."""
    actor = load_actor(conn, actor_name)
    if Role.office not in actor.roles:
        raise PermissionDenied(f"{actor.name} 没有导入台账的权限（需要角色：整改办）")
    rows, problems = parse_rows(table, year_hint=target.feedback_date, today=today, tick=tick)
    plan = Plan(table, target, actor.name)
    known = _Known.load(conn, target.id)
    items, by_number, keys = known.items, known.by_number, known.keys
    keyed = set(keys.values())
    aspect_by_no = {number: (number, title) for number, title in known.aspects.values()}
    aspect_by_title = {title: (number, title) for number, title in known.aspects.values()}
    plan.aspects = {aspect: aspect_id for aspect_id, aspect in known.aspects.items()}

    def aspect_of(row: Row) -> tuple[str, str] | None:
        if row.aspect is None:
            if len(aspect_by_no) == 1:
                return next(iter(aspect_by_no.values()))
            if not aspect_by_no:
                aspect_by_no["一"] = ("一", "巡察反馈问题")
                return aspect_by_no["一"]
            problems.append(
                table.problem(row.line, None, "台账没有「问题类别」列，而本轮有多个方面：请加上该列")
            )
            return None
        number, title = row.aspect
        if number is None:
            if title in aspect_by_title:
                return aspect_by_title[title]
            number = next(chinese_number(n) for n in range(1, 100) if chinese_number(n) not in aspect_by_no)
        found = aspect_by_no.setdefault(number, (number, title))
        aspect_by_title.setdefault(found[1], found)
        return found

    col = table.index
    claimed: dict[int, int] = {}  # item id → row line
    numbers_taken = dict(by_number)
    for row in rows:
        aspect = aspect_of(row)
        if aspect is None:
            continue
        number = _number(aspect[0], row.no)
        if len(number) > 60:
            problems.append(table.problem(row.line, col("no"), f"编号 {number} 过长"))
            continue
        item_id = keys.get(row.no)
        if item_id is None and number in by_number and by_number[number] not in keyed:
            item_id = by_number[number]  # an item from a YAML import, adopted under this 序号
            plan.adopted.append((item_id, row.no))
        for key in ("leader", "handler"):
            name = row.fields.get(key)
            if name and name not in known.people:
                person = plan.people.setdefault(name, {"name": name, "roles": set(), "department": None})
                person["roles"].add(Role.leader.value if key == "leader" else Role.handler.value)
                if key == "handler":
                    person["department"] = person["department"] or row.fields.get("department")
        if item_id is None:
            if number in numbers_taken:
                problems.append(
                    table.problem(row.line, col("no"), f"编号 {number} 已被另一序号的事项使用：请换一个序号")
                )
                continue
            numbers_taken[number] = -row.line
            plan.aspects.setdefault(aspect, None)
            state = row.state or State.reported
            if state is not State.reported:
                reason = plan_complete(_facts(row.fields, len(row.measures or [])))
                if reason:
                    problems.append(
                        table.problem(row.line, col("status"), f"完成情况为「{row.status}」，但{reason}")
                    )
                    continue
            plan.creates.append((row, number, aspect))
            continue
        if item_id in claimed:
            problems.append(
                table.problem(
                    row.line, col("no"), f"与第 {claimed[item_id]} 行指向同一事项（{items[item_id].number}）"
                )
            )
            continue
        claimed[item_id] = row.line
        change = _diff(table, row, items[item_id], aspect, known, number, numbers_taken, problems)
        if change is None:
            continue
        plan.aspects.setdefault(aspect, None)
        if (
            change.changes
            or change.state.value != change.item.state
            or change.new_measures
            or change.progress
            or change.evidence
        ):
            plan.updates.append(change)
        else:
            plan.unchanged += 1
    if problems:
        order = sorted(problems, key=lambda p: (p.row or 0, len(p.column or ""), p.column or ""))
        raise LedgerInvalid(table.file_name, order)
    return plan


def _facts(values: dict[str, Any], measures: int) -> Facts:
    return Facts(
        state=State.reported,
        actor=Actor("ledger", frozenset()),
        leader=values.get("leader"),
        department=values.get("department"),
        deadline_kind=values.get("deadline_kind"),
        measures_total=measures,
    )


def _diff(
    table: Table,
    row: Row,
    item: Any,
    aspect: tuple[str, str],
    known: _Known,
    number: str,
    numbers_taken: dict[str, int],
    problems: list[Problem],
) -> Change | None:
    """What importing `row` changes on an existing item, or None (with problems) when it may not."""
    col = table.index
    measures = known.measures.get(item.id, {})
    old_state = State(item.state)
    state = row.state or old_state
    if _RANK[state] < _RANK[old_state]:
        hint = _BACKWARD_HINT.get(old_state, "导入只能推进状态")
        problems.append(
            table.problem(
                row.line,
                col("status"),
                f"事项 {item.number} 当前为「{old_state.label}」，台账写的是「{row.status}」：导入不能把状态往回改（{hint}）",
            )
        )
        return None
    changes: dict[str, list[Any]] = {}
    for key, new in row.fields.items():
        old = getattr(item, key)
        if norm(key, old) != norm(key, new):
            changes[key] = [old, norm(key, new)]
    if known.aspects.get(item.aspect_id) != aspect:
        if number in numbers_taken and numbers_taken[number] != item.id:
            problems.append(
                table.problem(row.line, col("aspect"), f"改到这个问题类别后编号 {number} 与另一事项重复")
            )
            return None
        numbers_taken[number] = item.id
        changes["aspect"] = [list(known.aspects.get(item.aspect_id, ("", ""))), list(aspect)]
        changes["number"] = [item.number, number]
    texts: dict[int, str] = {}
    new_measures: list[str] = []
    if row.measures is not None:
        old_list = [measures[s] for s in sorted(measures)]
        if len(row.measures) < len(old_list):
            problems.append(
                table.problem(
                    row.line,
                    col("measures"),
                    f"台账中的整改措施（{len(row.measures)} 项）少于系统中已有的 {len(old_list)} 项：导入不能删除整改措施",
                )
            )
            return None
        seqs = sorted(measures)
        texts = {s: t for s, t in zip(seqs, row.measures, strict=False) if measures[s] != t}
        new_measures = row.measures[len(old_list) :]
        if texts:
            changes["measures"] = [[measures[s] for s in texts], list(texts.values())]
    if state is not old_state:
        merged = {k: getattr(item, k) for k in ("leader", "department", "deadline_kind")} | row.fields
        total = len(row.measures) if row.measures is not None else len(measures)
        reason = plan_complete(_facts(merged, total))
        if reason:
            problems.append(table.problem(row.line, col("status"), f"完成情况为「{row.status}」，但{reason}"))
            return None
    progress = [p for p in row.progress if p[2] not in known.progress.get(item.id, set())]
    evidence = [e for e in row.evidence if e not in known.evidence.get(item.id, set())]
    return Change(
        row, item, changes, state, texts, max(measures, default=0), new_measures, progress, evidence
    )
