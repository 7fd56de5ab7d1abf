"""The shape of a real ledger around its data, as township and county offices lay it out: a header over
two rows (责任主体 merged over 责任领导 / 责任单位 / 责任人, the other headers merged down), section rows
that open a category (「一、贯彻落实……方面」 merged across the width), footer rows (填表人：…  审核人：…
联系电话：…), and which of two look-alike columns holds dated progress and which the status.
Pure functions over the grid `formats` read; `workbook` calls them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from workflow.intake.ledger.cells import STATUS_WORDS, cell_text, parse_aspect

# A footer line: who filled the sheet in, who checked it, a phone number, a stamp, a note.
FOOTER = re.compile(
    r"^\s*(?:填表人|填报人|制表人|审核人|审核|审签|核稿人|联系电话|联系人|电话|单位负责人|主要负责人|负责人|"
    r"分管领导|签字|签发|盖章|填报单位（盖章）|单位（盖章）|注|备注|说明)\s*[:：]"
    r"|^\s*(?:合\s*计|小\s*计|总\s*计)"  # a totals row
)
# Headers that offices use both for the progress column and for the status column.
AMBIGUOUS = frozenset(("整改情况", "整改完成情况", "整改落实情况", "落实情况", "完成情况及进展"))
_DATE = re.compile(r"\d{4}\s*[-/.年]\s*\d{1,2}|\d{1,2}\s*月\s*\d{1,2}\s*日")
CONTENT_SAMPLE = 1000  # cells enough to tell a column's content
MAX_SUBHEADER_CHARS = 12  # a second header row holds short names, never a ledger's sentences


def empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_like(values: Sequence[Any], known: int) -> bool:
    """A second header row: short text cells only, at least one of them a known column name."""
    cells = [v for v in values if not empty(v)]
    return (
        known > 0
        and bool(cells)
        and all(isinstance(v, str) and len(v.strip()) <= MAX_SUBHEADER_CHARS for v in cells)
    )


def combined_header(top: Sequence[Any], below: Sequence[Any]) -> list[Any]:
    """Two header rows as one: the lower name where there is one (责任领导 under 责任主体), else the
    upper (a header merged down two rows keeps its value in the upper cell)."""
    width = max(len(top), len(below))
    out = []
    for j in range(width):
        low = below[j] if j < len(below) else None
        out.append(low if not empty(low) else (top[j] if j < len(top) else None))
    return out


@dataclass(frozen=True)
class Header:
    index: int  # 0-based position in the scanned rows of the (first) header row
    depth: int  # 1 or 2 rows
    values: list[Any]  # the header as one row


def find_header(grid: Sequence[Sequence[Any]], known: Any, scan: int) -> Header | None:
    """The header among the first `scan` rows: the row (or pair of rows) naming the most known columns,
    at least two. `known(value)` says whether a cell is a known column name."""
    best: tuple[int, Header] | None = None
    for i, values in enumerate(grid[:scan]):
        candidates = [Header(i, 1, list(values))]
        if i + 1 < len(grid) and any(known(v) for v in values):
            below = grid[i + 1]
            if _header_like(below, sum(1 for v in below if known(v))):
                candidates.append(Header(i, 2, combined_header(values, below)))
        for header in candidates:
            score = sum(1 for v in header.values if known(v))
            if score >= 2 and (best is None or score > best[0]):
                best = (score, header)
    return best[1] if best else None


def is_footer(values: Sequence[Any], serial_col: int | None, problem_col: int | None = None) -> bool:
    """A footer row: no 序号 and no problem text (or a footer in their place), and a cell such as
    填表人：… or 联系电话：…; or a row whose 序号 cell is such a line, or 合计 (totals)."""
    serial = values[serial_col] if serial_col is not None and serial_col < len(values) else None
    if isinstance(serial, str) and FOOTER.match(serial):
        return True
    for col in (serial_col, problem_col):
        value = values[col] if col is not None and col < len(values) else None
        if not empty(value) and not FOOTER.match(cell_text(value)):
            return False
    return any(isinstance(v, str) and FOOTER.match(v) for v in values)


_BARE_NUMBER = re.compile(
    r"^\s*(?:[（(]\s*[一二三四五六七八九十]+\s*[)）]|[一二三四五六七八九十]+\s*[、.．]?)\s*$"
)


def section_text(values: Sequence[Any], wide: bool) -> str | None:
    """The category a section row opens ('一、贯彻落实……方面'), or None for any other row. A row is a
    section when it is merged across the width, or when its only filled cell is a numbered category,
    or when it holds just a bare number (一) and the category's name beside it."""
    raw = [v for v in values if v is not None and v != ""]
    if len(raw) > 2 and not wide:
        return None  # a data row: checked first, for speed on a ledger of 20,000 rows
    filled = [cell_text(v) for v in raw if not empty(v)]
    if len(filled) == 2 and _BARE_NUMBER.match(filled[0]):
        number = filled[0].strip().rstrip("、.．")
        filled = [number + ("" if number.endswith(("）", ")")) else "、") + filled[1]]
    if len(filled) != 1 and not (wide and filled):
        return None
    text = filled[0]
    if FOOTER.match(text):
        return None
    return text if parse_aspect(text)[0] is not None or wide else None


# --- progress or status: by name and by content ---------------------------------------------------------


def content_kind(values: Sequence[Any]) -> str | None:
    """'status' when the filled cells are status words (已完成, 是/否 …), 'progress' when they are dated
    or longer text, None when the column is empty or mixed."""
    texts = list(islice((cell_text(v) for v in values if not empty(v)), CONTENT_SAMPLE))
    if not texts:
        return None
    status = sum(1 for t in texts if _status_word(t))
    progress = sum(1 for t in texts if not _status_word(t) and (_DATE.search(t) or len(t) > 15))
    if status * 2 > len(texts):
        return "status"
    if progress * 2 > len(texts):
        return "progress"
    return None


def _status_word(text: str) -> bool:
    word = re.split(r"[。，,；;、\n（(：:]", re.sub(r"[ \t\u3000]", "", text), maxsplit=1)[0]
    return word in STATUS_WORDS


def decide_roles(
    columns: dict[int, tuple[str, str]], contents: dict[int, list[Any]]
) -> tuple[dict[int, str], list[tuple[int, str]]]:
    """Which of the columns named like progress or status (index → (key by name, header as written)) is
    which. A column named unambiguously keeps its role unless its content is plainly the other and that
    role is free; an ambiguous name (整改情况) goes by content, else to the role still free (status
    first). Returns index → key, and a note for every column not taken simply by its name."""
    roles: dict[int, str] = {}
    notes: list[tuple[int, str]] = []
    kinds = {j: content_kind(contents.get(j, [])) for j in columns}
    firm = [j for j, (key, header) in columns.items() if header not in AMBIGUOUS and kinds[j] in (None, key)]
    for j in firm:
        if columns[j][0] not in roles.values():
            roles[j] = columns[j][0]
    for j, (key, header) in columns.items():
        if j in roles or j in firm:
            continue
        wanted = kinds[j] or ("status" if header in AMBIGUOUS else key)
        other = "progress" if wanted == "status" else "status"
        taken = set(roles.values())
        role = wanted if wanted not in taken else other if other not in taken else None
        if role is None:
            continue  # both roles taken: reported as a repeated column
        roles[j] = role
        why = (
            "内容为完成情况用语"
            if kinds[j] == "status"
            else "内容为带日期的进展文字"
            if kinds[j]
            else "列中没有内容"
        )
        notes.append((j, f"{why}，作为「{'完成情况' if role == 'status' else '整改进展'}」"))
    return roles, notes
