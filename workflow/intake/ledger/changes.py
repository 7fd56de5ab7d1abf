"""What a ledger row changes on an item its round already has, judged against what the database holds
(loaded once per import, see `Known`); `plan.prepare` calls `diff` for every row that names such an item.

A row may change what describes the item (title, description, instance, people, cooperating units,
measure texts; progress and evidence lines are added). It may not change the item's state or, once
the item is handed out, its deadline: those move only through the lifecycle (a submission and a
sign-off by another person, an approved extension), so the row is refused naming the commands.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.guards import Actor, Facts
from states.lifecycle import BY_ACTION, TRANSITIONS, State
from workflow.dates import show_deadline
from workflow.db.tables.core import ASPECT, EVIDENCE, ITEM, MEASURE, PERSON, PROGRESS
from workflow.db.tables.ledger import LEDGER_KEY
from workflow.intake.ledger.rows import Row
from workflow.intake.ledger.workbook import Problem, Table

TEXT_FIELDS = ("title", "description", "instance", "cooperating")  # stored as '' when empty
DEADLINE_FIELDS = ("deadline_kind", "deadline")


@dataclass
class Known:
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
    def load(cls, conn: Connection, unit_id: int | None) -> Known:
        """What the unit holds (a ledger is one unit's); nothing but the people for a unit to add."""
        known = cls(people=set(conn.execute(sa.select(PERSON.c.name)).scalars()))
        if unit_id is None:
            return known
        of_round = ITEM.c.unit_id == unit_id
        known.items = {r.id: r for r in conn.execute(sa.select(ITEM).where(of_round))}
        known.by_number = {r.number: r.id for r in known.items.values()}
        known.keys = dict(
            conn.execute(
                sa.select(LEDGER_KEY.c.ledger_no, LEDGER_KEY.c.item_id).where(LEDGER_KEY.c.unit_id == unit_id)
            ).all()
        )
        known.aspects = {
            a.id: (a.number, a.title)
            for a in conn.execute(
                sa.select(ASPECT.c.id, ASPECT.c.number, ASPECT.c.title).where(ASPECT.c.unit_id == unit_id)
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
    measure_texts: dict[int, str]  # seq → new text
    last_seq: int  # new measures are numbered after it
    new_measures: list[str]
    progress: list[tuple[date, str | None, str]]
    evidence: list[tuple[str, str]]


def norm(key: str, value: Any) -> Any:
    if key in TEXT_FIELDS:
        return value or ""
    return value or None


def plan_facts(values: dict[str, Any], measures: int) -> Facts:
    return Facts(
        state=State.reported,
        actor=Actor("ledger", frozenset()),
        leader=values.get("leader"),
        department=values.get("department"),
        deadline_kind=values.get("deadline_kind"),
        measures_total=measures,
    )


def _measures(
    table: Table, row: Row, measures: dict[int, str], problems: list[Problem]
) -> tuple[dict[int, str], list[str]] | None:
    """(seq → changed text, added texts) of the row's measures against the item's, or None (with a
    problem) when the row has fewer: an import never deletes a measure."""
    if row.measures is None:
        return {}, []
    old_list = [measures[s] for s in sorted(measures)]
    if len(row.measures) < len(old_list):
        problems.append(
            table.problem(
                row.line,
                table.index("measures"),
                f"台账中的整改措施（{len(row.measures)} 项）少于系统中已有的 {len(old_list)} 项：导入不能删除整改措施",
            )
        )
        return None
    texts = {s: t for s, t in zip(sorted(measures), row.measures, strict=False) if measures[s] != t}
    return texts, row.measures[len(old_list) :]


def lifecycle_path(start: State, goal: State) -> list[str]:
    """The fewest triggers that take an item from `start` to `goal` (empty when none does)."""
    paths: dict[State, list[str]] = {start: []}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        for t in TRANSITIONS:
            if state in t.source and t.dest not in paths:
                paths[t.dest] = [*paths[state], t.trigger]
                queue.append(t.dest)
    return paths.get(goal, [])


def _state_refused(row: Row, item: Any, old: State, new: State) -> str:
    steps = lifecycle_path(old, new)
    how = (
        "请按流程操作：" + "，再 ".join(f"zhenggai item {trigger} {item.id}" for trigger in steps)
        if steps
        else f"事项不能回到「{new.label}」"
    )
    return (
        f"事项 {item.number} 当前为「{old.label}」，台账写的是「{row.status}」（{new.label}）："
        f"导入不能改变已有事项的状态，{how}"
    )


def _deadline_refused(item: Any, old: State, new: tuple[str | None, date | None]) -> str:
    was = show_deadline(item.deadline_kind, item.deadline) or "未填写"
    now = show_deadline(*new) or "空白"
    how = (
        f"延期请用 zhenggai item extend {item.id} --to 日期 --reason 理由 --approved-by 批准人"
        if old in BY_ACTION["extend"].states
        else f"事项已是「{old.label}」，完成时限不再变更"
    )
    return (
        f"事项 {item.number} 当前为「{old.label}」，完成时限为 {was}，台账写的是 {now}："
        f"导入不能修改已交办事项的完成时限，{how}"
    )


def _lifecycle_refusals(table: Table, row: Row, item: Any, problems: list[Problem]) -> bool:
    """Report a changed state, or a changed deadline of an item handed out; whether there was one."""
    old = State(item.state)
    refused = False
    if row.state is not None and row.state is not old:
        problems.append(
            table.problem(row.line, table.index("status"), _state_refused(row, item, old, row.state))
        )
        refused = True
    # While 已登记 the plan is a draft (assign checks it is complete): its deadline may still be set.
    if old is not State.reported and "deadline_kind" in row.fields:
        new = (row.fields["deadline_kind"], row.fields["deadline"])
        if new != (item.deadline_kind, item.deadline):
            problems.append(
                table.problem(row.line, table.index("deadline"), _deadline_refused(item, old, new))
            )
            refused = True
    return refused


def diff(
    table: Table,
    row: Row,
    item: Any,
    aspect: tuple[str, str],
    known: Known,
    number: str,
    numbers_taken: dict[str, int],
    problems: list[Problem],
) -> Change | None:
    """What importing `row` changes on an existing item, or None (with problems) when it may not."""
    col = table.index
    measures = known.measures.get(item.id, {})
    if _lifecycle_refusals(table, row, item, problems):
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
    measured = _measures(table, row, measures, problems)
    if measured is None:
        return None
    texts, new_measures = measured
    if texts:
        changes["measures"] = [[measures[s] for s in texts], list(texts.values())]
    progress = [p for p in row.progress if p[2] not in known.progress.get(item.id, set())]
    evidence = [e for e in row.evidence if e not in known.evidence.get(item.id, set())]
    return Change(row, item, changes, texts, max(measures, default=0), new_measures, progress, evidence)
