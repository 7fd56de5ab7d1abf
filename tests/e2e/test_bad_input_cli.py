"""Bad input through the command line: every option and argument that takes text, a date, a number or
a file. Each answer is exit code 1 and one line on stderr saying in Chinese what is wrong — never a
traceback, never English from a library — and the database is exactly as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from cli import cli
from tests.backends import BACKEND, fresh_url
from tests.bad_input_fixtures import BAD_DATES, BAD_TEXT, HANDLER, OFFICE, SQL, assert_clear, dump, seed
from tests.ledger_fixtures import row, write_csv
from workflow import db
from workflow.demo import example_path

Invoke = Callable[..., Result]
NOW = "2025-01-10T10:00"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, sa.Engine]]:
    """One seeded database (item 1 in 整改中) shared by every refusal here: each must leave it as it was."""
    url = fresh_url(tmp_path_factory.mktemp("cli"))
    engine = db.make_engine(url)
    seed(engine)
    yield url, engine
    engine.dispose()


@pytest.fixture
def run(database: tuple[str, sa.Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZHENGGAI_DB", database[0])
    monkeypatch.setenv("ZHENGGAI_NOW", NOW)
    for name in ("ZHENGGAI_USER", "ZHENGGAI_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: str, who: str | None = OFFICE) -> Result:
        return runner.invoke(cli, [*(["--as", who] if who else []), *args], catch_exceptions=False)

    return invoke


def seeded_here(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database of its own, seeded as `database` is, for a control that writes; the CLI runs in
    `folder` against it at NOW."""
    url = fresh_url(folder)
    engine = db.make_engine(url)
    seed(engine)
    engine.dispose()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("ZHENGGAI_DB", url)
    monkeypatch.setenv("ZHENGGAI_NOW", NOW)


def refused(
    run: Invoke, engine: sa.Engine, args: list[str], *allowed: object, who: str | None = OFFICE
) -> str:
    """Exit 1, nothing on stdout, one clear Chinese line first on stderr; the database unchanged."""
    before = dump(engine)
    result = run(*args, who=who)
    assert result.exit_code == 1, f"{args[:4]}: exit {result.exit_code}\n{result.output[:500]}"
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert_clear(result.stderr.removeprefix("Error: "), *allowed, *args)
    assert dump(engine) == before
    return result.stderr


# --- text -------------------------------------------------------------------------------------------------

