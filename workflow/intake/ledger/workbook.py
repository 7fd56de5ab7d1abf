"""Reading a ledger (整改台账) as offices keep it: .xlsx or .csv, a title row or two, then a header row
with the columns under any of their usual names. Cells are not interpreted here (see `cells`); this
module finds the header and the data rows in the grid `formats` read, and reports header and
merged-cell problems.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflow.errors import InvalidInput
from workflow.inputs import read_file
from workflow.intake.ledger import formats, layout
from workflow.intake.ledger.formats import HEADER_SCAN_ROWS

MAX_FILE_BYTES = 100 * 1024 * 1024  # what it unpacks to is bounded in `formats`


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the name export writes
    variants: tuple[str, ...] = ()
    imported: bool = True  # False: written by export for people, ignored by import


COLUMNS: tuple[Column, ...] = (
    Column("no", "序号", ("编号", "问题序号", "问题编号", "序")),
    Column(
        "aspect", "问题类别", ("方面", "问题方面", "问题类型", "类别", "问题分类", "反馈问题类别", "所属方面")
    ),
    Column("problem", "问题描述", ("具体问题", "反馈问题", "存在问题", "问题", "问题内容", "巡察反馈问题")),
    Column("instance", "典型表现", ("具体表现", "典型事例", "典型问题", "问题表现")),
    Column("measures", "整改措施", ("整改举措", "具体整改措施", "措施", "整改措施及目标")),
    Column("leader", "责任领导", ("牵头领导", "分管领导", "责任领导同志")),
    Column(
        "department", "责任部门", ("责任单位", "牵头单位", "责任股室", "牵头部门", "责任科室", "牵头科室")
    ),
    Column("cooperating", "配合单位", ("配合部门", "协办单位", "协同单位")),
    Column("handler", "责任人", ("具体责任人", "经办人", "承办人")),
    Column("deadline", "整改时限", ("完成时限", "整改期限", "时限", "完成时间", "整改完成时限")),
    Column("progress", "整改进展", ("进展情况", "整改进展情况", "推进情况", "工作进展")),
    Column("evidence", "佐证材料", ("佐证资料", "证明材料", "整改佐证")),
    Column("status", "完成情况", ("整改情况", "整改状态", "完成状态", "是否完成", "整改完成情况")),
    # Read by `by_unit` (a ledger of many units is split by it), not by the row parser.
    Column("unit", "被巡察单位", ("被巡察党组织", "巡察单位", "被巡察对象"), imported=False),
    Column("state", "状态", (), imported=False),
    Column("light", "亮灯", ("预警",), imported=False),
    Column("category", "完成类别", (), imported=False),  # 完成情况 carries it back in (cells.status_category)
    Column("remark", "备注", (), imported=False),
)
BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}
REQUIRED = ("no", "problem")


def normalise_header(value: object) -> str:
    """'整改时限（年月日）*' → '整改时限': no spaces, no required-markers, no trailing note in brackets."""
    text = re.sub(r"[\s\u3000*＊]", "", "" if value is None else str(value))
    return re.sub(r"[（(][^（）()]*[)）]$", "", text)


BY_VARIANT: dict[str, Column] = {normalise_header(v): c for c in COLUMNS for v in (c.header, *c.variants)}


def column_letter(index: int) -> str:
    """0 → A, 26 → AA (CSV files get letters too: that is how Excel shows them)."""
    out, n = "", index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file, at a place a person can find: sheet, row, column."""

    sheet: str
    row: int | None
    column: str | None  # letter
    header: str | None
    message: str

    def __str__(self) -> str:
        where = [self.sheet]
        if self.row is not None:
            where.append(f"第{self.row}行")
        if self.column is not None:
            where.append(f"{self.column}列" + (f"（{self.header}）" if self.header else ""))
        return f"{' '.join(where)}：{self.message}"


@dataclass
class Table:
    """The ledger sheet: where its header is, which column is which, and the data rows below it."""

    file_name: str
    sha256: str
    sheet: str
    header_row: int = 0  # 1-based, the (last) header row; 0 when no header was found
    header_top: int = 0  # 1-based, the first header row (a header may span two rows)
    columns: dict[int, Column] = field(default_factory=dict)  # 0-based column index → column
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (row number, cell values)
    problems: list[Problem] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    sections: list[tuple[int, str]] = field(default_factory=list)  # (row number, category text)
    footers: list[int] = field(default_factory=list)  # row numbers of 填表人/审核人 … rows, skipped
    notes: list[tuple[int, str]] = field(default_factory=list)  # (column, how it was read) when ambiguous
    header_names: dict[int, str] = field(default_factory=dict)  # column → its header as written

    def index(self, key: str) -> int | None:
        return next((i for i, c in self.columns.items() if c.key == key), None)

    def has(self, key: str) -> bool:
        return self.index(key) is not None

    def problem(self, row: int | None, col: int | None, message: str) -> Problem:
        header = self.columns[col].header if col is not None and col in self.columns else None
        letter = column_letter(col) if col is not None else None
        return Problem(self.sheet, row, letter, header, message)


