"""The data rows of a ledger sheet, parsed: every cell checked, every problem collected with its place."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from states.lifecycle import State
from workflow.chinese import one_paragraph
from workflow.errors import InvalidInput
from workflow.inputs import clean_line, clean_text
from workflow.intake.ledger.cells import (
    cell_text,
    parse_aspect,
    parse_ledger_deadline,
    parse_status,
    split_evidence,
    split_measures,
    split_problem,
    split_progress,
)
from workflow.intake.ledger.workbook import REQUIRED, Problem, Table

Tick = Callable[[int], None]
TICK_EVERY = 500
Aspect = tuple[str | None, str]


@dataclass
class Row:
    """One ledger row, parsed. `fields` holds only the item columns present in the file."""

    line: int
    no: str
    aspect: Aspect | None
    fields: dict[str, Any]
    measures: list[str] | None
    progress: list[tuple[date, str | None, str]]
    evidence: list[tuple[str, str]]
    state: State | None
    status: str  # the 完成情况 cell as written (with its instances' words, see `_fold`)
    word: str = ""  # the status text that set `state` (and the completion category); '' = `status`

    @property
    def said(self) -> str:
        return self.word or self.status


@dataclass
class _Cells:
    """One row's cells by column key, and the problems found in them so far."""

    table: Table
    cols: dict[str, int]  # column key → 0-based index, for the imported columns present
    line: int
    values: list[Any]
    bad: list[Problem] = field(default_factory=list)

    def __contains__(self, key: str) -> bool:
        return key in self.cols

    def raw(self, key: str) -> Any:
        j = self.cols.get(key)
        return self.values[j] if j is not None and j < len(self.values) else None

    def text(self, key: str, limit: int, *, one_line: bool = False) -> str:
        """The cell as checked text ('' when absent or refused, the refusal noted)."""
        if key not in self.cols:
            return ""
        clean = clean_line if one_line else clean_text
        try:
            return clean(cell_text(self.raw(key)), self.table.columns[self.cols[key]].header, limit)
        except InvalidInput as exc:
            self.fail(key, str(exc))
            return ""

    def fail(self, key: str, message: str) -> None:
        self.bad.append(self.table.problem(self.line, self.cols.get(key), message))


SUB_PROBLEM = re.compile(r"^[（(]\s*(\d{1,2})\s*[)）]$")  # （1）: a specific instance of the problem above


def parse_rows(
    table: Table, *, year_hint: date, today: date, tick: Tick | None = None
) -> tuple[list[Row], list[Problem]]:
    """Every data row parsed; every bad cell reported (a row with any problem is left out). A section
    row opens the category of the rows below it; a row numbered （1）, （2） is a specific instance of
    the problem above it (see `_fold`), not a problem of its own."""
    problems = list(table.problems)
    rows: list[Row] = []
    cols = {c.key: j for j, c in table.columns.items() if c.imported}
    if not table.header_row or any(k not in cols for k in REQUIRED):
        return rows, problems  # without a usable header the cells cannot be read
    seen: dict[str, int] = {}
    last_aspect: Aspect | None = None
    sections = sorted(table.sections)
    parent: Row | None = None  # the problem the rows numbered （1） … belong to
    parent_bad = False  # the row above was refused: its instances are not checked on their own
    children: dict[int, list[Row]] = {}
    merged = {p.row for p in table.problems if p.row is not None and p.row > table.header_row}
    for count, (line, values) in enumerate(table.rows, 1):
        if tick is not None and count % TICK_EVERY == 0:
            tick(TICK_EVERY)
        while sections and sections[0][0] < line:
            last_aspect = _section(table, *sections.pop(0), problems) or last_aspect
            parent, parent_bad = None, False  # a new category: its instances need a problem of its own
        if line in merged:
            continue  # its cells are not what the office meant; the merge is reported already
        cells = _Cells(table, cols, line, values)
        sub = SUB_PROBLEM.match(cell_text(cells.raw("no")))
        if sub:
            child = None if parent_bad else _child(cells, parent, seen, year_hint, today)
            if child is not None:
                children.setdefault(id(parent), []).append(child)
            problems.extend(cells.bad)
            continue
        aspect = last_aspect = _aspect(cells, last_aspect)
        no = _serial(cells, seen, aspect)
        fields = _item_fields(cells)
        measures, progress, evidence = _parts(cells, year_hint, today)
        status, state = _status(cells)
        if cells.bad:
            problems.extend(cells.bad)
            parent_bad = True
            continue
        parent_bad = False
        parent = Row(line, no, aspect, fields, measures, progress, evidence, state, status)
        rows.append(parent)
    if tick is not None:
        tick(len(table.rows) % TICK_EVERY)
    for row in rows:
        _fold(row, children.get(id(row), []))
    _restarted(table, rows, problems)
    return rows, problems


