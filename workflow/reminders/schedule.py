"""When each rule was last due: the latest daily, weekly or monthly moment at or before `now`, in
Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from workflow import clock
from workflow.reminders.catalogue import Section
from workflow.reminders.settings import Settings


def at_local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, clock.LOCAL).astimezone(UTC)


def latest_daily(now: datetime, at: time) -> datetime:
    day = clock.local_today(now)
    moment = at_local(day, at)
    return moment if moment <= now else at_local(day - timedelta(days=1), at)


def latest_weekly(now: datetime, weekday: int, at: time) -> datetime:
    today = clock.local_today(now)
    day = today - timedelta(days=(today.weekday() - weekday) % 7)
    moment = at_local(day, at)
    return moment if moment <= now else at_local(day - timedelta(days=7), at)


def first_workday(year: int, month: int, settings: Settings) -> date:
    day = date(year, month, 1)
    while not settings.is_workday(day):
        day += timedelta(days=1)
    return day


def latest_monthly(now: datetime, at: time, settings: Settings) -> datetime:
    today = clock.local_today(now)
    moment = at_local(first_workday(today.year, today.month, settings), at)
    if moment <= now:
        return moment
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return at_local(first_workday(year, month, settings), at)


def last_due(section: Section, now: datetime, settings: Settings) -> datetime:
    """The latest moment the rules of this [reminders.*] table were due, at or before `now`."""
    if section == "weekly":
        return latest_weekly(now, settings.weekly.weekday, settings.weekly.at)
    if section == "monthly":
        return latest_monthly(now, settings.monthly.at, settings)
    return latest_daily(now, settings.section(section).at)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