def load(
    path: Path, *, encoding: str | None = None, sheet: str | None = None, ignore_unknown: bool = False
) -> Table:
    """Read the file and locate the ledger in it. Raises InvalidInput only when the file cannot be read
    at all; everything else about its layout is collected in `Table.problems`."""
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".csv", ".txt", ".xls"):
        raise InvalidInput(f"{path}：只能导入 .xlsx 或 .csv 文件")
    raw = read_file(path, MAX_FILE_BYTES)
    if suffix in (".xlsx", ".xlsm"):
        if encoding:
            raise InvalidInput("--encoding 只用于 CSV 文件（.xlsx 自带编码）")
        grid = formats.read_xlsx(path, raw, sheet, lambda head: _find_header(head) is not None)
    elif suffix in (".csv", ".txt"):
        if sheet:
            raise InvalidInput("--sheet 只用于 .xlsx 文件")
        grid = formats.read_csv(path, raw, encoding)
    else:
        raise InvalidInput(f"{path} 是旧版 Excel（.xls）文件：请在 Excel 中“另存为” .xlsx 后再导入")
    table = Table(path.name, hashlib.sha256(raw).hexdigest(), grid.sheet, meta=grid.meta)
    _locate(table, grid.rows, grid.merged, ignore_unknown)
    return table


# --- finding the ledger in the grid ---------------------------------------------------------------


def _known(value: Any) -> bool:
    return normalise_header(value) in BY_VARIANT


def _find_header(grid: list[list[Any]]) -> layout.Header | None:
    """The header among the first few rows: the row, or pair of rows, naming the most known columns."""
    return layout.find_header(grid, _known, HEADER_SCAN_ROWS)


_empty = layout.empty


def _locate(table: Table, grid: list[tuple[int, list[Any]]], merged: list[str], ignore_unknown: bool) -> None:
    found = _find_header([values for _, values in grid])
    if found is None:
        first = next((values for _, values in grid if any(not _empty(v) for v in values)), [])
        seen = "、".join(str(v).strip() for v in first if not _empty(v))[:200]
        table.problems.append(
            Problem(
                table.sheet,
                None,
                None,
                None,
                f"前 {HEADER_SCAN_ROWS} 行中找不到表头（至少需要「序号」「问题描述」等列）"
                + (f"；第一行是：{seen}" if seen else "；工作表是空的"),
            )
        )
        return
    table.header_top = grid[found.index][0]
    table.header_row = grid[found.index + found.depth - 1][0]
    columns = {
        j: c for j, v in enumerate(found.values) if (c := BY_VARIANT.get(normalise_header(v))) is not None
    }
    rows = [(n, values) for n, values in grid if n > table.header_row]
    ranges = _ranges(merged)
    _shape(table, rows, ranges, columns, len(found.values))
    skipped = {*table.footers, *(n for n, _ in table.sections)}
    rows = [(n, values) for n, values in rows if n not in skipped]
    _columns(table, found.values, columns, rows, ignore_unknown)
    _merge(table, rows, ranges, skipped)
    table.rows = [(n, values) for n, values in rows if any(not _empty(v) for v in values)]


Range = tuple[str, int, int, int, int]  # ref, min_col, min_row, max_col, max_row (1-based)


def _ranges(merged: list[str]) -> list[Range]:
    if not merged:
        return []
    from openpyxl.utils.cell import range_boundaries

    out = []
    for ref in merged:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        assert min_col is not None and min_row is not None and max_col is not None and max_row is not None
        out.append((ref, min_col, min_row, max_col, max_row))
    return out


