"""Planning a ledger import (整改台账): which round, which rows create or update which items, and every
problem found against the file and the database — before anything is written (see `apply`).

Re-importing the same ledger updates items by their 序号 (kept in `ledger_key`): what describes them,
never their state or handed-out deadline (see `changes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.guards import not_permitted, plan_complete
from states.lifecycle import Role, State
from workflow.chinese import chinese_number
from workflow.dates import parse_date
from workflow.db.tables.core import ROUND, UNIT
from workflow.errors import InvalidInput, PermissionDenied
from workflow.inputs import clean_line
from workflow.intake.ledger.changes import Change, Known, diff, plan_facts
from workflow.intake.ledger.rows import Row, Tick, parse_rows
from workflow.intake.ledger.workbook import Problem, Table
from workflow.read.people import load_actor

MAX_SHOWN = 200  # problems listed in the message; the rest are counted
META_KEYS = {
    "巡察轮次": "name",
    "巡察组": "group_name",
    "被巡察单位": "unit",
    "巡察开始": "visit_start",
    "巡察结束": "visit_end",
    "反馈日期": "feedback_date",
    "集中整改期止": "rectification_end",
}


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
    unit: str = ""  # the inspected unit (被巡察单位) the rows belong to
    unit_id: int | None = None  # None: a unit to add (or the new round's own)

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
            return _in_unit(conn, RoundTarget(rounds[0].id, dict(rounds[0]._mapping)), given.get("unit"))
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
        # An existing round: the unit named, else the one the ledger's 轮次信息 names (an exported
        # unit's ledger goes back to its unit), else the round's only one.
        return _in_unit(
            conn, RoundTarget(row.id, dict(row._mapping)), given.get("unit"), from_meta.get("unit")
        )
    values = {
        **(from_meta if from_meta.get("name") in (None, name) else {}),
        **{k: v for k, v in given.items() if v},
    }
    values["name"] = clean_line(name, "巡察轮次名称", 200, required=True)
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
        values[key] = clean_line(values[key], label, 200, required=True)
    return RoundTarget(None, {k: values.get(k) for k in ("name", *META_KEYS.values())}, values["unit"])


def _in_unit(conn: Connection, target: RoundTarget, unit: str | None, hint: str | None = None) -> RoundTarget:
    """An existing round's unit the ledger is for: --unit (a new one is added), else the unit its
    轮次信息 names if the round has it (an exported unit's ledger goes back to its unit), else the
    round's only one."""
    assert target.id is not None
    units = conn.execute(
        sa.select(UNIT.c.id, UNIT.c.name).where(UNIT.c.round_id == target.id).order_by(UNIT.c.position)
    ).all()
    if not unit and hint in {u.name for u in units}:
        unit = hint
    if unit:
        target.unit = clean_line(unit, "被巡察单位", 200, required=True)
        target.unit_id = next((u.id for u in units if u.name == target.unit), None)
    elif len(units) == 1:
        target.unit, target.unit_id = units[0].name, units[0].id
    else:
        names = "、".join(u.name for u in units)
        raise InvalidInput(
            f"巡察轮次「{target.name}」有多个被巡察单位，请用 --unit 指明导入到哪一个：{names}"
        )
    return target


# --- the plan: what the import will do -------------------------------------------------------------------


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
    if refused := not_permitted(actor, "ledger_import"):
        raise PermissionDenied(refused)
    rows, problems = parse_rows(table, year_hint=target.feedback_date, today=today, tick=tick)
    plan = Plan(table, target, actor.name)
    planner = _Planner(plan, Known.load(conn, target.unit_id), problems)
    for row in rows:
        planner.add(row)
    if problems:
        order = sorted(problems, key=lambda p: (p.row or 0, len(p.column or ""), p.column or ""))
        raise LedgerInvalid(table.file_name, order)
    return plan


class _Planner:
    """Adds the ledger's rows to the plan one by one, with what earlier rows claimed."""

    def __init__(self, plan: Plan, known: Known, problems: list[Problem]) -> None:
        self.plan, self.known, self.problems, self.table = plan, known, problems, plan.table
        self.keyed = set(known.keys.values())
        self.aspect_by_no = {number: (number, title) for number, title in known.aspects.values()}
        self.aspect_by_title = {title: (number, title) for number, title in known.aspects.values()}
        plan.aspects = {aspect: aspect_id for aspect_id, aspect in known.aspects.items()}
        self.claimed: dict[int, int] = {}  # item id → row line
        self.numbers_taken = dict(known.by_number)

    def problem(self, row: Row, column: str | None, text: str) -> None:
        self.problems.append(self.table.problem(row.line, self.table.index(column) if column else None, text))

    def aspect_of(self, row: Row) -> tuple[str, str] | None:
        by_no, by_title = self.aspect_by_no, self.aspect_by_title
        if row.aspect is None:
            if len(by_no) == 1:
                return next(iter(by_no.values()))
            if not by_no:
                by_no["一"] = ("一", "巡察反馈问题")
                return by_no["一"]
            self.problem(row, None, "台账没有「问题类别」列，而本轮有多个方面：请加上该列")
            return None
        number, title = row.aspect
        if number is None:
            if title in by_title:
                return by_title[title]
            number = next(chinese_number(n) for n in range(1, 100) if chinese_number(n) not in by_no)
        found = by_no.setdefault(number, (number, title))
        by_title.setdefault(found[1], found)
        return found

    def add(self, row: Row) -> None:
        aspect = self.aspect_of(row)
        if aspect is None:
            return
        number = _number(aspect[0], row.no)
        if len(number) > 60:
            self.problem(row, "no", f"编号 {number} 过长")
            return
        known, plan = self.known, self.plan
        item_id = known.keys.get(row.no)
        if item_id is None and number in known.by_number and known.by_number[number] not in self.keyed:
            item_id = known.by_number[number]  # an item from a YAML import, adopted under this 序号
            plan.adopted.append((item_id, row.no))
        self.note_people(row)
        if item_id is None:
            self.create(row, number, aspect)
        else:
            self.update(row, item_id, number, aspect)

    def note_people(self, row: Row) -> None:
        """Leaders and handlers the database does not know yet are created with the import."""
        for key in ("leader", "handler"):
            name = row.fields.get(key)
            if name and name not in self.known.people:
                person = self.plan.people.setdefault(name, {"name": name, "roles": set(), "department": None})
                person["roles"].add(Role.leader.value if key == "leader" else Role.handler.value)
                if key == "handler":
                    person["department"] = person["department"] or row.fields.get("department")

    def create(self, row: Row, number: str, aspect: tuple[str, str]) -> None:
        if number in self.numbers_taken:
            self.problem(row, "no", f"编号 {number} 已被另一序号的事项使用：请换一个序号")
            return
        self.numbers_taken[number] = -row.line
        self.plan.aspects.setdefault(aspect, None)
        state = row.state or State.reported
        if state is not State.reported:
            reason = plan_complete(plan_facts(row.fields, len(row.measures or [])))
            if reason:
                self.problem(row, "status", f"完成情况为「{row.status}」，但{reason}")
                return
        self.plan.creates.append((row, number, aspect))

    def update(self, row: Row, item_id: int, number: str, aspect: tuple[str, str]) -> None:
        items = self.known.items
        if item_id in self.claimed:
            self.problem(row, "no", f"与第 {self.claimed[item_id]} 行指向同一事项（{items[item_id].number}）")
            return
        self.claimed[item_id] = row.line
        change = diff(
            self.table, row, items[item_id], aspect, self.known, number, self.numbers_taken, self.problems
        )
        if change is None:
            return
        self.plan.aspects.setdefault(aspect, None)
        if change.changes or change.new_measures or change.progress or change.evidence:
            self.plan.updates.append(change)
        else:
            self.plan.unchanged += 1
