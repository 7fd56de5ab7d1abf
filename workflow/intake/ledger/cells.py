"""The cells of a ledger as offices fill them: status words, numbered measures in one cell, dated
progress lines, evidence references, deadlines in their many spellings. Pure functions, no database."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from typing import Any

from states.categories import STATUS_CATEGORIES, Category
from states.lifecycle import EVIDENCE_KINDS, State
from workflow.dates import MAX_YEAR, MIN_YEAR, parse_date, parse_deadline, shown

# 完成情况 as offices write it → the state it means. Only 已完成 and its synonyms count as completed;
# 基本完成 ("largely done, continuing") stays in progress.
STATUS_WORDS: dict[str, State] = {
    **dict.fromkeys(("已登记", "未交办"), State.reported),
    **dict.fromkeys(("已交办", "未启动", "未开始"), State.assigned),
    **dict.fromkeys(
        (
            "整改中",
            "正在推进",
            "正在推进中",
            "正在整改",
            "推进中",
            "未整改",
            "未完成",
            "基本完成",
            "部分完成",
            "阶段性完成",
            "持续推进",
            "持续整改",
            "长期坚持",
        ),
        State.in_progress,
    ),
    **dict.fromkeys(("待销号审核", "待销号", "待验收", "已提请销号", "申请销号"), State.submitted),
    **dict.fromkeys(
        ("已完成", "完成", "已整改", "整改完成", "已整改完成", "已办结", "办结", "已销号", "销号"),
        State.closed,
    ),
    "回头看": State.revisited,
}
# What export writes, chosen so that importing it gives the same state back.
EXPORT_STATUS: dict[State, str] = {
    State.reported: "已登记",
    State.assigned: "未启动",
    State.in_progress: "正在推进",
    State.submitted: "待销号审核",
    State.closed: "已完成",
    State.revisited: "回头看",
}
IMMEDIATE_WORDS = ("立行立改", "立即整改", "即知即改")
ONGOING_WORDS = ("长期坚持", "长期", "持续整改")


def cell_text(value: Any) -> str:
    """A cell as text: 3.0 → '3', a date → '2024-12-31', CRLF → LF, stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


_ASPECT = re.compile(
    r"^\s*(?:[（(]\s*([一二三四五六七八九十]+)\s*[)）]|([一二三四五六七八九十]+)\s*[、.．:：])\s*(.+)$", re.S
)


def parse_aspect(text: str) -> tuple[str | None, str]:
    """'一、违法违规占用耕地…' or '（一）…' → ('一', '违法违规占用耕地…'); no number → (None, text)."""
    m = _ASPECT.match(text)
    if m:
        return (m.group(1) or m.group(2)), m.group(3).strip()
    return None, text.strip()


def split_problem(text: str) -> tuple[str, str]:
    """The first sentence is the problem's title, the rest its description (export writes them so)."""
    m = re.match(r"^(.+?)[。\n]\s*(.*)$", text, re.S)
    if m is None:
        return text.strip(), ""
    return m.group(1).strip(), m.group(2).strip()


_NUMBERED = re.compile(
    r"^\s*(?:\d{1,2}\s*[.、．)）]|[（(]\s*\d{1,2}\s*[)）]|[①-⑳]|[一二三四五六七八九十]{1,3}\s*是|[一二三四五六七八九十]{1,3}\s*[、.．])\s*"
)
_INLINE = re.compile(r"(?<=[。；;！!，,\s])(?=[二三四五六七八九十]{1,3}是)")


def split_measures(text: str) -> list[str]:
    """Several measures in one cell: one per line, or numbered (1. / （1） / ① / 一是…二是…).

    When any line is numbered, unnumbered lines continue the measure above them."""
    lines = [p for line in text.split("\n") for p in _INLINE.split(line.strip()) if p.strip()]
    numbered = any(_NUMBERED.match(line) for line in lines)
    out: list[str] = []
    for line in lines:
        stripped = _NUMBERED.sub("", line, count=1).strip().rstrip("；;，,").strip()
        if numbered and not _NUMBERED.match(line) and out:
            out[-1] += "\n" + stripped
        elif stripped:
            out.append(stripped)
    return out


