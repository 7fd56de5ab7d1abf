"""The data rows of a ledger sheet, parsed: every cell checked, every problem collected with its place."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from states.lifecycle import State
from workflow.errors import InvalidInput
from workflow.inputs import clean_text
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


@dataclass
class Row:
    """One ledger row, parsed. `fields` holds only the item columns present in the file."""

    line: int
    no: str
    aspect: tuple[str | None, str] | None
    fields: dict[str, Any]
    measures: list[str] | None
    progress: list[tuple[date, str | None, str]]
    evidence: list[tuple[str, str]]
    state: State | None
    status: str


def parse_rows(
    table: Table, *, year_hint: date, today: date, tick: Tick | None = None
) -> tuple[list[Row], list[Problem]]:
    """Every data row parsed; every bad cell reported (a row with any problem is left out)."""
    problems = list(table.problems)
    rows: list[Row] = []
    cols = {c.key: j for j, c in table.columns.items() if c.imported}
    if not table.header_row or any(k not in cols for k in REQUIRED):
        return rows, problems  # without a usable header the cells cannot be read
    seen: dict[str, int] = {}
    last_aspect: tuple[str | None, str] | None = None
    merged = {p.row for p in table.problems if p.row is not None and p.row > table.header_row}
    for count, (line, values) in enumerate(table.rows, 1):
        if tick is not None and count % TICK_EVERY == 0:
            tick(TICK_EVERY)
        if line in merged:
            continue  # its cells are not what the office meant; the merge is reported already
        bad: list[Problem] = []

        def raw(key: str, values: list[Any] = values) -> Any:
            j = cols.get(key)
            return values[j] if j is not None and j < len(values) else None

        def text(key: str, limit: int, line: int = line, bad: list[Problem] = bad) -> str:
            try:
                return clean_text(cell_text(raw(key)), table.columns[cols[key]].header, limit)
            except InvalidInput as exc:
                bad.append(table.problem(line, cols[key], str(exc)))
                return ""

        def fail(key: str, message: str, line: int = line, bad: list[Problem] = bad) -> None:
            bad.append(table.problem(line, cols.get(key), message))

        no = text("no", 40)
        if not no:
            fail("no", "序号不能为空")
        elif "/" in no:
            fail("no", "序号中不能含有 /")
        elif no in seen:
            fail("no", f"序号 {no} 与第 {seen[no]} 行重复")
        else:
            seen[no] = line
        aspect = None
        if "aspect" in cols:
            aspect_text = text("aspect", 520)
            if aspect_text:
                aspect = last_aspect = parse_aspect(aspect_text)
                if len(aspect[0] or "") > 20 or len(aspect[1]) > 500:
                    fail("aspect", "问题类别的编号（最多 20 字）或名称（最多 500 字）过长")
            elif last_aspect is not None:
                aspect = last_aspect  # a blank 问题类别 continues the one above
            else:
                fail("aspect", "问题类别不能为空（第一条问题必须填写，下面留空表示同上）")
        problem = text("problem", 20500)
        fields: dict[str, Any] = {}
        if not problem:
            fail("problem", "问题描述不能为空")
        else:
            title, description = split_problem(problem)
            if len(title) > 500:
                fail("problem", f"问题描述的第一句过长（{len(title)} 字，最多 500 字）：请在问题概括后加句号")
            fields.update(title=title, description=description)
        if "instance" in cols:
            fields["instance"] = text("instance", 20000)
        for key in ("leader", "handler"):
            if key in cols:
                name = text(key, 64)
                if re.search(r"[、,，;；/\s]", name):
                    fail(key, f"只能填写一人（现为「{name}」）：其他人员请写入配合单位或备注")
                fields[key] = name or None
        if "department" in cols:
            fields["department"] = text("department", 200) or None
        if "cooperating" in cols:
            units = [u.strip() for u in re.split(r"[、,，;；\n]", text("cooperating", 1000)) if u.strip()]
            fields["cooperating"] = "、".join(units)
        if "deadline" in cols:
            value = raw("deadline")
            if value is None or cell_text(value) == "":
                fields.update(deadline_kind=None, deadline=None)
            else:
                try:
                    fields["deadline_kind"], fields["deadline"] = parse_ledger_deadline(value)
                except ValueError as exc:
                    fail("deadline", str(exc))
        measures = split_measures(text("measures", 20000)) if "measures" in cols else None
        for m in measures or []:
            if len(m) > 5000:
                fail("measures", f"一项整改措施过长（{len(m)} 字，最多 5000 字）")
        progress: list[tuple[date, str | None, str]] = []
        if "progress" in cols:
            try:
                progress = split_progress(text("progress", 20000), year_hint, today)
            except ValueError as exc:
                fail("progress", str(exc))
            for on, _when, _body in progress:
                if on > today:
                    fail("progress", f"进展日期 {on} 晚于今天（{today}）")
        evidence = split_evidence(text("evidence", 20000)) if "evidence" in cols else []
        for _kind, ref in evidence:
            if len(ref) > 200:
                fail("evidence", f"佐证材料的文号或名称过长（{len(ref)} 字，最多 200 字）：每行写一份材料")
        status = text("status", 200) if "status" in cols else ""
        state = None
        if status:
            try:
                state = parse_status(status)
            except ValueError as exc:
                fail("status", str(exc))
        if bad:
            problems.extend(bad)
            continue
        rows.append(Row(line, no, aspect, fields, measures, progress, evidence, state, status))
    if tick is not None:
        tick(len(table.rows) % TICK_EVERY)
    return rows, problems