Args = Callable[[str], list[str]]
TEXT_OPTIONS: dict[str, tuple[Args, str]] = {
    "person add NAME": (lambda v: ["person", "add", v, "--role", "leader"], OFFICE),
    "person add --dept": (lambda v: ["person", "add", "新人", "--role", "leader", "--dept", v], OFFICE),
    "person add --title": (lambda v: ["person", "add", "新人", "--role", "leader", "--title", v], OFFICE),
    "person add --email": (lambda v: ["person", "add", "新人", "--role", "leader", "--email", v], OFFICE),
    "init --admin": (lambda v: ["init", "--admin", v], OFFICE),
    "item assign --reason": (lambda v: ["item", "assign", "3", "--reason", v], OFFICE),
    "item submit --summary": (lambda v: ["item", "submit", "1", "--summary", v], HANDLER),
    "item confirm --finding": (lambda v: ["item", "confirm", "1", "--finding", v], OFFICE),
    "item extend --reason": (
        lambda v: ["item", "extend", "1", "--to", "2025-03-31", "--reason", v, "--approved-by", "徐波"],
        HANDLER,
    ),
    "item extend --approved-by": (
        lambda v: ["item", "extend", "1", "--to", "2025-03-31", "--reason", "r", "--approved-by", v],
        HANDLER,
    ),
    "item reassign --reason": (
        lambda v: ["item", "reassign", "1", "--reason", v, "--dept", "新部门"],
        OFFICE,
    ),
    "item reassign --dept": (lambda v: ["item", "reassign", "1", "--reason", "调整", "--dept", v], OFFICE),
    "item reassign --leader": (
        lambda v: ["item", "reassign", "1", "--reason", "调整", "--leader", v],
        OFFICE,
    ),
    "item reassign --handler": (
        lambda v: ["item", "reassign", "1", "--reason", "调整", "--handler", v],
        OFFICE,
    ),
    "item reassign --cooperating": (
        lambda v: ["item", "reassign", "1", "--reason", "调整", "--cooperating", v],
        OFFICE,
    ),
    "item measure-add TEXT": (lambda v: ["item", "measure-add", "1", v], OFFICE),
    "item measure-add --owner": (lambda v: ["item", "measure-add", "1", "新措施", "--owner", v], OFFICE),
    "item progress TEXT": (lambda v: ["item", "progress", "1", v, "--on", "2025-01-09"], HANDLER),
    "item progress --when": (lambda v: ["item", "progress", "1", "进展", "--when", v], HANDLER),
    "item evidence --ref": (lambda v: ["item", "evidence", "1", "--kind", "批文", "--ref", v], HANDLER),
    "item evidence --note": (
        lambda v: ["item", "evidence", "1", "--kind", "批文", "--ref", "文号", "--note", v],
        HANDLER,
    ),
    "rule add TITLE": (lambda v: ["rule", "add", v, "--kind", "made", "--on", "2025-01-09"], OFFICE),
    "rule add --doc": (
        lambda v: ["rule", "add", "制度", "--kind", "made", "--on", "2025-01-09", "--doc", v],
        OFFICE,
    ),
    "rule add --note": (
        lambda v: ["rule", "add", "制度", "--kind", "made", "--on", "2025-01-09", "--note", v],
        OFFICE,
    ),
    "accountability add NAME": (
        lambda v: ["accountability", "add", v, "--measure", "约谈", "--on", "2025-01-09"],
        OFFICE,
    ),
    "accountability add --post": (
        lambda v: ["accountability", "add", "张某", "--measure", "约谈", "--on", "2025-01-09", "--post", v],
        OFFICE,
    ),
    "accountability add --reason": (
        lambda v: ["accountability", "add", "张某", "--measure", "约谈", "--on", "2025-01-09", "--reason", v],
        OFFICE,
    ),
    "accountability add --measure": (
        lambda v: ["accountability", "add", "张某", "--measure", v, "--on", "2025-01-09"],
        OFFICE,
    ),
    "person login LOGIN": (lambda v: ["person", "login", "徐波", v], OFFICE),
    "db grants --role": (lambda v: ["db", "grants", "--role", v], OFFICE),
    "--as": (lambda v: ["--as", v, "item", "assign", "3"], ""),
    "--round of a read command": (lambda v: ["board", "--round", v], OFFICE),
    # issue 10 §4: people and items managed
    "person edit --dept": (lambda v: ["person", "edit", "徐波", "--dept", v], OFFICE),
    "person edit --email": (lambda v: ["person", "edit", "徐波", "--email", v], OFFICE),
    "person deactivate --reason": (lambda v: ["person", "deactivate", "徐波", "--reason", v], OFFICE),
    "item add TITLE": (lambda v: ["item", "add", "--aspect", "一", v], OFFICE),
    "item add --aspect": (lambda v: ["item", "add", "--aspect", v, "新问题"], OFFICE),
    "item add --department": (
        lambda v: ["item", "add", "--aspect", "一", "新问题", "--department", v],
        OFFICE,
    ),
    "item add --measure": (lambda v: ["item", "add", "--aspect", "一", "新问题", "--measure", v], OFFICE),
    "item edit --title": (lambda v: ["item", "edit", "1", "--title", v], OFFICE),
    "item edit --description": (lambda v: ["item", "edit", "1", "--description", v], OFFICE),
    "item list --category": (lambda v: ["item", "list", "--category", v], OFFICE),
}
# NUL and bytes that were not UTF-8 are refused for every argument before any command runs (see
# test_text_no_database_can_hold_is_refused_even_where_it_is_only_looked_up); here each option's own check.
CLI_TEXT = {k: BAD_TEXT[k] for k in ("overlong", "ESC", "C1")}

# What each option's value is called in the refusal and its longest length: the reason must name both.
FIELDS: dict[str, tuple[str, int]] = {
    "person add NAME": ("姓名", 64),
    "person add --dept": ("部门", 200),
    "person add --title": ("职务", 200),
    "person add --email": ("邮箱", 200),
    "init --admin": ("姓名", 64),
    "item assign --reason": ("理由", 20000),
    "item submit --summary": ("整改完成情况", 20000),
    "item confirm --finding": ("回头看结论", 20000),
    "item extend --reason": ("理由", 20000),
    "item extend --approved-by": ("人员姓名", 64),
    "item reassign --reason": ("理由", 20000),
    "item reassign --dept": ("责任部门", 200),
    "item reassign --leader": ("责任领导", 64),
    "item reassign --handler": ("责任人", 64),
    "item reassign --cooperating": ("配合单位", 1000),
    "item measure-add TEXT": ("整改措施", 5000),
    "item measure-add --owner": ("措施责任单位", 200),
    "item progress TEXT": ("进展内容", 20000),
    "item progress --when": ("日期说明", 40),
    "item evidence --ref": ("文号", 200),
    "item evidence --note": ("说明", 5000),
    "rule add TITLE": ("制度名称", 500),
    "rule add --doc": ("文号", 200),
    "rule add --note": ("说明", 5000),
    "accountability add NAME": ("被问责人", 64),
    "accountability add --post": ("单位及职务", 200),
    "accountability add --reason": ("问责事由", 5000),
    "--as": ("人员姓名", 64),
    "person edit --dept": ("部门", 200),
    "person edit --email": ("邮箱", 200),
    "person deactivate --reason": ("理由", 2000),
    "item add TITLE": ("问题标题", 500),
    "item add --aspect": ("方面", 500),
    "item add --department": ("责任部门", 200),
    "item add --measure": ("整改措施", 5000),
    "item edit --title": ("问题标题", 500),
    "item edit --description": ("问题描述", 20000),
}
# Options whose value must be one of a known set, or a name SQL can quote: the rule is that one.
LOOKUPS: dict[str, str] = {
    "accountability add --measure": "未知的问责方式 '{v}'（可用：",
    "person login LOGIN": "无效的数据库登录名 '{v}'（小写字母、数字和下划线，最多 63 个字符）",
    "db grants --role": "无效的人员角色名：'{v}'（小写字母、数字和下划线，最多 63 个字符）",
    "--round of a read command": "没有名为「{v}」的巡察轮次",
    "item list --category": "没有编号或标题为 '{v}' 的问题类别（方面）",
}


