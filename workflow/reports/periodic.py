"""The weekly bulletin (周通报) and the monthly report (每月汇报) as of any date, from `snapshot`s of the
audit trail."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.categories import Category, Rate
from states.colours import Meaning
from states.lifecycle import State
from workflow import clock
from workflow.chinese import cn_date
from workflow.db.tables.core import AUDIT, ITEM
from workflow.errors import InvalidInput
from workflow.read import snapshot
from workflow.read.rounds import resolve_round
from workflow.read.scope import EVERYTHING, Scope
from workflow.read.statistics import figures, format_rate, shown_categories
from workflow.read.units import resolve_unit
from workflow.reports.document import Document
from workflow.reports.settings import Settings

# Near its deadline, or reported done and awaiting acceptance: what the monthly report presses on
# (whatever colour an office lights them, [lights.colours]).
_PRESSING = (Meaning.near, Meaning.submitted)


def period(kind: str, day: date) -> tuple[date, date]:
    """weekly: the seven days ending on `day`; monthly: the month of `day` up to `day`."""
    if kind == "weekly":
        return day - timedelta(days=6), day
    if kind == "monthly":
        return day.replace(day=1), day
    raise InvalidInput(f"未知的报告类型 {kind!r}（可用：public、weekly、monthly）")


def _group_rows(items: list[snapshot.ItemAt], key: str, day: date, rate: Rate) -> list[list[object]]:
    groups: dict[str, list[snapshot.ItemAt]] = {}
    for i in items:
        groups.setdefault(getattr(i, key) or "（未指定）", []).append(i)
    rows = []
    for name, members in sorted(groups.items()):
        done = sum(i.completed for i in members)
        late = sum(i.overdue(day) for i in members)
        counted = rate.counted(Counter(i.completion for i in members))
        rows.append(
            [
                name,
                len(members),
                done,
                len(members) - done,
                late,
                format_rate(counted, len(members), rate.precision),
            ]
        )
    return rows


def _counts(stats: dict[str, Any], labels: dict[Category, str]) -> str:
    """'已完成整改2个，正在整改1个', with 基本完成, 未完成, 长期坚持 when there are any."""
    return "，".join(
        f"{labels[c]}整改{n}个" if c is Category.completed else f"{labels[c]}{n}个"
        for c, n in shown_categories(stats)
    )


def _newly_done(conn: Connection, snap: snapshot.Snapshot, before: snapshot.Snapshot) -> int:
    """Items completed in the period: done now, not done (or not there) before, and not history that
    arrived done by a ledger import (a baseline: no sign-off happened in the period)."""
    done_before = {i.id for i in before.items if i.completed}
    imported = snapshot.baselines(conn, snap)
    return sum(i.completed and i.id not in done_before and i.id not in imported for i in snap.items)


def periodic(
    conn: Connection,
    kind: str,
    day: date,
    config: Settings,
    *,
    round_name: str | None = None,
    unit_name: str | None = None,
    scope: Scope = EVERYTHING,
) -> tuple[Document, dict[str, Any]]:
    """The weekly bulletin (周通报) or the monthly report (月度汇报) as of `day`: of the whole round, or
    of one unit (`unit_name`, or the reader's own when they are confined to one)."""
    start, end = period(kind, day)
    rnd, unit_id = _round_and_unit(conn, round_name, unit_name, scope)
    snap = snapshot.take(conn, end, rnd.id, unit_id)
    before = snapshot.take(conn, start - timedelta(days=1), rnd.id, unit_id)
    stats = figures(conn, snap, config.rate)
    short = config.short_name or rnd.unit
    word = "本周" if kind == "weekly" else "本月"
    newly_done = _newly_done(conn, snap, before)
    notes = snapshot.progress(conn, snap, since=start)
    yellow = [i for i in snap.items if i.meaning(end, config.yellow_days) in _PRESSING and not i.completed]
    late = sorted((i for i in snap.items if i.overdue(end)), key=lambda i: (i.deadline, i.number))
    doc = _titled(kind, short, start, end)
    doc.heading("一、总体进展")
    if snap.items:
        doc.para(
            f"截至{cn_date(end)}，{rnd.name}反馈的{stats['problems']}个问题{_counts(stats, config.labels)}，"
            f"整改完成率为{stats['completion_rate']}。"
            f"{word}新完成整改{newly_done}个，记录整改进展{sum(map(len, notes.values()))}条；"
            f"逾期未完成{len(late)}个，临近完成时限{len(yellow)}个。"
        )
    else:  # before any problem was recorded: no figures to print
        doc.para(f"截至{cn_date(end)}，系统中尚无{rnd.name}反馈问题的记录，暂无整改进展可以通报。")
    moves = _moves(conn, rnd.id, snapshot.cutoff(start - timedelta(days=1)), snap.cut, unit_id)
    _dynamics(doc, word, moves, notes, snap)
    _pressing(doc, late, yellow, end, config.yellow_days)
    _group_tables(doc, kind, snap.items, end, config.rate)
    data = {
        **stats,
        "kind": kind,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "newly_completed": newly_done,
        "overdue_items": [i.number for i in late],
        "near_deadline_items": [i.number for i in yellow],
        "state_changes": len(moves),
    }
    return doc, data


def _round_and_unit(
    conn: Connection, round_name: str | None, unit_name: str | None, scope: Scope
) -> tuple[Any, int | None]:
    """The round (its `unit` the one reported on, when there is one) and that unit's id, else None."""
    rnd = resolve_round(conn, round_name)
    unit_id = None
    if unit_name or scope.unit is not None:
        unit = resolve_unit(conn, rnd, unit_name or scope.unit, scope)
        rnd, unit_id = SimpleNamespace(**{**rnd._mapping, "unit": unit.name}), unit.id
    return rnd, unit_id


def _titled(kind: str, short: str, start: date, end: date) -> Document:
    doc = Document()
    if kind == "weekly":
        doc.title(f"{short}巡察整改工作周通报")
        doc.subtitle(f"（{cn_date(start)}至{cn_date(end)}）")
    else:
        doc.title(f"{short}巡察整改工作月度汇报")
        doc.subtitle(f"（{end.year}年{end.month}月，截至{cn_date(end, year=False)}）")
    return doc


def _group_tables(doc: Document, kind: str, items: list[snapshot.ItemAt], end: date, rate: Rate) -> None:
    """Sections 四 (by department) and, in the monthly report, 五 (by leader)."""
    head = ("责任部门", "问题数", "已完成", "正在整改", "逾期", "完成率")
    doc.heading("四、各责任部门整改进展")
    doc.table(head, _group_rows(items, "department", end, rate))
    if kind == "monthly":
        doc.heading("五、各责任领导分管事项进展")
        doc.table(("责任领导", *head[1:]), _group_rows(items, "leader", end, rate))


def _dynamics(
    doc: Document,
    word: str,
    moves: list[tuple[str, ...]],
    notes: dict[int, list[tuple[date, str | None, str]]],
    snap: snapshot.Snapshot,
) -> None:
    """二、本周（本月）整改动态: the state changes, then the progress recorded."""
    doc.heading(f"二、{word}整改动态")
    if moves:
        doc.table(("时间", "编号", "问题", "变化", "操作人"), moves)
    else:
        doc.para(f"{word}没有事项状态变化。")
    numbers = {i.id: i for i in snap.items}
    rows = [
        (on.isoformat(), numbers[item_id].number, numbers[item_id].title, text)
        for item_id, entries in notes.items()
        for on, _when, text in entries
    ]
    if rows:
        doc.table(("日期", "编号", "问题", "整改进展"), sorted(rows))


def _pressing(
    doc: Document, late: list[snapshot.ItemAt], yellow: list[snapshot.ItemAt], end: date, yellow_days: int
) -> None:
    """三、提醒督办: the overdue items by name, then those near their deadline."""
    doc.heading("三、提醒督办")
    if late:
        units = "、".join(dict.fromkeys(i.department or "（未指定）" for i in late))
        doc.para(f"以下事项已超过完成时限仍未完成，请{units}抓紧整改，按期销号：")
        doc.table(
            ("编号", "问题", "责任部门", "责任领导", "完成时限", "逾期天数"),
            [
                (i.number, i.title, i.department, i.leader, i.deadline, (end - i.deadline).days)
                for i in late
                if i.deadline
            ],
        )
    else:
        doc.para("没有逾期未完成的事项。")
    if yellow:
        doc.para(f"以下事项临近完成时限（{yellow_days}天内）或待销号验收，请抓紧推进：")
        doc.table(
            ("编号", "问题", "责任部门", "责任领导", "完成时限", "状态"),
            [(i.number, i.title, i.department, i.leader, i.deadline or "", i.state.label) for i in yellow],
        )


def _moves(
    conn: Connection, round_id: int, since: str, until: str, unit_id: int | None = None
) -> list[tuple[str, ...]]:
    """State changes (and items coming in) in [since, until), from the audit trail, in order."""
    q = (
        sa.select(
            AUDIT.c.at,
            ITEM.c.number,
            ITEM.c.title,
            AUDIT.c.action,
            AUDIT.c.from_state,
            AUDIT.c.to_state,
            AUDIT.c.actor,
        )
        .join(ITEM, ITEM.c.id == AUDIT.c.item_id)
        .where(
            ITEM.c.round_id == round_id,
            AUDIT.c.at >= since,
            AUDIT.c.at < until,
            AUDIT.c.to_state.is_not(None),
            sa.or_(AUDIT.c.from_state.is_(None), AUDIT.c.from_state != AUDIT.c.to_state),
        )
        .order_by(AUDIT.c.at, AUDIT.c.seq)  # the `at` index, not a scan of the whole log in seq order
    )
    if unit_id is not None:
        q = q.where(ITEM.c.unit_id == unit_id)
    # An item a ledger brought in already past 已登记 came with its history: it says so.
    return [
        (
            clock.show(at),
            number,
            title,
            f"{State(f).label if f else _arrival(action, f, t)} → {State(t).label}",
            actor,
        )
        for at, number, title, action, f, t, actor in conn.execute(q)
    ]


def _arrival(action: str, from_state: str | None, to_state: str) -> str:
    return "台账导入（基线）" if snapshot.is_baseline(action, from_state, to_state) else "新增"
