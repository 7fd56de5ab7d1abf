"""The CLI end to end: exit codes (0 ok, 1 refused, 2 usage), one-line errors, JSON for scripts."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import cli
from tests.backends import fresh_url
from workflow.demo import example_path

Invoke = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Invoke the CLI against a fresh database file in tmp_path, the clock at the seed's dates."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZHENGGAI_DB", fresh_url(tmp_path, "z.db"))
    monkeypatch.setenv("ZHENGGAI_NOW", "2024-10-21T10:00")
    monkeypatch.delenv("ZHENGGAI_USER", raising=False)
    runner = CliRunner()

    def invoke(*args: str, who: str | None = None) -> Result:
        prefix = ["--as", who] if who else []
        return runner.invoke(cli, [*prefix, *args], catch_exceptions=False)

    return invoke


@pytest.fixture
def seeded_run(run: Invoke) -> Invoke:
    assert run("init").exit_code == 0
    result = run("import", str(example_path("taishan.yaml")), who="镇整改办")
    assert result.exit_code == 0, result.output
    return run


def test_init_then_import_the_seed(seeded_run: Invoke) -> None:
    result = seeded_run("item", "list")
    assert result.exit_code == 0
    assert "新增违法占地禁而不绝" in result.stdout and result.stdout.count("已登记") == 3


def test_a_trigger_prints_the_move_and_the_audit_entry(seeded_run: Invoke) -> None:
    result = seeded_run("item", "assign", "1", who="镇整改办")
    assert result.exit_code == 0
    assert result.stdout.startswith("事项 1（一/1）：已登记 → 已交办（版本 2，审计 #")


def test_a_refusal_exits_1_with_one_line_saying_why(seeded_run: Invoke) -> None:
    result = seeded_run("item", "submit", "1", "--summary", "x", who="规划办经办人")
    assert result.exit_code == 1
    assert (
        result.stderr
        == "Error: 无法对事项 1（一/1）提请销号：事项当前为「已登记」，只有「整改中」时才能提请销号\n"
    )
    assert result.stdout == ""


def test_wrong_role_unknown_person_unknown_item_exit_1(seeded_run: Invoke) -> None:
    assert seeded_run("item", "assign", "1", who="审计员").exit_code == 1
    result = seeded_run("item", "assign", "1", who="张三")
    assert (result.exit_code, "没有名为 '张三' 的人员" in result.stderr) == (1, True)
    result = seeded_run("item", "show", "42")
    assert (result.exit_code, "没有编号为 42 的事项" in result.stderr) == (1, True)
    result = seeded_run("item", "assign", "1")
    assert (result.exit_code, "请用 --as NAME" in result.stderr) == (1, True)


def test_usage_errors_exit_2(seeded_run: Invoke) -> None:
    assert seeded_run("item", "assign").exit_code == 2
    assert seeded_run("item", "assign", "one").exit_code == 2
    assert seeded_run("item", "list", "--state", "done").exit_code == 2
    assert seeded_run("frobnicate").exit_code == 2


def test_invalid_date_is_refused_and_nothing_changes(seeded_run: Invoke) -> None:
    seeded_run("item", "assign", "3", who="镇整改办")
    seeded_run("item", "start", "3", who="规划办经办人")
    before = json.loads(seeded_run("item", "show", "3", "--json").stdout)["version"]
    result = seeded_run(
        "item",
        "extend",
        "3",
        "--to",
        "2025-02-30",
        "--reason",
        "r",
        "--approved-by",
        "徐波",
        who="规划办经办人",
    )
    assert (result.exit_code, result.stderr) == (1, "Error: 不存在的日期：'2025-02-30'\n")
    assert json.loads(seeded_run("item", "show", "3", "--json").stdout)["version"] == before


def test_item_show_json_carries_state_version_deadline_and_actions(seeded_run: Invoke) -> None:
    data = json.loads(seeded_run("item", "show", "1", "--json", who="镇整改办").stdout)
    assert {"id", "state", "version", "deadline", "available", "blocked", "colour"} <= set(data)
    assert (data["id"], data["state"], data["version"], data["deadline"]) == (1, "reported", 1, "2024-12-31")
    assert "assign" in data["available"]
    assert data["blocked"]["approve"] == "镇整改办 没有销号的权限（需要角色：销号审核人）"
    assert data["blocked"]["start"] == "事项当前为「已登记」，只有「已交办」时才能开始整改"


@pytest.mark.parametrize(
    "command", [("item", "list"), ("person", "list"), ("audit", "log"), ("summary",), ("audit", "verify")]
)
def test_every_read_command_speaks_json(seeded_run: Invoke, command: tuple[str, ...]) -> None:
    result = seeded_run(*command, "--json")
    assert result.exit_code == 0
    json.loads(result.stdout)


@pytest.mark.sqlite_only
def test_commands_before_init_say_to_run_init(run: Invoke, tmp_path: Path) -> None:
    result = run("item", "list")
    assert result.exit_code == 1
    assert "不存在：请先运行 zhenggai init" in result.stderr and not (tmp_path / "z.db").exists()


def test_init_is_idempotent_and_can_create_the_first_office_user(run: Invoke) -> None:
    assert "已创建" in run("init", "--admin", "整改办小王").stdout
    assert "已存在" in run("init").stdout
    result = run("person", "add", "验收人", "--role", "approver", who="整改办小王")
    assert result.exit_code == 0
    assert "验收人" in run("person", "list").stdout


def test_malformed_yaml_names_the_line(run: Invoke, tmp_path: Path) -> None:
    run("init")
    bad = tmp_path / "bad.yaml"
    bad.write_text("round:\n  name: x\n people: [\n", encoding="utf-8")
    result = run("import", str(bad), who="镇整改办")
    assert result.exit_code == 1 and "不是有效的 YAML：第 3 行" in result.stderr


def test_import_errors_name_their_path_and_import_nothing(run: Invoke, tmp_path: Path) -> None:
    run("init")
    text = example_path("taishan.yaml").read_text(encoding="utf-8")
    text = text.replace("deadline: 2025-02-14", "deadline: 2025-13-01").replace(
        "handler: 规划办经办人", "handler: 无名氏", 1
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    result = run("import", str(bad), who="镇整改办")
    assert result.exit_code == 1
    assert "aspects[0].items[2].deadline: 不存在的日期：'2025-13-01'" in result.stderr
    result = run("person", "list", "--json")
    assert json.loads(result.stdout) == []


def test_duplicate_numbers_are_refused(run: Invoke, tmp_path: Path) -> None:
    run("init")
    text = example_path("taishan.yaml").read_text(encoding="utf-8").replace('number: "2"', 'number: "1"')
    bad = tmp_path / "dup.yaml"
    bad.write_text(text, encoding="utf-8")
    result = run("import", str(bad), who="镇整改办")
    assert result.exit_code == 1
    assert "aspects[0].items[1].number: 编号 一/1 与 aspects[0].items[0] 重复" in result.stderr


def test_importing_the_same_round_twice_is_refused(seeded_run: Invoke) -> None:
    result = seeded_run("import", str(example_path("taishan.yaml")), who="镇整改办")
    assert result.exit_code == 1 and "已经导入过" in result.stderr


def test_a_file_that_is_not_utf8_is_refused(run: Invoke, tmp_path: Path) -> None:
    run("init")
    bad = tmp_path / "gbk.yaml"
    bad.write_bytes("round:\n  name: 太山镇\n".encode("gbk"))
    result = run("import", str(bad), who="镇整改办")
    assert result.exit_code == 1 and "不是 UTF-8 文本" in result.stderr


def test_graph_prints_the_table_as_mermaid(run: Invoke) -> None:
    out = run("graph").stdout
    assert out.startswith("stateDiagram-v2") and "submitted --> closed: approve 销号" in out


@pytest.mark.sqlite_only
def test_audit_verify_and_signoff_through_the_cli(tmp_path: Path, run: Invoke) -> None:
    demo = run("demo", "--dir", str(tmp_path / "d"))
    assert demo.exit_code == 0
    assert "已完成整改2个，正在整改1个，整改完成率为67%" in demo.stdout
    url = f"sqlite:///{tmp_path / 'd' / 'zhenggai.db'}"
    verify = run("--db", url, "audit", "verify")
    assert verify.exit_code == 0 and verify.stdout.startswith("审计链完整：40 条")
    sheet = run("--db", url, "audit", "signoff", "1")
    assert sheet.exit_code == 0 and "获政土〔2024〕27号" in sheet.stdout and "与日志一致" in sheet.stdout
    head = next(line.split()[-1] for line in sheet.stdout.splitlines() if line.startswith("核验："))
    assert run("--db", url, "audit", "verify", "--head", head).exit_code == 0
    assert run("--db", url, "audit", "signoff", "3").exit_code == 1  # not signed off
    assert run("--db", url, "audit", "verify", "--head", "12:abc").exit_code == 2


def test_the_installed_console_script_runs() -> None:
    exe = Path(sys.executable).with_name("zhenggai")
    result = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "item" in result.stdout and "audit" in result.stdout


def test_an_extension_names_who_agreed_as_entered_by_whom_not_as_their_approval(seeded_run: Invoke) -> None:
    for args, who in (
        (("item", "assign", "3"), "镇整改办"),
        (
            ("item", "extend", "3", "--to", "2025-03-31", "--reason", "备案办理中", "--approved-by", "徐波"),
            "规划办经办人",
        ),
    ):
        assert seeded_run(*args, who=who).exit_code == 0
    shown = seeded_run("item", "show", "3").stdout
    assert "extend  完成时限 2025-02-14 → 2025-03-31，经 徐波 同意（由 规划办经办人 录入）" in shown
    history = json.loads(seeded_run("item", "show", "3", "--json").stdout)["history"]
    assert history[-1]["actor"] == "规划办经办人" and "徐波" not in {h["actor"] for h in history}


def test_four_eyes_both_halves_through_the_cli(seeded_run: Invoke) -> None:
    """双重角色 handles item 1 and may approve; 兼职审核 is office and approver and submits item 1.
    Neither may sign it off (the handler's half, the submitter's half); an independent approver may."""
    run = seeded_run
    office = "镇整改办"
    for name, roles in (("双重角色", ("handler", "approver")), ("兼职审核", ("office", "approver"))):
        added = run("person", "add", name, *(a for r in roles for a in ("--role", r)), who=office)
        assert added.exit_code == 0, added.output
    for args in (
        ("item", "reassign", "1", "--handler", "双重角色", "--reason", "换人"),
        ("item", "assign", "1"),
        ("item", "start", "1"),
        ("item", "measure-done", "1", "1"),
        ("item", "evidence", "1", "--kind", "照片", "--ref", "复耕照片"),
    ):
        assert run(*args, who=office).exit_code == 0, args
    assert run("item", "submit", "1", "--summary", "已复耕", who="兼职审核").exit_code == 0
    for who, reason in (("双重角色", "是本事项的责任人"), ("兼职审核", "是提请销号的人")):
        result = run("item", "approve", "1", who=who)
        assert result.exit_code == 1 and result.stdout == ""
        assert f"{who} {reason}，不能审核自己的事项" in result.stderr
    result = run("item", "approve", "1", who="县委巡察办")
    assert result.exit_code == 0 and "待销号审核 → 已销号" in result.stdout