def _shape(
    table: Table,
    rows: list[tuple[int, list[Any]]],
    ranges: list[Range],
    columns: dict[int, Column],
    width: int,
) -> None:
    """Section rows (a category merged across the width) and footer rows (填表人：…) among the data."""
    wide = {
        top
        for _ref, left, top, right, bottom in ranges
        if top == bottom and top > table.header_row and right - left + 1 >= max(2, (width + 1) // 2)
    }
    serial = next((j for j, c in columns.items() if c.key == "no"), None)
    problem = next((j for j, c in columns.items() if c.key == "problem"), None)
    for n, values in rows:
        if layout.is_footer(values, serial, problem):
            table.footers.append(n)
        elif (text := layout.section_text(values, n in wide)) is not None:
            table.sections.append((n, text))


def _columns(
    table: Table,
    header: list[Any],
    columns: dict[int, Column],
    rows: list[tuple[int, list[Any]]],
    ignore_unknown: bool,
) -> None:
    """Which column is which: unknown and repeated headers, and missing required ones, are problems.
    Progress and status columns are told apart by content as well as by name (see `layout`)."""
    header_row = table.header_row
    table.header_names = {j: re.sub(r"\s+", "", str(header[j])) for j in columns}
    flexible = {
        j: (c.key, normalise_header(header[j])) for j, c in columns.items() if c.key in ("progress", "status")
    }
    if flexible:
        contents = {j: [values[j] for _, values in rows if j < len(values)] for j in flexible}
        roles, table.notes = layout.decide_roles(flexible, contents)
        columns.update({j: BY_KEY[key] for j, key in roles.items()})
    seen_keys: dict[str, int] = {}
    for j, value in enumerate(header):
        col = columns.get(j)
        if col is None:
            if not _empty(value) and not ignore_unknown:
                suggestion = _suggest(normalise_header(value))
                table.problems.append(
                    Problem(
                        table.sheet,
                        header_row,
                        column_letter(j),
                        None,
                        f"未知列名「{str(value).strip()}」"
                        + (f"，是否应为「{suggestion}」？" if suggestion else "")
                        + "（可删除该列，或加 --ignore-unknown 跳过未知列）",
                    )
                )
            continue
        if col.key in seen_keys:
            message = f"与 {column_letter(seen_keys[col.key])} 列重复，都是「{col.header}」"
            table.problems.append(table.problem(header_row, j, message))
            continue
        seen_keys[col.key] = j
        table.columns[j] = col
    for key in REQUIRED:
        if key not in seen_keys:
            col = BY_KEY[key]
            table.problems.append(
                Problem(
                    table.sheet,
                    header_row,
                    None,
                    None,
                    f"缺少「{col.header}」列（可用的列名：{'、'.join((col.header, *col.variants))}）",
                )
            )


def mapping(table: Table) -> list[str]:
    """How each column was read, for --dry-run: 'F列「整改情况」→ 整改进展：内容为带日期的进展文字…'."""
    notes = dict(table.notes)
    out = []
    for j, col in sorted(table.columns.items()):
        written = table.header_names.get(j, col.header)
        target = col.header if col.imported else "（不导入）"
        out.append(f"{column_letter(j)}列「{written}」→ {target}" + (f"：{notes[j]}" if j in notes else ""))
    return out


def _suggest(name: str) -> str | None:
    import difflib

    close = difflib.get_close_matches(name, list(BY_VARIANT), n=1, cutoff=0.6)
    return BY_VARIANT[close[0]].header if close else None


def _merge(table: Table, rows: list[tuple[int, list[Any]]], ranges: list[Range], skipped: set[int]) -> None:
    """Fill down a merged 问题类别 (the usual layout); merges in the title, the header (over two rows),
    section and footer rows are layout; any other merge in the ledger is a problem."""
    by_number = {n: values for n, values in rows}
    aspect = table.index("aspect")
    for ref, min_col, min_row, max_col, max_row in ranges:
        if max_row < table.header_top or (min_row >= table.header_top and max_row <= table.header_row):
            continue  # a title above the header, or the header's own layout
        if min_row == max_row and min_row in skipped:
            continue  # a section or footer row
        cols = range(min_col - 1, max_col)
        if not any(j in table.columns and table.columns[j].imported for j in cols):
            continue  # only ignored or unknown columns
        if min_row <= table.header_row:
            table.problems.append(
                table.problem(table.header_row, min_col - 1, f"表头与数据行合并在一起（{ref}）：请取消合并")
            )
        elif min_col == max_col and min_col - 1 == aspect:
            top = by_number.get(min_row)
            value = top[aspect] if top is not None and aspect < len(top) else None
            for n in range(min_row + 1, max_row + 1):
                values = by_number.get(n)
                if values is not None:
                    values.extend([None] * (aspect + 1 - len(values)))
                    values[aspect] = value
        else:
            table.problems.append(
                table.problem(
                    min_row,
                    min_col - 1,
                    f"合并单元格 {ref}：只有「问题类别」列可以跨行合并，请取消合并后逐行填写",
                )
            )
