"""A ledger file as a grid of cell values: an .xlsx workbook (through openpyxl) or a CSV text. The
bounds a hostile file meets are here: an .xlsx is a zip, so what its parts unpack to is capped per
part and in total, and a sheet may not stand for more rows or columns than a ledger has."""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from workflow.errors import InvalidInput, ZhenggaiError
from workflow.inputs import binary_kind, size_text

# Python's zipfile hands out at most the size a part declares (and fails the CRC check if the data
# would inflate further), and openpyxl reads every part through it: so the declared sizes, checked
# before anything is parsed, bound the work. A real ledger of 20,000 rows unpacks to tens of MB.
MAX_PART_BYTES = 128 * 1024 * 1024
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
# A 17 KB sheet can name row 1,048,576 or column XFD; openpyxl then makes every row in between, or
# every cell across. Rows are counted as they stream; columns past these are not read.
MAX_ROWS = 100_000
MAX_COLUMNS = 256
META_SHEET = "轮次信息"  # written by export: round name, group, unit, dates
HEADER_SCAN_ROWS = 10  # title rows above the header are common; ten is generous

Rows = list[tuple[int, list[Any]]]  # (row number, cell values)


@dataclass
class Grid:
    """The chosen sheet's cells, its merged ranges (.xlsx) and the 轮次信息 an export wrote."""

    sheet: str
    rows: Rows
    merged: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)


def _bounded(path: Path, sheet: str, rows: Iterable[Iterable[Any]]) -> Rows:
    """Number the rows, trimming empty cells at the end; refuse a sheet with too many rows."""
    out: Rows = []
    for n, values in enumerate(rows, 1):
        if n > MAX_ROWS:
            raise InvalidInput(
                f"{path} 的工作表「{sheet}」超过 {MAX_ROWS} 行：台账不会这么长，请检查是否有远在下方的单元格，"
                "删除多余的行后再导入"
            )
        cells = list(values)
        while cells and cells[-1] is None:
            cells.pop()
        out.append((n, cells))
    return out


# --- CSV ---------------------------------------------------------------------------------------------


def read_csv(path: Path, raw: bytes, encoding: str | None) -> Grid:
    kind = binary_kind(raw)
    if kind is not None:
        raise InvalidInput(f"{path} 不是 CSV 文本：{kind}")
    name = encoding or "utf-8-sig"
    try:
        text = raw.decode(name)
    except UnicodeDecodeError as exc:
        hint = (
            "中文版 Excel 另存的 CSV 通常是 GBK 编码，请加 --encoding gbk"
            if encoding is None
            else "请确认文件的编码（常用：utf-8、gbk、gb18030）"
        )
        raise InvalidInput(f"{path} 不是 {name} 编码的文本（第 {exc.start} 字节）：{hint}") from None
    except (LookupError, ValueError):  # no such codec, not a text codec (rot13), a NUL in the name
        raise InvalidInput(f"未知的编码 {name!r}（常用：utf-8、gbk、gb18030）") from None
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        return Grid(path.name, _bounded(path, path.name, reader))
    except csv.Error as exc:
        reason = (
            f"单元格过长（超过 {csv.field_size_limit()} 字）"
            if "field limit" in str(exc)
            else "格式错误（引号不成对，或含有不该有的字符）"
        )
        raise InvalidInput(f"{path} 不是有效的 CSV：第 {reader.line_num} 行{reason}") from None


# --- .xlsx -------------------------------------------------------------------------------------------


