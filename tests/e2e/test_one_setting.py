"""One setting per fact: the yellow threshold ([lights] yellow_days) colours `item list`, `item show`,
the board and the ledger export alike; the rate's precision ([report] rate_precision) holds for
`summary` as for the reports. The older spellings still work when they agree."""

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
