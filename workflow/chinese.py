"""Chinese numbers and dates as documents write them: 一、二十三, 一是…二是…, 2024年10月15日."""

from __future__ import annotations

from datetime import date

NUMERALS = "零一二三四五六七八九"


def _chinese(n: int) -> str:
    tens, ones = divmod(n, 10)
    if n < 10:
        return NUMERALS[n]
    return (NUMERALS[tens] if tens > 1 else "") + "十" + (NUMERALS[ones] if ones else "")


_CHINESE = tuple(_chinese(n) for n in range(100))


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 23 → 二十三 (aspect numbers and 一是/二是); beyond 99, Arabic digits."""
    return _CHINESE[n] if 0 <= n < 100 else str(n)


def cn_date(day: date | str, year: bool = True) -> str:
    """2024-10-15 → '2024年10月15日' (or '10月15日' without the year)."""
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{d.year}年{d.month}月{d.day}日" if year else f"{d.month}月{d.day}日"


_CLOSED = "。；;！!？?，,、：:"  # after these a line break may go without a mark
_GOES_ON = "并及和与且，,"  # a line starting so continues the sentence above


def one_paragraph(text: str) -> str:
    """Lines of a cell as one paragraph, never with a line break inside a sentence: offices break lines
    between statements, so one without a closing mark gets a '；'; a line that goes on with the same
    sentence (after '，' or '、', or starting with 并, 及, 同时 …) joins as it is."""
    out = ""
    for line in (x.strip() for x in text.split("\n")):
        if not line:
            continue
        if out and out[-1] not in _CLOSED and line[0] not in _GOES_ON and not line.startswith("同时"):
            out += "；"
        out += line
    return out
