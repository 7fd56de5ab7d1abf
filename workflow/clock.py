"""Time is an input: every use case takes `now` from here, and tests or replays set it.

UTC inside the database, Asia/Shanghai on screen; conversions happen only in this module.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from workflow.dates import MAX_YEAR, MIN_YEAR, shown

LOCAL = ZoneInfo("Asia/Shanghai")


def parse_moment(text: str) -> datetime:
    """An ISO date or datetime; naive values are Asia/Shanghai local time. Returns aware UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"无效的时间：{shown(text)}（应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM）") from exc
    if not MIN_YEAR <= value.year <= MAX_YEAR:  # the same span as dates (and year 1 cannot go to UTC)
        raise ValueError(f"时间超出范围：{shown(text.strip())}（应在 {MIN_YEAR}—{MAX_YEAR} 年之间）")
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL)
    return value.astimezone(UTC)


def now() -> datetime:
    """The current moment (UTC): ZHENGGAI_NOW when set (replays, tests, cron catch-up), else the clock."""
    fixed = os.environ.get("ZHENGGAI_NOW")
    return parse_moment(fixed) if fixed else datetime.now(UTC)


def wall() -> datetime:
    """The machine's own clock (UTC), whatever `--now` or ZHENGGAI_NOW say: when an audit entry was
    really recorded. Tests that need it fixed replace this function."""
    return datetime.now(UTC)


def local_today(moment: datetime) -> date:
    return moment.astimezone(LOCAL).date()


def local_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), LOCAL).astimezone(UTC)


def to_text(moment: datetime) -> str:
    """The canonical stored form: UTC, microseconds, 'Z' (sorts as text, hashes stably)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_text(text: str) -> datetime:
    return datetime.fromisoformat(text)  # 3.11 reads the "Z"; much faster than strptime


def show(moment: datetime | str | None) -> str:
    """A moment as people read it: Asia/Shanghai, minutes."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = from_text(moment)
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")
