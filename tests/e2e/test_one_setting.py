"""One setting per fact: the yellow threshold ([lights] yellow_days) colours `item list`, `item show`,
the board and the ledger export alike; the rate ([report] rate_counts and rate_precision) and the
categories' wording ([categories]) hold for `summary` as for the reports and the board. The older
spellings still work when they agree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import cli
from tests.backends import fresh_url
from workflow.demo import example_path

# Items 1 and 2 are due 2024-12-31: on 2024-12-11 they have 20 days left; item 3 (2025-02-14) has 65.
NOW = "2024-12-11T10:00"


@pytest.fixture
def zg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZHENGGAI_DB", fresh_url(tmp_path, "z.db"))
    monkeypatch.setenv("ZHENGGAI_NOW", NOW)
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    seed = runner.invoke(cli, ["--as", "镇整改办", "import", str(example_path("taishan.yaml"))])
    assert seed.exit_code == 0, seed.output
    return runner


def run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, list(args), catch_exceptions=False)


def lights(runner: CliRunner) -> dict[int, str]:
    result = run(runner, "item", "list", "--json")
    assert result.exit_code == 0, result.output
    return {r["id"]: r["colour"] for r in json.loads(result.stdout)}


def test_the_default_threshold_is_ten_days(zg: CliRunner) -> None:
    assert lights(zg) == {1: "green", 2: "green", 3: "green"}


def test_one_setting_colours_the_list_the_item_and_the_board(zg: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "zhenggai.toml").write_text("[lights]\nyellow_days = 20\n", encoding="utf-8")
    assert lights(zg) == {1: "yellow", 2: "yellow", 3: "green"}
    shown = json.loads(run(zg, "item", "show", "1", "--json").stdout)
    assert shown["colour"] == "yellow"
    board = json.loads(run(zg, "board", "--json").stdout)
    assert (board["totals"]["yellow"], board["totals"]["green"]) == (2, 1)


@pytest.mark.parametrize(
    "old", ["[report]\nyellow_days = 20\n", "[reminders.deadline]\nwarning_days = 20\nnotice_days = 30\n"]
)
def test_the_older_keys_still_set_it(zg: CliRunner, tmp_path: Path, old: str) -> None:
    (tmp_path / "zhenggai.toml").write_text(old, encoding="utf-8")
    assert lights(zg) == {1: "yellow", 2: "yellow", 3: "green"}


def test_two_places_that_disagree_are_refused_naming_both(zg: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "zhenggai.toml").write_text(
        "[lights]\nyellow_days = 5\n[report]\nyellow_days = 20\n", encoding="utf-8"
    )
    result = run(zg, "item", "list")
    assert result.exit_code == 1
    assert "黄灯天数设置不一致：[lights] yellow_days = 5、[report] yellow_days = 20" in result.stderr


def test_summary_prints_the_rate_with_the_configured_precision(zg: CliRunner, tmp_path: Path) -> None:
    for n in (1, 2, 3):
        assert run(zg, "--as", "镇整改办", "item", "assign", str(n)).exit_code == 0
    (tmp_path / "zhenggai.toml").write_text("[report]\nrate_precision = 2\n", encoding="utf-8")
    assert json.loads(run(zg, "summary", "--json").stdout)["completion_rate"] == "0.00%"
    assert json.loads(run(zg, "summary", "--json", "--precision", "1").stdout)["completion_rate"] == "0.0%"
    (tmp_path / "zhenggai.toml").write_text("", encoding="utf-8")
    assert json.loads(run(zg, "summary", "--json").stdout)["completion_rate"] == "0%"


def test_the_yellow_reminder_goes_out_for_the_items_the_board_shows_yellow(
    zg: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "zhenggai.toml").write_text(
        "[lights]\nyellow_days = 20\n[reminders.deadline]\nnotice_days = 30\n", encoding="utf-8"
    )
    for n in (1, 2, 3):
        assert run(zg, "--as", "镇整改办", "item", "assign", str(n)).exit_code == 0
    yellow = {i for i, c in lights(zg).items() if c == "yellow"}
    result = run(zg, "remind", "run", "--dry-run", "--json", "--now", "2024-12-11T09:00")
    assert result.exit_code == 0, result.output
    warned = {
        int(s["scope"].removeprefix("item:"))
        for m in json.loads(result.stdout)["messages"]
        if m["rule"] == "deadline_warning"
        for s in m["scopes"]
    }
    assert warned == yellow == {1, 2}


def test_the_categories_wording_and_the_rates_numerator_are_one_setting(
    zg: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "zhenggai.toml").write_text(
        '[categories]\nbasic = "阶段性完成"\n[report]\nrate_counts = ["已完成", "阶段性完成"]\nrate_precision = 1\n',
        encoding="utf-8",
    )
    assert run(zg, "--as", "镇整改办", "item", "assign", "3").exit_code == 0
    done = run(zg, "--as", "镇整改办", "item", "categorize", "3", "阶段性完成", "--reason", "阶段目标已完成")
    assert done.exit_code == 0 and done.stdout.startswith("事项 3（一/3）：认定完成类别，仍为已交办")
    summary = run(zg, "summary")
    assert (
        "截至2024年12月11日，已完成整改0个，阶段性完成1个，正在整改2个，整改完成率为33.3%。" in summary.stdout
    )
    board = run(zg, "board")
    assert "问题 3 个：已完成 0，阶段性完成 1，正在整改 2，逾期 0，完成率 33.3%" in board.stdout
    report = run(zg, "report", "public", "--as-of", "2024-12-11")
    assert "已完成整改0个，阶段性完成1个，未整改（正在整改）2项，整改完成率为33.3%" in report.stdout


def test_categorize_names_the_categories_it_knows_and_refuses_completed(zg: CliRunner) -> None:
    unknown = run(zg, "--as", "镇整改办", "item", "categorize", "1", "\x1b[31m差不多")
    assert (
        unknown.exit_code == 2
        and "未知的完成类别（可用：已完成、基本完成、正在整改、未完成、长期坚持）" in unknown.stderr
    )
    assert "\x1b" not in unknown.stderr  # the typed word is not echoed to the terminal
    done = run(zg, "--as", "镇整改办", "item", "categorize", "1", "已完成")
    assert done.exit_code == 1 and "「已完成」只能经提请销号、销号审核得出" in done.stderr
    config = Path("zhenggai.toml")  # in the fixture's working folder
    config.write_text('[report]\nrate_counts = ["大致完成"]\n', encoding="utf-8")
    bad = run(zg, "summary")
    assert bad.exit_code == 1 and "rate_counts 中有未知的完成类别：大致完成" in bad.stderr
    config.write_text('[categories]\nbasic = "已完成"\n', encoding="utf-8")
    assert "各完成类别的说法不能相同" in run(zg, "summary").stderr
