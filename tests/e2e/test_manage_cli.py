"""Issue 10 §4 through the command line: states and roles typed in Chinese, `person edit` / `person
deactivate`, `item add` / `item edit` and their refusals (exit 1, one line saying why and what to use),
`item list --due-within / --category`, and the light scheme of zhenggai.toml in `item list`, `item
show` and the board."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_cli import Invoke, run, seeded_run

__all__ = ["run", "seeded_run"]  # fixtures used by name

OFFICE = "镇整改办"


def test_states_and_roles_are_typed_in_chinese_or_english(seeded_run: Invoke) -> None:
    assert seeded_run("item", "assign", "3", who=OFFICE).exit_code == 0
    chinese = seeded_run("item", "list", "--state", "已交办", "--json")
    english = seeded_run("item", "list", "--state", "assigned", "--json")
    assert chinese.exit_code == 0 and chinese.stdout == english.stdout
    assert [r["number"] for r in json.loads(chinese.stdout)] == ["一/3"]
    added = seeded_run(
        "person", "add", "李四", "--role", "责任人", "--role", "leader", "--dept", "财政所", who=OFFICE
    )
    assert added.exit_code == 0, added.output
    people = {p["name"]: p for p in json.loads(seeded_run("person", "list", "--json").stdout)}
    assert (people["李四"]["roles"], people["李四"]["active"]) == ("handler,leader", True)


def test_rule_kinds_and_reminder_rules_are_typed_in_chinese_too(seeded_run: Invoke) -> None:
    made = seeded_run(
        "rule", "add", "村级财务公开制度", "--kind", "制定", "--on", "2024-10-20", "--json", who=OFFICE
    )
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["kind"] == "made"
    text = seeded_run("rule", "add", "议事规则", "--kind", "修订", "--on", "2024-10-20", who=OFFICE).stdout
    assert text.startswith("已记录修订制度：议事规则")
    assert seeded_run("remind", "history", "--rule", "黄灯预警").exit_code == 0
    assert seeded_run("remind", "history", "--rule", "红灯").exit_code == 2


def test_an_unknown_state_or_role_is_a_usage_error_naming_the_choices(seeded_run: Invoke) -> None:
    result = seeded_run("item", "list", "--state", "完成")
    assert result.exit_code == 2
    assert "未知状态 '完成'（可用：reported（已登记）、assigned（已交办）" in result.stderr
    result = seeded_run("person", "add", "李四", "--role", "组长", who=OFFICE)
    assert (result.exit_code, "未知角色 '组长'" in result.stderr) == (2, True)


def test_a_person_is_edited_then_deactivated_and_refused_after(seeded_run: Invoke) -> None:
    edited = seeded_run(
        "person",
        "edit",
        "徐波",
        "--add-role",
        "销号审核人",
        "--email",
        "xubo@example.cn",
        "--title",
        "",
        who=OFFICE,
    )
    assert edited.exit_code == 0, edited.output
    assert edited.stdout == (
        "已修改 徐波：角色 责任领导 → 责任领导、销号审核人；职务 镇人大主席 → （空）；邮箱 （空） → xubo@example.cn\n"
    )
    done = seeded_run("person", "deactivate", "规划办经办人", "--reason", "工作调动", who=OFFICE)
    assert done.stdout == "已停用：规划办经办人（历史记录保留，不再能操作，也不再收到提醒）\n"
    listed = seeded_run("person", "list").stdout
    assert "规划办经办人" in listed and "已停用" in listed
    seeded_run("item", "assign", "3", who=OFFICE)
    refused = seeded_run("item", "start", "3", who="规划办经办人")
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr.startswith("Error: 人员 规划办经办人 已停用：不能再以其身份操作")
    assert len(refused.stderr.splitlines()) == 1
    assert seeded_run("audit", "verify").exit_code == 0  # deep: the people table agrees with the trail


def test_a_new_problem_is_added_edited_and_its_deadline_refused(seeded_run: Invoke) -> None:
    added = seeded_run(
        "item",
        "add",
        "--aspect",
        "一",
        "村级财务公开不及时",
        "--leader",
        "徐波",
        "--department",
        "财政所",
        "--deadline",
        "2024-10-25",
        "--measure",
        "按月公开",
        who=OFFICE,
    )
    assert (added.exit_code, added.stdout) == (0, "已新增事项 4（一/4），状态：已登记\n")
    edited = seeded_run("item", "edit", "4", "--title", "村级财务公开不规范", who=OFFICE)
    assert edited.stdout.startswith("事项 4（一/4）：修改事项内容，仍为已登记（版本 2，审计 #")
    for option, command in (("--deadline", "zhenggai item extend"), ("--state", "zhenggai item assign")):
        refused = seeded_run("item", "edit", "4", option, "x", who=OFFICE)
        assert refused.exit_code == 1 and command in refused.stderr, refused.stderr
    assert seeded_run("item", "assign", "4", who=OFFICE).exit_code == 0
    due = json.loads(seeded_run("item", "list", "--due-within", "7", "--json").stdout)
    assert [(r["number"], r["title"]) for r in due] == [("一/4", "村级财务公开不规范")]
    assert json.loads(seeded_run("item", "list", "--category", "一", "--json").stdout)[3]["id"] == 4
    refused = seeded_run("item", "add", "--aspect", "三", "新问题", who=OFFICE)
    assert refused.exit_code == 1 and "本轮次没有编号或标题为 '三' 的方面" in refused.stderr
    assert seeded_run("item", "list", "--due-within", "-1").exit_code == 1  # out of range: refused
    assert seeded_run("audit", "verify").exit_code == 0


def test_the_light_scheme_of_the_configuration_colours_the_list_the_item_and_the_board(
    seeded_run: Invoke, tmp_path: Path
) -> None:
    for trigger, who in (("assign", OFFICE), ("start", "规划办经办人")):
        assert seeded_run("item", trigger, "3", who=who).exit_code == 0
    seeded_run("item", "evidence", "3", "--kind", "批文", "--ref", "x号", who="规划办经办人")
    seeded_run("item", "measure-done", "3", "1", who="规划办经办人")
    seeded_run("item", "submit", "3", "--summary", "已整改", who="规划办经办人")
    plain = json.loads(seeded_run("item", "show", "3", "--json").stdout)["colour"]
    (tmp_path / "zhenggai.toml").write_text('[lights.colours]\n"已报结" = "蓝"\n', encoding="utf-8")
    assert plain == "yellow"
    assert json.loads(seeded_run("item", "show", "3", "--json").stdout)["colour"] == "blue"
    assert seeded_run("item", "list").stdout.splitlines()[-1].startswith("蓝灯  3")
    board = json.loads(seeded_run("board", "--json").stdout)
    assert board["legend"]["blue"] == "长期坚持、已报结待验收" and board["totals"]["blue"] == 1
    assert "🔵蓝灯 长期坚持、已报结待验收" in seeded_run("board").stdout
    (tmp_path / "zhenggai.toml").write_text('[lights.colours]\n"已报结" = "紫"\n', encoding="utf-8")
    wrong = seeded_run("item", "list")
    assert wrong.exit_code == 1 and "配置 [lights.colours] 已报结 = '紫' 不是可用的颜色" in wrong.stderr


@pytest.mark.parametrize(
    "command", [("person", "edit", "徐波", "--title", "主任"), ("item", "add", "--aspect", "一", "x")]
)
def test_only_the_office_manages(seeded_run: Invoke, command: tuple[str, ...]) -> None:
    result = seeded_run(*command, who="审计员")
    assert (
        result.exit_code == 1
        and "审计员 没有" in result.stderr
        and "的权限（需要角色：整改办）" in result.stderr
    )
