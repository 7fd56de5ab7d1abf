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
from workflow.intake.ledger import formats
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
    header_row: int = 0  # 1-based; 0 when no header was found
    columns: dict[int, Column] = field(default_factory=dict)  # 0-based column index → column
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (row number, cell values)
    problems: list[Problem] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)

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


def _find_header(grid: list[list[Any]]) -> tuple[int, dict[int, Column]] | None:
    """The row (0-based) among the first few that names the most known columns (at least two)."""
    best: tuple[int, dict[int, Column]] | None = None
    for i, values in enumerate(grid[:HEADER_SCAN_ROWS]):
        known = {j: c for j, v in enumerate(values) if (c := BY_VARIANT.get(normalise_header(v))) is not None}
        if len(known) >= 2 and (best is None or len(known) > len(best[1])):
            best = (i, known)
    return best


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


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
    index, columns = found
    table.header_row = grid[index][0]
    _columns(table, grid[index][1], columns, ignore_unknown)
    rows = [(n, values) for n, values in grid if n > table.header_row]
    _merge(table, rows, merged)
    table.rows = [(n, values) for n, values in rows if any(not _empty(v) for v in values)]


def _columns(table: Table, header: list[Any], columns: dict[int, Column], ignore_unknown: bool) -> None:
    """Which column is which: unknown and repeated headers, and missing required ones, are problems."""
    header_row = table.header_row
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


def _suggest(name: str) -> str | None:
    import difflib

    close = difflib.get_close_matches(name, list(BY_VARIANT), n=1, cutoff=0.6)
    return BY_VARIANT[close[0]].header if close else None


def _merge(table: Table, rows: list[tuple[int, list[Any]]], merged: list[str]) -> None:
    """Fill down a merged 问题类别 (the usual layout); any other merge in the ledger is a problem."""
    if not merged:
        return
    from openpyxl.utils.cell import range_boundaries

    by_number = {n: values for n, values in rows}
    aspect = table.index("aspect")
    for ref in merged:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        assert min_col is not None and min_row is not None and max_col is not None and max_row is not None
        if max_row < table.header_row:
            continue  # a title above the header
        cols = range(min_col - 1, max_col)
        if not any(j in table.columns and table.columns[j].imported for j in cols):
            continue  # only ignored or unknown columns
        if min_row <= table.header_row:
            table.problems.append(
                table.problem(table.header_row, min_col - 1, f"表头中有合并单元格 {ref}：请使用单行表头")
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
