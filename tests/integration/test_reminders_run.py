"""Recording a reminder run (workflow/reminders/run.py): the result when nothing is due (also of a dry
run), the channels when the file channel is off or the web inbox on, the stored message as a mail or the
group robot reads it, the 补发 (late) mark on both sides of its one-hour line, and `remind history`.
Written against the mutants `make mutate TARGETS=reminders` found alive (docs/mutation.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.integration.test_reminders_rules import HEAD, PEOPLE, SECOND_HANDLER, quiet
from tests.reminders_fixtures import (
    HANDLER,
    IMPORTED_AT,
    at,
    import_items,
    item_spec,
    make_settings,
    out_dir,
    outbox_rows,
    rem_engine,
    run,
    start,
)
from workflow import clock, db
from workflow.db.tables.reminders import MESSAGE, OUTBOX
from workflow.errors import InvalidInput
from workflow.reminders import inbox, text
from workflow.reminders import run as reminders_run
from workflow.reminders.catalogue import RULES, label

__all__ = ["out_dir", "rem_engine"]  # fixtures used by name


@pytest.fixture
def one_item(rem_engine: sa.Engine) -> sa.Engine:
    import_items(rem_engine, [item_spec("1", "2024-12-31")], people=PEOPLE)
    start(rem_engine, 1)
    return rem_engine


def test_a_run_with_nothing_due_returns_its_moment_and_empty_lists(
    rem_engine: sa.Engine, out_dir: Path
) -> None:
    result = run(rem_engine, make_settings(out_dir), IMPORTED_AT)
    assert (result.now, result.firings, result.messages, result.dry_run, result.notes) == (
        at(IMPORTED_AT),
        [],
        [],
        False,
        [],
    )


def test_with_the_file_channel_off_only_mail_is_queued_and_the_rest_is_noted(
    one_item: sa.Engine, out_dir: Path
) -> None:
    channels = {"file": {"dir": str(out_dir), "enabled": False}, "smtp": {"host": "127.0.0.1", "port": 2525}}
    result = run(one_item, make_settings(out_dir, **quiet(), channels=channels), "2025-01-01T09:00")
    by_person = {m.recipient: m.channels for m in result.messages}
    assert by_person[HANDLER] == [("smtp", "handler@example.org")]
    assert by_person[SECOND_HANDLER] == []
    assert any(SECOND_HANDLER in note and "提醒只记录在库中" in note for note in result.notes)
    assert [(r.channel, r.address, r.status, r.attempts) for r in outbox_rows(one_item)] == [
        ("smtp", "handler@example.org", "pending", 0)
    ]


@pytest.mark.parametrize(("moment", "late"), [("2024-12-26T09:30", False), ("2024-12-26T09:31", True)])
def test_a_message_is_late_only_more_than_an_hour_after_it_was_due(
    one_item: sa.Engine, out_dir: Path, moment: str, late: bool
) -> None:
    result = run(one_item, make_settings(out_dir, **quiet()), moment)  # the warnings are due at 08:30
    assert result.messages and [m.late for m in result.messages] == [late] * len(result.messages)
    with db.reading(one_item) as conn:
        assert set(conn.execute(sa.select(MESSAGE.c.late)).scalars()) == {late}


def test_history_lists_each_firing_newest_first_with_its_message(one_item: sa.Engine, out_dir: Path) -> None:
    settings = make_settings(out_dir, **quiet())
    first = run(one_item, settings, "2024-12-26T11:00")  # late: 补发
    with db.reading(one_item) as conn:
        rows = reminders_run.history(conn, item_id=1)
        assert len(reminders_run.history(conn, item_id=1, limit=1)) == 1
        assert reminders_run.history(conn, item_id=2) == []
        assert reminders_run.history(conn, rule="weekly_dispatch") == []
        assert len(reminders_run.history(conn, rule="deadline_warning")) == len(rows)
        with pytest.raises(InvalidInput) as refused:
            reminders_run.history(conn, rule="no_such_rule")
    assert str(refused.value) == f"未知规则 'no_such_rule'（可用：{'、'.join(RULES)}）"
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), reverse=True)
    by_message = {m.key: m for m in first.messages}
    for r in rows:
        message = by_message[r["message"]]
        assert set(r) == {
            "id",
            "rule",
            "rule_label",
            "recipient",
            "scope",
            "period",
            "due_at",
            "fired_at",
        } | {
            "late",
            "subject",
            "message",
        }
        assert (r["rule"], r["rule_label"], r["subject"], r["late"]) == (
            "deadline_warning",
            label("deadline_warning"),
            message.subject,
            True,
        )
        assert r["recipient"] == text.named(message.recipient)
        assert (r["scope"], r["period"]) == (message.firings[0].scope, message.firings[0].period)
        assert (r["due_at"], r["fired_at"]) == (clock.show(message.firings[0].due_at), clock.show(first.now))


def test_a_dry_run_with_nothing_due_still_says_it_is_a_dry_run(rem_engine: sa.Engine, out_dir: Path) -> None:
    """`remind run --dry-run` heads its output 演练 from `dry_run`, also when nothing is due."""
    with db.reading(rem_engine) as conn:
        result = reminders_run.run(conn, make_settings(out_dir), at(IMPORTED_AT), dry_run=True)
    assert (result.dry_run, result.firings, result.messages) == (True, [], [])


OVERDUE_ITEM = {
    "id": 1,
    "number": "一/1",
    "title": "测试问题1",
    "state": "in_progress",
    "state_label": "整改中",
    "department": "村镇规划建设办公室",
    "leader": "徐波",
    "handler": "规划办经办人",
    "deadline": "2024-12-31",
    "colour": "red",
    "days_left": -1,
}


def test_the_stored_message_is_what_the_mail_and_the_group_robot_send(
    one_item: sa.Engine, out_dir: Path
) -> None:
    """The day after the deadline, at 09:00: the robot's message as the outbox holds it — the body a mail
    or a robot shows (its footer names the run's moment) and the JSON a `json` robot or a script reads."""
    settings = make_settings(out_dir, **quiet(), channels={"webhook": {"url": "http://127.0.0.1:9/hook"}})
    run(one_item, settings, "2025-01-01T09:00")
    with db.reading(one_item) as conn:
        stored = conn.execute(sa.select(MESSAGE).where(MESSAGE.c.recipient == "webhook")).one()
        queued = conn.execute(sa.select(OUTBOX).where(OUTBOX.c.message_key == stored.key)).one()
    subject = "【红灯逾期】1 项整改事项已超过完成时限"
    assert (stored.rule, stored.subject, bool(stored.late)) == ("overdue", subject, False)
    assert stored.body.startswith(f"# {subject}\n\n各位：\n\n")
    assert stored.body.endswith("\n——\n巡察整改提醒 · 2025-01-01 09:00\n")
    assert json.loads(stored.data) == {
        "rule": "overdue",
        "label": "红灯逾期",
        "recipient": "webhook",
        "late": False,
        "items": [OVERDUE_ITEM],
        "total": 1,
        "subject": subject,
    }
    assert (queued.channel, queued.address, queued.status, queued.attempts) == (
        "webhook",
        "webhook",
        "pending",
        0,
    )
    assert queued.next_attempt_at == at("2025-01-01T09:00")


def test_with_the_web_inbox_on_each_person_on_the_ladder_finds_the_reminder_there(
    one_item: sa.Engine, out_dir: Path
) -> None:
    """[channels.web] on and files off, an item two days overdue (escalated after one): everyone the
    escalation tells reads it in their web inbox, the handler, who has an address, by mail too; the
    group robot has no inbox."""
    settings = make_settings(
        out_dir,
        **quiet(escalate_to=[HEAD], escalate_after_days=1),
        channels={
            "file": {"dir": str(out_dir), "enabled": False},
            "web": {"enabled": True},
            "smtp": {"host": "127.0.0.1", "port": 2525},
            "webhook": {"url": "http://127.0.0.1:9/hook"},
        },
    )
    result = run(one_item, settings, "2025-01-02T09:00")
    by_person = {(m.rule, m.recipient): m.channels for m in result.messages}
    assert by_person[("escalation", HANDLER)] == [("web", HANDLER), ("smtp", "handler@example.org")]
    assert by_person[("escalation", HEAD)] == [("web", HEAD)]
    assert by_person[("escalation", "webhook")] == [("webhook", "webhook")]
    assert result.notes == []
    with db.reading(one_item) as conn:
        for person in (HANDLER, HEAD):
            assert [m["subject"] for m in inbox.unread(conn, person)] == [
                "【逾期督办】1 项整改事项逾期超过 1 天，提请督办"
            ]
        assert inbox.unread(conn, "webhook") == []
