"""The rules against a real database with the clock set by the test: who is told what, and only once."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.backends import BACKEND, fresh_url
from tests.reminders_fixtures import (
    DEPT,
    HANDLER,
    IMPORTED_AT,
    LEADER,
    OFFICE,
    at,
    fire,
    firings,
    import_items,
    item_spec,
    keys,
    make_settings,
    message_count,
    out_dir,
    outbox_rows,
    rem_engine,
    rem_seeded,
    run,
    start,
    table_count,
)
from workflow import db
from workflow.db.tables.reminders import FIRING
from workflow.errors import InvalidInput, NotInitialised
from workflow.items import actions
from workflow.reminders import run as reminders_run

__all__ = ["out_dir", "rem_engine", "rem_seeded"]  # fixtures used by name

HEAD = "镇党委书记"
SECOND_HANDLER = "规划办副主任"
PEOPLE = [
    {"name": OFFICE, "roles": ["office"], "department": "整改办"},
    {"name": LEADER, "roles": ["leader"], "department": "镇人大"},
    {"name": HANDLER, "roles": ["handler"], "department": DEPT, "email": "handler@example.org"},
    {"name": SECOND_HANDLER, "roles": ["handler"], "department": DEPT},
    {"name": HEAD, "roles": ["leader"], "department": "镇党委"},
]


def who_got(engine: sa.Engine, rule: str, scope: str | None = None) -> set[str]:
    return {f["recipient"] for f in firings(engine) if f["rule"] == rule and scope in (None, f["scope"])}


@pytest.fixture
def one_item(rem_engine: sa.Engine) -> sa.Engine:
    """One item, deadline 2024-12-31, in progress since 2024-10-21, with a second handler in its dept."""
    import_items(rem_engine, [item_spec("1", "2024-12-31")], people=PEOPLE)
    start(rem_engine, 1)
    return rem_engine


def quiet(**deadline: Any) -> dict[str, Any]:
    """Only the deadline ladder (weekly and monthly off), so each test sees just what it checks."""
    return {
        "weekly": {"enabled": False},
        "monthly": {"enabled": False},
        "revisit": {"enabled": False},
        "deadline": deadline,
    }


def test_the_deadline_ladder_tells_more_people_at_each_step(one_item: sa.Engine, out_dir: Path) -> None:
    settings = make_settings(out_dir, **quiet(escalate_to=[HEAD]))
    steps = {
        "2024-12-10T09:00": set(),  # 21 days left: nothing yet
        "2024-12-11T09:00": {("deadline_notice", HANDLER)},
        "2024-12-21T09:00": {("deadline_warning", HANDLER), ("deadline_warning", LEADER)},
        "2024-12-31T09:00": set(),  # due today: still yellow
        "2025-01-01T09:00": {("overdue", n) for n in (HANDLER, SECOND_HANDLER, LEADER, OFFICE)},
        "2025-01-30T09:00": {("escalation", n) for n in (HANDLER, SECOND_HANDLER, LEADER, OFFICE, HEAD)},
    }
    for when, want in steps.items():
        got = {(f.rule, f.recipient) for f in run(one_item, settings, when).firings}
        assert got == want, when


def test_the_yellow_warning_goes_out_the_day_the_light_turns_yellow(
    one_item: sa.Engine, out_dir: Path
) -> None:
    """One yellow threshold: [lights] yellow_days moves the 黄灯预警 with the board's colour."""
    settings = make_settings(out_dir, **quiet(), lights={"yellow_days": 5})
    assert [f.rule for f in run(one_item, settings, "2024-12-11T09:00").firings] == ["deadline_notice"]
    assert run(one_item, settings, "2024-12-21T09:00").firings == []  # 10 days left: still green
    warned = run(one_item, settings, "2024-12-26T09:00")
    assert {(f.rule, f.recipient) for f in warned.firings} == {
        ("deadline_warning", HANDLER),
        ("deadline_warning", LEADER),
    }
    message = warned.messages[0]
    assert message.subject == "【黄灯预警】1 项整改事项距完成时限不足 5 天"
    assert "🟡黄灯" in message.body and message.data["items"][0]["colour"] == "yellow"


