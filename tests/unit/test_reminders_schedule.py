"""Schedules, the deadline ladder, working days, backoff and the words of a message — no database."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from states.colours import Colour, colour
from states.lifecycle import State
from workflow import clock
from workflow.reminders import channels, outbox
from workflow.reminders import text as reminder_text
from workflow.reminders.deadlines import deadline_stage
from workflow.reminders.due import Firing
from workflow.reminders.schedule import (
    first_workday,
    iso_week,
    latest_daily,
    latest_monthly,
    latest_weekly,
)
from workflow.reminders.scheduler import SteppingClock, triggers
from workflow.reminders.settings import Settings, load


def local(text: str) -> datetime:
    return clock.parse_moment(text)


@pytest.mark.parametrize(
    ("now", "due"),
    [
        ("2024-10-21T09:00", "2024-10-21T09:00"),  # Monday at the minute: due now
        ("2024-10-21T08:59", "2024-10-14T09:00"),  # a minute early: last week's
        ("2024-10-27T23:59", "2024-10-21T09:00"),  # Sunday night
        ("2024-10-24T12:00", "2024-10-21T09:00"),
    ],
)
def test_the_weekly_rule_looks_back_to_the_latest_monday_nine_oclock(now: str, due: str) -> None:
    assert latest_weekly(local(now), 0, time(9, 0)) == local(due)


def test_local_nine_oclock_is_one_in_the_morning_utc() -> None:
    assert latest_daily(local("2024-12-11T10:00"), time(9)).isoformat() == "2024-12-11T01:00:00+00:00"
    assert latest_daily(local("2024-12-11T08:00"), time(9)) == local("2024-12-10T09:00")


def test_the_first_working_day_skips_weekends_holidays_and_honours_make_up_days() -> None:
    s = Settings()
    assert first_workday(2024, 12, s) == date(2024, 12, 2)  # the 1st is a Sunday
    assert first_workday(2025, 1, s) == date(2025, 1, 2)  # 元旦
    assert first_workday(2024, 10, s) == date(2024, 10, 4)  # 国庆 1–3 by default
    spring = load(
        {"reminders": {"holidays": [f"2025-02-0{d}" for d in range(1, 5)], "workdays": ["2025-02-08"]}}
    )
    assert first_workday(2025, 2, spring) == date(2025, 2, 5)
    assert spring.is_workday(date(2025, 2, 8))  # a Saturday worked in exchange (调休)


def test_the_monthly_rule_before_its_day_looks_back_to_last_month() -> None:
    s = Settings()
    assert latest_monthly(local("2025-01-02T09:00"), time(9), s) == local("2025-01-02T09:00")
    assert latest_monthly(local("2025-01-02T08:00"), time(9), s) == local("2024-12-02T09:00")
    assert latest_monthly(local("2025-01-01T12:00"), time(9), s) == local("2024-12-02T09:00")


def test_iso_weeks_straddle_the_new_year() -> None:
    assert iso_week(date(2024, 12, 30)) == "2025-W01"
    assert iso_week(date(2024, 10, 21)) == "2024-W43"


@pytest.mark.parametrize(
    ("left", "stage"),
    [
        (21, None),
        (20, "deadline_notice"),
        (11, "deadline_notice"),
        (10, "deadline_warning"),
        (0, "deadline_warning"),
        (-1, "overdue"),
        (-29, "overdue"),
        (-30, "escalation"),
        (-400, "escalation"),
    ],
)
def test_the_deadline_ladder(left: int, stage: str | None) -> None:
    today = date(2025, 1, 1)
    assert deadline_stage(State.in_progress, "date", today + timedelta(days=left), today, Settings()) == stage


@pytest.mark.parametrize(
    ("left", "stage"), [(6, "deadline_notice"), (5, "deadline_warning"), (0, "deadline_warning")]
)
def test_the_yellow_step_starts_on_the_day_the_light_turns_yellow(left: int, stage: str) -> None:
    today = date(2025, 1, 1)
    settings = load({"lights": {"yellow_days": 5}})
    deadline = today + timedelta(days=left)
    assert deadline_stage(State.assigned, "date", deadline, today, settings) == stage
    light = colour(State.assigned, "date", deadline, today, settings.yellow_days)
    assert (light is Colour.yellow) == (stage == "deadline_warning")


@pytest.mark.parametrize(
    ("state", "kind"),
    [
        (State.submitted, "date"),  # waits for its sign-off
        (State.closed, "date"),
        (State.revisited, "date"),
        (State.in_progress, "ongoing"),  # 长期坚持: reviewed instead
    ],
)
def test_the_ladder_chases_only_open_work_with_a_date(state: State, kind: str) -> None:
    today = date(2025, 1, 1)
    for left in (-40, -1, 0, 5, 20):
        assert deadline_stage(state, kind, today + timedelta(days=left), today, Settings()) is None
    # 立行立改 without a date has none to miss; with one (the end of the concentrated period) it is chased.
    assert deadline_stage(State.in_progress, "immediate", None, today, Settings()) is None
    late = today - timedelta(days=3 * 365)
    assert deadline_stage(State.in_progress, "immediate", late, today, Settings()) == "escalation"
    assert colour(State.in_progress, "immediate", late, today) is Colour.red


def test_backoff_doubles_up_to_the_cap() -> None:
    s = load({"reminders": {"outbox": {"backoff_seconds": 60, "backoff_max_seconds": 600}}})
    assert [outbox.backoff(n, s).total_seconds() for n in range(1, 7)] == [60, 120, 240, 480, 600, 600]


def test_the_stepping_clock_walks_from_start_to_until() -> None:
    tick = SteppingClock(local("2024-10-21T09:00"), timedelta(days=1), local("2024-10-23T09:00"))
    assert [tick() for _ in range(4)] == [
        local("2024-10-21T09:00"),
        local("2024-10-22T09:00"),
        local("2024-10-23T09:00"),
        None,
    ]


def test_the_scheduler_wakes_at_the_configured_local_times() -> None:
    now = local("2024-10-20T12:00")  # a Sunday
    fires = sorted(t.get_next_fire_time(None, now) for t in triggers(Settings()))
    assert [clock.show(f) for f in fires] == [
        "2024-10-21 08:30",  # deadline ladder, daily
        "2024-10-21 09:00",  # weekly dispatch (Monday)
        "2024-10-21 09:00",  # revisits, daily
        "2024-11-01 09:00",  # the monthly report wakes on days 1–15 and picks the first working day
    ]


def item(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": 3,
        "number": "一/3",
        "title": "违规改变用地用途",
        "state_label": "整改中",
        "department": "村镇规划建设办公室",
        "leader": "徐波",
        "handler": "规划办经办人",
        "deadline": "2025-02-14",
        "days_left": -3,
        "colour": Colour.red.value,
    }
    return {**base, **over}


def test_an_item_line_says_colour_state_people_and_days() -> None:
    line = reminder_text.item_line(item())
    assert line.startswith("- 🔴红灯 一/3 违规改变用地用途（整改中）")
    assert "责任领导：徐波；责任人：规划办经办人；完成时限：2025-02-14，已逾期 3 天" in line
    assert "（zhenggai item show 3）" in line
    assert reminder_text.item_line(item(days_left=0), detail=False).endswith("今天到期")


def test_a_long_list_is_cut_with_a_count_of_the_rest() -> None:
    lines = reminder_text.item_list([item(id=n) for n in range(5)], limit=2)
    assert len(lines) == 3 and lines[-1] == "- ……另有 3 项，请用 zhenggai item list 查看"


def test_a_late_message_says_it_is_a_catch_up() -> None:
    due = local("2025-02-17T09:00")
    firing = Firing("overdue", "徐波", "item:3", "2025-02-14", due, 3, item())
    subject, body, data = reminder_text.render(
        "overdue", "徐波", [firing], Settings(), due + timedelta(days=2), True
    )
    assert subject == "【红灯逾期】1 项整改事项已超过完成时限"
    assert body.startswith(f"# {subject}\n\n徐波：\n")
    assert "补发：本提醒原定 2025-02-17 09:00 发出" in body
    assert data["items"][0]["number"] == "一/3" and data["late"] is True


def test_a_wecom_message_is_cut_to_what_the_robot_accepts() -> None:
    hook = load({"channels": {"webhook": {"url": "http://x", "format": "wecom"}}}).webhook
    assert hook is not None
    d = channels.Delivery(
        1,
        "k" * 32,
        "webhook",
        "webhook",
        0,
        "overdue",
        "webhook",
        "主题",
        "长" * 5000,
        "{}",
        local("2025-01-01"),
    )
    content = channels.webhook_body(hook, d)["markdown"]["content"]
    assert len(content.encode()) <= 4000 and content.endswith("zhenggai outbox show）")


def test_a_file_name_never_escapes_its_folder() -> None:
    d = channels.Delivery(
        1, "a" * 32, "file", "x", 0, "overdue", "dept:../../etc/办", "s", "b", "{}", local("2025-01-01")
    )
    path = channels.file_path(Path("/out"), d)
    assert path.parent.parent == Path("/out") and path.name == "2025-01-01-红灯逾期-aaaaaaaaaaaa.md"