def reason(option: str, kind: str) -> str:
    """The refusal expected for `kind` of bad text in `option`: the field named, and the rule."""
    if option in LOOKUPS:
        if kind == "overlong":  # the value is shown cut short: the words before it, and its start
            return LOOKUPS[option].split("{v}")[0] + "长" * 30
        return LOOKUPS[option].format(v={"ESC": "甲\\x1b[31m乙", "C1": "甲\\x9b乙"}[kind])
    label, limit = FIELDS[option]
    if kind == "overlong":
        return f"{label}过长（20001 字，最多 {limit} 字）"
    shown = "\\x1b" if kind == "ESC" else "\\x9b"
    return f"{label}含有控制字符 '{shown}'"


def test_every_text_option_has_its_reason_and_its_control() -> None:
    assert set(FIELDS) | set(LOOKUPS) == set(TEXT_OPTIONS) == set(GOOD)


@pytest.mark.parametrize("kind", list(CLI_TEXT))
@pytest.mark.parametrize("option", list(TEXT_OPTIONS))
def test_bad_text_in_any_option_is_refused_for_its_own_reason_and_stores_nothing(
    run: Invoke, database: tuple[str, sa.Engine], option: str, kind: str
) -> None:
    args, who = TEXT_OPTIONS[option]
    stderr = refused(run, database[1], args(CLI_TEXT[kind]), who=who or None)
    assert reason(option, kind) in stderr, stderr[:300]


# The positive control of each option: a good value, in a database seeded the same way, succeeds (after
# the steps that put the item where the command applies). A refusal above is then about the value.
GOOD: dict[str, tuple[str, list[list[str]]]] = {
    "person add NAME": ("新同事", []),
    "person add --dept": ("新部门", []),
    "person add --title": ("科员", []),
    "person add --email": ("xin@example.cn", []),
    "init --admin": ("新管理员", []),
    "item assign --reason": ("方案已完整", []),
    "item submit --summary": ("手续已办结", []),
    "item confirm --finding": ("未反弹", []),
    "item extend --reason": ("备案办理中", []),
    "item extend --approved-by": ("徐波", []),
    "item reassign --reason": ("调整分工", []),
    "item reassign --dept": ("新部门", []),
    "item reassign --leader": ("县委巡察办", []),
    "item reassign --handler": ("县委巡察办", []),
    "item reassign --cooperating": ("财政所、国土所", []),
    "item measure-add TEXT": ("新增核查", []),
    "item measure-add --owner": ("财政所", []),
    "item progress TEXT": ("已完成复耕", []),
    "item progress --when": ("十月下旬", []),
    "item evidence --ref": ("获政土〔2024〕27号", []),
    "item evidence --note": ("批复原件", []),
    "rule add TITLE": ("土地巡查制度", []),
    "rule add --doc": ("太发〔2025〕1号", []),
    "rule add --note": ("新制定", []),
    "accountability add NAME": ("王某", []),
    "accountability add --post": ("村委会主任", []),
    "accountability add --reason": ("履职不力", []),
    "accountability add --measure": ("约谈", []),
    "person login LOGIN": ("xu_bo", []),
    "db grants --role": ("zhenggai_app", []),
    "--as": (OFFICE, []),
    "--round of a read command": ("县委上下联动乡村振兴专项巡察（太山镇）", []),
    "person edit --dept": ("新部门", []),
    "person edit --email": ("xu@example.cn", []),
    "person deactivate --reason": ("调离", []),
    "item add TITLE": ("新问题", []),
    "item add --aspect": ("一", []),
    "item add --department": ("财政所", []),
    "item add --measure": ("新措施", []),
    "item edit --title": ("新标题", []),
    "item edit --description": ("新的描述", []),
    "item list --category": ("一", []),
}
SUBMIT_READY = [
    ["item", "measure-done", "1", "1"],
    ["item", "evidence", "1", "--kind", "批文", "--ref", "文号"],
]
GOOD["item submit --summary"] = ("手续已办结", SUBMIT_READY)
GOOD["item confirm --finding"] = (
    "未反弹",
    [
        *SUBMIT_READY,
        ["--as", HANDLER, "item", "submit", "1", "--summary", "已办结"],
        ["--as", "县委巡察办", "item", "approve", "1"],
        ["item", "revisit", "1"],
    ],
)
POSTGRESQL_ONLY = {"person login LOGIN", "db grants --role"}


