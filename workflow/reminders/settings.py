"""Reminder settings: the [reminders.*] and [channels.*] sections of zhenggai.toml as pydantic models,
plus the yellow threshold ([lights] yellow_days) and the rate's precision, which are not ours.

Every key has a default (docs/reminders.md lists them), so an empty file gives working reminders
that write Markdown files. Each field's annotation says what it accepts and how a mistake reads;
`fields.messages` turns pydantic's errors into Chinese that names the section and the key.
"""

from __future__ import annotations

import os
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from states.categories import DEFAULT_RATE, Rate
from states.colours import DEFAULT_SCHEME, YELLOW_DAYS, Scheme
from workflow import config as config_file
from workflow.errors import InvalidInput
from workflow.reminders.catalogue import DEFAULT_WEBHOOK_RULES, RULES, Section
from workflow.reminders.fields import (
    CLOCK,
    DAY,
    EMAIL,
    FLAG,
    PATH,
    SECONDS,
    SECRET,
    TEXT,
    TEXTS,
    URL,
    days,
    messages,
    one_of,
    says,
    tables,
    whole,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
# The statutory holidays that fall on the same date every year; the lunar ones (春节, 清明, 端午,
# 中秋) and the make-up working days (调休) change yearly, so offices add them from the State
# Council's notice.
DEFAULT_HOLIDAYS: frozenset[date | tuple[int, int]] = frozenset(
    {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}
)
WEBHOOK_FORMATS = ("json", "wecom", "dingtalk")


# --- the tables ---------------------------------------------------------------------------------------


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Weekly(_Table):
    """[reminders.weekly]: the weekly dispatch (周调度) and bulletin (周通报)."""

    enabled: Annotated[bool, FLAG] = True
    weekday: Annotated[int, one_of(WEEKDAYS, index=True)] = 0  # Monday; written mon … sun
    at: Annotated[time, CLOCK] = time(9, 0)
    stalled_days: Annotated[int, whole(1, 365)] = 7
    upcoming_days: Annotated[int, whole(1, 365)] = 7


class Deadline(_Table):
    """[reminders.deadline]: the ladder 到期提醒 → 黄灯预警 → 红灯逾期 → 逾期督办. The yellow step's
    days are the one yellow threshold, Settings.yellow_days."""

    enabled: Annotated[bool, FLAG] = True
    at: Annotated[time, CLOCK] = time(8, 30)
    notice_days: Annotated[int, whole(1, 365)] = 20
    escalate_after_days: Annotated[int, whole(1, 3650)] = 30
    escalate_to: Annotated[tuple[str, ...], TEXTS] = ()  # empty: the office forwards it to the head

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        # warning_days is the old spelling of [lights] yellow_days: workflow.config.yellow_days reads
        # and checks it, so it is no setting of this table any more.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k != "warning_days"}
        return data


class Revisit(_Table):
    """[reminders.revisit]: revisits (回头看) of closed items and reviews of ongoing ones."""

    enabled: Annotated[bool, FLAG] = True
    at: Annotated[time, CLOCK] = time(9, 0)
    after_days: Annotated[int, whole(1, 3650)] = 90
    ongoing_every_days: Annotated[int, whole(1, 3650)] = 90


class Monthly(_Table):
    """[reminders.monthly]: the monthly report, on the first working day."""

    enabled: Annotated[bool, FLAG] = True
    at: Annotated[time, CLOCK] = time(9, 0)


class OutboxSettings(_Table):
    max_attempts: Annotated[int, whole(1, 10000)] = 20
    backoff_seconds: Annotated[int, whole(1, 86400)] = 60
    backoff_max_seconds: Annotated[int, whole(1, 7 * 86400)] = 3600
    lease_seconds: Annotated[int, whole(1, 86400)] = 300
    batch: Annotated[int, whole(1, 100000)] = 200


class SchedulerSettings(_Table):
    deliver_every_seconds: Annotated[int, whole(1, 86400)] = 60
    misfire_grace_seconds: Annotated[int, whole(1, 30 * 86400)] = 6 * 3600


class FileChannel(_Table):
    enabled: Annotated[bool, FLAG] = True
    dir: Annotated[Path, PATH] = Path("reminders")


class WebChannel(_Table):
    """[channels.web]: every reminder to a person also lands in their inbox on the web pages."""

    enabled: Annotated[bool, FLAG] = False


class _Channel(_Table):
    """A channel that its table switches on, unless the table is empty or says enabled = false."""

    enabled: Annotated[bool, FLAG] = True
    _from_env: ClassVar[tuple[str, str]]  # (the key naming an environment variable, the key it fills)

    @model_validator(mode="before")
    @classmethod
    def _prepare(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if not data or data.get("enabled") is False:
            # Switched off: its settings wait for later, and only their names are checked.
            return {k: v for k, v in data.items() if k not in cls.model_fields} | {"enabled": False}
        env_key, key = cls._from_env
        name = data.get(env_key)
        if isinstance(name, str) and name.strip():
            value = os.environ.get(name.strip())
            if not value:
                raise says(f"{env_key}：环境变量 {name.strip()} {'为空' if value == '' else '未设置'}")
            data = {**data, key: value}
        return data


class SmtpChannel(_Channel):
    _from_env = ("password_env", "password")
    host: Annotated[str, TEXT] = ""  # required when the channel is on
    port: Annotated[int, whole(1, 65535)] = 25
    sender: Annotated[str, EMAIL] = "zhenggai@localhost"
    username: Annotated[str | None, TEXT] = None
    password: Annotated[str | None, SECRET] = Field(default=None, repr=False)
    password_env: Annotated[str | None, TEXT] = None
    starttls: Annotated[bool, FLAG] = False
    ssl: Annotated[bool, FLAG] = False
    timeout: Annotated[float, SECONDS] = 10.0

    @model_validator(mode="after")
    def _complete(self) -> SmtpChannel:
        if self.enabled and "host" not in self.model_fields_set:
            raise says("缺少 host")
        if self.ssl and self.starttls:
            raise says("ssl 与 starttls 只能选一个")
        return self


class WebhookChannel(_Channel):
    _from_env = ("secret_env", "secret")
    url: Annotated[str, URL] = Field(default="", repr=False)  # required when the channel is on
    format: Annotated[Literal["json", "wecom", "dingtalk"], one_of(WEBHOOK_FORMATS)] = "json"
    rules: Annotated[tuple[str, ...], TEXTS] = DEFAULT_WEBHOOK_RULES
    secret: Annotated[str | None, SECRET] = Field(default=None, repr=False)  # DingTalk signing
    secret_env: Annotated[str | None, TEXT] = None
    timeout: Annotated[float, SECONDS] = 10.0

    @field_validator("rules")
    @classmethod
    def _known(cls, rules: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [r for r in rules if r not in RULES]
        if unknown:
            raise says(f" 中有未知规则：{'、'.join(unknown)}（可用：{'、'.join(RULES)}）")
        return rules

    @model_validator(mode="after")
    def _complete(self) -> WebhookChannel:
        if self.enabled and "url" not in self.model_fields_set:
            raise says("缺少 url")
        return self


class _Reminders(_Table):
    """[reminders]"""

    start: Annotated[date | None, DAY] = None  # no periodic reminder before (default: the first round)
    holidays: Annotated[frozenset[date | tuple[int, int]], days(annual_ok=True)] = DEFAULT_HOLIDAYS
    workdays: Annotated[frozenset[date], days(annual_ok=False)] = frozenset()
    max_items_per_message: Annotated[int, whole(1, 100000)] = 200
    weekly: Weekly = Weekly()
    deadline: Deadline = Deadline()
    revisit: Revisit = Revisit()
    monthly: Monthly = Monthly()
    outbox: OutboxSettings = OutboxSettings()
    scheduler: SchedulerSettings = SchedulerSettings()


class _Channels(_Table):
    """[channels]: a switched-off smtp or webhook channel is None."""

    file: FileChannel = FileChannel()
    web: WebChannel = WebChannel()
    smtp: SmtpChannel | None = None
    webhook: WebhookChannel | None = None

    @field_validator("smtp", "webhook")
    @classmethod
    def _off(cls, channel: _Channel | None) -> _Channel | None:
        return channel if channel is not None and channel.enabled else None


class _File(BaseModel):
    """The sections of zhenggai.toml read here; the others belong to other packages."""

    model_config = ConfigDict(frozen=True)
    reminders: _Reminders = _Reminders()
    channels: _Channels = _Channels()


TABLES = tables(_File)


class Settings(_Reminders, _Channels):
    """Everything the reminders read: [reminders.*], [channels.*], the yellow threshold ([lights]
    yellow_days, `workflow.config.yellow_days`) and the completion rate ([report], `workflow.config.rate`)."""

    yellow_days: int = YELLOW_DAYS
    rate: Rate = DEFAULT_RATE
    lights: Scheme = Field(default_factory=lambda: DEFAULT_SCHEME)  # [lights.colours], for each message

    @property
    def rate_precision(self) -> int:
        return self.rate.precision

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays or (day.month, day.day) in self.holidays:
            return False
        return day.weekday() < 5

    def section(self, name: Section) -> Weekly | Deadline | Revisit | Monthly:
        """The table that switches a rule on and sets its time (catalogue.Rule.section)."""
        by_name: dict[Section, Weekly | Deadline | Revisit | Monthly] = {
            "weekly": self.weekly,
            "deadline": self.deadline,
            "revisit": self.revisit,
            "monthly": self.monthly,
        }
        return by_name[name]


def load(config: dict[str, Any]) -> Settings:
    """Settings from the parsed TOML (see workflow.config.load); raises InvalidInput on any mistake."""
    yellow = config_file.yellow_days(config)
    rate = config_file.rate(config)
    try:
        parsed = _File.model_validate(
            {"reminders": config.get("reminders", {}), "channels": config.get("channels", {})}
        )
    except ValidationError as exc:
        raise InvalidInput("\n".join(messages(exc, TABLES))) from None
    settings = Settings.model_construct(
        **dict(parsed.reminders),
        **dict(parsed.channels),
        yellow_days=yellow,
        rate=rate,
        lights=config_file.light_scheme(config),
    )
    _check_ladder(settings, config)
    return settings


def _check_ladder(settings: Settings, config: dict[str, Any]) -> None:
    """First the notice, then the yellow warning: the yellow threshold must be under notice_days."""
    yellow, notice = settings.yellow_days, settings.deadline.notice_days
    if yellow < notice:
        return
    tail = "：先提醒，后预警"
    where = _yellow_key(config)
    if where == "[reminders.deadline] warning_days":
        raise InvalidInput(f"配置 {where}（{yellow}）应小于 notice_days（{notice}）{tail}")
    named = f"配置 {where}（{yellow}）" if where else f"黄灯天数（[lights] yellow_days，默认 {yellow}）"
    raise InvalidInput(
        f"{named}应小于 [reminders.deadline] notice_days（{notice}）{tail}；请调大 notice_days 或调小黄灯天数"
    )


def _yellow_key(config: dict[str, Any]) -> str | None:
    """Which key the yellow threshold was set with, for the message (workflow.config.yellow_days has
    already checked that all that are set agree)."""
    for where, key in (
        ("lights", "yellow_days"),
        ("report", "yellow_days"),
        ("reminders.deadline", "warning_days"),
    ):
        table: Any = config
        for part in where.split("."):
            table = table.get(part, {}) if isinstance(table, dict) else {}
        if isinstance(table, dict) and key in table:
            return f"[{where}] {key}"
    return None
