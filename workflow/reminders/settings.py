"""Reminder settings: the [reminders.*] and [channels.*] sections of zhenggai.toml, validated.

Every key has a default (docs/reminders.md lists them), so an empty file gives working reminders
that write Markdown files. Errors name the section and key and say what is expected.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any

from workflow.config import section
from workflow.errors import InvalidInput
from workflow.reminders.catalogue import RULES

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
# The statutory holidays that fall on the same date every year; the lunar ones (春节, 清明, 端午,
# 中秋) and the make-up working days (调休) change yearly, so offices add them from the State
# Council's notice.
DEFAULT_HOLIDAYS = ("01-01", "05-01", "05-02", "10-01", "10-02", "10-03")
WEBHOOK_FORMATS = ("json", "wecom", "dingtalk")
DEFAULT_WEBHOOK_RULES = ("weekly_bulletin", "overdue", "escalation")


@dataclass(frozen=True)
class Weekly:
    enabled: bool = True
    weekday: int = 0  # Monday
    at: time = time(9, 0)
    stalled_days: int = 7
    upcoming_days: int = 7


@dataclass(frozen=True)
class Deadline:
    enabled: bool = True
    at: time = time(8, 30)
    notice_days: int = 20
    warning_days: int = 10
    escalate_after_days: int = 30
    escalate_to: tuple[str, ...] = ()  # empty: the office forwards it to the leading group's head


@dataclass(frozen=True)
class Revisit:
    enabled: bool = True
    at: time = time(9, 0)
    after_days: int = 90
    ongoing_every_days: int = 90


@dataclass(frozen=True)
class Monthly:
    enabled: bool = True
    at: time = time(9, 0)


@dataclass(frozen=True)
class OutboxSettings:
    max_attempts: int = 20
    backoff_seconds: int = 60
    backoff_max_seconds: int = 3600
    lease_seconds: int = 300
    batch: int = 200


@dataclass(frozen=True)
class SchedulerSettings:
    deliver_every_seconds: int = 60
    misfire_grace_seconds: int = 6 * 3600


@dataclass(frozen=True)
class FileChannel:
    enabled: bool = True
    dir: Path = Path("reminders")


@dataclass(frozen=True)
class SmtpChannel:
    host: str
    port: int = 25
    sender: str = "zhenggai@localhost"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    ssl: bool = False
    timeout: float = 10.0


@dataclass(frozen=True)
class WebhookChannel:
    url: str = field(repr=False)
    format: str = "json"
    rules: tuple[str, ...] = DEFAULT_WEBHOOK_RULES
    secret: str | None = field(default=None, repr=False)  # DingTalk signing
    timeout: float = 10.0


@dataclass(frozen=True)
class Settings:
    start: date | None = None  # no periodic reminder is due before this (default: the first round)
    holidays: frozenset[date] = frozenset()
    annual_holidays: frozenset[tuple[int, int]] = frozenset(
        (int(h[:2]), int(h[3:])) for h in DEFAULT_HOLIDAYS
    )
    workdays: frozenset[date] = frozenset()
    max_items_per_message: int = 200
    weekly: Weekly = Weekly()
    deadline: Deadline = Deadline()
    revisit: Revisit = Revisit()
    monthly: Monthly = Monthly()
    outbox: OutboxSettings = OutboxSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    file: FileChannel = FileChannel()
    smtp: SmtpChannel | None = None
    webhook: WebhookChannel | None = None

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays or (day.month, day.day) in self.annual_holidays:
            return False
        return day.weekday() < 5


class _Table:
    """Typed reads from one TOML table; every mistake becomes an InvalidInput naming the key."""

    def __init__(self, data: dict[str, Any], where: str, known: tuple[str, ...]) -> None:
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise InvalidInput(f"配置 [{where}] 中有未知项：{'、'.join(unknown)}（可用：{'、'.join(known)}）")
        self.data, self.where = data, where

    def _bad(self, key: str, expected: str) -> InvalidInput:
        return InvalidInput(f"配置 [{self.where}] {key} = {self.data[key]!r} 有误：应为{expected}")

    def integer(self, key: str, default: int, low: int = 0, high: int = 10**6) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self._bad(key, f" {low} 到 {high} 之间的整数")
        return value

    def number(self, key: str, default: float, low: float = 0.0) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= low:
            raise self._bad(key, f"大于 {low:g} 的数")
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self._bad(key, " true 或 false")
        return value

    def text(self, key: str, default: str | None, required: bool = False) -> str | None:
        if required and key not in self.data:
            raise InvalidInput(f"配置 [{self.where}] 缺少 {key}")
        value = self.data.get(key, default)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise self._bad(key, "非空字符串")
        return value.strip() if isinstance(value, str) else None

    def clock(self, key: str, default: time) -> time:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, time):  # TOML local time: 09:00:00
            return value.replace(tzinfo=None)
        try:
            return time.fromisoformat(str(value))
        except ValueError:
            raise self._bad(key, '北京时间 HH:MM，如 "09:00"') from None

    def texts(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.data.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self._bad(key, '字符串列表，如 ["a", "b"]')
        return tuple(v.strip() for v in value)


def _dates(
    t: _Table, key: str, default: tuple[str, ...], annual_ok: bool
) -> tuple[set[date], set[tuple[int, int]]]:
    """Dates as YYYY-MM-DD (or TOML dates); with `annual_ok`, also MM-DD meaning every year."""
    fixed: set[date] = set()
    annual: set[tuple[int, int]] = set()
    raw = t.data.get(key, list(default))
    if not isinstance(raw, list):
        raise t._bad(key, "日期列表")
    for value in raw:
        if isinstance(value, date):
            fixed.add(value)
            continue
        text = str(value).strip()
        try:
            if annual_ok and len(text) == 5 and text[2] == "-":
                month, day = int(text[:2]), int(text[3:])
                date(2024, month, day)  # a leap year, so 02-29 is accepted
                annual.add((month, day))
            else:
                fixed.add(date.fromisoformat(text))
        except ValueError:
            form = "YYYY-MM-DD 或每年的 MM-DD" if annual_ok else "YYYY-MM-DD"
            raise InvalidInput(f"配置 [{t.where}] {key} 中的 {value!r} 不是有效日期（应为 {form}）") from None
    return fixed, annual


def _sub(data: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise InvalidInput(f"配置项 [{where}.{name}] 应是一个表（table）")
    return value


def load(config: dict[str, Any]) -> Settings:
    """Settings from the parsed TOML (see workflow.config.load); raises InvalidInput on any mistake."""
    rem = section(config, "reminders")
    channels = section(config, "channels")
    subs = ("weekly", "deadline", "revisit", "monthly", "outbox", "scheduler")
    top = _Table(
        {k: v for k, v in rem.items() if k not in subs},
        "reminders",
        ("start", "holidays", "workdays", "max_items_per_message"),
    )
    start = None
    if "start" in top.data:
        raw = top.data["start"]
        try:
            start = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
        except ValueError:
            raise top._bad("start", "日期 YYYY-MM-DD") from None
    holidays, annual = _dates(top, "holidays", DEFAULT_HOLIDAYS, annual_ok=True)
    workdays, _ = _dates(top, "workdays", (), annual_ok=False)

    w = _Table(_sub(rem, "weekly", "reminders"), "reminders.weekly", tuple(Weekly.__dataclass_fields__))
    weekday_text = w.text("weekday", "mon")
    if weekday_text not in WEEKDAYS:
        raise w._bad("weekday", f"{'、'.join(WEEKDAYS)} 之一")
    weekly = Weekly(
        enabled=w.flag("enabled", True),
        weekday=WEEKDAYS.index(weekday_text),
        at=w.clock("at", Weekly.at),
        stalled_days=w.integer("stalled_days", 7, 1, 365),
        upcoming_days=w.integer("upcoming_days", 7, 1, 365),
    )

    d = _Table(_sub(rem, "deadline", "reminders"), "reminders.deadline", tuple(Deadline.__dataclass_fields__))
    deadline = Deadline(
        enabled=d.flag("enabled", True),
        at=d.clock("at", Deadline.at),
        notice_days=d.integer("notice_days", 20, 1, 365),
        warning_days=d.integer("warning_days", 10, 0, 365),
        escalate_after_days=d.integer("escalate_after_days", 30, 1, 3650),
        escalate_to=d.texts("escalate_to", ()),
    )
    if deadline.warning_days >= deadline.notice_days:
        raise InvalidInput(
            f"配置 [reminders.deadline] warning_days（{deadline.warning_days}）应小于 notice_days（{deadline.notice_days}）：先提醒，后预警"
        )

    r = _Table(_sub(rem, "revisit", "reminders"), "reminders.revisit", tuple(Revisit.__dataclass_fields__))
    revisit = Revisit(
        enabled=r.flag("enabled", True),
        at=r.clock("at", Revisit.at),
        after_days=r.integer("after_days", 90, 1, 3650),
        ongoing_every_days=r.integer("ongoing_every_days", 90, 1, 3650),
    )

    m = _Table(_sub(rem, "monthly", "reminders"), "reminders.monthly", tuple(Monthly.__dataclass_fields__))
    monthly = Monthly(enabled=m.flag("enabled", True), at=m.clock("at", Monthly.at))

    o = _Table(
        _sub(rem, "outbox", "reminders"), "reminders.outbox", tuple(OutboxSettings.__dataclass_fields__)
    )
    outbox = OutboxSettings(
        max_attempts=o.integer("max_attempts", 20, 1, 10000),
        backoff_seconds=o.integer("backoff_seconds", 60, 1, 86400),
        backoff_max_seconds=o.integer("backoff_max_seconds", 3600, 1, 7 * 86400),
        lease_seconds=o.integer("lease_seconds", 300, 1, 86400),
        batch=o.integer("batch", 200, 1, 100000),
    )
    sc = _Table(
        _sub(rem, "scheduler", "reminders"),
        "reminders.scheduler",
        tuple(SchedulerSettings.__dataclass_fields__),
    )
    scheduler = SchedulerSettings(
        deliver_every_seconds=sc.integer("deliver_every_seconds", 60, 1, 86400),
        misfire_grace_seconds=sc.integer("misfire_grace_seconds", 6 * 3600, 1, 30 * 86400),
    )

    f = _Table(_sub(channels, "file", "channels"), "channels.file", ("enabled", "dir"))
    file = FileChannel(enabled=f.flag("enabled", True), dir=Path(f.text("dir", "reminders") or "reminders"))

    smtp = None
    s = _Table(
        _sub(channels, "smtp", "channels"),
        "channels.smtp",
        (
            "enabled",
            "host",
            "port",
            "sender",
            "username",
            "password",
            "password_env",
            "starttls",
            "ssl",
            "timeout",
        ),
    )
    if s.data and s.flag("enabled", True):
        password = s.text("password", None)
        env = s.text("password_env", None)
        if env is not None:
            if env not in os.environ:
                raise InvalidInput(f"配置 [channels.smtp] password_env：环境变量 {env} 未设置")
            password = os.environ[env]
        sender = s.text("sender", "zhenggai@localhost") or ""
        if "@" not in sender:
            raise s._bad("sender", "发件人邮箱地址")
        smtp = SmtpChannel(
            host=s.text("host", None, required=True) or "",
            port=s.integer("port", 25, 1, 65535),
            sender=sender,
            username=s.text("username", None),
            password=password,
            starttls=s.flag("starttls", False),
            ssl=s.flag("ssl", False),
            timeout=s.number("timeout", 10.0),
        )
        if smtp.ssl and smtp.starttls:
            raise InvalidInput("配置 [channels.smtp] ssl 与 starttls 只能选一个")

    webhook = None
    h = _Table(
        _sub(channels, "webhook", "channels"),
        "channels.webhook",
        ("enabled", "url", "format", "rules", "secret", "secret_env", "timeout"),
    )
    if h.data and h.flag("enabled", True):
        url = h.text("url", None, required=True) or ""
        if not url.startswith(("http://", "https://")):
            raise h._bad("url", " http:// 或 https:// 开头的地址")
        fmt = h.text("format", "json")
        if fmt not in WEBHOOK_FORMATS:
            raise h._bad("format", f"{'、'.join(WEBHOOK_FORMATS)} 之一")
        rules = h.texts("rules", DEFAULT_WEBHOOK_RULES)
        unknown = [x for x in rules if x not in RULES]
        if unknown:
            raise InvalidInput(
                f"配置 [channels.webhook] rules 中有未知规则：{'、'.join(unknown)}（可用：{'、'.join(RULES)}）"
            )
        secret = h.text("secret", None)
        secret_env = h.text("secret_env", None)
        if secret_env is not None:
            if secret_env not in os.environ:
                raise InvalidInput(f"配置 [channels.webhook] secret_env：环境变量 {secret_env} 未设置")
            secret = os.environ[secret_env]
        webhook = WebhookChannel(
            url=url, format=fmt, rules=rules, secret=secret, timeout=h.number("timeout", 10.0)
        )

    return Settings(
        start=start,
        holidays=frozenset(holidays),
        annual_holidays=frozenset(annual),
        workdays=frozenset(workdays),
        max_items_per_message=top.integer("max_items_per_message", 200, 1, 100000),
        weekly=weekly,
        deadline=deadline,
        revisit=revisit,
        monthly=monthly,
        outbox=outbox,
        scheduler=scheduler,
        file=file,
        smtp=smtp,
        webhook=webhook,
    )