def test_a_day_before_the_daily_time_counts_as_the_day_before(one_item: sa.Engine, out_dir: Path) -> None:
    settings = make_settings(out_dir, **quiet(at="08:30"))
    assert run(one_item, settings, "2024-12-11T08:00").firings == []  # 12-10 as far as the rule knows
    assert [f.rule for f in run(one_item, settings, "2024-12-11T08:30").firings] == ["deadline_notice"]


def test_downtime_is_caught_up_once_with_the_loudest_step_due(one_item: sa.Engine, out_dir: Path) -> None:
    settings = make_settings(out_dir, **quiet())
    # Down from before the 20-day notice until 5 days before the deadline.
    first = run(one_item, settings, "2024-12-26T11:00")
    assert {(f.rule, f.recipient) for f in first.firings} == {
        ("deadline_warning", HANDLER),
        ("deadline_warning", LEADER),
    }
    assert all(m.late for m in first.messages)  # due at 08:30, sent at 11:00: marked 补发
    assert "补发" in first.messages[0].body
    assert run(one_item, settings, "2024-12-26T11:05").firings == []
    assert run(one_item, settings, "2024-12-27T09:00").firings == []


def test_an_extended_item_is_judged_by_its_new_deadline(one_item: sa.Engine, out_dir: Path) -> None:
    settings = make_settings(out_dir, **quiet())
    run(one_item, settings, "2024-12-21T09:00")  # yellow for 2024-12-31
    with db.unit_of_work(one_item) as conn:
        actions.extend(
            conn,
            1,
            HANDLER,
            at("2024-12-22T10:00"),
            new_deadline=at("2025-01-31T12:00").date(),
            reason="需补办手续",
            approved_by=LEADER,
        )
    assert run(one_item, settings, "2025-01-01T09:00").firings == []  # not overdue any more
    again = run(one_item, settings, "2025-01-21T09:00").firings
    assert {(f.rule, f.period) for f in again} == {("deadline_warning", "2025-01-31")}


def test_an_item_awaiting_sign_off_is_not_chased_by_deadline_warnings(
    one_item: sa.Engine, out_dir: Path
) -> None:
    settings = make_settings(out_dir, **quiet())
    with db.unit_of_work(one_item) as conn:
        actions.complete_measure(conn, 1, 1, HANDLER, at("2024-12-01T10:00"))
        actions.attach_evidence(conn, 1, HANDLER, at("2024-12-01T10:00"), kind="批文", ref="测〔2024〕1号")
    fire(one_item, 1, "submit", HANDLER, "2024-12-01T11:00", summary="已完成")
    assert run(one_item, settings, "2024-12-21T09:00").firings == []
    assert run(one_item, settings, "2025-01-05T09:00").firings == []


def test_a_person_without_email_still_gets_the_file_and_one_with_email_also_gets_mail(
    one_item: sa.Engine, out_dir: Path
) -> None:
    settings = make_settings(out_dir, **quiet(), channels={"smtp": {"host": "127.0.0.1", "port": 2525}})
    result = run(one_item, settings, "2025-01-01T09:00")
    channels = {m.recipient: sorted(c for c, _ in m.channels) for m in result.messages}
    assert channels[HANDLER] == ["file", "smtp"]
    assert channels[SECOND_HANDLER] == ["file"]
    assert channels[LEADER] == ["file"]
    smtp = [r for r in outbox_rows(one_item) if r.channel == "smtp"]
    assert [r.address for r in smtp] == ["handler@example.org"]


def test_a_department_nobody_is_registered_for_gets_its_reminders_as_a_file(
    rem_engine: sa.Engine, out_dir: Path
) -> None:
    import_items(
        rem_engine, [item_spec("1", "2024-12-31", department="无人部门", handler=None)], people=PEOPLE
    )
    fire(rem_engine, 1, "assign", OFFICE, "2024-10-21T10:00")
    settings = make_settings(out_dir, **quiet())
    result = run(rem_engine, settings, "2024-12-11T09:00")
    assert [(f.rule, f.recipient) for f in result.firings] == [("deadline_notice", "dept:无人部门")]
    assert result.messages[0].channels == [("file", "dept:无人部门")]


