"""The [reminders] and [channels] configuration: defaults, and a clear message for every mistake."""

from __future__ import annotations

import tomllib
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest

from workflow.errors import InvalidInput
from workflow.reminders.settings import Settings, load


def toml(text: str) -> dict[str, Any]:
    return tomllib.loads(text)


def test_an_empty_configuration_gives_the_documented_defaults() -> None:
    s = load({})
    assert (s.weekly.weekday, s.weekly.at, s.weekly.stalled_days) == (0, time(9, 0), 7)
    d = s.deadline
    assert (d.notice_days, d.warning_days, d.escalate_after_days, d.at) == (20, 10, 30, time(8, 30))
    assert (s.revisit.after_days, s.revisit.ongoing_every_days) == (90, 90)
    assert s.file.enabled and s.file.dir == Path("reminders")
    assert s.smtp is None and s.webhook is None
    assert (s.outbox.max_attempts, s.outbox.backoff_seconds, s.outbox.backoff_max_seconds) == (20, 60, 3600)
    assert s == Settings()


def test_a_full_configuration_is_read_with_its_types() -> None:
    s = load(
        toml(
            """
            [reminders]
            start = 2024-10-21
            holidays = ["01-01", "2025-01-28", 2025-01-29]
            workdays = ["2025-01-26"]
            [reminders.weekly]
            weekday = "fri"
            at = 16:30:00
            [reminders.deadline]
            notice_days = 15
            warning_days = 5
            escalate_to = ["镇党委书记"]
            [channels.file]
            dir = "/srv/zhenggai/out"
            [channels.smtp]
            host = "smtp.example.org"
            port = 465
            ssl = true
            sender = "zhenggai@example.org"
            [channels.webhook]
            url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"
            format = "wecom"
            rules = ["weekly_bulletin"]
            """
        )
    )
    assert s.start == date(2024, 10, 21)
    assert s.holidays == {date(2025, 1, 28), date(2025, 1, 29)} and s.annual_holidays == {(1, 1)}
    assert (s.weekly.weekday, s.weekly.at) == (4, time(16, 30))
    assert s.deadline.escalate_to == ("镇党委书记",)
    assert s.smtp is not None and (s.smtp.port, s.smtp.ssl) == (465, True)
    assert s.webhook is not None and s.webhook.rules == ("weekly_bulletin",)
    assert "key=K" not in repr(s)  # secrets stay out of logs and tracebacks


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[reminders]\nstrat = 2024-10-21", "配置 [reminders] 中有未知项：strat"),
        ('[reminders.weekly]\nweekday = "monday"', "weekday = 'monday' 有误：应为mon、tue"),
        ('[reminders.weekly]\nat = "9点"', "应为北京时间 HH:MM"),
        (
            "[reminders.deadline]\nnotice_days = 10\nwarning_days = 10",
            "warning_days（10）应小于 notice_days（10）",
        ),
        ('[reminders.deadline]\nnotice_days = "20"', "应为 1 到 365 之间的整数"),
        ('[reminders.deadline]\nescalate_to = "书记"', "应为字符串列表"),
        ('[reminders]\nholidays = ["02-30"]', "'02-30' 不是有效日期"),
        ("[reminders.outbox]\nmax_attempts = 0", "max_attempts = 0 有误"),
        ("[channels.smtp]\nport = 25", "配置 [channels.smtp] 缺少 host"),
        ('[channels.smtp]\nhost = "h"\nssl = true\nstarttls = true', "ssl 与 starttls 只能选一个"),
        (
            '[channels.smtp]\nhost = "h"\npassword_env = "NO_SUCH_VARIABLE_X"',
            "环境变量 NO_SUCH_VARIABLE_X 未设置",
        ),
        ('[channels.webhook]\nurl = "ftp://x"', "http:// 或 https:// 开头"),
        ('[channels.webhook]\nurl = "http://x"\nformat = "slack"', "json、wecom、dingtalk 之一"),
        ('[channels.webhook]\nurl = "http://x"\nrules = ["weekly"]', "未知规则：weekly"),
        ("reminders = 3", "[reminders] 应是一个表"),
    ],
)
def test_each_mistake_names_its_key_and_what_is_expected(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        load(toml(text))
    assert message in str(caught.value)


def test_a_channel_can_be_switched_off_without_removing_its_section() -> None:
    s = load(toml('[channels.smtp]\nenabled = false\nhost = "h"\n[channels.file]\nenabled = false'))
    assert s.smtp is None and not s.file.enabled


def test_a_password_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZG_SMTP_PW", "s3cret")
    s = load(toml('[channels.smtp]\nhost = "h"\nusername = "u"\npassword_env = "ZG_SMTP_PW"'))
    assert s.smtp is not None and s.smtp.password == "s3cret"
