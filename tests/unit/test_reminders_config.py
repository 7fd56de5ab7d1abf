"""The [reminders] and [channels] configuration: defaults, and a clear message for every mistake."""

from __future__ import annotations

import re
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest

from workflow.config import yellow_days
from workflow.errors import InvalidInput
from workflow.reminders.settings import TABLES, Settings, load


def toml(text: str) -> dict[str, Any]:
    return tomllib.loads(text)


def test_an_empty_configuration_gives_the_documented_defaults() -> None:
    s = load({})
    assert (s.weekly.weekday, s.weekly.at, s.weekly.stalled_days) == (0, time(9, 0), 7)
    d = s.deadline
    assert (d.notice_days, s.yellow_days, d.escalate_after_days, d.at) == (20, 10, 30, time(8, 30))
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
    assert s.holidays == {(1, 1), date(2025, 1, 28), date(2025, 1, 29)}  # (1, 1): every 1 January
    assert s.workdays == {date(2025, 1, 26)}
    assert s.yellow_days == 5  # the older spelling of [lights] yellow_days
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
        (
            '[reminders.weekly]\nweekday = "xyz"',
            "配置 [reminders.weekly] weekday = 'xyz' 有误：应为mon、tue、wed、thu、fri、sat、sun 之一",
        ),
        (
            "[reminders.weekly]\nsunday = true",
            "配置 [reminders.weekly] 中有未知项：sunday（可用：enabled、weekday、at、stalled_days、upcoming_days）",
        ),
        ('[reminders.weekly]\nenabled = "no"', "enabled = 'no' 有误：应为 true 或 false"),
        ("[reminders.weekly]\nstalled_days = true", "stalled_days = True 有误：应为 1 到 365 之间的整数"),
        ('[reminders]\nworkdays = ["01-26"]', "workdays 中的 '01-26' 不是有效日期（应为 YYYY-MM-DD）"),
        ('[reminders]\nholidays = "01-01"', "holidays = '01-01' 有误：应为日期列表"),
        ('[reminders]\nstart = "明天"', "start = '明天' 有误：应为日期 YYYY-MM-DD"),
        ("[reminders]\nweekly = 1", "配置项 [reminders.weekly] 应是一个表（table）"),
        ('[channels]\nfile = "out"', "配置项 [channels.file] 应是一个表（table）"),
        ('[channels.smtp]\nhost = "h"\nsender = "nobody"', "sender = 'nobody' 有误：应为发件人邮箱地址"),
        ('[channels.smtp]\nhost = "h"\ntimeout = 0', "timeout = 0 有误：应为大于 0 的数"),
        ('[channels.webhook]\nformat = "wecom"', "配置 [channels.webhook] 缺少 url"),
        (
            '[channels.webhook]\nurl = "http://x"\nsecret_env = "NO_SUCH_VARIABLE_Y"',
            "配置 [channels.webhook] secret_env：环境变量 NO_SUCH_VARIABLE_Y 未设置",
        ),
        # The yellow warning's days are the one yellow threshold: the message names the key set.
        (
            "[lights]\nyellow_days = 25",
            "配置 [lights] yellow_days（25）应小于 [reminders.deadline] notice_days（20）",
        ),
        (
            "[report]\nyellow_days = 20",
            "配置 [report] yellow_days（20）应小于 [reminders.deadline] notice_days（20）",
        ),
        (
            "[reminders.deadline]\nnotice_days = 5",
            "黄灯天数（[lights] yellow_days，默认 10）应小于 [reminders.deadline] notice_days（5）",
        ),
        ('[reminders.deadline]\nwarning_days = "10"', "warning_days = '10' 有误：应为 0 到 365 之间的整数"),
        ("[lights]\nyellow_days = 5\n[reminders.deadline]\nwarning_days = 6", "黄灯天数设置不一致"),
        ("[report]\nrate_precision = 9", "rate_precision 应为 0 到 4 之间的整数"),
    ],
)
def test_each_mistake_names_its_key_and_what_is_expected(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)) as caught:
        load(toml(text))
    assert message in str(caught.value)


