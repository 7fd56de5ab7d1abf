"""Delivery through real channels on this machine: a Markdown folder, an SMTP server (aiosmtpd on
127.0.0.1) and an HTTP server for webhooks — including servers that are down and come back."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from tests.reminders_fixtures import (
    DEPT,
    HANDLER,
    LEADER,
    OFFICE,
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
from workflow.reminders import outbox
from workflow.reminders.settings import Settings

__all__ = ["rem_engine"]

NOW = at("2025-01-01T09:00")
PEOPLE = [
    {"name": OFFICE, "roles": ["office"], "department": "整改办", "email": "office@example.org"},
    {"name": LEADER, "roles": ["leader"], "department": "镇人大", "email": "leader@example.org"},
    {"name": HANDLER, "roles": ["handler"], "department": DEPT},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """aiosmtpd handler: keeps what arrived."""

    def __init__(self) -> None:
        self.mail: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mail.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp_server(smtp_port: int) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield inbox
    controller.stop()


class Hook:
    """A local webhook receiver; `replies` are (status, body) served in order, then 200 {"errcode":0}."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[dict[str, Any]] = []
        self.replies: list[tuple[int, bytes]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
                )
                status, reply = hook.replies.pop(0) if hook.replies else (200, b'{"errcode": 0}')
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.close()


def queue_overdue(engine: sa.Engine, settings: Settings) -> None:
    """One overdue item: messages for the handler, the leader and the office (and a webhook if set)."""
    import_items(engine, [item_spec("1", "2024-12-31")], people=PEOPLE)
    start(engine, 1)
    run(engine, settings, NOW)


def statuses(engine: sa.Engine, channel: str) -> list[tuple[str, int]]:
    return [(r.status, r.attempts) for r in outbox_rows(engine) if r.channel == channel]


def test_each_message_is_one_markdown_file_even_when_delivered_twice(
    rem_engine: sa.Engine, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path / "out", **QUIET)
    queue_overdue(rem_engine, settings)
    result = outbox.deliver(rem_engine, settings, NOW)
    files = sorted((tmp_path / "out").rglob("*.md"))
    assert len(result.sent) == len(files) == 3
    assert {f.parent.name for f in files} == {HANDLER, LEADER, OFFICE}
    text = (tmp_path / "out" / HANDLER).glob("*红灯逾期*.md").__next__().read_text(encoding="utf-8")
    assert "【红灯逾期】1 项整改事项已超过完成时限" in text and "已逾期 1 天" in text

    # A deliverer that died after writing but before marking: the lease runs out, it is sent again.
    with db.unit_of_work(rem_engine) as conn:
        conn.execute(
            sa.text("UPDATE outbox SET status='sending', claimed_until=:t"),
            {"t": "2025-01-01T00:00:00.000000Z"},
        )
    again = outbox.deliver(rem_engine, settings, NOW + timedelta(minutes=10))
    assert len(again.sent) == 3
    assert sorted((tmp_path / "out").rglob("*.md")) == files  # the same files, rewritten
    assert not list((tmp_path / "out").rglob("*.tmp"))


def test_mail_reaches_a_real_smtp_server_with_a_stable_message_id(
    rem_engine: sa.Engine, tmp_path: Path, smtp_port: int, smtp_server: Inbox
) -> None:
    settings = make_settings(
        tmp_path / "out",
        **QUIET,
        channels={"smtp": {"host": "127.0.0.1", "port": smtp_port, "sender": "zg@town.example"}},
    )
    queue_overdue(rem_engine, settings)
    result = outbox.deliver(rem_engine, settings, NOW)
    assert len(result.sent) == 5  # 3 files + mail to the leader and the office (the handler has no e-mail)
    assert sorted(tuple(e.rcpt_tos) for e in smtp_server.mail) == [
        ("leader@example.org",),
        ("office@example.org",),
    ]
    mail = message_from_bytes(smtp_server.mail[0].content, policy=policy.default)
    assert mail["Subject"] == "【红灯逾期】1 项整改事项已超过完成时限"
    assert mail["Message-ID"].startswith("<zhenggai.") and mail["Message-ID"].endswith("@town.example>")
    assert "一/1 测试问题1" in mail.get_content()
    assert statuses(rem_engine, "smtp") == [("sent", 1), ("sent", 1)]


def test_mail_waits_while_the_smtp_server_is_down_and_goes_when_it_is_back(
    rem_engine: sa.Engine, tmp_path: Path, smtp_port: int
) -> None:
    settings = make_settings(
        tmp_path / "out",
        **QUIET,
        channels={"smtp": {"host": "127.0.0.1", "port": smtp_port, "timeout": 2}},
        outbox={"backoff_seconds": 60},
    )
    queue_overdue(rem_engine, settings)
    down = outbox.deliver(rem_engine, settings, NOW)
    assert len(down.sent) == 3 and len(down.failed) == 2  # the files went; the mail did not
    rows = [r for r in outbox_rows(rem_engine) if r.channel == "smtp"]
    assert all(r.status == "pending" and r.attempts == 1 for r in rows)
    assert all("SMTP 127.0.0.1" in r.last_error and "投递失败" in r.last_error for r in rows)
    assert all(r.next_attempt_at == NOW + timedelta(seconds=60) for r in rows)
    assert outbox.deliver(rem_engine, settings, NOW + timedelta(seconds=30)).sent == []  # backing off

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        back = outbox.deliver(rem_engine, settings, NOW + timedelta(seconds=61))
    finally:
        controller.stop()
    assert len(back.sent) == 2 and len(inbox.mail) == 2
    assert statuses(rem_engine, "smtp") == [("sent", 2), ("sent", 2)]


