"""A ledger import never goes around the lifecycle (issue 9 §1). Re-importing may change what describes
an item, never its state nor, once handed out, its deadline: those rows are refused at the cell, naming
the command to use. A new item that starts past 已登记 is a ledger baseline — one `ledger_baseline`
entry vouched for by the importing person — and says so in `item show`, the public report and its
sign-off sheet."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa

from states.categories import DEFAULT_RATE
from tests.ledger_fixtures import (
    ADMIN,
    HEADER,
    audit_count,
    blank_engine,
    demo_dir,
    demo_engine,
    demo_settings,
    import_ledger,
    row,
    write_xlsx,
)
from workflow import clock, db
from workflow.audit import chain, verify
from workflow.audit.payloads import LedgerBaseline
from workflow.cli import render
from workflow.db.tables.core import EVIDENCE, ITEM, MEASURE, PROGRESS
from workflow.intake.ledger import export
from workflow.intake.ledger.plan import LedgerInvalid
from workflow.items import actions
from workflow.read import items as item_queries
from workflow.read import snapshot
from workflow.read.statistics import figures
from workflow.reports import public
from workflow.reports.document import to_markdown

__all__ = ["blank_engine", "demo_dir", "demo_engine"]  # fixtures used below

OFFICE, HANDLER, APPROVER = "镇整改办", "规划办经办人", "县委巡察办"
FULL = (*HEADER[:-1], "佐证材料", "完成情况")
DONE_PHRASE = "台账导入时已完成，系统内无销号审核记录"


def _export(engine: sa.Engine, path: Path, day: date = date(2025, 2, 14)) -> Path:
    with db.reading(engine) as conn:
        export.export(conn, path, day)
    return path


def _edit(path: Path, ledger_no: str, **cells: Any) -> Path:
    """The exported ledger with some cells of one row changed, as a clerk would in Excel."""
    book = openpyxl.load_workbook(path)
    sheet = book["整改台账"]
    header = [c.value for c in sheet[3]]
    line = next(r for r in sheet.iter_rows(min_row=4) if str(r[0].value) == ledger_no)
    for name, value in cells.items():
        line[header.index(name)].value = value
    book.save(path)
    return path


def _item(engine: sa.Engine, item_id: int) -> Any:
    with db.reading(engine) as conn:
        return conn.execute(sa.select(ITEM).where(ITEM.c.id == item_id)).one()


def _reimport(engine: sa.Engine, path: Path, at: str = "2025-02-20T10:00") -> Any:
    return import_ledger(engine, path, who=OFFICE, at=at, round_name=None, new_round={})


# --- re-import: the state and the deadline are the lifecycle's --------------------------------------------


def test_reimporting_item_three_as_completed_is_refused_naming_submit_and_approve(
    demo_engine: sa.Engine, tmp_path: Path
) -> None:
    path = _edit(_export(demo_engine, tmp_path / "台账.xlsx"), "3", 完成情况="已完成")
    count, before = audit_count(demo_engine), _item(demo_engine, 3)
    with pytest.raises(LedgerInvalid, match="导入不能改变已有事项的状态") as caught:
        _reimport(demo_engine, path)
    assert [str(p) for p in caught.value.problems] == [
        "整改台账 第6行 M列（完成情况）：事项 一/3 当前为「整改中」，台账写的是「已完成」（已销号）："
        "导入不能改变已有事项的状态，请按流程操作：zhenggai item submit 3，再 zhenggai item approve 3"
    ]
    assert audit_count(demo_engine) == count and _item(demo_engine, 3) == before
    with db.reading(demo_engine) as conn:
        assert verify.verify(conn, deep=True).ok
    with db.reading(demo_engine) as conn:
        assert figures(conn, snapshot.take(conn, date(2025, 2, 20)), DEFAULT_RATE)["completion_rate"] == "67%"


@pytest.mark.parametrize(
    ("status", "commands"),
    [
        ("待销号审核", "zhenggai item reject 3"),
        ("正在推进", "zhenggai item revisit 3，再 zhenggai item reopen 3"),
        ("回头看", "zhenggai item revisit 3"),
    ],
)
def test_reimporting_another_state_is_refused_naming_the_way_there(
    demo_engine: sa.Engine, tmp_path: Path, status: str, commands: str
) -> None:
    """Item 3 submitted (for 待销号审核 → 正在推进: back is `reject`) or signed off (back is revisit,
    reopen); a ledger that says otherwise is refused either way."""
    at = clock.parse_moment("2025-02-15T10:00")
    with db.unit_of_work(demo_engine) as conn:
        actions.complete_measure(conn, 3, 1, HANDLER, at, on=date(2025, 2, 15))
        actions.fire(conn, 3, "submit", HANDLER, at, summary="备案手续已办结")
        if status != "待销号审核":
            actions.fire(conn, 3, "approve", APPROVER, at)
    shown = {"待销号审核": "正在推进", "正在推进": "正在推进", "回头看": "回头看"}[status]
    path = _edit(_export(demo_engine, tmp_path / "台账.xlsx", date(2025, 2, 15)), "3", 完成情况=shown)
    count = audit_count(demo_engine)
    with pytest.raises(LedgerInvalid, match="导入不能改变已有事项的状态") as caught:
        _reimport(demo_engine, path)
    [problem] = caught.value.problems
    assert (problem.row, problem.column, problem.header) == (6, "M", "完成情况")
    assert "导入不能改变已有事项的状态" in problem.message and problem.message.endswith(commands)
    assert audit_count(demo_engine) == count


def test_reimporting_a_later_deadline_is_refused_naming_item_extend(
    demo_engine: sa.Engine, tmp_path: Path
) -> None:
    path = _edit(_export(demo_engine, tmp_path / "台账.xlsx"), "3", 整改时限="2025-06-30")
    count = audit_count(demo_engine)
    with pytest.raises(LedgerInvalid, match="导入不能修改已交办事项的完成时限") as caught:
        _reimport(demo_engine, path)
    assert [str(p) for p in caught.value.problems] == [
        "整改台账 第6行 J列（整改时限）：事项 一/3 当前为「整改中」，完成时限为 2025-02-14，台账写的是 2025-06-30："
        "导入不能修改已交办事项的完成时限，延期请用 zhenggai item extend 3 --to 日期 --reason 理由 --approved-by 批准人"
    ]
    item = _item(demo_engine, 3)
    assert (item.deadline, item.original_deadline) == (date(2025, 2, 14), None)
    assert audit_count(demo_engine) == count
    with db.reading(demo_engine) as conn:
        overdue = item_queries.list_items(conn, date(2025, 2, 20), overdue=True)
    assert [i["id"] for i in overdue] == [3]  # still on the overdue list


def test_a_changed_state_and_deadline_are_both_reported(demo_engine: sa.Engine, tmp_path: Path) -> None:
    path = _edit(_export(demo_engine, tmp_path / "台账.xlsx"), "3", 完成情况="已完成", 整改时限="立行立改")
    with pytest.raises(LedgerInvalid, match="未导入任何内容") as caught:
        _reimport(demo_engine, path)
    assert [(p.row, p.column) for p in caught.value.problems] == [(6, "J"), (6, "M")]


def test_while_registered_the_plan_and_its_deadline_may_still_be_filled_in(
    blank_engine: sa.Engine, tmp_path: Path
) -> None:
    import_ledger(blank_engine, write_xlsx(tmp_path / "a.xlsx", [row(1, 完成情况="", 整改时限="")]))
    again = [row(1, 完成情况="已登记", 整改时限="2025-03-31")]
    summary = import_ledger(blank_engine, write_xlsx(tmp_path / "b.xlsx", again), at="2025-01-11T10:00")
    assert (summary.updated, summary.state_changes) == (1, 0)
    item = _item(blank_engine, 1)
    assert (item.state, item.deadline) == ("reported", date(2025, 3, 31))


def test_descriptive_fields_progress_and_evidence_still_change_on_reimport(
    demo_engine: sa.Engine, tmp_path: Path
) -> None:
    path = _edit(
        _export(demo_engine, tmp_path / "台账.xlsx"),
        "3",
        问题描述="违规改变用地用途（修订）。新的描述。",
        典型表现="新的典型表现",
        整改措施="1. 立行立改推进土地合规，全面排查用地用途，加强群众监督\n2. 建立长效巡查制度",
        配合单位="县自然资源局",
        整改进展="2025-02-18：县自然资源局受理备案",
        佐证材料="文件：备案申请材料",
    )
    summary = _reimport(demo_engine, path)
    assert (summary.updated, summary.unchanged, summary.state_changes) == (1, 2, 0)
    item = _item(demo_engine, 3)
    assert (item.title, item.description, item.instance, item.cooperating, item.state) == (
        "违规改变用地用途（修订）",
        "新的描述。",
        "新的典型表现",
        "县自然资源局",
        "in_progress",
    )
    with db.reading(demo_engine) as conn:
        entry = chain.entries(conn, 3)[-2]  # then the added measure's
        assert (entry.action, entry.from_state, entry.to_state) == (
            "ledger_import",
            "in_progress",
            "in_progress",
        )
        assert conn.execute(sa.select(sa.func.count()).where(MEASURE.c.item_id == 3)).scalar() == 2
        texts = set(conn.execute(sa.select(PROGRESS.c.text).where(PROGRESS.c.item_id == 3)).scalars())
        assert "县自然资源局受理备案" in texts
        assert verify.verify(conn, deep=True).ok  # the live rows agree with the trail


def test_reimporting_an_unchanged_export_changes_nothing(demo_engine: sa.Engine, tmp_path: Path) -> None:
    path = _export(demo_engine, tmp_path / "台账.xlsx")
    _reimport(demo_engine, path)  # adopts the YAML items under their 序号
    versions = [_item(demo_engine, i).version for i in (1, 2, 3)]
    count = audit_count(demo_engine)
    summary = _reimport(demo_engine, path, at="2025-02-21T10:00")
    assert (summary.created, summary.updated, summary.unchanged, summary.state_changes) == (0, 0, 3, 0)
    assert [_item(demo_engine, i).version for i in (1, 2, 3)] == versions
    assert audit_count(demo_engine) == count + 1  # the batch entry only


# --- a new item past 已登记: a ledger baseline ------------------------------------------------------------


def _baseline_ledger(engine: sa.Engine, tmp_path: Path) -> None:
    rows = [
        row(
            1,
            完成情况="已完成。已获批复",
            整改进展="2024-11-22：办结手续",
            佐证材料="批文：获政土〔2024〕27号",
        ),
        row(2, 完成情况="基本完成"),
        row(3, 完成情况=""),
    ]
    import_ledger(engine, write_xlsx(tmp_path / "台账.xlsx", rows, FULL))


def test_a_new_item_past_registered_gets_one_ledger_baseline_entry_vouched_by_the_importer(
    blank_engine: sa.Engine, tmp_path: Path
) -> None:
    _baseline_ledger(blank_engine, tmp_path)
    with db.reading(blank_engine) as conn:
        entries = {i: chain.entries(conn, i) for i in (1, 2, 3)}
        evidence = conn.execute(sa.select(EVIDENCE.c.hash).where(EVIDENCE.c.item_id == 1)).scalars().all()
        assert verify.verify(conn, deep=True).ok  # the live rows agree with the trail
    assert [(e.action, e.actor, e.from_state, e.to_state) for e in entries[1]] == [
        ("ledger_baseline", ADMIN, None, "closed")
    ]
    assert [(e.action, e.from_state, e.to_state) for e in entries[2]] == [
        ("ledger_baseline", None, "in_progress")
    ]
    assert [(e.action, e.from_state, e.to_state) for e in entries[3]] == [("ledger_import", None, "reported")]
    baseline = LedgerBaseline.from_dict(entries[1][0].data)
    assert (baseline.vouched_by, baseline.status, baseline.state) == (ADMIN, "已完成。已获批复", "closed")
    assert baseline.category is None  # 已完成 is the state's; 基本完成 is a category the row sets
    assert LedgerBaseline.from_dict(entries[2][0].data).category == "basic"
    assert _item(blank_engine, 2).category == "basic"
    assert (baseline.ledger_no, baseline.row, baseline.file, baseline.sheet) == ("1", 3, "台账.xlsx", "台账")
    # As stored (JSON): the creation record reads its lists back as lists.
    assert baseline.measures == ["立即整改", "全面排查"]
    assert baseline.evidence == [["批文", "获政土〔2024〕27号"]]
    assert baseline.progress == [["2024-11-22", None, "办结手续"]]
    assert baseline.evidence_hashes == list(evidence)
    item = _item(blank_engine, 1)  # everything the row holds is in the payload
    for key in ("round_id", "aspect_id", "number", "position", "title", "description", "instance", "leader"):
        assert getattr(item, key) == getattr(baseline, key), key
    assert (item.deadline_kind, item.deadline) == (baseline.deadline_kind, baseline.deadline)


def test_the_snapshot_takes_a_baseline_as_the_creation_it_is(blank_engine: sa.Engine, tmp_path: Path) -> None:
    _baseline_ledger(blank_engine, tmp_path)  # on 2025-01-10
    with db.reading(blank_engine) as conn:
        assert snapshot.take(conn, date(2025, 1, 9)).items == []
        snap = snapshot.take(conn, date(2025, 1, 10))
        assert [(i.id, i.state.value) for i in snap.items] == [
            (1, "closed"),
            (2, "in_progress"),
            (3, "reported"),
        ]
        assert figures(conn, snap, DEFAULT_RATE)["completed"] == 1
        assert snapshot.baselines(conn, snap) == {1: "closed", 2: "in_progress"}
        # The rule in Python (item show, the sign-off sheet) and its SQL twin (the report) agree.
        said = {
            e.item_id for e in chain.entries(conn) if snapshot.is_baseline(e.action, e.from_state, e.to_state)
        }
        assert said == set(snapshot.baselines(conn, snap))


def test_item_show_says_the_state_is_a_ledger_baseline_and_who_vouched(
    blank_engine: sa.Engine, tmp_path: Path
) -> None:
    _baseline_ledger(blank_engine, tmp_path)
    with db.reading(blank_engine) as conn:
        shown = item_queries.show_item(conn, 1, None, date(2025, 1, 10))
        plain = item_queries.show_item(conn, 3, None, date(2025, 1, 10))
    baseline = shown["baseline"]
    assert baseline["phrase"] == DONE_PHRASE
    assert (baseline["vouched_by"], baseline["at"], baseline["status"]) == (
        ADMIN,
        "2025-01-10 10:00",
        "已完成。已获批复",
    )
    assert (baseline["file"], baseline["sheet"], baseline["batch"], baseline["row"]) == (
        "台账.xlsx",
        "台账",
        1,
        3,
    )
    assert plain["baseline"] is None
    json.dumps(shown, ensure_ascii=False, default=str)  # --json prints it as it is
    text = render.item_text(shown)
    assert f"台账基线：{DONE_PHRASE}。担保人：{ADMIN}（2025-01-10 10:00 导入 台账.xlsx「台账」第3行" in text
    assert "台账基线" not in render.item_text(plain)


def test_the_public_report_says_a_closure_is_a_ledger_baseline(
    blank_engine: sa.Engine, tmp_path: Path
) -> None:
    _baseline_ledger(blank_engine, tmp_path)
    with db.reading(blank_engine) as conn:
        doc, _stats = public.public(conn, date(2025, 1, 10), demo_settings(), round_name="测试轮次")
    text = to_markdown(doc)
    assert f"整改情况：已完成。{DONE_PHRASE}。一是11月22日，办结手续。" in text
    # 基本完成 in the ledger is the item's completion category (not only 整改中): the report says so.
    assert "整改情况：基本完成。台账导入时已在整改中，系统内无交办、开始整改记录。" in text
    assert text.count("台账导入时") == 2  # not for the item registered in the system


def test_a_baseline_closed_item_has_a_signoff_sheet_that_says_it_is_no_signoff(
    blank_engine: sa.Engine, tmp_path: Path
) -> None:
    _baseline_ledger(blank_engine, tmp_path)
    with db.reading(blank_engine) as conn:
        sheet = item_queries.signoff_sheet(conn, 1)
        entry = chain.entries(conn, 1)[0]
    assert (sheet["basis"], sheet["vouched_by"], sheet["approved_by"], sheet["signoffs"]) == (
        "ledger_baseline",
        ADMIN,
        None,
        0,
    )
    assert sheet["entry"] == {"seq": entry.seq, "hash": entry.hash} and sheet["entry_matches_log"]
    assert [e["matches_record"] for e in sheet["evidence"]] == [True]
    text = render.signoff_text(sheet)
    assert text.splitlines()[0] == "销号单（台账导入基线，非销号审核）"
    assert f"销号依据：{DONE_PHRASE}" in text
    assert f"担保人：{ADMIN}（导入台账的人）" in text
    assert not any(line.startswith(("销号人", "提请人：")) for line in text.splitlines())
    assert f"基线条目：#{entry.seq} {entry.hash}（与日志一致，日志至此完好）" in text


def test_a_baseline_item_moved_on_keeps_its_baseline_sheet_and_the_report_stops_saying_baseline(
    blank_engine: sa.Engine, tmp_path: Path
) -> None:
    import_ledger(blank_engine, write_xlsx(tmp_path / "a.xlsx", [row(1, 完成情况="已完成")]))
    at = clock.parse_moment("2025-01-11T10:00")
    with db.unit_of_work(blank_engine) as conn:
        actions.fire(conn, 1, "revisit", ADMIN, at)
        actions.fire(conn, 1, "reopen", ADMIN, at, reason="问题反弹")
    with db.reading(blank_engine) as conn:
        assert item_queries.signoff_sheet(conn, 1)["basis"] == "ledger_baseline"  # the last closure
        snap = snapshot.take(conn, date(2025, 1, 11))
        assert snapshot.baselines(conn, snap) == {}  # its state now rests on the lifecycle
        assert verify.verify(conn, deep=True).ok