def test_a_channel_can_be_switched_off_without_removing_its_section() -> None:
    s = load(toml('[channels.smtp]\nenabled = false\nhost = "h"\n[channels.file]\nenabled = false'))
    assert s.smtp is None and not s.file.enabled


def test_a_password_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZG_SMTP_PW", " s3cret ")
    s = load(toml('[channels.smtp]\nhost = "h"\nusername = "u"\npassword_env = "ZG_SMTP_PW"'))
    assert s.smtp is not None and s.smtp.password == " s3cret "  # a secret is used as given
    monkeypatch.setenv("ZG_SMTP_PW", "")
    with pytest.raises(InvalidInput, match="password_env：环境变量 ZG_SMTP_PW 为空"):
        load(toml('[channels.smtp]\nhost = "h"\nusername = "u"\npassword_env = "ZG_SMTP_PW"'))


def test_every_mistake_of_a_file_is_listed_with_the_unknown_keys_first() -> None:
    with pytest.raises(InvalidInput, match=re.escape("配置 [reminders] 中有未知项：strat")) as caught:
        load(toml('[reminders]\nstrat = 1\n[reminders.weekly]\nat = "9点"\n[reminders.outbox]\nbatch = 0'))
    assert str(caught.value).splitlines() == [
        "配置 [reminders] 中有未知项：strat（可用：start、holidays、workdays、max_items_per_message、"
        "weekly、deadline、revisit、monthly、outbox、scheduler）",
        "配置 [reminders.weekly] at = '9点' 有误：应为北京时间 HH:MM，如 \"09:00\"",
        "配置 [reminders.outbox] batch = 0 有误：应为 1 到 100000 之间的整数",
    ]


def test_every_key_of_every_table_words_its_own_mistake() -> None:
    """No key falls through to pydantic's English: each says what it expects, in Chinese."""
    needed: dict[tuple[str, ...], dict[str, str]] = {
        ("channels", "smtp"): {"host": "h"},
        ("channels", "webhook"): {"url": "http://x"},
    }
    checked = 0
    for path, model in TABLES.items():
        for key in model.model_fields:
            if (*path, key) in TABLES:
                continue  # a table of its own, checked as such
            table: dict[str, Any] = {**needed.get(path, {}), key: {"wrong": 1}}
            config: dict[str, Any] = table
            for part in reversed(path):
                config = {part: config}
            with pytest.raises(InvalidInput, match=re.escape(f"配置 [{'.'.join(path)}] {key} = ")) as caught:
                load(config)
            assert str(caught.value).startswith(f"配置 [{'.'.join(path)}] {key} = {{'wrong': 1}} 有误：应为")
            checked += 1
    assert checked == 47  # [channels.web] enabled is the 47th


def test_a_switched_off_channel_checks_only_the_names_of_its_keys() -> None:
    s = load(toml('[channels.smtp]\nenabled = false\nport = "later"\n[channels.webhook]\nenabled = false'))
    assert s.smtp is None and s.webhook is None
    with pytest.raises(InvalidInput, match=r"配置 \[channels.smtp\] 中有未知项：prot"):
        load(toml("[channels.smtp]\nenabled = false\nprot = 25"))


def test_an_empty_channel_table_leaves_the_channel_off() -> None:
    assert load(toml("[channels.smtp]\n[channels.webhook]")).webhook is None


def test_a_webhook_secret_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZG_DING", "SEC")
    s = load(toml('[channels.webhook]\nurl = "https://x"\nformat = "dingtalk"\nsecret_env = "ZG_DING"'))
    assert s.webhook is not None and s.webhook.secret == "SEC" and "SEC" not in repr(s)


@pytest.mark.parametrize(
    "text",
    ["[lights]\nyellow_days = 5", "[report]\nyellow_days = 5", "[reminders.deadline]\nwarning_days = 5"],
)
def test_the_yellow_warning_follows_the_one_yellow_setting(text: str) -> None:
    assert load(toml(text)).yellow_days == 5
    assert load(toml(text)).yellow_days == yellow_days(toml(text))


def test_the_monthly_reports_rate_takes_the_reports_precision() -> None:
    assert load(toml("[report]\nrate_precision = 2")).rate_precision == 2
    assert load({}).rate_precision == 0
