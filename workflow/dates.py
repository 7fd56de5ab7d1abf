"""Dates as people write them in ledgers and on the command line, and the three kinds of deadline."""

from __future__ import annotations

import re
from datetime import date, datetime

IMMEDIATE = "立行立改"
ONGOING = "长期坚持"
DEADLINE_KINDS = {"date": None, "immediate": IMMEDIATE, "ongoing": ONGOING}
# Inspection work spans years, not centuries: anything outside this is a typo.
MIN_YEAR, MAX_YEAR = 2000, 2099

_PATTERN = re.compile(r"^\s*(\d{4})\s*(?:-|/|\.|年)\s*(\d{1,2})\s*(?:-|/|\.|月)\s*(\d{1,2})\s*日?\s*$")


def shown(value: object, limit: int = 40) -> str:
    """A value quoted in an error message: repr (so control characters show), cut to `limit`."""
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def parse_date(value: object) -> date:
    """2024-12-31, 2024/12/31, 2024.12.31 or 2024年12月31日 (or a date); ValueError in Chinese."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        day = value
    else:
        match = _PATTERN.match(str(value))
        if not match:
            raise ValueError(f"无效的日期：{shown(value)}（应为 2024-12-31 或 2024年12月31日）")
        try:
            day = date(*map(int, match.groups()))
        except ValueError:
            raise ValueError(f"不存在的日期：{shown(value)}") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError(f"日期超出范围：{day}（应在 {MIN_YEAR}—{MAX_YEAR} 年之间）")
    return day


def parse_deadline(value: object) -> tuple[str, date | None]:
    """A deadline: a date, 立行立改 (at once) or 长期坚持 (ongoing) → (kind, date or None)."""
    text = str(value).strip() if isinstance(value, str) else None
    if text == IMMEDIATE:
        return "immediate", None
    if text == ONGOING:
        return "ongoing", None
    try:
        return "date", parse_date(value)
    except ValueError as exc:
        raise ValueError(f"{exc}；完成时限也可以是「{IMMEDIATE}」或「{ONGOING}」") from None


def show_deadline(kind: str | None, day: date | None) -> str:
    if kind == "date" and day is not None:
        return day.isoformat()
    if kind == "immediate" and day is not None:  # due at the end of the concentrated period
        return f"{IMMEDIATE}（{day.isoformat()}前）"
    return DEADLINE_KINDS.get(kind or "") or ""
