"""Recording a reminder run (workflow/reminders/run.py): the result when nothing is due, the channels
when the file channel is off, and the 补发 (late) mark on both sides of its one-hour line, in memory
and in the stored message. Written against the mutants `make mutate TARGETS=reminders` found alive
(docs/mutation.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.integration.test_reminders_rules import PEOPLE, SECOND_HANDLER, quiet
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
from workflow.db.tables.reminders import MESSAGE
from workflow.errors import InvalidInput
from workflow.reminders import run as reminders_run
from workflow.reminders import text
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
