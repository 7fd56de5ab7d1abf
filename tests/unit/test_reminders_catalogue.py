"""The rule catalogue is the one definition of a reminder rule: the settings, the words, `remind rules` and
the CLI all take their rules from it, and its rows agree with themselves."""

from __future__ import annotations

import itertools
from datetime import timedelta

import click
import pytest

from cli import cli
from workflow import clock
from workflow.reminders import text
from workflow.reminders.catalogue import AUDIENCE_LABELS, DEFAULT_WEBHOOK_RULES, RULES, Rule
from workflow.reminders.due import Firing
from workflow.reminders.run import describe
from workflow.reminders.settings import Settings, load

NOW = clock.parse_moment("2025-02-17T10:00")


def test_remind_rules_lists_the_catalogue_in_its_order_with_every_template_filled() -> None:
    rows = describe(Settings(), NOW)
    assert [(r["rule"], r["label"]) for r in rows] == [(r.name, r.label) for r in RULES.values()]
    assert not any("{" in str(value) for row in rows for value in row.values())


def test_every_rule_has_its_words() -> None:
    for rule in RULES.values():
        assert rule.about_items != (rule.name in text.DIGEST_WORDS), rule.name
        assert rule.subject.startswith("【"), rule.name


@pytest.mark.parametrize("rule", [r for r in RULES.values() if r.about_items], ids=lambda r: r.name)
def test_an_item_rules_message_fills_its_subject_and_ask(rule: Rule) -> None:
    entry = {
        "id": 1,
        "number": "一/1",
        "title": "问题",
        "state_label": "整改中",
        "department": "甲办",
        "leader": "徐波",
        "handler": "经办人",
        "deadline": "2025-02-14",
        "days_left": -3,
        "colour": "red",
    }
    firing = Firing(rule.name, "徐波", "item:1", "2025-02-14", NOW - timedelta(hours=1), 1, entry)
    subject, body, data = text.render(
        rule.name, "徐波", [firing], load({"lights": {"yellow_days": 7}}), NOW, False
    )
    assert "{" not in subject + body and data["label"] == rule.label
    if rule.name == "deadline_warning":
        assert subject == "【黄灯预警】1 项整改事项距完成时限不足 7 天"


def test_an_item_rules_printed_recipients_are_its_audience() -> None:
    """`remind rules` shows whom each step tells; the ladder's rows say it with the words of the roles,
    and each step tells everyone the step before it told (先提醒、后预警、再督办)."""
    items = [r for r in RULES.values() if r.about_items]
    for rule in items:
        if rule.name != "escalation":
            assert rule.to == "、".join(AUDIENCE_LABELS[a] for a in rule.audience), rule.name
    ladder = [r for r in items if r.section == "deadline"]
    assert [r.name for r in ladder] == ["deadline_notice", "deadline_warning", "overdue", "escalation"]
    for before, after in itertools.pairwise(ladder):
        assert set(before.audience) <= set(after.audience), after.name
    assert RULES["escalation"].to.startswith("以上各方")


def test_every_rule_is_switched_on_by_a_table_of_the_settings() -> None:
    s = Settings()
    for rule in RULES.values():
        assert s.section(rule.section).enabled, rule.name


def test_the_group_robot_gets_the_catalogues_rules_by_default() -> None:
    hook = load({"channels": {"webhook": {"url": "http://x"}}}).webhook
    assert hook is not None and hook.rules == DEFAULT_WEBHOOK_RULES
    assert DEFAULT_WEBHOOK_RULES == ("weekly_bulletin", "overdue", "escalation")


def test_the_history_command_offers_exactly_the_catalogues_rules() -> None:
    """By name or by Chinese label (issue 10 §4: Chinese wherever a person types a value)."""
    group = cli.commands["remind"]
    assert isinstance(group, click.Group)
    option = next(p for p in group.commands["history"].params if p.name == "rule")
    labels = [rule.label for rule in RULES.values()]
    assert isinstance(option.type, click.Choice) and list(option.type.choices) == [*RULES, *labels]


def test_remind_rules_shows_each_rules_time_recipients_and_last_due_moment_as_configured() -> None:
    """Monday 2025-02-17 10:00, the weekly rules on Fridays at 16:00, two heads to escalate to, the
    group robot on, revisits off: what `remind rules` prints in 启用/时间/收件人/最近应发."""
    settings = load(
        {
            "reminders": {
                "weekly": {"weekday": "fri", "at": "16:00"},
                "deadline": {"escalate_to": ["县委书记", "县长"]},
                "revisit": {"enabled": False},
            },
            "channels": {"webhook": {"url": "http://robot.example.org/hook"}},
        }
    )
    shown = [(r["rule"], r["enabled"], r["when"], r["to"], r["last_due"]) for r in describe(settings, NOW)]
    assert shown == [
        ("weekly_dispatch", True, "每周五 16:00", "各责任部门的责任人、各责任领导", "2025-02-14 16:00"),
        ("weekly_bulletin", True, "每周五 16:00", "整改办、群机器人", "2025-02-14 16:00"),
        ("deadline_notice", True, "每天 08:30，剩 20 天", "责任人", "2025-02-17 08:30"),
        ("deadline_warning", True, "每天 08:30，剩 10 天（黄灯）", "责任人、责任领导", "2025-02-17 08:30"),
        (
            "overdue",
            True,
            "每天 08:30，逾期（红灯）",
            "责任人、责任部门、责任领导、整改办、群机器人",
            "2025-02-17 08:30",
        ),
        (
            "escalation",
            True,
            "每天 08:30，逾期 30 天",
            "以上各方及县委书记、县长、群机器人",
            "2025-02-17 08:30",
        ),
        ("revisit_due", False, "每天 09:00，销号后 90 天", "整改办", "2025-02-17 09:00"),
        ("ongoing_review", False, "每天 09:00，长期坚持事项每 90 天", "整改办", "2025-02-17 09:00"),
        ("monthly_report", True, "每月第一个工作日 09:00", "各责任领导", "2025-02-03 09:00"),
    ]


def test_remind_rules_before_the_days_first_rule_shows_the_moments_before_it() -> None:
    """The defaults (Mondays at 09:00, no robot, the office forwards escalations to the head), read at
    08:00 on a Monday: nothing of today is due yet, so each rule shows its previous moment."""
    rows = {
        r["rule"]: (r["when"], r["to"], r["last_due"]) for r in describe(Settings(), NOW - timedelta(hours=2))
    }
    assert rows["weekly_bulletin"] == ("每周一 09:00", "整改办", "2025-02-10 09:00")
    assert rows["overdue"] == (
        "每天 08:30，逾期（红灯）",
        "责任人、责任部门、责任领导、整改办",
        "2025-02-16 08:30",
    )
    assert rows["escalation"] == (
        "每天 08:30，逾期 30 天",
        "以上各方及整改办（呈领导小组组长）",
        "2025-02-16 08:30",
    )
    assert rows["revisit_due"][2] == "2025-02-16 09:00"
    assert rows["monthly_report"][2] == "2025-02-03 09:00"