def test_the_weekly_dispatch_goes_to_each_department_and_leader_once_a_week(
    rem_seeded: sa.Engine, out_dir: Path
) -> None:
    settings = make_settings(out_dir, deadline={"enabled": False}, monthly={"enabled": False})
    for n in (1, 2, 3):
        start(rem_seeded, n)
    monday = run(rem_seeded, settings, "2024-10-28T09:00")
    assert {(f.rule, f.recipient, f.scope) for f in monday.firings} == {
        ("weekly_dispatch", HANDLER, f"dept:{DEPT}"),
        ("weekly_dispatch", LEADER, f"leader:{LEADER}"),
        ("weekly_bulletin", OFFICE, "all"),
    }
    dispatch = next(m for m in monday.messages if m.recipient == HANDLER)
    assert "在办事项 3 项（整改中 3）" in dispatch.body
    assert "停滞 3 项" in dispatch.body  # no progress entry since 10-21
    for when in ("2024-10-28T18:00", "2024-10-31T09:00", "2024-11-03T23:59"):
        assert run(rem_seeded, settings, when).firings == []
    assert {f.period for f in run(rem_seeded, settings, "2024-11-04T09:00").firings} == {"2024-W45"}


def test_a_week_of_downtime_sends_that_weeks_dispatch_once_marked_as_caught_up(
    rem_seeded: sa.Engine, out_dir: Path
) -> None:
    settings = make_settings(out_dir, deadline={"enabled": False}, monthly={"enabled": False})
    start(rem_seeded, 1)
    run(rem_seeded, settings, "2024-10-21T09:00")
    # Down from Monday 10-28 08:00 to Thursday 10-31: the W44 dispatch is sent once, late.
    late = run(rem_seeded, settings, "2024-10-31T14:00")
    assert {f.period for f in late.firings} == {"2024-W44"}
    assert all(m.late for m in late.messages)
    # Down for three whole weeks: one dispatch for the current week, not three stale ones.
    gap = run(rem_seeded, settings, "2024-11-20T09:00")
    assert {f.period for f in gap.firings} == {"2024-W47"}
    assert len([f for f in firings(rem_seeded) if f["rule"] == "weekly_bulletin"]) == 3


def test_the_weekly_bulletin_ranks_departments_by_overdue_then_stalled(
    rem_engine: sa.Engine, out_dir: Path
) -> None:
    items = [
        item_spec("1", "2024-11-01", department="甲办"),
        item_spec("2", "2024-12-31", department="乙办"),
        item_spec("3", "2024-11-01", department="丙办"),
        item_spec("4", "2024-11-02", department="丙办"),
    ]
    import_items(rem_engine, items, people=PEOPLE)
    for n in (1, 2, 3, 4):
        start(rem_engine, n)
    with db.unit_of_work(rem_engine) as conn:
        actions.add_progress(
            conn, 1, OFFICE, at("2024-11-10T10:00"), on=at("2024-11-10T10:00").date(), text="推进"
        )
    settings = make_settings(out_dir, deadline={"enabled": False}, monthly={"enabled": False})
    result = run(rem_engine, settings, "2024-11-11T09:00")
    bulletin = next(m for m in result.messages if m.rule == "weekly_bulletin")
    ranking = [r["department"] for r in bulletin.data["bulletin"]["ranking"]]
    assert ranking == ["丙办", "甲办", "乙办"]  # 2 overdue; 1 overdue (not stalled); 0 overdue
    assert "丙办（逾期 2 项、停滞 2 项）" in bulletin.body
    assert "乙办（逾期 0 项、停滞 1 项）" in bulletin.body


