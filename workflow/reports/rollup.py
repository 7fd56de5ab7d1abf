"""The county roll-up (巡察整改进度汇总): one row per inspected unit of a round — problems, completed, in
progress, rate, overdue, rules made — as of any date, slowest first, with totals that are the sums of
the rows. Figures come from the one computation (`read/statistics.py::headline`) over one snapshot of
the round, so a unit's row says what its own public report says that day.

A reader confined to a unit (workflow/read/scope.py) gets that unit's row only."""

from __future__ import annotations

from collections import Counter
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from states.categories import DEFAULT_RATE, Rate
from workflow.chinese import cn_date
from workflow.read import snapshot
from workflow.read.rounds import resolve_round
from workflow.read.scope import EVERYTHING, Scope
from workflow.read.statistics import headline
from workflow.read.units import units_of
from workflow.reports.document import Document

UNASSIGNED = "（未关联单位）"  # rules of a round of several units that name no item
COLUMNS = (
    ("unit", "被巡察单位"),
    ("problems", "问题数"),
    ("completed", "已完成"),
    ("in_progress", "正在整改"),
    ("completion_rate", "完成率"),
    ("overdue", "逾期"),
    ("rules_made", "建章立制"),
)
_SUMMED = ("problems", "completed", "in_progress", "overdue", "rules_made", "rules_revised")


def _slowest_first(row: dict[str, Any]) -> tuple[Any, ...]:
    """The lowest share completed first (a unit with no problems last), then the most overdue."""
    share = Fraction(row["completed"], row["problems"]) if row["problems"] else Fraction(2)
    return (share, -row["overdue"], row["position"])


def _records(
    conn: Connection, snap: snapshot.Snapshot
) -> tuple[dict[int | None, list[str]], dict[int | None, list[str]]]:
    """The kinds of the rules and the measures of the accountability records by then, by the unit they
    count for: their item's; without an item, the round's only unit (None: the round as a whole)."""
    every = units_of(conn, snap.round_id) if snap.round_id is not None else []
    sole = every[0].id if len(every) == 1 else None
    unit_of_item = {i.id: i.unit_id for i in snap.items}

    def unit_of(record: dict[str, Any]) -> int | None:
        return sole if record["item_id"] is None else unit_of_item.get(record["item_id"])

    rules: dict[int | None, list[str]] = {}
    for r in snapshot.rules(conn, snap):
        rules.setdefault(unit_of(r), []).append(r["kind"])
    acc: dict[int | None, list[str]] = {}
    for a in snapshot.accountability(conn, snap):
        acc.setdefault(unit_of(a), []).append(a["measure"])
    return rules, acc


def data(
    conn: Connection,
    day: date,
    *,
    round_name: str | None = None,
    rate: Rate = DEFAULT_RATE,
    scope: Scope = EVERYTHING,
) -> dict[str, Any]:
    """The roll-up as of `day`: the rows (slowest first) and the totals."""
    rnd = resolve_round(conn, round_name)
    units = units_of(conn, rnd.id, scope)
    mine = {u.id for u in units}
    snap = snapshot.take(conn, day, rnd.id)
    items = [i for i in snap.items if i.unit_id in mine]
    measures = snapshot.measure_counts(conn, snap)
    rules, acc = _records(conn, snap)
    by_unit: dict[int, list[snapshot.ItemAt]] = {}
    for i in items:
        by_unit.setdefault(i.unit_id, []).append(i)
    rows = []
    for u in units:
        mine_items = by_unit.get(u.id, [])
        figures = headline(
            day,
            ((i.state, i.deadline_kind, i.deadline, i.aspect_id, i.category, 1) for i in mine_items),
            measures=sum(measures.get(i.id, 0) for i in mine_items),
            rules=rules.get(u.id, []),
            accountability=acc.get(u.id, []),
            rate=rate,
        )
        rows.append({"unit": u.name, "unit_id": u.id, "position": u.position, **figures})
    rows.sort(key=_slowest_first)
    if scope.unit is None and (rules.get(None) or acc.get(None)):
        extra = headline(
            day,
            (),
            measures=0,
            rules=rules.get(None, []),
            accountability=acc.get(None, []),
            rate=rate,
        )
        rows.append({"unit": UNASSIGNED, "unit_id": None, "position": len(units), **extra})
    counted = mine | ({None} if scope.unit is None else set())
    totals = headline(
        day,
        ((i.state, i.deadline_kind, i.deadline, i.aspect_id, i.category, 1) for i in items),
        measures=sum(measures.get(i.id, 0) for i in items),
        rules=[k for unit_id, kinds in rules.items() if unit_id in counted for k in kinds],
        accountability=[m for unit_id, ms in acc.items() if unit_id in counted for m in ms],
        rate=rate,
    )
    sums = Counter({k: sum(r[k] for r in rows) for k in _SUMMED})
    assert all(sums[k] == totals[k] for k in _SUMMED), "the rows must add up to the totals"
    return {"round": rnd.name, "as_of": day.isoformat(), "units": len(units), "rows": rows, "totals": totals}


