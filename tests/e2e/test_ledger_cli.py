"""The ledger, report, board, rule and accountability commands end to end: exit codes, output, files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import cli
from tests.backends import fresh_url
from tests.ledger_fixtures import demo_dir, row, write_csv, write_xlsx
from workflow.reports.document import docx_text

__all__ = ["demo_dir"]

Invoke = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """The CLI in a fresh directory with its own database; the clock set to the seed's dates."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZHENGGAI_DB", fresh_url(tmp_path, "z.db"))
    monkeypatch.setenv("ZHENGGAI_NOW", "2025-01-10T10:00")
    for name in ("ZHENGGAI_USER", "ZHENGGAI_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: str, who: str | None = None) -> Result:
        return runner.invoke(cli, [*(["--as", who] if who else []), *args], catch_exceptions=False)

    assert invoke("init", "--admin", "办公室").exit_code == 0
    return invoke


@pytest.fixture
def demo_run(demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """The CLI inside a copy of the demo directory (its database and its zhenggai.toml)."""
    work = tmp_path / "demo"
    shutil.copytree(demo_dir, work)
    monkeypatch.chdir(work)
    for name in ("ZHENGGAI_DB", "ZHENGGAI_USER", "ZHENGGAI_CONFIG", "ZHENGGAI_NOW"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


NEW = (
    "--round",
    "测试轮次",
    "--group",
    "县委第一巡察组",
    "--unit",
    "中共某镇委员会",
    "--feedback-date",
    "2024-10-14",
)


def test_a_broken_ledger_exits_1_listing_every_problem_and_imports_nothing(
    run: Invoke, tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "bad.xlsx", [row(1, 整改时限="2024-02-30"), row(2, 完成情况="差不多")])
    result = run("ledger", "import", str(path), *NEW, who="办公室")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:3] == [
        "Error: bad.xlsx 有 2 处问题，未导入任何内容：",
        "台账 第3行 J列（整改时限）：不存在的日期：'2024-02-30'；完成时限也可以是「立行立改」或「长期坚持」",
        "台账 第4行 L列（完成情况）：无法识别的完成情况「差不多」（可用：已完成、基本完成、正在推进、未启动、待销号审核 等，基本完成按正在推进计）",
    ]
    assert run("item", "list").stdout.strip() == "（没有符合条件的事项）"


def test_import_dry_run_then_import_then_again(run: Invoke, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "l.xlsx", [row(1, 完成情况="已完成"), row(2)])
    dry = run("ledger", "import", str(path), *NEW, "--dry-run", who="办公室")
    assert dry.exit_code == 0 and "校验通过（未写入）：将新增 2 项" in dry.stdout
    assert run("item", "list").stdout.strip() == "（没有符合条件的事项）"  # the dry run wrote nothing
    done = run("ledger", "import", str(path), *NEW, who="办公室")
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith(
        "已导入「台账」到巡察轮次「测试轮次」：2 行，新增 2 项（其中台账基线 2 项），更新 0 项，0 项无变化"
    )
    again = run("ledger", "import", str(path), "--json", who="办公室")
    assert json.loads(again.stdout)["unchanged"] == 2
    assert run("ledger", "import", str(path), who="徐波").exit_code == 1


def test_a_baseline_closed_item_shows_as_such_and_has_a_signoff_sheet_that_says_so(
    run: Invoke, tmp_path: Path
) -> None:
    """Before issue 9, item show said 已销号 and audit signoff said 尚未销号 for the same item."""
    path = write_xlsx(tmp_path / "l.xlsx", [row(1, 完成情况="已完成"), row(2)])
    assert run("ledger", "import", str(path), *NEW, who="办公室").exit_code == 0
    shown = run("item", "show", "1")
    assert shown.exit_code == 0 and "状态：已销号" in shown.stdout
    assert "台账基线：台账导入时已完成，系统内无销号审核记录。担保人：办公室" in shown.stdout
    assert json.loads(run("item", "show", "1", "--json").stdout)["baseline"]["vouched_by"] == "办公室"
    sheet = run("audit", "signoff", "1")
    assert sheet.exit_code == 0, sheet.output
    lines = sheet.stdout.splitlines()
    assert lines[0] == "销号单（台账导入基线，非销号审核）"
    assert "销号依据：台账导入时已完成，系统内无销号审核记录" in lines
    assert any(line.startswith("担保人：办公室（导入台账的人）") for line in lines)
    assert lines[-2].startswith("基线条目：#") and lines[-2].endswith("（与日志一致，日志至此完好）")
    data = json.loads(run("audit", "signoff", "1", "--json").stdout)
    assert (data["basis"], data["approved_by"], data["vouched_by"]) == ("ledger_baseline", None, "办公室")
    unsigned = run("audit", "signoff", "2")
    assert unsigned.exit_code == 1 and "尚未销号" in unsigned.stderr


def test_a_big_ledger_shows_progress_on_stderr(run: Invoke, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "big.csv", [row(n) for n in range(1, 1201)], encoding="gbk")
    result = run("ledger", "import", str(path), *NEW, "--encoding", "gbk", who="办公室")
    assert result.exit_code == 0, result.output
    assert "校验台账" in result.stderr and "写入数据库" in result.stderr
    assert "新增 1200 项" in result.stdout


def test_report_public_prints_the_seed_report_and_writes_word(demo_run: Invoke, tmp_path: Path) -> None:
    result = demo_run("report", "public", "--as-of", "2025-02-14", "--date", "2025-03-06")
    assert result.exit_code == 0, result.output
    assert (
        "截至2025年2月14日，巡察反馈的3个具体问题，已完成整改2个，未整改（正在整改）1项，整改完成率为67%，修订完善各类规章制度1项。"
        in result.stdout
    )
    assert "联系方式：0373-4961003；电子邮箱tsxzf4695849@163.com。" in result.stdout
    out = tmp_path / "通报.docx"
    assert demo_run("report", "public", "--as-of", "2025-02-14", "--out", str(out)).exit_code == 0
    assert any("整改完成率为67%" in p for p in docx_text(out))
    data = json.loads(demo_run("report", "public", "--as-of", "2024-12-01", "--json").stdout)
    assert (data["completed"], data["completion_rate"]) == (1, "33%")
    assert demo_run("report", "public", "--format", "docx").exit_code == 2  # docx needs --out


def test_weekly_and_monthly_reports_render(demo_run: Invoke, tmp_path: Path) -> None:
    weekly = demo_run("report", "weekly", "--as-of", "2025-02-20")
    assert weekly.exit_code == 0 and "请村镇规划建设办公室抓紧整改" in weekly.stdout
    out = tmp_path / "m.md"
    assert demo_run("report", "monthly", "--as-of", "2024-11-30", "--out", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("# 太山镇党委巡察整改工作月度汇报")


def test_ledger_export_and_board(demo_run: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "台账.xlsx"
    result = demo_run("ledger", "export", str(out), "--as-of", "2025-02-14")
    assert result.exit_code == 0 and result.stdout.startswith("已导出 3 项（截至 2025-02-14）")
    assert demo_run("ledger", "export", str(tmp_path / "x.csv")).exit_code == 2
    board = demo_run("board", "--as-of", "2025-02-20")
    assert board.exit_code == 0
    assert "问题 3 个：已完成 2，未完成 1，逾期 1，完成率 67%" in board.stdout
    assert "🔴红灯  3   一/3  违规改变用地用途" in board.stdout
    page = tmp_path / "b.html"
    assert demo_run("board", "--html", str(page)).exit_code == 0 and page.read_text().startswith(
        "<!doctype html>"
    )


def test_rules_and_accountability_are_recorded_and_listed(demo_run: Invoke) -> None:
    added = demo_run(
        "--as",
        "镇整改办",
        "--now",
        "2025-02-01T10:00",
        "rule",
        "add",
        "设施农用地监管办法",
        "--kind",
        "made",
        "--on",
        "2025-01-30",
    )
    assert added.exit_code == 0 and added.stdout.strip() == "已记录制定制度：设施农用地监管办法（2025-01-30）"
    assert "太山镇耕地保护“一网两长”网格化巡查制度" in demo_run("rule", "list").stdout
    acc = demo_run(
        "--as",
        "镇整改办",
        "accountability",
        "add",
        "张某",
        "--measure",
        "诫勉谈话",
        "--on",
        "2025-02-01",
        "--item",
        "3",
    )
    assert acc.exit_code == 0
    assert json.loads(demo_run("accountability", "list", "--json").stdout)[0]["measure"] == "诫勉谈话"
    refused = demo_run("--as", "徐波", "rule", "add", "x", "--kind", "made", "--on", "2025-01-30")
    assert refused.exit_code == 1 and "没有记录建章立制的权限" in refused.stderr


def test_the_help_stays_fast_by_not_loading_the_engine() -> None:
    code = "import sys, cli; print(sorted(m for m in ('openpyxl', 'docx', 'sqlalchemy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_immediate_item_is_due_period_days_after_feedback_and_red_once_past(
    run: Invoke, tmp_path: Path
) -> None:
    """[rectification] period_days sets the concentrated period a 立行立改 item is due at the end of."""
    (tmp_path / "zhenggai.toml").write_text("[rectification]\nperiod_days = 30\n", encoding="utf-8")
    path = write_xlsx(tmp_path / "l.xlsx", [row(1, 整改时限="立行立改", 完成情况="正在推进")])
    dry = run("ledger", "import", str(path), *NEW, "--dry-run", who="办公室")
    assert "  J列「整改时限」→ 整改时限" in dry.stdout.splitlines()
    assert run("ledger", "import", str(path), *NEW, who="办公室").exit_code == 0
    listed = json.loads(run("item", "list", "--json").stdout)
    assert [(i["deadline"], i["overdue"], i["colour"]) for i in listed] == [
        ("立行立改（2024-11-13前）", True, "red")  # 2024-10-14 + 30 days, long past on 2025-01-10
    ]
    # A column read by its content, not its name, is said on a real import too (stderr).
    header = ("序号", "问题描述", "整改情况", "完成情况")
    cells = {"序号": 2, "问题描述": "问题。", "整改情况": "2024年11月5日召开专题会议", "完成情况": "未交办"}
    both = run("ledger", "import", str(write_csv(tmp_path / "b.csv", [cells], header)), who="办公室")
    assert both.exit_code == 0, both.output
    assert "注意：C列「整改情况」→ 整改进展：内容为带日期的进展文字，作为「整改进展」" in both.stderr
    (tmp_path / "zhenggai.toml").write_text("[rectification]\nperiod_days = 0\n", encoding="utf-8")
    refused = run("ledger", "import", str(path), who="办公室")
    assert refused.exit_code == 1 and "period_days = 0 有误：应为 1 到 730 之间的整数" in refused.output