def test_a_closed_item_comes_back_for_its_revisit_unless_the_office_already_went(
    rem_seeded: sa.Engine, out_dir: Path
) -> None:
    from tests.reminders_fixtures import seed_events
    from workflow import demo

    demo.replay(rem_seeded, seed_events())  # 一/1 signed off 2024-11-29, 一/2 on 2024-12-27
    fire(rem_seeded, 2, "revisit", OFFICE, "2025-02-01T10:00")
    fire(rem_seeded, 2, "confirm", OFFICE, "2025-02-02T10:00", finding="整改成效巩固")
    settings = make_settings(
        out_dir, weekly={"enabled": False}, monthly={"enabled": False}, deadline={"enabled": False}
    )
    assert run(rem_seeded, settings, "2025-02-26T09:00").firings == []
    due = run(rem_seeded, settings, "2025-02-27T09:00")
    assert [(f.rule, f.recipient, f.item_id) for f in due.firings] == [("revisit_due", OFFICE, 1)]
    assert "销号日期：2024-11-29（已 90 天）" in due.messages[0].body
    assert run(rem_seeded, settings, "2025-03-28T09:00").firings == []  # 一/2 was revisited already


def test_an_ongoing_item_is_blue_and_reviewed_every_period_instead_of_warned(
    rem_engine: sa.Engine, out_dir: Path
) -> None:
    import_items(rem_engine, [item_spec("1", "长期坚持")], people=PEOPLE)
    start(rem_engine, 1)
    settings = make_settings(out_dir, weekly={"enabled": False}, monthly={"enabled": False})
    assert run(rem_engine, settings, "2025-01-11T09:00").firings == []  # 89 days after it was recorded
    first = run(rem_engine, settings, "2025-01-12T09:00")
    assert [(f.rule, f.recipient, f.period) for f in first.firings] == [
        ("ongoing_review", OFFICE, "2025-01-12")
    ]
    assert "🔵蓝灯" in first.messages[0].body
    assert run(rem_engine, settings, "2025-03-01T09:00").firings == []
    assert [f.period for f in run(rem_engine, settings, "2025-04-12T09:00").firings] == ["2025-04-12"]


def test_the_monthly_report_goes_to_leaders_on_the_first_working_day(
    rem_seeded: sa.Engine, out_dir: Path
) -> None:
    settings = make_settings(
        out_dir,
        weekly={"enabled": False},
        deadline={"enabled": False},
        top={"holidays": ["01-01", "2025-01-02"], "workdays": []},
    )
    assert {f.period for f in run(rem_seeded, settings, "2024-12-02T09:00").firings} == {"2024-12"}
    assert run(rem_seeded, settings, "2024-12-31T09:00").firings == []
    assert run(rem_seeded, settings, "2025-01-02T09:00").firings == []
    jan = run(rem_seeded, settings, "2025-01-03T09:00")  # … January's on the 3rd: 1st and 2nd are holidays
    assert {(f.recipient, f.period) for f in jan.firings} == {(LEADER, "2025-01"), ("杨公平", "2025-01")}
    report = next(m for m in jan.messages if m.recipient == LEADER)
    assert "共反馈问题 3 个" in report.body and "您分管的在办事项（3）" in report.body


def test_the_monthly_report_prints_the_rate_with_the_reports_precision(
    rem_seeded: sa.Engine, out_dir: Path
) -> None:
    settings = make_settings(
        out_dir, weekly={"enabled": False}, deadline={"enabled": False}, report={"rate_precision": 2}
    )
    report = run(rem_seeded, settings, "2024-12-02T09:00").messages[0]
    assert "整改完成率 0.00%" in report.body


def test_a_dry_run_shows_what_is_due_and_records_nothing(one_item: sa.Engine, out_dir: Path) -> None:
    settings = make_settings(out_dir, **quiet())
    with db.reading(one_item) as conn:
        preview = reminders_run.run(conn, settings, at("2025-01-01T09:00"), dry_run=True)
    assert len(preview.firings) == 4 and len(preview.messages) == 4
    assert table_count(one_item, FIRING) == 0 and message_count(one_item) == 0
    real = run(one_item, settings, "2025-01-01T09:00")
    assert sorted(f.key for f in real.firings) == sorted(f.key for f in preview.firings)