def _check_package(path: Path, raw: bytes) -> None:
    """A zip that holds a workbook, and does not unpack to more than a ledger could."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            parts = [(i.filename, i.file_size) for i in z.infolist()]
    except (zipfile.BadZipFile, ValueError, OSError):  # also a zip whose directory is damaged
        raise InvalidInput(
            f"{path} 不是有效的 .xlsx 文件：{binary_kind(raw) or '文件内容不是 Excel 工作簿（与扩展名不符）'}"
        ) from None
    names = {name for name, _ in parts}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise InvalidInput(f"{path} 不是有效的 .xlsx 文件：它是一个 zip 压缩包，但里面没有 Excel 工作簿")
    why = (
        "：台账不会这么大，文件可能已损坏或是被刻意构造的“压缩炸弹”；请在 Excel 中打开并另存为 .xlsx 后再导入"
    )
    name, size = max(parts, key=lambda p: p[1], default=("", 0))
    if size > MAX_PART_BYTES:
        raise InvalidInput(
            f"{path} 解压后太大：其中的 {name} 有 {size_text(size)}（每个部分最多 {size_text(MAX_PART_BYTES)}）{why}"
        )
    total = sum(size for _, size in parts)
    if total > MAX_UNPACKED_BYTES:
        raise InvalidInput(
            f"{path} 解压后太大：共 {size_text(total)}（最多 {size_text(MAX_UNPACKED_BYTES)}）{why}"
        )


def read_xlsx(
    path: Path, raw: bytes, wanted: str | None, has_header: Callable[[list[list[Any]]], bool]
) -> Grid:
    """The sheet named `wanted`, else the first whose top rows `has_header`."""
    _check_package(path, raw)
    try:
        with warnings.catch_warnings():
            # openpyxl warns (in English) about parts it drops, such as data validation; the ledger's
            # cells are what matter here.
            warnings.simplefilter("ignore")
            grid = _read_book(path, raw, wanted, has_header)
        grid.merged = _merged_ranges(raw, grid.sheet)
        return grid
    except ZhenggaiError:
        raise
    except Exception:  # openpyxl, zipfile, zlib and the XML parsers fail in many ways on a damaged package
        raise InvalidInput(
            f"{path} 不是有效的 .xlsx 文件：文件已损坏，或不是 Excel 保存的格式；"
            "请在 Excel 中打开并另存为 .xlsx 后再导入"
        ) from None


def _read_book(
    path: Path, raw: bytes, wanted: str | None, has_header: Callable[[list[list[Any]]], bool]
) -> Grid:
    import openpyxl

    # read_only streams the sheet (about twice as fast on big ledgers) but does not report merged
    # cells; those are read from the sheet's XML afterwards.
    book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    try:
        names = book.sheetnames
        if wanted is not None and wanted not in names:
            raise InvalidInput(f"{path} 中没有名为 {wanted!r} 的工作表（有：{'、'.join(names)}）")
        meta = _meta(book[META_SHEET]) if META_SHEET in names and wanted != META_SHEET else {}
        candidates = [wanted] if wanted else [n for n in names if n != META_SHEET]
        if not candidates:
            raise InvalidInput(f"{path} 中没有可导入的工作表")
        chosen = next((n for n in candidates if has_header(_rows(book[n], HEADER_SCAN_ROWS))), None)
        chosen = chosen or candidates[0]  # no header anywhere: reported against the first sheet
        sheet = book[chosen]
        sheet.reset_dimensions()
        rows = _bounded(path, chosen, sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True))
    finally:
        book.close()
    return Grid(chosen, rows, meta=meta)


def _rows(sheet: Any, count: int) -> list[list[Any]]:
    sheet.reset_dimensions()  # some writers record wrong dimensions; read what is there
    return [list(v) for v in sheet.iter_rows(max_row=count, max_col=MAX_COLUMNS, values_only=True)]


def _meta(sheet: Any) -> dict[str, str]:
    out = {}
    for row in sheet.iter_rows(max_row=50, max_col=2, values_only=True):
        if len(row) >= 2 and row[0]:
            value = row[1]
            if isinstance(value, datetime):
                value = value.date()
            out[str(row[0]).strip()] = (
                value.isoformat() if isinstance(value, date) else str(value or "").strip()
            )
    return out


_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\"")


def _merged_ranges(raw: bytes, sheet_name: str) -> list[str]:
    """The merged ranges of one sheet, e.g. ['A1:M1', 'B4:B6'], straight from the package XML."""
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        workbook = ElementTree.fromstring(z.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in rels}
        for s in workbook.iterfind("m:sheets/m:sheet", _NS):
            if s.get("name") == sheet_name:
                target = targets.get(s.get(f"{{{_NS['r']}}}id"), "")
                part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                data = z.read(part)
                # <mergeCells> follows <sheetData>, so only the tail needs scanning.
                start = max(data.rfind(b"sheetData>"), 0)
                return [m.decode() for m in _MERGE.findall(data, start)]
    return []
