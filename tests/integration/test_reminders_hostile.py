"""The outbox survives whatever the database holds (issue 9 §5): one bad message is that message's
failure, never the queue's; a name cannot inject a mail header; the file channel keeps its names
bounded and follows no link out of its folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from cli import cli
from tests.integration.test_reminders_outbox import NOW, PEOPLE, Inbox, free_port, queue_overdue, statuses
from tests.reminders_fixtures import (
    HANDLER,
    QUIET,
    at,
    import_items,
    item_spec,
    make_settings,
    outbox_rows,
    rem_engine,
    run,
    start,
)
from workflow import db
from workflow.db.tables.core import ITEM, PERSON
from workflow.reminders import channels, outbox

__all__ = ["rem_engine"]

# A leader's name as the issue found it stored: a line break, then a header of the sender's choosing.
HOSTILE = "王某\nBcc: evil@example.org"


def store_hostile_leader(engine: sa.Engine) -> None:
    """Item 1 (overdue, under way) led by HOSTILE, who has an e-mail address. Written straight into
    the tables, as an older version or another tool may have left it: the outbox must cope."""
    import_items(engine, [item_spec("1", "2024-12-31")], people=PEOPLE)
    with db.unit_of_work(engine) as conn:
        conn.execute(
            PERSON.insert().values(
                name=HOSTILE, roles="leader", department="镇人大", email="wang@example.org"
            )
        )
        conn.execute(ITEM.update().where(ITEM.c.id == 1).values(leader=HOSTILE))
    start(engine, 1)


def test_a_leader_named_with_a_line_break_stops_nobodys_reminders(
    rem_engine: sa.Engine, tmp_path: Path
) -> None:
    store_hostile_leader(rem_engine)
    port = free_port()
    config = tmp_path / "zhenggai.toml"
    config.write_text(
        f'[channels.file]\ndir = "{tmp_path / "out"}"\n'
        f'[channels.smtp]\nhost = "127.0.0.1"\nport = {port}\nsender = "zg@town.example"\n',
        encoding="utf-8",
    )
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        url = rem_engine.url.render_as_string(hide_password=False)
        args = ["--db", url, "--config", str(config), "--now", "2025-01-06T09:00", "remind", "run"]
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert "失败" not in result.output and "Error" not in result.output
    assert {r.status for r in outbox_rows(rem_engine)} == {"sent"}  # the office's bulletin among them
    assert all(len(e.rcpt_tos) == 1 for e in inbox.mail)
    mail = {e.rcpt_tos[0]: e.content.decode() for e in inbox.mail}
    assert {"wang@example.org", "office@example.org"} <= set(mail)
    assert "\nBcc:" not in mail["wang@example.org"] and "evil@example.org" not in mail


def test_a_delivery_that_raises_anything_fails_alone_and_is_given_up_after_its_attempts(
    rem_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []

    def smtp(s: Any, d: channels.Delivery) -> None:  # a channel whose library raises what nobody foresaw
        if d.address == "leader@example.org":
            raise RuntimeError("unexpected reply")
        sent.append(d.address)

    monkeypatch.setattr(channels, "send_smtp", smtp)
    settings = make_settings(
        tmp_path / "out",
        **QUIET,
        channels={"smtp": {"host": "127.0.0.1"}},
        outbox={"max_attempts": 2, "backoff_seconds": 60},
    )
    queue_overdue(rem_engine, settings)
    first = outbox.deliver(rem_engine, settings, NOW)
    assert len(first.sent) == 4 and sent == ["office@example.org"]
    [(_, reason, retry)] = first.failed
    assert reason == "投递时出错（RuntimeError：unexpected reply），该消息将按退避重试，多次失败后放弃"
    assert retry == at("2025-01-01T09:01")
    second = outbox.deliver(rem_engine, settings, retry)
    assert [(r, when) for _, r, when in second.failed] == [(reason, None)]
    assert statuses(rem_engine, "smtp") == [("failed", 2), ("sent", 1)]


def test_a_department_with_a_91_character_name_gets_its_reminder_file(
    rem_engine: sa.Engine, tmp_path: Path
) -> None:
    long = "村镇规划建设与农业农村综合服务" * 6 + "办"  # 91 characters, 273 bytes
    assert len(long) == 91
    import_items(rem_engine, [item_spec("1", "2024-12-31", department=long)], people=PEOPLE)
    start(rem_engine, 1)
    settings = make_settings(tmp_path / "out", **QUIET)
    run(rem_engine, settings, NOW)
    result = outbox.deliver(rem_engine, settings, NOW)
    assert result.failed == [] and len(result.sent) == 4
    [folder] = [p for p in (tmp_path / "out").iterdir() if p.name.startswith("村镇规划建设与")]
    assert len(list(folder.glob("*.md"))) == 1 and len(folder.name.encode()) <= 120


def test_a_recipient_folder_that_is_a_link_out_of_the_outbox_is_refused(
    rem_engine: sa.Engine, tmp_path: Path
) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    out.mkdir()
    outside.mkdir()
    (out / HANDLER).symlink_to(outside, target_is_directory=True)
    settings = make_settings(out, **QUIET)
    queue_overdue(rem_engine, settings)
    result = outbox.deliver(rem_engine, settings, NOW)
    assert list(outside.iterdir()) == []
    assert len(result.sent) == 2
    [(_, reason, retry)] = result.failed
    assert f"中的 {HANDLER} 是符号链接" in reason and "拒绝写入" in reason and retry is not None


def test_a_link_in_the_place_of_the_temporary_file_is_refused(rem_engine: sa.Engine, tmp_path: Path) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    outside.mkdir()
    settings = make_settings(out, **QUIET)
    queue_overdue(rem_engine, settings)
    assert len(outbox.deliver(rem_engine, settings, NOW).sent) == 3
    [written] = (out / HANDLER).glob("*.md")
    (written.parent / f".{written.name}.{os.getpid()}.tmp").symlink_to(outside / "planted.md")
    with db.unit_of_work(rem_engine) as conn:  # delivered again, as after a lease that ran out
        conn.execute(sa.text("UPDATE outbox SET status = 'pending'"))
    again = outbox.deliver(rem_engine, settings, NOW)
    assert not (outside / "planted.md").exists() and not written.is_symlink()
    [(_, reason, _)] = again.failed
    assert "是符号链接" in reason
