"""The commands that go with the web server: `person password` (prompt or --stdin), `backup` (SQLite's
online backup: the copy opens, verifies and logs in), `serve` refusing several workers on SQLite, and
`demo` setting the one demo password of every seed person."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cli import cli
from tests import backends
from tests.e2e.test_reminders_cli import fired, taishan, zhenggai
from workflow.db.tables.reminders import MESSAGE

__all__ = ["taishan"]  # the fixture, shared with the scheduler's own tests
from tests.conftest import HANDLER, OFFICE
from tests.web_fixtures import seed
from workflow import db
from workflow.accounts import passwords
from workflow.audit import verify


def _run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=input)
    return result.exit_code, result.output


def test_person_password_from_stdin_and_from_the_prompt(tmp_path: Path) -> None:
    url = backends.fresh_url(tmp_path)
    seed(url).dispose()
    code, out = _run("--db", url, "person", "password", HANDLER, "--stdin", input="new-secret-1\n")
    assert code == 0 and HANDLER in out
    code, out = _run(
        "--db", url, "person", "password", OFFICE, "--must-change", input="prompted-22\nprompted-22\n"
    )
    assert code == 0, out
    code, out = _run("--db", url, "person", "password", HANDLER, "--stdin", input="short\n")
    assert code == 1 and "至少 8 个字符" in out
    code, out = _run("--db", url, "person", "password", "无此人", "--stdin", input="long-enough-1\n")
    assert code == 1 and "无此人" in out
    engine = db.make_engine(url)
    with db.reading(engine) as conn:
        assert passwords.matches(conn, HANDLER, "new-secret-1")
        assert passwords.matches(conn, OFFICE, "prompted-22") and passwords.must_change(conn, OFFICE)
    engine.dispose()


@pytest.mark.sqlite_only
def test_a_backup_taken_while_a_server_holds_the_database_opens_and_verifies(tmp_path: Path) -> None:
    url = db.sqlite_url(tmp_path / "zhenggai.db")
    engine = seed(url)
    with db.reading(engine) as reader:  # a reader in the middle of its transaction, as a server's
        code, out = _run("--db", url, "backup", str(tmp_path / "备份.db"))
        assert reader.exec_driver_sql("SELECT count(*) FROM item").scalar_one() == 3
    assert code == 0 and "已备份" in out
    assert _run("--db", url, "backup", str(tmp_path / "备份.db"))[0] == 1  # never overwrites
    copy = db.make_engine(db.sqlite_url(tmp_path / "备份.db"))
    with db.reading(copy) as conn:
        assert verify.verify(conn, deep=True).ok
        assert passwords.matches(conn, HANDLER, "correct-horse-42")
    copy.dispose()
    engine.dispose()


def test_backup_on_postgresql_names_pg_dump_and_serve_refuses_workers_on_sqlite(tmp_path: Path) -> None:
    url = backends.fresh_url(tmp_path)
    seed(url).dispose()
    if backends.BACKEND == "postgresql":
        code, out = _run("--db", url, "backup", str(tmp_path / "x.db"))
        assert code == 1 and "pg_dump" in out
    else:
        code, out = _run("--db", url, "serve", "--workers", "2")
        assert code == 1 and "SQLite 只能用一个工作进程" in out


@pytest.mark.sqlite_only
def test_the_demo_sets_one_password_for_every_seed_person(tmp_path: Path) -> None:
    code, out = _run("demo", "--dir", str(tmp_path / "d"), "--password", "demo-pass-1")
    assert (code == 0 and "口令均为 demo-pass-1" in out and "挂图作战" in out) or "督办" in out
    engine = db.make_engine(db.sqlite_url(tmp_path / "d" / "zhenggai.db"))
    with db.reading(engine) as conn:
        assert passwords.matches(conn, "县委巡察办", "demo-pass-1")
    engine.dispose()


@pytest.mark.slow
def test_two_servers_each_with_the_scheduler_fire_each_reminder_once(taishan: Path) -> None:
    """`serve --scheduler` on two servers by mistake: each catches up at start, the firing table lets
    one insert win, and every reminder is fired and queued once."""
    servers = [
        zhenggai(taishan, "serve", "--port", str(port), "--scheduler", now="2025-02-17T09:00")
        for port in (_free_port(), _free_port())
    ]
    deadline = time.monotonic() + 60
    while fired(taishan) < 8 and time.monotonic() < deadline:  # both catch up at start-up
        time.sleep(0.05)
    for p in servers:
        p.send_signal(signal.SIGTERM)
    for p in servers:
        p.communicate(timeout=30)
    assert fired(taishan) == 8
    engine = db.make_engine(backends.url_for(taishan))
    with db.reading(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(MESSAGE)).scalar_one() == 8
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