def test_the_group_robot_gets_json_with_an_idempotency_key(
    rem_engine: sa.Engine, tmp_path: Path, hook: Hook
) -> None:
    url = f"http://127.0.0.1:{hook.port}/robot?key=secret-key"
    settings = make_settings(tmp_path / "out", **QUIET, channels={"webhook": {"url": url}})
    queue_overdue(rem_engine, settings)
    result = outbox.deliver(rem_engine, settings, NOW)
    assert len(result.sent) == 4
    [request] = hook.requests
    body = request["json"]
    assert body["rule"] == "overdue" and body["recipient"] == "webhook"
    assert body["subject"] == "【红灯逾期】1 项整改事项已超过完成时限"
    assert body["data"]["items"][0]["number"] == "一/1"
    assert request["headers"]["Idempotency-Key"] == body["id"]
    # The URL (with its key) is read from the configuration at delivery, never stored in the database.
    assert all("secret-key" not in r.address for r in outbox_rows(rem_engine))


def test_a_webhook_that_is_down_then_failing_then_back_loses_nothing(
    rem_engine: sa.Engine, tmp_path: Path
) -> None:
    port = free_port()
    settings = make_settings(
        tmp_path / "out",
        **QUIET,
        channels={"webhook": {"url": f"http://127.0.0.1:{port}/hook", "format": "wecom", "timeout": 2}},
        outbox={"backoff_seconds": 10, "backoff_max_seconds": 15},
    )
    queue_overdue(rem_engine, settings)
    first = outbox.deliver(rem_engine, settings, NOW)  # nobody listening
    assert [e for _, e, _ in first.failed] == [
        f"Webhook 127.0.0.1:{port} 无法连接：[Errno 111] Connection refused"
    ]

    h = Hook(port)
    try:
        h.replies = [(500, b"oops"), (200, b'{"errcode": 93000, "errmsg": "invalid webhook url"}')]
        second = outbox.deliver(rem_engine, settings, NOW + timedelta(seconds=10))
        assert [e for _, e, _ in second.failed] == [f"Webhook 127.0.0.1:{port} 返回 HTTP 500"]
        third = outbox.deliver(rem_engine, settings, NOW + timedelta(seconds=30))  # 20 s wanted, capped at 15
        assert "errcode=93000 invalid webhook url" in third.failed[0][1]
        fourth = outbox.deliver(rem_engine, settings, NOW + timedelta(seconds=45))
        assert len(fourth.sent) == 1
    finally:
        h.close()
    assert statuses(rem_engine, "webhook") == [("sent", 4)]
    assert [r["json"]["msgtype"] for r in h.requests] == ["markdown"] * 3
    assert "【红灯逾期】" in h.requests[-1]["json"]["markdown"]["content"]


def test_a_dingtalk_robot_gets_a_signed_request(rem_engine: sa.Engine, tmp_path: Path, hook: Hook) -> None:
    url = f"http://127.0.0.1:{hook.port}/robot/send?access_token=abc"
    settings = make_settings(
        tmp_path / "out",
        **QUIET,
        channels={"webhook": {"url": url, "format": "dingtalk", "secret": "SEC123"}},
    )
    queue_overdue(rem_engine, settings)
    assert len(outbox.deliver(rem_engine, settings, NOW).sent) == 4
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(hook.requests[0]["path"]).query)
    stamp, sign = query["timestamp"][0], query["sign"][0]
    want = base64.b64encode(
        hmac.new(b"SEC123", f"{stamp}\nSEC123".encode(), hashlib.sha256).digest()
    ).decode()
    assert sign == want and query["access_token"] == ["abc"]
    assert hook.requests[0]["json"]["markdown"]["title"] == "【红灯逾期】1 项整改事项已超过完成时限"


def test_a_delivery_that_keeps_failing_is_given_up_visibly_and_can_be_retried(
    rem_engine: sa.Engine, tmp_path: Path
) -> None:
    settings = make_settings(
        tmp_path / "out",
        **QUIET,
        channels={"webhook": {"url": f"http://127.0.0.1:{free_port()}/", "timeout": 1}},
        outbox={"max_attempts": 3, "backoff_seconds": 60},
    )
    queue_overdue(rem_engine, settings)
    moment: datetime = NOW
    waits = []
    for _ in range(3):
        result = outbox.deliver(rem_engine, settings, moment)
        assert len(result.failed) == 1
        retry = result.failed[0][2]
        waits.append(retry and (retry - moment).total_seconds())
        moment = retry or moment
    assert waits == [60, 120, None]  # doubled, then given up after the third attempt
    assert statuses(rem_engine, "webhook") == [("failed", 3)]
    assert outbox.deliver(rem_engine, settings, moment + timedelta(days=1)).failed == []
    with db.unit_of_work(rem_engine) as conn:
        assert outbox.retry_failed(conn, moment) == 1
    assert statuses(rem_engine, "webhook") == [("pending", 3)]


def test_two_deliverers_never_take_the_same_delivery(rem_engine: sa.Engine, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "out", **QUIET, outbox={"lease_seconds": 300})
    queue_overdue(rem_engine, settings)
    with db.unit_of_work(rem_engine) as conn:
        mine = outbox.claim(conn, NOW, settings, "first", 2)
    with db.unit_of_work(rem_engine) as conn:
        theirs = outbox.claim(conn, NOW, settings, "second", 10)
    assert len(mine) == 2 and len(theirs) == 1
    assert not {d.id for d in mine} & {d.id for d in theirs}
    with db.unit_of_work(rem_engine) as conn:
        assert outbox.claim(conn, NOW + timedelta(seconds=299), settings, "third", 10) == []
    with db.unit_of_work(rem_engine) as conn:  # the first two died: their lease runs out
        assert len(outbox.claim(conn, NOW + timedelta(seconds=301), settings, "third", 10)) == 3