_DATED = re.compile(
    r"^(?P<date>\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日)"
    r"(?:\s*[（(](?P<when>[^（）()]{1,40})[)）])?\s*[：:，,、\s]\s*(?P<text>\S.*)$",
    re.S,
)


def split_progress(text: str, year_hint: date, today: date) -> list[tuple[date, str | None, str]]:
    """整改进展 lines → (date, date as written or None, text). A line starting with a date opens an entry
    ('2024-10-15：…', '2024-11-05（11月初）：…', '10月15日，…' — the year is inferred from the round's
    feedback date); other lines continue the entry above, or form one entry dated today."""
    out: list[tuple[date, str | None, str]] = []
    for line in filter(None, (x.strip() for x in text.split("\n"))):
        m = _DATED.match(line)
        if m is None:
            if out:
                on, when, body = out[-1]
                out[-1] = (on, when, body + "\n" + line)
            else:
                out.append((today, None, line))
            continue
        when = m.group("when")
        if m.group("m"):
            month, day = int(m.group("m")), int(m.group("d"))
            try:
                on = date(year_hint.year, month, day)
                if on < year_hint - timedelta(days=31):  # '1月24日' after an October feedback is next year
                    on = date(year_hint.year + 1, month, day)
            except ValueError:
                raise ValueError(f"不存在的日期：{m.group('date')!r}") from None
            when = when or m.group("date").replace(" ", "")
        else:
            on = parse_date(m.group("date"))
        out.append((on, when, m.group("text").strip()))
    return out


def split_evidence(text: str) -> list[tuple[str, str]]:
    """佐证材料 lines → (kind, reference): '批文：获政土〔2024〕27号'; without a known kind, 其他."""
    out = []
    for line in filter(None, (x.strip() for x in text.split("\n"))):
        kind, sep, ref = line.partition("：")
        if not sep:
            kind, sep, ref = line.partition(":")
        if sep and kind.strip() in EVIDENCE_KINDS and ref.strip():
            out.append((kind.strip(), ref.strip()))
        else:
            out.append(("其他", line))
    return out


_MONTH_END = re.compile(r"^(\d{4})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*月?\s*(?:底|末)?$")


def parse_ledger_deadline(value: Any) -> tuple[str, date | None]:
    """A 整改时限 cell: a date (any usual form, an Excel date cell or serial), '2024年12月底',
    '2024年12月31日前', 立行立改 or 长期坚持 (and their usual variants)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # an Excel serial day number in a cell not formatted as a date
            from openpyxl.utils.datetime import from_excel

            return "date", parse_date(from_excel(value))
        raise ValueError(f"无效的日期：{cell_text(value)!r}")
    if isinstance(value, (date, datetime)):
        return "date", parse_date(value)
    text = re.sub(r"\s+", "", cell_text(value))
    text = re.sub(r"(之)?前$", "", text)
    if text in IMMEDIATE_WORDS:
        return "immediate", None
    if text in ONGOING_WORDS:
        return "ongoing", None
    m = _MONTH_END.match(text)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        if not MIN_YEAR <= year <= MAX_YEAR:  # before building the date: year 0 does not exist
            raise ValueError(f"日期超出范围：{shown(text)}（应在 {MIN_YEAR}—{MAX_YEAR} 年之间）")
        if 1 <= month <= 12:
            return "date", date(year, month, calendar.monthrange(year, month)[1])
    return parse_deadline(text)


def status_word(text: str) -> str:
    """The status cell's first word, which says the state (and the completion category)."""
    return re.split(r"[。，,；;、\n（(：:]", re.sub(r"[ \t\u3000]", "", text), maxsplit=1)[0]


def status_category(text: str) -> Category | None:
    """The completion category a status cell sets on a new item (基本完成 → basic), or None."""
    return STATUS_CATEGORIES.get(status_word(text))


def parse_status(text: str) -> State:
    word = status_word(text)
    state = STATUS_WORDS.get(word)
    if state is None:
        raise ValueError(
            f"无法识别的完成情况「{text[:40]}」（可用：已完成、基本完成、正在推进、未启动、待销号审核 等，"
            "基本完成按正在推进计）"
        )
    return state