def _cells(row: dict[str, Any]) -> list[Any]:
    return [row[key] for key, _ in COLUMNS]


def document(d: dict[str, Any]) -> Document:
    """The roll-up as a document (Markdown, Word)."""
    doc = Document()
    doc.title(f"{d['round']}整改进度汇总")
    doc.subtitle(f"截至{cn_date(date.fromisoformat(d['as_of']))}")
    t = d["totals"]
    doc.para(
        f"本轮共巡察{d['units']}个单位，反馈问题{t['problems']}个，已完成整改{t['completed']}个，"
        f"正在整改{t['in_progress']}个，整改完成率为{t['completion_rate']}，逾期{t['overdue']}个，"
        f"新制定规章制度{t['rules_made']}项。下表按完成率由低到高排列。"
    )
    rows = [_cells(r) for r in d["rows"]]
    rows.append(["合计", *(t[key] for key, _ in COLUMNS[1:])])
    doc.table([label for _, label in COLUMNS], rows)
    return doc


def text(d: dict[str, Any]) -> str:
    """The terminal view: aligned columns, the totals last."""
    from workflow.escape import terminal

    rows = [[terminal(str(v)) for v in _cells(r)] for r in d["rows"]]
    rows.append(["合计", *(str(d["totals"][key]) for key, _ in COLUMNS[1:])])
    header = [label for _, label in COLUMNS]
    widths = [max(_width(x) for x in column) for column in zip(header, *rows, strict=True)]
    lines = [f"{d['round']} 整改进度汇总（截至 {d['as_of']}，按完成率由低到高）"]
    for cells in (header, *rows):
        lines.append(
            "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()
        )
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns a text takes in a terminal: CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def to_xlsx(d: dict[str, Any], path: Path) -> None:
    """The roll-up as a worksheet: numbers as numbers, every text as text (never a formula)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "整改进度汇总"

    def put(row: int, column: int, value: str | int, bold: bool = False) -> None:
        cell = sheet.cell(row, column, value)
        if isinstance(value, str):
            cell.data_type = "s"  # a unit named "=HYPERLINK(…)" stays text
        if bold:
            cell.font = Font(bold=True)

    put(1, 1, f"{d['round']}整改进度汇总（截至{d['as_of']}）", bold=True)
    for j, (_, label) in enumerate(COLUMNS, 1):
        put(2, j, label, bold=True)
    for i, r in enumerate(d["rows"], 3):
        for j, value in enumerate(_cells(r), 1):
            put(i, j, value)
    last = len(d["rows"]) + 3
    put(last, 1, "合计", bold=True)
    for j, (key, _) in enumerate(COLUMNS[1:], 2):
        put(last, j, d["totals"][key], bold=True)
    sheet.column_dimensions["A"].width = 28
    book.save(path)
