"""One place that turns results into output: aligned tables for people (CJK-aware), JSON for scripts."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from typing import Any


def width(text: str) -> int:
    """Terminal columns: CJK characters and full-width punctuation take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else ""
    return str(value).replace("\n", " ")


def table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], max_width: int = 40) -> str:
    """Rows as an aligned table; `columns` are (key, header) pairs. Long cells are cut with '…'."""
    cells = [[_cell(r.get(k)) for k, _ in columns] for r in rows]
    cells = [[c if width(c) <= max_width else _cut(c, max_width) for c in line] for line in cells]
    headers = [h for _, h in columns]
    widths = [max([width(h)] + [width(line[i]) for line in cells]) for i, h in enumerate(headers)]

    def fmt(line: Sequence[str]) -> str:
        return "  ".join(c + " " * (w - width(c)) for c, w in zip(line, widths, strict=True)).rstrip()

    out = [fmt(headers), fmt(["-" * w for w in widths])]
    out.extend(fmt(line) for line in cells)
    return "\n".join(out)


def _cut(text: str, limit: int) -> str:
    out, used = "", 0
    for c in text:
        w = width(c)
        if used + w > limit - 1:
            break
        out, used = out + c, used + w
    return out + "…"


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
