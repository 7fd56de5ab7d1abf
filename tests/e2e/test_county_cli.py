"""A county in one database (issue 10 §3): one round of several inspected units, imported from a ledger
with a 被巡察单位 column and from a ledger of one unit (`--unit`); people of a unit see and act on its
items only — an item of another unit is answered exactly as an item that does not exist — while the
county level and auditors see all; each unit's public report, and the county roll-up."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import cli
from tests.backends import fresh_url
from tests.ledger_fixtures import row, write_xlsx
from workflow.reports.document import docx_text

ROUND = "十二届区委第二轮巡察"
COUNTY, TOWN_A, TOWN_B_HANDLER, AUDITOR = "区委巡察办", "城关镇整改办", "河口镇经办人", "区审计员"
HEADER = (
    "被巡察单位",
    "序号",
    "问题类别",
    "问题描述",
    "整改措施",
    "责任领导",
    "责任部门",
    "责任人",
    "整改时限",
    "完成情况",
)
Run = Callable[..., Result]


def _ledger(path: Path) -> Path:
    """城关镇: 3 problems (1 done, 1 overdue by 2025-02-14); 河口镇: 2 problems (none done, 1 overdue);
    the unit column merged the usual way (blank below the first row of each unit)."""
    rows = [
        row(1, 被巡察单位="城关镇", 责任领导="城关镇长", 责任人="城关经办人", 完成情况="已完成"),
        row(2, 责任领导="城关镇长", 责任人="城关经办人"),
        row(3, 责任领导="城关镇长", 责任人="城关经办人", 整改时限="2025-06-30"),
        row(1, 被巡察单位="河口镇", 责任领导="河口镇长", 责任人=TOWN_B_HANDLER, 整改时限="2024-11-30"),
        row(2, 责任领导="河口镇长", 责任人=TOWN_B_HANDLER, 完成情况="未启动", 整改时限="2025-06-30"),
    ]
    return write_xlsx(path, rows, HEADER)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    folder = tmp_path_factory.mktemp("county")
    url = fresh_url(folder, "county.db")
    runner = CliRunner()

    def invoke(*args: str, who: str | None = None, now: str = "2025-02-14T10:00") -> Result:
        prefix = ["--db", url, "--now", now, *(["--as", who] if who else [])]
        return runner.invoke(cli, [*prefix, *args], catch_exceptions=False)

    def ok(*args: str, who: str | None = None, now: str = "2024-10-20T10:00") -> Result:
        result = invoke(*args, who=who, now=now)
        assert result.exit_code == 0, result.output
        return result

    ok("init", "--admin", COUNTY)
    ledger = _ledger(folder / "county.xlsx")
    new_round = ("--round", ROUND, "--group", "区委第二巡察组", "--feedback-date", "2024-10-14")
    out = ok("ledger", "import", str(ledger), *new_round, who=COUNTY).output
    assert "城关镇 新增 3 项" in out and "河口镇 新增 2 项" in out
    one = write_xlsx(
        folder / "east.xlsx", [row(1, 责任领导="东坝镇长", 责任人="东坝经办人", 整改时限="2025-06-30")]
    )
    ok("ledger", "import", str(one), "--round", ROUND, "--unit", "东坝镇", who=COUNTY)
    ok("person", "add", TOWN_A, "--role", "office", "--unit", "城关镇", who=COUNTY)
    ok("person", "add", AUDITOR, "--role", "auditor", who=COUNTY)
    ok(
        "rule",
        "add",
        "城关镇公务接待管理办法",
        "--kind",
        "made",
        "--on",
        "2024-12-01",
        "--item",
        "2",
        who=COUNTY,
        now="2024-12-02T10:00",
    )
    yield invoke


def _ids(run: Run, who: str, *extra: str) -> list[int]:
    result = run("item", "list", "--json", *extra, who=who)
    assert result.exit_code == 0, result.output
    return [r["id"] for r in json.loads(result.stdout)]


def test_a_ledger_of_many_units_and_a_ledger_of_one_make_one_round_of_three_units(run: Run) -> None:
    assert _ids(run, COUNTY) == [1, 2, 3, 4, 5, 6]
    assert _ids(run, COUNTY, "--unit", "河口镇") == [4, 5]
    assert _ids(run, COUNTY, "--unit", "东坝镇") == [6]
    # Each unit numbers its own items: 一/1 in every town.
    listed = json.loads(run("item", "list", "--json", who=COUNTY).stdout)
    assert [r["number"] for r in listed].count("一/1") == 3
    # People a unit's ledger names are that unit's; and the trail still proves every table.
    assert _ids(run, TOWN_B_HANDLER) == [4, 5]
    verdict = run("audit", "verify", "--json").stdout
    assert json.loads(verdict)["ok"] is True


def test_a_unit_person_sees_their_unit_only_the_county_and_auditors_see_all(run: Run) -> None:
    assert _ids(run, TOWN_A) == [1, 2, 3]
    assert _ids(run, TOWN_A, "--unit", "河口镇") == []
    assert _ids(run, AUDITOR) == _ids(run, COUNTY) == [1, 2, 3, 4, 5, 6]
    summary = json.loads(run("summary", "--json", who=TOWN_A).stdout)
    assert (summary["problems"], summary["completed"], summary["rules_made"]) == (3, 1, 1)


def _error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    return result.output.strip()


# Every command that names an item, with what it needs besides the id.
COMMANDS: dict[str, tuple[str, ...]] = {
    "item show": (),
    "audit log": (),
    "audit signoff": (),
    "item assign": (),
    "item start": (),
    "item submit": ("--summary", "完成"),
    "item approve": (),
    "item reject": ("--reason", "不行"),
    "item revisit": (),
    "item confirm": ("--finding", "未反弹"),
    "item reopen": ("--reason", "反弹"),
    "item extend": ("--to", "2025-12-31", "--reason", "延期", "--approved-by", COUNTY),
    "item reassign": ("--reason", "调整", "--dept", "党政办"),
    "item measure-add": ("新措施",),
    "item measure-done": ("1",),
    "item progress": ("已推进",),
    "item evidence": ("--kind", "文件", "--ref", "城府〔2025〕1号"),
    "rule add": ("制度", "--kind", "made", "--on", "2025-01-10", "--item"),
    "accountability add": ("某人", "--measure", "诫勉谈话", "--on", "2025-01-10", "--item"),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_item_of_another_unit_is_answered_as_one_that_does_not_exist(run: Run, command: str) -> None:
    """城关镇's office asks for 河口镇's item 4: the same words, the same exit code, as for item 999."""
    words, extra = command.split(), COMMANDS[command]
    if extra[-1:] == ("--item",):  # a record of the round, for an item: the id is the option's
        words, extra = [*words, *extra], ()
    other = _error(run(*words, "4", *extra, who=TOWN_A))
    missing = _error(run(*words, "999", *extra, who=TOWN_A))
    assert other == missing.replace("999", "4")
    assert "4" in other and "河口" not in other


def test_an_item_of_ones_own_unit_is_acted_on(run: Run) -> None:
    result = run("item", "progress", "2", "召开专题会议", "--on", "2025-02-10", who=TOWN_A)
    assert result.exit_code == 0, result.output
    assert run("item", "show", "2", who=TOWN_A).exit_code == 0


def test_a_unit_office_adds_people_of_its_own_unit_only(run: Run) -> None:
    other = _error(run("person", "add", "越权人员", "--role", "handler", "--unit", "河口镇", who=TOWN_A))
    assert other == _error(
        run("person", "add", "越权人员", "--role", "handler", "--unit", "无此镇", who=TOWN_A)
    ).replace("无此镇", "河口镇")


def test_each_unit_publishes_its_own_report_and_a_unit_cannot_read_anothers(run: Run) -> None:
    own = run("report", "public", "--round", ROUND, "--unit", "河口镇", "--as-of", "2025-02-14", who=COUNTY)
    assert own.exit_code == 0, own.output
    assert "河口镇认真研究制定整改措施" in own.output and "共反馈河口镇1个方面2个问题" in own.output
    assert "城关" not in own.output
    refused = _error(run("report", "public", "--round", ROUND, "--unit", "河口镇", who=TOWN_A))
    unknown = _error(run("report", "public", "--round", ROUND, "--unit", "无此镇", who=TOWN_A))
    assert refused == unknown.replace("无此镇", "河口镇")
    several = _error(run("report", "public", "--round", ROUND, who=COUNTY))
    assert "有多个被巡察单位，请用 --unit 指明：城关镇、河口镇、东坝镇" in several


def test_the_rollup_puts_the_slowest_unit_first_and_its_rows_add_up(run: Run, tmp_path: Path) -> None:
    data = json.loads(run("report", "rollup", "--round", ROUND, "--as-of", "2025-02-14", "--json").stdout)
    rows = [(r["unit"], r["problems"], r["completed"], r["overdue"], r["rules_made"]) for r in data["rows"]]
    # 河口镇 and 东坝镇 have done nothing (河口镇 has an item overdue since November: it comes first).
    assert rows == [("河口镇", 2, 0, 1, 0), ("东坝镇", 1, 0, 0, 0), ("城关镇", 3, 1, 1, 1)]
    t = data["totals"]
    assert (t["problems"], t["completed"], t["overdue"], t["rules_made"]) == (6, 1, 2, 1)
    assert t["completion_rate"] == "17%"
    text = run("report", "rollup", "--round", ROUND, "--as-of", "2025-02-14").output
    assert re.search(r"合计\s+6\s+1\s+5\s+17%\s+2\s+1", text), text
    # As of a day before the first ledger: nothing yet, every row still there.
    early = json.loads(run("report", "rollup", "--round", ROUND, "--as-of", "2024-10-01", "--json").stdout)
    assert [r["problems"] for r in early["rows"]] == [0, 0, 0]
    md = run("report", "rollup", "--round", ROUND, "--as-of", "2025-02-14", "--format", "md").output
    assert "| 河口镇 | 2 | 0 | 2 | 0% | 1 | 0 |" in md and "| 合计 | 6 | 1 | 5 | 17% | 2 | 1 |" in md
    for suffix in ("docx", "xlsx"):
        out = tmp_path / f"汇总.{suffix}"
        assert (
            run("report", "rollup", "--round", ROUND, "--as-of", "2025-02-14", "--out", str(out)).exit_code
            == 0
        )
    assert "截至2025年2月14日" in docx_text(tmp_path / "汇总.docx")
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "汇总.xlsx").active
    assert sheet is not None
    values = [[c.value for c in r] for r in sheet.iter_rows(min_row=3)]
    assert values[0] == ["河口镇", 2, 0, 2, "0%", 1, 0] and values[-1] == ["合计", 6, 1, 5, "17%", 2, 1]


@pytest.mark.parametrize("day", ["2024-12-01", "2025-02-14"])
def test_each_units_report_says_what_its_rollup_row_says(run: Run, day: str) -> None:
    """A unit's report reads only its own items' entries (one unit's report in a county); the roll-up
    reads the round's: the figures agree."""
    rows = json.loads(run("report", "rollup", "--round", ROUND, "--as-of", day, "--json").stdout)["rows"]
    for r in rows:
        args = ("report", "public", "--round", ROUND, "--unit", r["unit"], "--as-of", day, "--json")
        own = json.loads(run(*args).stdout)
        keys = ("problems", "completed", "overdue", "measures", "rules_made", "completion_rate")
        assert {k: own[k] for k in keys} == {k: r[k] for k in keys}


def test_a_unit_person_sees_their_own_row_of_the_rollup(run: Run) -> None:
    data = json.loads(
        run("report", "rollup", "--round", ROUND, "--as-of", "2025-02-14", "--json", who=TOWN_A).stdout
    )
    assert [r["unit"] for r in data["rows"]] == ["城关镇"] and data["totals"]["problems"] == 3


def test_the_board_shows_a_row_per_unit_slowest_first_and_a_unit_its_own_items_only(
    run: Run, tmp_path: Path
) -> None:
    county = json.loads(run("board", "--round", ROUND, "--as-of", "2025-02-14", "--json").stdout)
    assert [(u["unit"], u["total"], u["completed"], u["overdue"]) for u in county["units"]] == [
        ("河口镇", 2, 0, 1),
        ("东坝镇", 1, 0, 0),
        ("城关镇", 3, 1, 1),
    ]
    text = run("board", "--round", ROUND, "--as-of", "2025-02-14").output
    assert "按被巡察单位（完成率由低到高）：" in text
    assert text.index("河口镇") < text.index("东坝镇") < text.index("城关镇")
    page = tmp_path / "board.html"
    assert run("board", "--round", ROUND, "--as-of", "2025-02-14", "--html", str(page)).exit_code == 0
    assert '<table id="units">' in page.read_text(encoding="utf-8")
    own = json.loads(run("board", "--as-of", "2025-02-14", "--json", who=TOWN_A).stdout)
    assert own["totals"]["problems"] == 3 and "units" not in own
    assert {a["department"] for a in own["attention"]} <= {"村镇规划建设办公室"}
    assert max(p["open"] + p["closed"] for p in own["timeline"]) == 3


def test_reminders_about_an_item_go_to_the_county_and_its_own_unit_only(run: Run) -> None:
    result = run("remind", "run", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    told: dict[str, set[str]] = {}
    for m in json.loads(result.stdout)["messages"]:
        for s in m["scopes"]:
            told.setdefault(s["scope"], set()).add(m["recipient"])
    assert {COUNTY, TOWN_A} <= told["item:2"]  # 城关镇's escalation: its office and the county's
    assert COUNTY in told["item:4"] and TOWN_A not in told["item:4"]  # 河口镇's: not 城关镇's office


def test_a_units_exported_ledger_is_that_units_and_goes_back_to_it(run: Run, tmp_path: Path) -> None:
    several = _error(run("ledger", "export", str(tmp_path / "all.xlsx"), "--round", ROUND, who=COUNTY))
    assert "有多个被巡察单位，请用 --unit 指明" in several
    path = tmp_path / "hekou.xlsx"
    out = run("ledger", "export", str(path), "--round", ROUND, "--unit", "河口镇", "--as-of", "2025-02-14")
    assert out.output.startswith("已导出 2 项")
    refused = _error(run("ledger", "export", str(path), "--round", ROUND, "--unit", "河口镇", who=TOWN_A))
    assert "没有名为「河口镇」的被巡察单位" in refused
    # Its 轮次信息 names the unit: imported again (without --unit), it updates 河口镇's two items.
    again = run("ledger", "import", str(path), "--round", ROUND, "--dry-run", "--json", who=COUNTY)
    assert again.exit_code == 0, again.output
    data = json.loads(again.stdout)
    assert (data["unit"], data["create"]) == ("河口镇", 0)


def test_the_weekly_bulletin_of_a_unit_and_of_the_county(run: Run) -> None:
    args = ("report", "weekly", "--round", ROUND, "--as-of", "2025-02-14", "--json")
    county = json.loads(run(*args, who=COUNTY).stdout)
    own = json.loads(run(*args, who=TOWN_A).stdout)
    assert (county["problems"], own["problems"]) == (6, 3)
    md = run("report", "weekly", "--round", ROUND, "--as-of", "2025-02-14", who=TOWN_A).output
    assert md.startswith("# 城关镇巡察整改工作周通报")
    other = _error(run(*args, "--unit", "河口镇", who=TOWN_A))
    assert other == _error(run(*args, "--unit", "无此镇", who=TOWN_A)).replace("无此镇", "河口镇")


def test_rules_are_listed_to_the_unit_they_count_for(run: Run) -> None:
    def titles(who: str) -> list[str]:
        result = run("rule", "list", "--json", who=who)
        assert result.exit_code == 0, result.output
        return [r["title"] for r in json.loads(result.stdout)]

    assert titles(TOWN_A) == titles(COUNTY) == ["城关镇公务接待管理办法"]
    assert titles(TOWN_B_HANDLER) == []


def test_a_unit_person_lists_their_units_people_and_the_countys(run: Run) -> None:
    def names(who: str) -> set[str]:
        return {p["name"] for p in json.loads(run("person", "list", "--json", who=who).stdout)}

    assert {COUNTY, AUDITOR, TOWN_A, TOWN_B_HANDLER} <= names(COUNTY)
    assert {COUNTY, AUDITOR, TOWN_A, "城关经办人"} <= names(TOWN_A)
    assert TOWN_B_HANDLER not in names(TOWN_A) and "东坝经办人" not in names(TOWN_A)


def test_people_are_managed_within_their_unit(run: Run) -> None:
    # 城关镇's office manages 城关镇's people; another town's person is, to them, nobody.
    edited = run("person", "edit", "城关经办人", "--title", "经办人", who=TOWN_A)
    assert edited.exit_code == 0, edited.output
    other = _error(run("person", "edit", TOWN_B_HANDLER, "--title", "经办人", who=TOWN_A))
    assert other == _error(run("person", "edit", "无此人", "--title", "经办人", who=TOWN_A)).replace(
        "无此人", TOWN_B_HANDLER
    )
    assert "不能改变人员所属的被巡察单位" in _error(
        run("person", "edit", "城关经办人", "--unit", "", who=TOWN_A)
    )
    moved = run("person", "edit", "东坝经办人", "--unit", "河口镇", who=COUNTY)
    assert moved.exit_code == 0 and "被巡察单位 东坝镇 → 河口镇" in moved.output, moved.output
    assert json.loads(run("audit", "verify", "--json").stdout)["ok"] is True


def test_a_problem_added_by_hand_goes_into_a_unit(run: Run) -> None:
    args = ("item", "add", "--aspect", "一", "新增问题", "--round", ROUND)
    own = run(*args, who=TOWN_A)  # 城关镇's office: into 城关镇, after its 一/1 … 一/3
    assert own.exit_code == 0 and own.output.startswith("已新增事项 7（一/4）"), own.output
    county = run(*args, "--unit", "河口镇", who=COUNTY)
    assert county.exit_code == 0 and "（一/3）" in county.output, county.output
    assert _ids(run, TOWN_A)[-1] == 7 and 8 in _ids(run, COUNTY, "--unit", "河口镇")
    other = _error(run(*args, "--unit", "河口镇", who=TOWN_A))
    assert "没有名为「河口镇」的被巡察单位" in other
    assert json.loads(run("audit", "verify", "--json").stdout)["ok"] is True
