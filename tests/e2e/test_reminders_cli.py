"""The reminder commands end to end, and the scheduler as a real process: killed with SIGKILL and
restarted, or started twice on one database, it neither repeats nor misses a reminder."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from cli import cli
from tests.backends import url_for
from tests.reminders_fixtures import (
    at,
    days,
    firings,
    local_nine,
    make_settings,
    message_count,
    outbox_rows,
    run,
)
from workflow import clock, db, demo
from workflow.db.tables.reminders import FIRING
from workflow.reminders.catalogue import RULES

Invoke = Callable[..., Result]
SIM_START, SIM_END = "2024-10-21T09:00", "2025-03-31T09:00"


@pytest.fixture
def taishan(tmp_path: Path) -> Path:
    """The seed case as `zhenggai demo` builds it, with a config writing reminders to tmp_path/out."""
    demo.build(tmp_path, url_for(tmp_path))
    config = tmp_path / "zhenggai.toml"
    before = config.read_text(encoding="utf-8") if config.exists() else ""  # the demo's report settings
    config.write_text(f'{before}\n[channels.file]\ndir = "{tmp_path / "out"}"\n', encoding="utf-8")
    return tmp_path


@pytest.fixture
def zg(taishan: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.chdir(taishan)
    monkeypatch.setenv("ZHENGGAI_DB", url_for(taishan))
    monkeypatch.setenv("ZHENGGAI_CONFIG", str(taishan / "zhenggai.toml"))
    monkeypatch.delenv("ZHENGGAI_NOW", raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def test_remind_run_previews_queues_delivers_and_then_finds_nothing_new(zg: Invoke, taishan: Path) -> None:
    preview = zg("remind", "run", "--now", "2025-02-17T09:00", "--dry-run")
    assert preview.exit_code == 0
    assert preview.stdout.startswith("2025-02-17 09:00：（演练，不记录不发送）将产生提醒 8 条，消息 8 条")
    assert not (taishan / "out").exists()

    real = zg("remind", "run", "--now", "2025-02-17T09:00")
    assert real.exit_code == 0
    assert (
        "新增提醒 8 条，消息 8 条" in real.stdout and "【红灯逾期】1 项整改事项已超过完成时限" in real.stdout
    )
    assert real.stdout.rstrip().endswith("投递成功 8 条")
    assert len(list((taishan / "out").rglob("*.md"))) == 8

    again = zg("remind", "run", "--now", "2025-02-17T09:30")
    assert "新增提醒 0 条" in again.stdout and "（没有到期的提醒；已发过的不会重发）" in again.stdout


def test_remind_run_json_lists_messages_and_their_scopes(zg: Invoke) -> None:
    result = zg("remind", "run", "--now", "2025-02-17T09:00", "--no-deliver", "--json")
    data = json.loads(result.stdout)
    assert data["firings"] == 8 and "delivery" not in data
    overdue = [m for m in data["messages"] if m["rule"] == "overdue"]
    assert {m["recipient"] for m in overdue} == {"规划办经办人", "徐波", "镇整改办"}
    assert overdue[0]["scopes"] == [{"scope": "item:3", "period": "2025-02-14"}]
    listed = json.loads(zg("outbox", "list", "--status", "pending", "--json").stdout)
    assert listed["counts"] == {"pending": 8, "sending": 0, "sent": 0, "failed": 0}


def test_outbox_list_show_and_deliver(zg: Invoke) -> None:
    zg("remind", "run", "--now", "2025-02-17T09:00", "--no-deliver")
    pending = zg("outbox", "list")
    assert pending.exit_code == 0 and pending.stdout.count("  待发送  ") == 8
    assert pending.stdout.rstrip().endswith("合计：待发送 8，发送中 0，已发送 0，已放弃 0")
    pushed = zg("outbox", "deliver", "--now", "2025-02-17T09:01")
    assert pushed.stdout.strip() == "投递成功 8 条"
    shown = zg("outbox", "show", "1")
    assert (
        shown.exit_code == 0 and "# 【周调度】2025年第8周整改事项调度（村镇规划建设办公室）" in shown.stdout
    )
    assert "#1 file 已发送，尝试 1 次" in shown.stdout
    missing = zg("outbox", "show", "999")
    assert missing.exit_code == 1 and "没有编号或键为 '999' 的消息" in missing.stderr


def test_remind_rules_and_history(zg: Invoke) -> None:
    rules = zg("remind", "rules", "--now", "2025-02-17T10:00")
    assert rules.exit_code == 0
    assert "escalation        逾期督办" in rules.stdout and "每月第一个工作日 09:00" in rules.stdout
    zg("remind", "run", "--now", "2025-02-17T09:00")
    history = zg("remind", "history", "--item", "3")
    assert history.stdout.count("红灯逾期") == 3


def test_a_bad_reminder_configuration_exits_1_with_the_key_named(zg: Invoke, taishan: Path) -> None:
    (taishan / "zhenggai.toml").write_text("[reminders.deadline]\nnotice_days = 5\n", encoding="utf-8")
    result = zg("remind", "run")
    assert result.exit_code == 1
    assert (
        "黄灯天数（[lights] yellow_days，默认 10）应小于 [reminders.deadline] notice_days（5）"
        in result.stderr
    )
    (taishan / "zhenggai.toml").write_text('[reminders.weekly]\nweekday = "xyz"\n', encoding="utf-8")
    result = zg("remind", "rules")
    assert result.exit_code == 1
    assert "配置 [reminders.weekly] weekday = 'xyz' 有误：应为mon、tue" in result.stderr


def test_remind_rules_shows_the_one_yellow_threshold_and_history_offers_every_rule(
    zg: Invoke, taishan: Path
) -> None:
    (taishan / "zhenggai.toml").write_text("[lights]\nyellow_days = 5\n", encoding="utf-8")
    rules = json.loads(zg("remind", "rules", "--json").stdout)
    assert [r["rule"] for r in rules] == list(RULES)
    assert next(r for r in rules if r["rule"] == "deadline_warning")["when"] == "每天 08:30，剩 5 天（黄灯）"
    wrong = zg("remind", "history", "--rule", "weekly")
    assert wrong.exit_code == 2 and "monthly_report" in wrong.stderr


def test_the_help_loads_neither_the_database_layer_nor_the_scheduler() -> None:
    code = "import sys, cli; bad = {'sqlalchemy', 'apscheduler', 'sqlmodel'} & set(sys.modules); print(sorted(bad))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the scheduler as a process ---------------------------------------------------------------------


def zhenggai(folder: Path, *args: str, now: str | None = None) -> subprocess.Popen[str]:
    exe = shutil.which("zhenggai", path=str(Path(sys.executable).parent))
    command = [exe] if exe else [sys.executable, "-m", "cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHENGGAI_")}
    env.update(ZHENGGAI_DB=url_for(folder), ZHENGGAI_CONFIG=str(folder / "zhenggai.toml"))
    if now:
        env["ZHENGGAI_NOW"] = now
    return subprocess.Popen(
        [*command, *args], cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def fast_scheduler(folder: Path) -> subprocess.Popen[str]:
    """One simulated day per 20 ms from 2024-10-21 to 2025-03-31 (test-only options)."""
    return zhenggai(
        folder,
        "scheduler",
        "run",
        "--tick",
        "0.02",
        "--sim-start",
        SIM_START,
        "--sim-step",
        "1d",
        "--sim-until",
        SIM_END,
    )


def fired(folder: Path) -> int:
    engine = db.make_engine(url_for(folder))
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(FIRING)).scalar_one())
    finally:
        engine.dispose()


def reference(tmp_path: Path) -> tuple[Counter[tuple[str, ...]], int]:
    """What one uninterrupted evaluation per simulated day yields, computed in-process."""
    folder = tmp_path / "reference"
    demo.build(folder, url_for(folder))
    engine = db.make_engine(url_for(folder), synchronous="OFF")
    settings = make_settings(folder / "out")
    for day in days(clock.local_today(at(SIM_START)), clock.local_today(at(SIM_END))):
        run(engine, settings, local_nine(day))
    out = Counter(tuple(f.values()) for f in firings(engine)), message_count(engine)
    engine.dispose()
    return out


def check_against_reference(folder: Path, want: Counter[tuple[str, ...]], messages: int) -> None:
    engine = db.make_engine(url_for(folder))
    got = Counter(tuple(f.values()) for f in firings(engine))
    assert got == want  # nothing twice (and the unique key would refuse it), nothing missing
    assert message_count(engine) == messages
    assert {r.status for r in outbox_rows(engine)} == {"sent"}
    files = list((folder / "out").rglob("*.md"))
    assert len(files) == messages == len({f.name for f in files})
    engine.dispose()


@pytest.mark.slow
def test_a_scheduler_killed_mid_run_and_restarted_neither_repeats_nor_misses(
    taishan: Path, tmp_path: Path
) -> None:
    want, messages = reference(tmp_path)
    first = fast_scheduler(taishan)
    deadline = time.monotonic() + 30
    while fired(taishan) < 40 and time.monotonic() < deadline:
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=10)
    assert 40 <= fired(taishan) < sum(want.values()), "the kill should land in the middle of the period"

    second = fast_scheduler(taishan)
    output, _ = second.communicate(timeout=60)
    assert second.returncode == 0, output
    assert "模拟时钟已到终点" in output
    check_against_reference(taishan, want, messages)


@pytest.mark.slow
def test_two_schedulers_on_one_database_send_each_reminder_once(taishan: Path, tmp_path: Path) -> None:
    want, messages = reference(tmp_path)
    both = [fast_scheduler(taishan), fast_scheduler(taishan)]
    for p in both:
        output, _ = p.communicate(timeout=60)
        assert p.returncode == 0, output
    check_against_reference(taishan, want, messages)


@pytest.mark.slow
def test_the_scheduler_catches_up_at_start_and_stops_cleanly_on_sigterm(taishan: Path) -> None:
    proc = zhenggai(taishan, "scheduler", "run", now="2025-02-17T09:00")
    deadline = time.monotonic() + 20
    while fired(taishan) < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, output
    assert output.startswith("调度器已启动：")
    assert "2025-02-17 09:00 新增提醒 8 条（消息 8 条）；投递成功 8 条" in output
    assert "收到信号 SIGTERM，调度器退出" in output
    assert fired(taishan) == 8


# --- docs that run ----------------------------------------------------------------------------------

DOC = Path(__file__).parents[2] / "docs" / "reminders.md"


def test_the_reminder_walkthrough_in_the_docs_runs_as_shown(tmp_path: Path) -> None:
    """Every `console` block of docs/reminders.md, in one shell; each shown line is a prefix of an
    output line, in order."""
    steps: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif line.strip():
                steps[-1][1].append(line.rstrip())
    script = "\n".join(f'echo "@@CMD"\n{{ {command}\n}} 2>&1\necho "@@RC $?"' for command, _ in steps)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHENGGAI_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    done = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    chunks = re.split(r"^@@CMD\n", done.stdout, flags=re.M)[1:]
    assert len(chunks) == len(steps), done.stdout + done.stderr
    for (command, expected), chunk in zip(steps, chunks, strict=True):
        body, _, rc = chunk.rpartition("@@RC ")
        assert int(rc) == 0, f"{command}\n{body}"
        lines = [line.rstrip() for line in body.splitlines()]
        position = 0
        for want in expected:
            while position < len(lines) and not lines[position].startswith(want):
                position += 1
            assert position < len(lines), f"{command}\nexpected: {want}\ngot:\n{body}"
            position += 1


def test_every_reminder_command_is_in_the_docs() -> None:
    text = DOC.read_text(encoding="utf-8")
    for group in ("remind", "outbox", "scheduler"):
        command = cli.commands[group]
        assert isinstance(command, click.Group)
        for name in command.commands:
            assert f"`zhenggai {group} {name}" in text, f"zhenggai {group} {name}"