def _section(table: Table, line: int, text: str, problems: list[Problem]) -> Aspect | None:
    """The category a section row opens (its number and title)."""
    try:
        text = clean_line(one_paragraph(text), "分类行", 520)
    except InvalidInput as exc:
        problems.append(table.problem(line, None, str(exc)))
        return None
    aspect = parse_aspect(text)
    if len(aspect[0] or "") > 20 or len(aspect[1]) > 500:
        problems.append(table.problem(line, None, "分类行的编号（最多 20 字）或名称（最多 500 字）过长"))
        return None
    return aspect


def _child(
    cells: _Cells, parent: Row | None, seen: dict[str, int], year_hint: date, today: date
) -> Row | None:
    """A row numbered （1） under a problem: parsed like any row, its text the instance's."""
    no = cell_text(cells.raw("no"))
    if parent is None:
        cells.fail("no", f"序号 {no} 是某个问题的具体表现，但上方没有它所属的问题")
        return None
    key = f"sub/{parent.aspect}/{parent.no}/{no}"
    if key in seen:
        cells.fail("no", f"问题 {parent.no} 下的 {no} 与第 {seen[key]} 行重复")
        return None
    seen[key] = cells.line
    fields = _item_fields(cells, instance=True)
    fields["instance"] = "\n".join(filter(None, (cells.text("problem", 20500), fields.get("instance"))))
    if not fields["instance"]:
        cells.fail("problem", f"问题 {parent.no} 的具体表现 {no} 没有内容（填在问题描述或典型表现列）")
    measures, progress, evidence = _parts(cells, year_hint, today)
    status, state = _status(cells)
    return (
        None if cells.bad else Row(cells.line, no, None, fields, measures, progress, evidence, state, status)
    )


def _fold(row: Row, children: list[Row]) -> None:
    """A problem's specific instances (一/3/(1), 一/3/(2) …) go into the problem itself: their texts
    into its 典型表现, their measures, progress and evidence after its own; what the problem's row
    leaves empty (people, deadline, status) comes from its instances (the least advanced status)."""
    if not children:
        return
    lines = [row.fields.get("instance") or ""]
    lines += [f"{c.no}{one_paragraph(c.fields['instance'])}" for c in children]
    row.fields["instance"] = one_paragraph("\n".join(lines))
    for child in children:
        if child.measures is not None:
            row.measures = [*(row.measures or []), *child.measures]
        row.progress += child.progress
        row.evidence += [e for e in child.evidence if e not in row.evidence]
        for key in ("leader", "department", "handler", "cooperating", "deadline_kind", "deadline"):
            if key in child.fields and not row.fields.get(key) and child.fields[key]:
                row.fields[key] = child.fields[key]
    given = [c for c in children if c.state is not None]
    if row.state is None and given:
        first = min(given, key=lambda c: list(State).index(c.state))  # type: ignore[arg-type]
        row.state, row.word = first.state, first.status
    # The status words as the ledger wrote them, the instances' too: the trail keeps them all.
    row.status = "；".join([*([row.status] if row.status else []), *(f"{c.no}{c.status}" for c in given)])


def _restarted(table: Table, rows: list[Row], problems: list[Problem]) -> None:
    """A ledger that numbers its problems afresh under each category (一、 1 2 3, 二、 1 2) keys them by
    category and number, '二-1' (the item number is then 二/1, as always)."""
    aspects: dict[str, set[Aspect | None]] = {}
    for row in rows:
        aspects.setdefault(row.no, set()).add(row.aspect)
    if not any(len(found) > 1 for found in aspects.values()):
        return
    for row in rows:
        if row.aspect is not None and row.aspect[0] is not None:
            row.no = f"{row.aspect[0]}-{row.no}"
        elif len(aspects[row.no]) > 1:
            message = (
                f"序号 {row.no} 在多个问题类别下重复，而本行的问题类别没有编号（如「一、」）：请加上编号"
            )
            problems.append(table.problem(row.line, table.index("no"), message))


