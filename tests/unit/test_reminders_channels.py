"""Hostile text from people's records at the edge of each channel (issue 9 §5): a mail header never
holds a line break, a stored address never smuggles in a second recipient, a file name stays bounded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from workflow.reminders import channels
from workflow.reminders.settings import SmtpChannel

INJECTED = "徐波\r\nBcc: evil@example.org\n"


def delivery(**fields: object) -> channels.Delivery:
    values: dict[str, object] = {
        "id": 1,
        "message_key": "a" * 32,
        "channel": "smtp",
        "address": "leader@example.org",
        "attempts": 0,
        "rule": "weekly",
        "recipient": "徐波",
        "subject": "【周调度】2025年第1周整改事项调度（徐波）",
        "body": "正文",
        "data": "{}",
        "created_at": datetime(2025, 1, 6, 1, tzinfo=UTC),
    }
    values.update(fields)
    return channels.Delivery(**values)  # type: ignore[arg-type]


def test_a_line_break_in_a_name_cannot_add_a_mail_header() -> None:
    msg = channels.mail(SmtpChannel(host="127.0.0.1"), delivery(subject=f"【周调度】调度（{INJECTED}）"))
    assert msg["Subject"] == "【周调度】调度（徐波 Bcc: evil@example.org ）"
    assert msg["Bcc"] is None
    assert "\nBcc" not in msg.as_string()


@pytest.mark.parametrize(
    "address", ["leader@example.org\r\nBcc: evil@example.org", "a@example.org, evil@example.org", "徐波", ""]
)
def test_a_stored_address_that_is_not_one_mailbox_is_refused_as_that_deliverys_failure(address: str) -> None:
    with pytest.raises(channels.DeliveryError, match="不是一个有效的邮箱地址"):
        channels.mail(SmtpChannel(host="127.0.0.1"), delivery(address=address))


def test_a_long_department_name_gives_a_bounded_folder_that_stays_unique() -> None:
    long = "县" * 91
    first = channels.file_path(Path("/out"), delivery(channel="file", recipient=f"dept:{long}甲"))
    second = channels.file_path(Path("/out"), delivery(channel="file", recipient=f"dept:{long}乙"))
    for path in (first, second):
        assert path.parent.parent == Path("/out")
        assert all(len(part.encode()) <= 120 for part in path.parts)
        assert path.parent.name.startswith("县" * 30)
    assert first.parent != second.parent
    short = channels.file_path(Path("/out"), delivery(channel="file", recipient="dept:规划办"))
    assert short.parent.name == "规划办（部门）"  # names that fit are left as they are