def test_a_key_another_process_recorded_first_gets_no_second_message(
    one_item: sa.Engine, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(out_dir, **quiet())
    planned = reminders_run.plan
    with db.reading(one_item) as conn:
        stale = planned(conn, settings, at("2025-01-01T09:00"))  # what a racing process saw
    run(one_item, settings, "2025-01-01T09:00")  # … and another process recorded meanwhile
    monkeypatch.setattr(reminders_run, "plan", lambda *a, **k: stale)
    again = run(one_item, settings, "2025-01-01T09:00")
    assert again.firings == [] and again.messages == []
    assert len(keys(one_item)) == len(set(keys(one_item))) == 4


@pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite serialises writers; PostgreSQL can interleave")
def test_two_runs_interleaved_on_postgresql_tell_each_person_once(one_item: sa.Engine, out_dir: Path) -> None:
    """A real interleaving, without the chain lock that normally orders writers: both runs plan the same
    four firings (neither sees the other's uncommitted rows), the second's insert waits on the first's
    keys, and when the first commits, ON CONFLICT DO NOTHING leaves the second nothing to send."""
    settings, now = make_settings(out_dir, **quiet()), at("2025-01-01T09:00")
    first = one_item.connect().execution_options(zhenggai_write=False)
    second = one_item.connect().execution_options(zhenggai_write=False)
    waiting_pid = second.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    second.commit()
    results: dict[str, reminders_run.RunResult] = {}

    def other() -> None:
        with second.begin():
            results["second"] = reminders_run.run(second, settings, now)

    try:
        with first.begin():
            results["first"] = reminders_run.run(first, settings, now)
            thread = threading.Thread(target=other)
            thread.start()
            with one_item.connect().execution_options(isolation_level="AUTOCOMMIT") as probe:
                blocked = "SELECT count(*) FROM pg_locks WHERE pid = %(pid)s AND NOT granted"
                while thread.is_alive() and not probe.exec_driver_sql(blocked, {"pid": waiting_pid}).scalar():
                    time.sleep(0.01)  # polling for the lock wait, not timing anything
            assert thread.is_alive(), "the second run did not wait for the first one's keys"
        thread.join(120)
    finally:
        first.close()
        second.close()
    assert len(results["first"].firings) == 4 and len(results["first"].messages) == 4
    assert (results["second"].firings, results["second"].messages) == ([], [])
    assert len(keys(one_item)) == len(set(keys(one_item))) == 4
    assert message_count(one_item) == 4


def test_an_unknown_escalation_recipient_is_a_clear_error(one_item: sa.Engine, out_dir: Path) -> None:
    settings = make_settings(out_dir, **quiet(escalate_to=["不存在的人"]))
    with pytest.raises(InvalidInput, match="escalate_to 中的人员不存在：不存在的人"):
        run(one_item, settings, "2025-01-01T09:00")


def test_a_database_from_before_the_reminder_tables_asks_for_init(tmp_path: Path, out_dir: Path) -> None:
    engine = db.make_engine(fresh_url(tmp_path, "old.db"))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE meta (key TEXT, value TEXT)")
    with pytest.raises(NotInitialised, match="zhenggai init"), db.unit_of_work(engine) as conn:
        reminders_run.run(conn, make_settings(out_dir), at("2025-01-01T09:00"))


def test_nothing_is_due_before_anything_was_recorded(rem_engine: sa.Engine, out_dir: Path) -> None:
    assert run(rem_engine, make_settings(out_dir), IMPORTED_AT).firings == []


def test_the_group_robot_gets_the_bulletin_and_the_red_warnings_by_default(
    one_item: sa.Engine, out_dir: Path
) -> None:
    hook = {"webhook": {"url": "http://127.0.0.1:9/hook"}}
    settings = make_settings(out_dir, monthly={"enabled": False}, channels=hook)
    run(one_item, settings, "2024-12-21T09:00")  # yellow: not for the group
    run(one_item, settings, "2025-01-06T09:00")  # a Monday, and overdue
    assert {f["rule"] for f in firings(one_item) if f["recipient"] == "webhook"} == {
        "weekly_bulletin",
        "overdue",
    }
    assert {r.channel for r in outbox_rows(one_item) if r.address == "webhook"} == {"webhook"}