def _serial(cells: _Cells, seen: dict[str, int], aspect: Aspect | None) -> str:
    no = cells.text("no", 40, one_line=True)
    if not no:
        cells.fail("no", "序号不能为空")
    elif "/" in no:
        cells.fail("no", "序号中不能含有 /")
    elif (key := f"{aspect[0] if aspect else ''}/{aspect[1] if aspect else ''}/{no}") in seen:
        cells.fail("no", f"序号 {no} 与第 {seen[key]} 行重复")
    else:
        seen[key] = cells.line
    return no


def _aspect(cells: _Cells, last: Aspect | None) -> Aspect | None:
    """The row's 问题类别; a blank one continues the one above (None: the file has no such column)."""
    if "aspect" not in cells:
        return last  # the category a section row opened, if any
    text = cells.text("aspect", 520)
    if not text:
        if last is None:
            cells.fail("aspect", "问题类别不能为空（第一条问题必须填写，下面留空表示同上）")
        return last
    aspect = parse_aspect(text)
    if len(aspect[0] or "") > 20 or len(aspect[1]) > 500:
        cells.fail("aspect", "问题类别的编号（最多 20 字）或名称（最多 500 字）过长")
    return aspect


def _item_fields(cells: _Cells, *, instance: bool = False) -> dict[str, Any]:
    """The item's own columns present in the file: problem, instance, who, deadline. A specific
    instance's row (`instance`) may leave the problem empty: its text is the instance's."""
    fields: dict[str, Any] = {}
    problem = cells.text("problem", 20500)
    if not problem:
        if not instance:
            cells.fail("problem", "问题描述不能为空")
    else:
        title, description = split_problem(problem)
        if len(title) > 500:
            cells.fail(
                "problem", f"问题描述的第一句过长（{len(title)} 字，最多 500 字）：请在问题概括后加句号"
            )
        fields.update(title=title, description=description)
    if "instance" in cells:
        fields["instance"] = cells.text("instance", 20000)
    for key in ("leader", "handler"):
        if key in cells:
            name = cells.text(key, 64, one_line=True)
            if re.search(r"[、,，;；/\s]", name):
                cells.fail(key, f"只能填写一人（现为「{name}」）：其他人员请写入配合单位或备注")
            fields[key] = name or None
    if "department" in cells:
        fields["department"] = cells.text("department", 200, one_line=True) or None
    if "cooperating" in cells:
        # One unit per line is a usual way to list them; each unit itself is one line.
        listed = re.split(r"[、,，;；\n]", cells.text("cooperating", 1000))
        units = [unit for u in listed if (unit := _one_line(cells, "cooperating", u))]
        fields["cooperating"] = "、".join(units)
    if "deadline" in cells:
        value = cells.raw("deadline")
        if value is None or cell_text(value) == "":
            fields.update(deadline_kind=None, deadline=None)
        else:
            try:
                fields["deadline_kind"], fields["deadline"] = parse_ledger_deadline(value)
            except ValueError as exc:
                cells.fail("deadline", str(exc))
    return fields


def _one_line(cells: _Cells, key: str, text: str) -> str:
    try:
        return clean_line(text, cells.table.columns[cells.cols[key]].header, 1000)
    except InvalidInput as exc:
        cells.fail(key, str(exc))
        return ""


def _parts(
    cells: _Cells, year_hint: date, today: date
) -> tuple[list[str] | None, list[tuple[date, str | None, str]], list[tuple[str, str]]]:
    """Measures (None: no such column), dated progress lines and evidence references."""
    measures = split_measures(cells.text("measures", 20000)) if "measures" in cells else None
    for m in measures or []:
        if len(m) > 5000:
            cells.fail("measures", f"一项整改措施过长（{len(m)} 字，最多 5000 字）")
    progress: list[tuple[date, str | None, str]] = []
    if "progress" in cells:
        try:
            progress = split_progress(cells.text("progress", 20000), year_hint, today)
        except ValueError as exc:
            cells.fail("progress", str(exc))
        for on, _when, _body in progress:
            if on > today:
                cells.fail("progress", f"进展日期 {on} 晚于今天（{today}）")
    evidence = split_evidence(cells.text("evidence", 20000)) if "evidence" in cells else []
    for _kind, ref in evidence:
        if len(ref) > 200:
            cells.fail("evidence", f"佐证材料的文号或名称过长（{len(ref)} 字，最多 200 字）：每行写一份材料")
    return measures, progress, evidence


def _status(cells: _Cells) -> tuple[str, State | None]:
    """完成情况 as written, and the state it means (None when empty)."""
    status = cells.text("status", 200)
    if not status:
        return status, None
    try:
        return status, parse_status(status)
    except ValueError as exc:
        cells.fail("status", str(exc))
        return status, None
