"""Time runs forward in the trail (issue 9 §2): an action dated before the chain's newest entry, before
its round's feedback, or ahead of the machine's clock is refused and writes nothing; entering paper
records after the fact works, in order, and shows as such; verify names a trail whose time runs back."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import cli
from tests.backends import BACKEND, fresh_url
from workflow.audit.chain import entry_hash
from workflow.demo import example_path

OFFICE, HANDLER, APPROVER = "镇整改办", "规划办经办人", "县委巡察办"


@pytest.fixture
def zg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZHENGGAI_DB", fresh_url(tmp_path, "z.db"))
    monkeypatch.delenv("ZHENGGAI_NOW", raising=False)
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    seed = runner.invoke(
        cli, ["--now", "2024-10-14T16:00", "--as", OFFICE, "import", str(example_path("taishan.yaml"))]
    )
    assert seed.exit_code == 0, seed.output
    return runner


def run(runner: CliRunner, now: str, who: str, *args: str) -> Result:
    return runner.invoke(cli, ["--now", now, "--as", who, *args], catch_exceptions=False)


def work_item_3_to_submitted(zg: CliRunner) -> None:
    steps = [
        ("2024-10-15T09:00", OFFICE, "item", "assign", "3"),
        ("2024-10-15T10:00", HANDLER, "item", "start", "3"),
        ("2024-11-13T10:00", HANDLER, "item", "measure-done", "3", "1"),
        ("2024-11-13T11:00", HANDLER, "item", "evidence", "3", "--kind", "文件", "--ref", "备案材料"),
        ("2025-02-20T09:00", HANDLER, "item", "submit", "3", "--summary", "设施农用地已备案"),
    ]
    for now, who, *args in steps:
        result = run(zg, now, who, *args)
        assert result.exit_code == 0, result.output


def trail(zg: CliRunner) -> list[dict[str, object]]:
    out = zg.invoke(cli, ["audit", "log", "--json"], catch_exceptions=False)
    return list(json.loads(out.stdout))


def test_an_approval_dated_before_the_submission_is_refused_and_the_report_keeps_its_past(
    zg: CliRunner,
) -> None:
    work_item_3_to_submitted(zg)
    before = trail(zg)
    report = zg.invoke(cli, ["report", "public", "--as-of", "2024-12-01", "--json"]).stdout
    result = run(zg, "2024-11-01T10:00", APPROVER, "item", "approve", "3")
    assert result.exit_code == 1
    assert "操作时间 2024-11-01 10:00 早于审计日志中最近的一条" in result.stderr
    assert "只能按时间顺序追加" in result.stderr
    assert trail(zg) == before
    assert zg.invoke(cli, ["report", "public", "--as-of", "2024-12-01", "--json"]).stdout == report
    # The same approval at its true time, after the submission, goes through.
    assert run(zg, "2025-02-21T10:00", APPROVER, "item", "approve", "3").exit_code == 0


def test_an_action_dated_before_the_rounds_feedback_is_refused(zg: CliRunner) -> None:
    result = run(zg, "2000-01-01T10:00", OFFICE, "item", "assign", "1")
    assert result.exit_code == 1
    # Before the chain's head as well; whichever is named, nothing is written.
    assert "早于" in result.stderr
    n = len(trail(zg))
    result = run(zg, "2024-10-14T08:00", OFFICE, "item", "assign", "1")  # same day as the import, earlier
    assert result.exit_code == 1 and len(trail(zg)) == n


def test_the_feedback_date_bounds_an_action_even_when_the_chain_is_older(
    zg: CliRunner, tmp_path: Path
) -> None:
    # A second round fed back later than the first round's newest entry.
    yaml = example_path("taishan.yaml").read_text(encoding="utf-8")
    second = yaml.replace("feedback_date: 2024-10-14", "feedback_date: 2024-12-01").replace(
        "name: 县委上下联动乡村振兴专项巡察", "name: 县委第二轮巡察"
    )
    (tmp_path / "second.yaml").write_text(second, encoding="utf-8")
    assert "2024-12-01" in second
    assert run(zg, "2024-10-20T10:00", OFFICE, "import", str(tmp_path / "second.yaml")).exit_code == 0
    result = run(zg, "2024-11-20T10:00", OFFICE, "item", "assign", "4")
    assert result.exit_code == 1
    assert "早于事项 4（一/1）所在巡察轮次的反馈日期 2024-12-01" in result.stderr


def test_a_future_moment_is_refused_so_it_cannot_block_everyone_after_it(zg: CliRunner) -> None:
    result = run(zg, "2099-01-01T10:00", OFFICE, "item", "assign", "1")
    assert result.exit_code == 1
    assert "晚于当前时间" in result.stderr
    assert run(zg, "2024-10-21T10:00", OFFICE, "item", "assign", "1").exit_code == 0


def test_paper_records_entered_after_the_fact_show_as_back_dated(zg: CliRunner) -> None:
    assert run(zg, "2024-10-21T10:00", OFFICE, "item", "assign", "1").exit_code == 0
    entries = trail(zg)
    assert all(e["recorded_at_utc"] for e in entries) and str(entries[-1]["recorded"]).endswith("（补录）")
    shown = zg.invoke(cli, ["item", "show", "1"]).stdout
    assert "（补录，记录于 " in shown
    history = json.loads(zg.invoke(cli, ["item", "show", "1", "--json"]).stdout)["history"]
    assert history[-1]["back_dated"] is True


@pytest.mark.skipif(BACKEND != "sqlite", reason="rewrites the SQLite file behind the engine's back")
def test_verify_names_a_trail_whose_time_runs_back_even_with_every_hash_recomputed(
    zg: CliRunner, tmp_path: Path
) -> None:
    work_item_3_to_submitted(zg)
    path = tmp_path / "z.db"
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER audit_no_update")
        rows = conn.execute("SELECT * FROM audit ORDER BY seq").fetchall()
        prev = rows[0][9]
        for row in rows:  # move #10 back a year, and rebuild the whole chain after it as an attacker would
            values = list(row)
            if values[0] == 10:
                values[1] = "2023-10-15T02:00:00.000000Z"
            values[9] = prev
            values[10] = entry_hash(values[:10], values[11])
            conn.execute(
                "UPDATE audit SET at = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                (values[1], values[9], values[10], values[0]),
            )
            prev = values[10]
    result = zg.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "条目 #10 的时间 2023-10-15 10:00 早于 #9 的" in result.stderr and "时间倒流" in result.stderr