@pytest.mark.parametrize("option", list(TEXT_OPTIONS))
def test_a_good_value_in_the_same_option_succeeds(
    option: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if option in POSTGRESQL_ONLY and BACKEND != "postgresql":
        pytest.skip("database logins and grants are PostgreSQL's")
    seeded_here(tmp_path, monkeypatch)
    runner = CliRunner()
    value, steps = GOOD[option]
    args, who = TEXT_OPTIONS[option]
    for step in steps:
        prefix = (
            []
            if step[0] == "--as"
            else ["--as", HANDLER if "evidence" in step or "measure-done" in step else OFFICE]
        )
        done = runner.invoke(cli, [*prefix, *step], catch_exceptions=False)
        assert done.exit_code == 0, (step, done.output)
    result = runner.invoke(cli, [*(["--as", who] if who else []), *args(value)], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def _new_round(option: str) -> Args:
    given = {"--round": "新轮次", "--group": "组", "--unit": "单位"}
    return lambda v: [
        *("ledger", "import", "台账.csv", "--feedback-date", "2024-10-14"),
        *(x for key, value in given.items() for x in (key, v if key == option else value)),
    ]


# Names, departments, units, titles, e-mail: one line each (issue 9 §5).
ONE_LINE_OPTIONS: dict[str, tuple[Args, str]] = {
    **{
        name: TEXT_OPTIONS[name]
        for name in (
            "person add NAME",
            "person add --dept",
            "person add --title",
            "person add --email",
            "init --admin",
            "item reassign --dept",
            "item reassign --leader",
            "item reassign --handler",
            "item reassign --cooperating",
            "item measure-add --owner",
            "accountability add NAME",
            "accountability add --post",
        )
    },
    **{f"ledger import {o} (a new round)": (_new_round(o), OFFICE) for o in ("--round", "--group", "--unit")},
}


@pytest.mark.parametrize("value", ["甲\n乙", "甲\t乙"])
@pytest.mark.parametrize("option", list(ONE_LINE_OPTIONS))
def test_a_line_break_in_a_name_or_unit_exits_1_in_chinese_and_stores_nothing(
    run: Invoke, database: tuple[str, sa.Engine], tmp_path: Path, option: str, value: str
) -> None:
    write_csv(tmp_path / "台账.csv", [row(1)])
    args, who = ONE_LINE_OPTIONS[option]
    assert "只能填写一行" in refused(run, database[1], args(value), who=who)


def test_an_email_that_is_not_one_exits_1_in_chinese(run: Invoke, database: tuple[str, sa.Engine]) -> None:
    args = ["person", "add", "新人", "--role", "leader", "--email", "xin at example.cn"]
    assert "不是有效的电子邮箱地址" in refused(run, database[1], args)


@pytest.mark.parametrize("value", [BAD_TEXT["NUL"], BAD_TEXT["GBK bytes"]])
@pytest.mark.parametrize(
    "args",
    [["item", "list", "--dept"], ["item", "list", "--leader"], ["report", "public", "--round"], ["--db"]],
)
def test_text_no_database_can_hold_is_refused_even_where_it_is_only_looked_up(
    run: Invoke, database: tuple[str, sa.Engine], args: list[str], value: str
) -> None:
    command = [*args, value] if args != ["--db"] else ["--db", value, "item", "list"]
    stderr = refused(run, database[1], command)
    if value == BAD_TEXT["NUL"]:
        assert stderr == "Error: 命令行参数 '甲\\x00乙' 含有 NUL 字符\n"
    else:
        assert stderr.startswith("Error: 命令行参数 '\\udcb2") and "不是有效的 UTF-8 文本" in stderr


def test_the_look_up_options_take_a_good_value(run: Invoke, database: tuple[str, sa.Engine]) -> None:
    """The control: the same look-ups with a value that is there find it."""
    for args in (["item", "list", "--dept", "村镇规划建设办公室"], ["item", "list", "--leader", "徐波"]):
        result = run(*args)
        assert result.exit_code == 0 and "没有符合条件的事项" not in result.stdout, (args, result.output)
    assert run("report", "public", "--round", "县委上下联动乡村振兴专项巡察（太山镇）").exit_code == 0
    assert run("--db", database[0], "item", "list").exit_code == 0


SQL_NAMES = {
    "person login LOGIN": (
        ["person", "login", "徐波"],
        '无效的数据库登录名 "\'; DROP TABLE item; --"（小写字母、数字和下划线，最多 63 个字符）',
    ),
    "db grants --role": (["db", "grants", "--role"], "无效的人员角色名"),
    "db grants --scheduler-role": (["db", "grants", "--scheduler-role"], "无效的调度程序角色名"),
    "db grants --schema": (["db", "grants", "--schema"], "无效的模式名"),
}


@pytest.mark.parametrize("option", list(SQL_NAMES))
def test_sql_like_text_where_a_name_goes_into_sql_is_refused(
    run: Invoke, database: tuple[str, sa.Engine], option: str
) -> None:
    args, says = SQL_NAMES[option]
    stderr = refused(run, database[1], [*args, SQL])
    assert says in stderr and "DROP TABLE item" in stderr, stderr


@pytest.mark.parametrize("option", [o for o in SQL_NAMES if o.startswith("db grants")])
def test_a_good_name_in_the_same_option_prints_the_grants(run: Invoke, option: str) -> None:
    args, _ = SQL_NAMES[option]
    result = run(*args, "zhenggai_other")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("zhenggai_other") >= 2


def test_sql_like_text_through_the_cli_is_stored_verbatim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZHENGGAI_DB", fresh_url(tmp_path))
    monkeypatch.setenv("ZHENGGAI_NOW", NOW)
    runner = CliRunner()

    def ok(*args: str) -> str:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    ok("init", "--admin", OFFICE)
    ok("--as", OFFICE, "import", str(example_path("taishan.yaml")))
    ok("--as", OFFICE, "person", "add", SQL, "--role", "leader", "--dept", SQL)
    ok("--as", OFFICE, "item", "measure-add", "1", SQL, "--owner", SQL)
    ok("--as", OFFICE, "rule", "add", SQL, "--kind", "made", "--on", "2025-01-09", "--doc", SQL)
    assert SQL in ok("person", "list") and f'"department": "{SQL}"' in ok("person", "list", "--json")
    assert SQL in ok("--as", OFFICE, "item", "show", "1")
    assert f'"title": "{SQL}"' in ok("rule", "list", "--json")
    assert ok("item", "list", "--dept", SQL).strip() == "（没有符合条件的事项）"
    assert ok("item", "list", "--json").count('"id"') == 3
    assert ok("audit", "verify").startswith("审计链完整")


# --- dates --------------------------------------------------------------------------------------------------

DATE_OPTIONS: dict[str, tuple[Args, str]] = {
    "item measure-add --due": (lambda d: ["item", "measure-add", "1", "新措施", "--due", d], OFFICE),
    "item extend --to": (
        lambda d: ["item", "extend", "1", "--to", d, "--reason", "r", "--approved-by", "徐波"],
        HANDLER,
    ),
    "item progress --on": (lambda d: ["item", "progress", "1", "进展", "--on", d], HANDLER),
    "item measure-done --on": (lambda d: ["item", "measure-done", "1", "1", "--on", d], HANDLER),
    "rule add --on": (lambda d: ["rule", "add", "制度", "--kind", "made", "--on", d], OFFICE),
    "accountability add --on": (
        lambda d: ["accountability", "add", "张某", "--measure", "约谈", "--on", d],
        OFFICE,
    ),
    "report public --as-of": (lambda d: ["report", "public", "--as-of", d], OFFICE),
    "report public --date": (lambda d: ["report", "public", "--date", d], OFFICE),
    "report weekly --as-of": (lambda d: ["report", "weekly", "--as-of", d], OFFICE),
    "report monthly --as-of": (lambda d: ["report", "monthly", "--as-of", d], OFFICE),
    "board --as-of": (lambda d: ["board", "--as-of", d], OFFICE),
    "ledger export --as-of": (lambda d: ["ledger", "export", "台账.xlsx", "--as-of", d], OFFICE),
    "ledger import --feedback-date": (
        lambda d: [
            "ledger",
            "import",
            "台账.csv",
            "--round",
            "新轮次",
            "--group",
            "组",
            "--unit",
            "单位",
            "--feedback-date",
            d,
        ],
        OFFICE,
    ),
    "--now": (lambda d: ["--now", d, "item", "list"], OFFICE),
    "--now of a write": (lambda d: ["--now", d, "item", "progress", "1", "进展"], HANDLER),
    "remind run --now": (lambda d: ["remind", "run", "--now", d, "--no-deliver"], OFFICE),
    "remind rules --now": (lambda d: ["remind", "rules", "--now", d], OFFICE),
    "outbox deliver --now": (lambda d: ["outbox", "deliver", "--now", d], OFFICE),
}


@pytest.mark.parametrize("text", [*BAD_DATES, "明天", "2024-1-1-1"])
@pytest.mark.parametrize("option", list(DATE_OPTIONS))
def test_a_far_impossible_or_unreadable_date_exits_1_in_chinese(
    run: Invoke, database: tuple[str, sa.Engine], tmp_path: Path, option: str, text: str
) -> None:
    write_csv(tmp_path / "台账.csv", [row(1)])
    args, who = DATE_OPTIONS[option]
    stderr = refused(run, database[1], args(text), who=who)
    assert date_reason(option, text) in stderr, stderr[:300]
    assert not (tmp_path / "台账.xlsx").exists()


def date_reason(option: str, text: str) -> str:
    """The rule a bad date breaks, with the value: out of 2000-2099, no such day, or not a date at all.
    --now takes a moment, and words it as a time."""
    far = text[:4] in ("0001", "1899", "2100", "9999")
    if option.endswith("--now") or option == "--now of a write":
        return (
            f"时间超出范围：'{text}'（应在 2000—2099 年之间）"
            if far
            else f"无效的时间：'{text}'（应为 YYYY-MM-DD"
        )
    if far:
        return f"日期超出范围：{text}（应在 2000—2099 年之间）"
    if text in ("明天", "2024-1-1-1"):
        return f"无效的日期：'{text}'（应为 2024-12-31 或 2024年12月31日）"
    return f"不存在的日期：'{text}'"


def test_a_good_date_in_every_date_option_succeeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The positive control of the date options, one after another in a database seeded the same way."""
    seeded_here(tmp_path, monkeypatch)
    write_csv(tmp_path / "台账.csv", [row(1)])
    runner = CliRunner()
    for option, (args, who) in DATE_OPTIONS.items():
        good = "2025-01-10T23:00" if "--now" in option else "2025-01-09"  # writes go on in time order
        result = runner.invoke(cli, ["--as", who, *args(good)], catch_exceptions=False)
        assert result.exit_code == 0, (option, result.output)


def test_progress_dated_after_today_is_refused(run: Invoke, database: tuple[str, sa.Engine]) -> None:
    stderr = refused(run, database[1], ["item", "progress", "1", "进展", "--on", "2025-01-11"], who=HANDLER)
    assert "晚于今天" in stderr


# --- numbers ------------------------------------------------------------------------------------------------

HUGE = (str(2**63), "-" + str(2**63), str(10**40), "9" * 5000)
NUMBER_OPTIONS: dict[str, Args] = {
    "item show ID": lambda n: ["item", "show", "--", n],
    "item assign ID": lambda n: ["item", "assign", "--", n],
    "item evidence ID": lambda n: ["item", "evidence", "--kind", "批文", "--ref", "x", "--", n],
    "item measure-done SEQ": lambda n: ["item", "measure-done", "--", "1", n],
    "--expect-version": lambda n: ["item", "assign", "3", f"--expect-version={n}"],
    "audit log ITEM": lambda n: ["audit", "log", "--", n],
    "audit log --limit": lambda n: ["audit", "log", f"--limit={n}"],
    "audit signoff ITEM": lambda n: ["audit", "signoff", "--", n],
    "rule add --item": lambda n: [
        "rule",
        "add",
        "制度",
        "--kind",
        "made",
        "--on",
        "2025-01-09",
        f"--item={n}",
    ],
    "accountability add --item": lambda n: [
        "accountability",
        "add",
        "张某",
        "--measure",
        "约谈",
        "--on",
        "2025-01-09",
        f"--item={n}",
    ],
    "remind history --item": lambda n: ["remind", "history", f"--item={n}"],
    "remind history --limit": lambda n: ["remind", "history", f"--limit={n}"],
    "outbox list --limit": lambda n: ["outbox", "list", f"--limit={n}"],
    "outbox deliver --limit": lambda n: ["outbox", "deliver", f"--limit={n}"],
    "outbox show REF": lambda n: ["outbox", "show", "--", n],
}


@pytest.mark.parametrize("number", HUGE, ids=["2^63", "-2^63", "10^40", "5000 digits"])
@pytest.mark.parametrize("option", list(NUMBER_OPTIONS))
def test_a_number_no_database_can_hold_exits_1_in_chinese(
    run: Invoke, database: tuple[str, sa.Engine], option: str, number: str
) -> None:
    stderr = refused(run, database[1], NUMBER_OPTIONS[option](number))
    bound = "最小 " if number.startswith("-") else "最大 9223372036854775807"
    shown = number if len(number) <= 30 else number[:30] + "…"
    if option == "outbox show REF":  # a number or a message's key: looked up as either, found as neither
        assert f"没有编号或键为 '{number[:30]}" in stderr, stderr[:300]
    else:
        assert f"超出范围：{shown}（{bound}" in stderr, stderr[:300]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["audit", "log", "--limit=0"], "'--limit' 超出范围：0（最小 1）"),
        (["item", "show", "0"], "没有编号为 0 的事项（用 zhenggai item list 查看）"),
        (["item", "show", "--", "-1"], "没有编号为 -1 的事项（用 zhenggai item list 查看）"),
    ],
)
def test_a_count_below_one_or_an_id_that_cannot_exist_exits_1(
    run: Invoke, database: tuple[str, sa.Engine], args: list[str], says: str
) -> None:
    assert refused(run, database[1], args) == f"Error: {says}\n"


def test_a_count_of_one_and_an_id_that_exists_answer(run: Invoke) -> None:
    assert run("audit", "log", "--limit=1").exit_code == 0
    assert run("item", "show", "1").exit_code == 0


# --- files --------------------------------------------------------------------------------------------------

Make = Callable[[Path], Path]


def _bytes(name: str, data: bytes) -> Make:
    def make(tmp: Path) -> Path:
        (tmp / name).write_bytes(data)
        return tmp / name

    return make


def _folder(name: str) -> Make:
    def make(tmp: Path) -> Path:
        (tmp / name).mkdir()
        return tmp / name

    return make


def _sparse(name: str, size: int) -> Make:
    def make(tmp: Path) -> Path:
        with (tmp / name).open("wb") as f:
            f.truncate(size)
        return tmp / name

    return make


def _fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "pipe.pdf")
    return tmp / "pipe.pdf"


PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
FILES: dict[str, tuple[Make, Callable[[Path], list[str]], str]] = {
    "import: a directory": (
        _folder("round.yaml"),
        lambda p: ["import", str(p)],
        "：这是一个文件夹，不是文件",
    ),
    "import: missing": (lambda tmp: tmp / "none.yaml", lambda p: ["import", str(p)], "：文件不存在"),
    "import: empty": (_bytes("round.yaml", b""), lambda p: ["import", str(p)], " 是空文件"),
    "import: a PNG": (
        _bytes("round.yaml", PNG),
        lambda p: ["import", str(p)],
        "不是 YAML 文本：这是一张 PNG 图片",
    ),
    "import: a list": (
        _bytes("round.yaml", b"- a\n- b\n"),
        lambda p: ["import", str(p)],
        "应是一个包含 round、people、aspects 的 YAML 映射",
    ),
    "import: GBK": (
        _bytes("round.yaml", "round:\n  name: 太山镇\n".encode("gbk")),
        lambda p: ["import", str(p)],
        "不是 UTF-8 文本（第 19 字节）：请另存为 UTF-8",
    ),
    "import: huge": (
        _sparse("round.yaml", 21 * 2**20),
        lambda p: ["import", str(p)],
        "太大（21.0 MB，最多 20.0 MB）",
    ),
    "import: deep": (
        _bytes("round.yaml", b"[" * 20_000),
        lambda p: ["import", str(p)],
        "不是有效的 YAML：嵌套层次过深",
    ),
    "ledger: a PNG named .xlsx": (
        _bytes("台账.xlsx", PNG),
        lambda p: ["ledger", "import", str(p)],
        "不是有效的 .xlsx 文件：这是一张 PNG 图片",
    ),
    "ledger: a zip that is no workbook": (
        _bytes("台账.xlsx", b"PK\x05\x06" + bytes(18)),
        lambda p: ["ledger", "import", str(p)],
        "不是有效的 .xlsx 文件：它是一个 zip 压缩包，但里面没有 Excel 工作簿",
    ),
    "ledger: a directory": (
        _folder("台账.xlsx"),
        lambda p: ["ledger", "import", str(p)],
        "：这是一个文件夹，不是文件",
    ),
    "ledger: missing": (lambda tmp: tmp / "none.csv", lambda p: ["ledger", "import", str(p)], "：文件不存在"),
    "ledger: empty": (_bytes("台账.csv", b""), lambda p: ["ledger", "import", str(p)], " 是空文件"),
    "ledger: huge": (
        _sparse("台账.csv", 101 * 2**20),
        lambda p: ["ledger", "import", str(p)],
        "太大（101.0 MB，最多 100.0 MB）",
    ),
    "ledger: GBK without --encoding": (
        lambda tmp: write_csv(tmp / "台账.csv", [row(1)], encoding="gbk"),
        lambda p: ["ledger", "import", str(p)],
        "不是 utf-8-sig 编码的文本（第 0 字节）：中文版 Excel 另存的 CSV 通常是 GBK 编码，请加 --encoding gbk",
    ),
    "ledger: --encoding rot13": (
        lambda tmp: write_csv(tmp / "台账.csv", [row(1)]),
        lambda p: ["ledger", "import", str(p), "--encoding", "rot13"],
        "未知的编码 'rot13'（常用：utf-8、gbk、gb18030）",
    ),
    "ledger: an old .xls": (
        _bytes("台账.xls", b"\xd0\xcf\x11\xe0" + bytes(64)),
        lambda p: ["ledger", "import", str(p)],
        "是旧版 Excel（.xls）文件：请在 Excel 中“另存为” .xlsx 后再导入",
    ),
    "evidence: a directory": (
        _folder("scan"),
        lambda p: ["item", "evidence", "1", "--kind", "文件", "--file", str(p)],
        "：这是一个文件夹，不是文件",
    ),
    "evidence: missing": (
        lambda tmp: tmp / "none.pdf",
        lambda p: ["item", "evidence", "1", "--kind", "文件", "--file", str(p)],
        "：文件不存在",
    ),
    "evidence: empty": (
        _bytes("scan.pdf", b""),
        lambda p: ["item", "evidence", "1", "--kind", "文件", "--file", str(p)],
        " 是空文件",
    ),
    "evidence: a pipe": (
        _fifo,
        lambda p: ["item", "evidence", "1", "--kind", "文件", "--file", str(p)],
        "：不是普通文件（设备、管道或套接字）",
    ),
    "evidence: huge": (
        _sparse("scan.pdf", 101 * 2**20),
        lambda p: ["item", "evidence", "1", "--kind", "文件", "--file", str(p)],
        "太大（101.0 MB，最多 100.0 MB）",
    ),
    "evidence: an ESC in the name": (
        _bytes("scan\x1b[2J.pdf", b"%PDF"),
        lambda p: ["item", "evidence", "1", "--kind", "文件", "--file", str(p)],
        "文件名含有控制字符 '\\x1b'",
    ),
    "--config: a directory": (
        _folder("conf"),
        lambda p: ["--config", str(p), "board"],
        "：这是一个文件夹，不是文件",
    ),
    "--config: missing": (
        lambda tmp: tmp / "none.toml",
        lambda p: ["--config", str(p), "board"],
        "配置文件不存在：",
    ),
    "--config: not TOML": (
        _bytes("z.toml", b"[report\nx = = 1\n"),
        lambda p: ["--config", str(p), "board"],
        "不是有效的 TOML：第 1 行第 8 列有语法错误",
    ),
    "--config: GBK": (
        _bytes("z.toml", "[report]\nshort_name = '太山镇'\n".encode("gbk")),
        lambda p: ["--config", str(p), "board"],
        "不是 UTF-8 文本（第 27 字节）：请另存为 UTF-8",
    ),
    "--config: a PNG": (
        _bytes("z.toml", PNG),
        lambda p: ["--config", str(p), "board"],
        "不是 UTF-8 文本（第 0 字节）：请另存为 UTF-8",
    ),
}


@pytest.mark.parametrize("case", list(FILES))
def test_a_file_that_is_not_what_it_should_be_exits_1_in_chinese(
    run: Invoke, database: tuple[str, sa.Engine], tmp_path: Path, case: str
) -> None:
    make, args, says = FILES[case]
    who = HANDLER if case.startswith("evidence") else OFFICE
    path = make(tmp_path)
    stderr = refused(run, database[1], args(path), who=who)
    assert says in stderr, stderr
    if case not in ("ledger: --encoding rot13", "evidence: an ESC in the name"):  # the file is named
        assert str(path) in stderr, stderr


def test_a_good_file_in_each_file_option_succeeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The control of the file cases: the same commands with a file that is what it should be."""
    url = fresh_url(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZHENGGAI_DB", url)
    monkeypatch.setenv("ZHENGGAI_NOW", NOW)
    monkeypatch.delenv("ZHENGGAI_CONFIG", raising=False)
    runner = CliRunner()

    def ok(*args: str) -> None:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)

    ok("init", "--admin", OFFICE)
    ok("--as", OFFICE, "import", str(example_path("taishan.yaml")))
    ok("--as", OFFICE, "item", "assign", "1")
    ok("--as", HANDLER, "item", "start", "1")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4\n")
    ok("--as", HANDLER, "item", "evidence", "1", "--kind", "文件", "--file", str(tmp_path / "scan.pdf"))
    (tmp_path / "z.toml").write_text("[report]\nshort_name = '太山镇'\n", encoding="utf-8")
    ok("--config", str(tmp_path / "z.toml"), "board")
    write_csv(tmp_path / "台账.csv", [row(1)])
    ok("--as", OFFICE, "ledger", "import", str(tmp_path / "台账.csv"))
    write_csv(tmp_path / "gbk.csv", [row(1)], encoding="gbk")
    ok("--as", OFFICE, "ledger", "import", str(tmp_path / "gbk.csv"), "--encoding", "gbk")


@pytest.mark.parametrize(
    "args",
    [
        ["report", "public", "--out", "没有的文件夹/通报.md"],
        ["report", "weekly", "--out", "没有的文件夹/周通报.docx"],
        ["board", "--html", "没有的文件夹/挂图作战.html"],
        ["ledger", "export", "没有的文件夹/台账.xlsx"],
    ],
)
def test_an_output_file_in_a_folder_that_does_not_exist_exits_1(
    run: Invoke, database: tuple[str, sa.Engine], args: list[str]
) -> None:
    assert "文件或文件夹不存在" in refused(run, database[1], args)


def test_a_database_url_that_is_no_database_exits_1(run: Invoke, database: tuple[str, sa.Engine]) -> None:
    for url in ("not a url", "mysql://somewhere/db", "http://example.org/zhenggai"):
        assert "数据库地址" in refused(run, database[1], ["--db", url, "item", "list"])


# --- the real command line: bytes that are not UTF-8 ----------------------------------------------------------


def test_gbk_bytes_on_a_real_command_line_are_refused_with_a_hint(
    database: tuple[str, sa.Engine], tmp_path: Path
) -> None:
    exe = Path(sys.executable).with_name("zhenggai")
    env = {
        **os.environ,
        "ZHENGGAI_DB": database[0],
        "ZHENGGAI_NOW": NOW,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    env.pop("ZHENGGAI_CONFIG", None)
    gbk_file = os.fsencode(tmp_path) + b"/" + "台账".encode("gbk") + b".csv"
    write_csv(Path(os.fsdecode(gbk_file)), [row(1)])
    before = dump(database[1])
    commands: list[list[str | bytes | Path]] = [
        [exe, "--as", OFFICE, "person", "add", "张三".encode("gbk"), "--role", "leader"],
        [exe, "--as", OFFICE, "ledger", "import", gbk_file],
        [exe, "--as", OFFICE.encode("gbk"), "item", "list"],
    ]
    for argv in commands:
        done = subprocess.run(argv, env=env, capture_output=True, check=False, cwd=tmp_path)
        stderr = done.stderr.decode("utf-8")
        assert done.returncode == 1 and done.stdout == b"", stderr
        assert stderr.startswith("Error: 命令行参数") and "不是有效的 UTF-8 文本" in stderr
        assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert dump(database[1]) == before
