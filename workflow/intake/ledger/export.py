"""Export the ledger to .xlsx as of a date, in the layout `ledger` imports: ready to print (A4
landscape, fitted to the page width, header repeated on every page), the warning colour as a cell
fill, the progress entries and evidence references one per line.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.categories import LABELS, Category
from states.colours import DEFAULT_SCHEME, YELLOW_DAYS, Colour, Scheme
from states.lifecycle import State
from workflow.db.tables.ledger import LEDGER_KEY
from workflow.intake.ledger.cells import EXPORT_STATUS
from workflow.intake.ledger.formats import META_SHEET
from workflow.intake.ledger.workbook import BY_KEY
from workflow.read import snapshot
from workflow.read.rounds import resolve_round
from workflow.read.scope import EVERYTHING, Scope
from workflow.read.units import resolve_unit

COLUMNS = (
    "no",
    "aspect",
    "problem",
    "instance",
    "measures",
    "leader",
    "department",
    "cooperating",
    "handler",
    "deadline",
    "progress",
    "evidence",
    "status",
    "state",
    "light",
    "category",
)
WIDTHS = {
    "no": 6,
    "aspect": 18,
    "problem": 40,
    "instance": 30,
    "measures": 40,
    "leader": 9,
    "department": 14,
    "cooperating": 12,
    "handler": 10,
    "deadline": 12,
    "progress": 46,
    "evidence": 24,
    "status": 10,
    "state": 10,
    "category": 10,
    "light": 7,
}
FILLS = {Colour.green: "C6EFCE", Colour.yellow: "FFEB9C", Colour.red: "FFC7CE", Colour.blue: "BDD7EE"}
HEADER_ROW = 3


def ledger_numbers(items: list[snapshot.ItemAt], keys: dict[int, str]) -> dict[int, str]:
    """序号 per item: its ledger key; else the last part of its number (一/2 → 2) when that is unique;
    else the whole number with '-' (一-1-(1)), which import maps back to the same item."""
    wanted = {i.id: keys.get(i.id) or i.number.split("/")[-1] for i in items}
    used = Counter(wanted.values())
    return {
        i.id: keys[i.id] if i.id in keys else (n if used[n] == 1 else i.number.replace("/", "-"))
        for i in items
        for n in (wanted[i.id],)
    }


def _progress_line(on: date, when: str | None, text: str) -> str:
    plain = (f"{on.month}月{on.day}日", f"{on.year}年{on.month}月{on.day}日")
    note = f"（{when}）" if when and when not in plain else ""
    return f"{on.isoformat()}{note}：{text}"


def status(item: snapshot.ItemAt) -> str:
    """完成情况 as export writes it: the state's word, or for work in progress the category the office
    marked (基本完成, 未完成, 长期坚持), which import reads back as the same state and category."""
    if item.state is State.in_progress and item.category is not None:
        return LABELS[Category(item.category)]
    return EXPORT_STATUS[item.state]


def rows(
    conn: Connection,
    snap: snapshot.Snapshot,
    yellow_days: int,
    scheme: Scheme = DEFAULT_SCHEME,
    labels: dict[Category, str] = LABELS,
) -> list[dict[str, Any]]:
    """The ledger rows as of the snapshot, keyed by column key (shared by export and its tests)."""
    keys = dict(
        conn.execute(
            sa.select(LEDGER_KEY.c.item_id, LEDGER_KEY.c.ledger_no).where(
                LEDGER_KEY.c.round_id == snap.round_id
            )
        ).all()
    )
    numbers = ledger_numbers(snap.items, keys)
    measures = snapshot.measure_texts(conn, snap)
    progress = snapshot.progress(conn, snap)
    evidence = snapshot.evidence(conn, snap)
    out = []
    for i in snap.items:
        number, title = snap.aspects[i.aspect_id]
        light = i.colour(snap.day, yellow_days, scheme)
        out.append(
            {
                "no": numbers[i.id],
                "aspect": f"{number}、{title}",
                "problem": i.title + (f"。{i.description}" if i.description else ""),
                "instance": i.instance,
                "measures": "\n".join(f"{n}. {t}" for n, t in enumerate(measures.get(i.id, []), 1)),
                "leader": i.leader or "",
                "department": i.department or "",
                "cooperating": i.cooperating,
                "handler": i.handler or "",
                "deadline": i.deadline
                if i.deadline_kind == "date"
                else {"immediate": "立行立改", "ongoing": "长期坚持"}.get(i.deadline_kind or "", ""),
                "progress": "\n".join(_progress_line(*p) for p in progress.get(i.id, [])),
                "evidence": "\n".join(f"{k}：{r}" for k, r in evidence.get(i.id, [])),
                "status": status(i),
                "state": i.state.label,
                "category": labels[i.completion],
                "light": light.label,
                "colour": light,
            }
        )
    return out


def export(
    conn: Connection,
    path: Path,
    day: date,
    *,
    round_name: str | None = None,
    unit_name: str | None = None,
    scope: Scope = EVERYTHING,
    yellow_days: int = YELLOW_DAYS,
    scheme: Scheme = DEFAULT_SCHEME,
    labels: dict[Category, str] = LABELS,
) -> int:
    """Write one unit's ledger (the round's only one, or `unit_name`, within `scope`) as of `day` to
    `path` (.xlsx); returns the number of items."""
    from openpyxl import Workbook

    rnd = resolve_round(conn, round_name)
    unit = resolve_unit(conn, rnd, unit_name, scope)
    rnd = SimpleNamespace(**{**rnd._mapping, "unit": unit.name})  # the sheet of this unit
    snap = snapshot.take(conn, day, rnd.id, unit.id)
    data = rows(conn, snap, yellow_days, scheme, labels)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "整改台账"
    _ledger_sheet(sheet, rnd, day, data)
    _meta_sheet(book.create_sheet(META_SHEET), rnd, day)
    book.save(path)
    return len(data)


def text_cell(sheet: Any, row: int, column: int, value: object) -> Any:
    """Put a value in a cell; text always as text. openpyxl stores a string that starts with "=" as a
    formula, so a person named `=cmd|' /C calc'!A0` would become a live formula in Excel: never."""
    cell = sheet.cell(row, column, value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _ledger_sheet(sheet: Any, rnd: Any, day: date, data: list[dict[str, Any]]) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    last = get_column_letter(len(COLUMNS))
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    title = text_cell(sheet, 1, 1, f"{rnd.name}整改台账")
    title.font = Font(name="黑体", size=16, bold=True)
    title.alignment = Alignment(horizontal="center", vertical="center")
    subtitle = text_cell(sheet, 2, 1, f"被巡察单位：{rnd.unit}　　截至：{day.year}年{day.month}月{day.day}日")
    subtitle.alignment = Alignment(horizontal="right")
    sheet.merge_cells(f"A1:{last}1")
    sheet.merge_cells(f"A2:{last}2")
    sheet.row_dimensions[1].height = 30
    for j, key in enumerate(COLUMNS, 1):
        cell = text_cell(sheet, HEADER_ROW, j, BY_KEY[key].header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        sheet.column_dimensions[get_column_letter(j)].width = WIDTHS[key]
    for r, row in enumerate(data, HEADER_ROW + 1):
        fill = PatternFill("solid", fgColor=FILLS[row["colour"]])
        for j, key in enumerate(COLUMNS, 1):
            cell = text_cell(sheet, r, j, row[key])
            cell.alignment = wrap
            cell.border = border
            if key == "deadline" and isinstance(row[key], date):
                cell.number_format = "yyyy-mm-dd"
            if key in ("state", "category", "light"):
                cell.fill = fill
    _print_setup(sheet)


def _print_setup(sheet: Any) -> None:
    """A4 landscape, fitted to the page width, the header repeated on every page, page numbers."""
    from openpyxl.worksheet.properties import PageSetupProperties

    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    footer = sheet.oddFooter
    assert footer is not None  # openpyxl always creates it
    footer.center.text = "第 &P 页，共 &N 页"


def _meta_sheet(meta: Any, rnd: Any, day: date) -> None:
    """轮次信息: what import needs to find (or create) the round again."""
    for n, (key, value) in enumerate(
        (
            ("巡察轮次", rnd.name),
            ("巡察组", rnd.group_name),
            ("被巡察单位", rnd.unit),
            ("巡察开始", rnd.visit_start),
            ("巡察结束", rnd.visit_end),
            ("反馈日期", rnd.feedback_date),
            ("集中整改期止", rnd.rectification_end),
            ("截至日期", day),
        ),
        1,
    ):
        text_cell(meta, n, 1, key)
        cell = text_cell(meta, n, 2, value)
        if isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"
    meta.column_dimensions["A"].width = 14
    meta.column_dimensions["B"].width = 48
