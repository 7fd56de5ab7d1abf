"""Export → import into an empty database → export: the same ledger, cell for cell; and the export is
ready to print and shows the past as it was."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import sqlalchemy as sa

from tests.ledger_fixtures import blank_engine, demo_dir, demo_engine, import_ledger
from workflow import clock, db
from workflow.db.tables.core import ITEM
from workflow.intake.ledger import export
from workflow.items import actions, people

__all__ = ["blank_engine", "demo_dir", "demo_engine"]

SEED_DAY = date(2025, 2, 14)


def _export(engine: sa.Engine, path: Path, day: date = SEED_DAY) -> Path:
    with db.reading(engine) as conn:
        export.export(conn, path, day)
    return path


def _cells(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(path)
    return {s.title: list(s.iter_rows(values_only=True)) for s in book.worksheets}


def test_export_import_export_gives_the_same_ledger(
    demo_engine: sa.Engine, blank_engine: sa.Engine, tmp_path: Path
) -> None:
    first = _export(demo_engine, tmp_path / "first.xlsx")
    summary = import_ledger(blank_engine, first, at="2025-02-14T20:00", round_name=None, new_round={})
    assert (summary.created, summary.round) == (3, "县委上下联动乡村振兴专项巡察（太山镇）")
    second = _export(blank_engine, tmp_path / "second.xlsx")
    assert _cells(first) == _cells(second)
    fills = [
        [c.fill.fgColor.rgb for c in r]
        for r in openpyxl.load_workbook(second)["整改台账"].iter_rows(min_row=4, min_col=14)
    ]
    # 状态, 亮灯 and 完成类别 carry the light: green, green, yellow
    assert fills == [["00C6EFCE"] * 3, ["00C6EFCE"] * 3, ["00FFEB9C"] * 3]


def test_the_export_holds_state_progress_and_evidence_as_of_its_date(
    demo_engine: sa.Engine, tmp_path: Path
) -> None:
    rows = _cells(_export(demo_engine, tmp_path / "l.xlsx"))["整改台账"]
    assert rows[0][0] == "县委上下联动乡村振兴专项巡察（太山镇）整改台账"
    assert rows[1][0] == "被巡察单位：中共太山镇委员会　　截至：2025年2月14日"
    assert rows[2] == (
        "序号",
        "问题类别",
        "问题描述",
        "典型表现",
        "整改措施",
        "责任领导",
        "责任部门",
        "配合单位",
        "责任人",
        "整改时限",
        "整改进展",
        "佐证材料",
        "完成情况",
        "状态",
        "亮灯",
        "完成类别",
    )
    first = dict(zip(rows[2], rows[3], strict=True))
    assert first["序号"] == 1 or first["序号"] == "1"
    assert first["问题类别"] == '一、违法违规占用耕地、耕地"非农化"、"非粮化"'
    assert first["整改时限"] == datetime(2024, 12, 31)
    assert first["整改进展"].splitlines()[0].startswith("2024-10-15：镇人大主席徐波")
    assert first["佐证材料"] == "会议纪要：太山镇土地卫片图斑专项整治工作会议纪要\n批文：获政土〔2024〕27号"
    assert (first["完成情况"], first["状态"], first["完成类别"], first["亮灯"]) == (
        "已完成",
        "已销号",
        "已完成",
        "绿灯",
    )
    second = dict(zip(rows[2], rows[4], strict=True))
    assert "2024-11-05（11月初）：借今冬明春大会战" in second["整改进展"]

    early = dict(
        zip(
            rows[2],
            _cells(_export(demo_engine, tmp_path / "e.xlsx", date(2024, 11, 1)))["整改台账"][3],
            strict=True,
        )
    )
    assert (early["完成情况"], early["状态"], early["完成类别"]) == ("正在推进", "整改中", "正在整改")
    assert early["佐证材料"] is None and early["整改进展"].count("\n") == 1  # 10-15 and 10-30 only


def test_the_export_is_ready_to_print(demo_engine: sa.Engine, tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(_export(demo_engine, tmp_path / "l.xlsx"))["整改台账"]
    assert sheet.freeze_panes == "A4"
    assert sheet.print_title_rows == "$3:$3"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert sheet.column_dimensions["C"].width == 40
    assert sheet["K4"].alignment.wrap_text


def test_an_extension_after_the_date_does_not_change_the_export_of_that_date(
    demo_engine: sa.Engine, tmp_path: Path
) -> None:
    with db.unit_of_work(demo_engine) as conn:
        actions.extend(
            conn,
            3,
            "规划办经办人",
            clock.parse_moment("2025-02-10T10:00"),
            new_deadline=date(2025, 3, 31),
            reason="备案手续办理中",
            approved_by="徐波",
        )
        actions.reassign(
            conn, 3, "镇整改办", clock.parse_moment("2025-02-20T10:00"), reason="分工调整", leader="杨公平"
        )
    then = _cells(_export(demo_engine, tmp_path / "a.xlsx", date(2025, 2, 9)))["整改台账"][5]
    later = _cells(_export(demo_engine, tmp_path / "b.xlsx", date(2025, 2, 14)))["整改台账"][5]
    now = _cells(_export(demo_engine, tmp_path / "c.xlsx", date(2025, 2, 21)))["整改台账"][5]
    assert (then[9], then[5], then[14]) == (datetime(2025, 2, 14), "徐波", "黄灯")
    assert (later[9], later[5], later[14]) == (datetime(2025, 3, 31), "徐波", "绿灯")
    assert (now[9], now[5]) == (datetime(2025, 3, 31), "杨公平")


# A leader's name (one person, no spaces, as the ledger requires), a round's group, cooperating units.
FORMULAS = ("=cmd|'calc'!A0", '=HYPERLINK("http://evil.example/x","点我")', "=cmd|' /C calc'!A0")


def test_text_that_looks_like_a_formula_is_exported_as_text_and_survives_the_round_trip(
    demo_engine: sa.Engine, blank_engine: sa.Engine, tmp_path: Path
) -> None:
    now = clock.parse_moment("2025-02-14T18:00")
    with db.unit_of_work(demo_engine) as conn:
        conn.execute(sa.text("UPDATE round SET group_name = :g"), {"g": FORMULAS[1]})  # as a YAML import may
        people.add_person(conn, "镇整改办", now, name=FORMULAS[0], roles="leader")
        actions.reassign(
            conn, 3, "镇整改办", now, reason="分工调整", leader=FORMULAS[0], cooperating=FORMULAS[2]
        )
    path = _export(demo_engine, tmp_path / "l.xlsx", date(2025, 2, 15))
    book = openpyxl.load_workbook(path)  # not data_only: a formula would show as a formula here
    cells = [c for s in book.worksheets for r in s.iter_rows() for c in r if isinstance(c.value, str)]
    formulas = [c.coordinate for c in cells if c.data_type == "f"]
    assert formulas == []
    values = {c.value for c in cells}
    assert {FORMULAS[0], FORMULAS[1], FORMULAS[2]} <= values
    summary = import_ledger(blank_engine, path, at="2025-02-15T20:00", round_name=None, new_round={})
    assert summary.created == 3
    with db.reading(blank_engine) as conn:
        leader, cooperating = conn.execute(
            sa.select(ITEM.c.leader, ITEM.c.cooperating).where(ITEM.c.number == "一/3")
        ).one()
        group = conn.execute(sa.text("SELECT group_name FROM round")).scalar_one()
    assert (leader, cooperating, group) == (FORMULAS[0], FORMULAS[2], FORMULAS[1])
