"""Shared by the bad-input tests: a full dump of the database, the check that an error is a clear
Chinese sentence, the bad values themselves, and workbooks written byte by byte (so that a cell can
hold what no spreadsheet program would write)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import sqlalchemy as sa

from tests import backends
from workflow import clock, db
from workflow.db.tables import metadata
from workflow.demo import example_path
from workflow.intake import round_yaml
from workflow.items import actions

OFFICE, LEADER, HANDLER = "镇整改办", "徐波", "规划办经办人"
SQL = "'; DROP TABLE item; --"

# What must never reach a database: each is refused wherever text is stored.
BAD_TEXT = {
    "overlong": "长" * 20_001,  # over every limit (the longest text field holds 20 000)
    "NUL": "甲\x00乙",
    "ESC": "甲\x1b[31m乙",
    "DEL": "甲\x7f乙",
    "C1": "甲\x9b乙",  # CSI in 8-bit terminals
    "surrogate": "甲\ud800乙",  # what Python makes of a lone UTF-16 half
    "GBK bytes": b"\xb2\xe2\xca\xd4".decode("utf-8", "surrogateescape"),  # 测试 typed in GBK
}
BAD_DATES = ("0001-01-01", "1899-12-31", "2100-01-01", "9999-12-31", "2024-02-30", "2023-02-29", "2024-13-01")


def dump(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: equal dumps mean nothing was stored."""
    out = {}
    with engine.connect() as conn:
        for table in metadata().sorted_tables:
            rows = [tuple(r) for r in conn.execute(sa.select(table))]
            out[table.name] = sorted(rows, key=repr)
    return out


_CJK = re.compile(r"[\u4e00-\u9fff]")
# Two English words in a row, once our own option names, commands and paths are taken out.
_ENGLISH = re.compile(r"[A-Za-z]{2,}[ ,]+[A-Za-z]{2,}")
_OURS = re.compile(r"--[a-z-]+(?: (?:[A-Z_:]+|gbk|utf-8))?|zhenggai(?: [a-z-]+){1,3}")


def english_in(message: str, *allowed: object) -> list[str]:
    """English phrases in an error message that did not come from the input itself."""
    text = _OURS.sub("", message)
    for value in allowed:
        text = text.replace(str(value), "").replace(repr(str(value)), "")
    return _ENGLISH.findall(text)


def assert_clear(message: str, *allowed: object) -> None:
    """A clear Chinese error: the first line names the problem, no traceback, no English leaking."""
    first = message.splitlines()[0] if message else ""
    assert _CJK.search(first), f"the first line does not say what is wrong: {message[:300]!r}"
    assert "Traceback" not in message
    assert not english_in(message, *allowed), f"English in the message: {message[:500]!r}"


def seed(engine: sa.Engine) -> None:
    """The seed round; item 1 in 整改中 (so progress, evidence and measures may be recorded on it)."""
    backends.create_schema(engine)
    data = round_yaml.load_file(example_path("taishan.yaml"))
    with db.unit_of_work(engine) as conn:
        round_yaml.import_round(conn, data, OFFICE, clock.parse_moment("2024-10-14T16:00"))
    with db.unit_of_work(engine) as conn:
        actions.fire(conn, 1, "assign", OFFICE, clock.parse_moment("2024-10-21T09:00"))
    with db.unit_of_work(engine) as conn:
        actions.fire(conn, 1, "start", HANDLER, clock.parse_moment("2024-10-21T10:00"))


def raw_xlsx(path: Path, rows: list[list[str]], raw: dict[int, bytes] | None = None) -> Path:
    """A minimal workbook whose cells are shared strings; `raw` replaces the XML of string N as bytes."""
    strings: list[bytes] = []
    xml_rows = []
    for r, values in enumerate(rows, 1):
        cells = []
        for c, value in enumerate(values):
            strings.append(escape(value).encode())
            cells.append(f'<c r="{chr(65 + c)}{r}" t="s"><v>{len(strings) - 1}</v></c>')
        xml_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    for n, data in (raw or {}).items():
        strings[n] = data
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            f'{head}<Types xmlns="{pkg}/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'{head}<Relationships xmlns="{pkg}/relationships"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'{head}<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'{head}<Relationships xmlns="{pkg}/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'{head}<worksheet xmlns="{main}"><sheetData>{"".join(xml_rows)}</sheetData></worksheet>',
        )
        z.writestr(
            "xl/sharedStrings.xml",
            f'{head}<sst xmlns="{main}">'.encode()
            + b"".join(b"<si><t>" + s + b"</t></si>" for s in strings)
            + b"</sst>",
        )
    return path
