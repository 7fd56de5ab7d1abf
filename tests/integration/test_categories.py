"""Completion categories (issue 10 §2): 基本完成 / 未完成 / 长期坚持 are audited facts of an item, replayed by
`audit verify` and by every report as of a date; the rate counts what one setting says; imported
history is not "completed this week"; a report before any data says so."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from states.categories import Category, Rate
from tests.ledger_fixtures import (
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
from workflow.cli import render
from workflow.db.tables.core import ITEM
from workflow.errors import InvalidInput, PermissionDenied, Refused
from workflow.intake.ledger import export
from workflow.items import actions
from workflow.read import items, snapshot, statistics
from workflow.reminders import digests
from workflow.reports import board, periodic, public
from workflow.reports.document import to_markdown

__all__ = ["blank_engine", "demo_dir", "demo_engine"]

OFFICE, APPROVER, HANDLER = "镇整改办", "县委巡察办", "规划办经办人"
AFTER_SEED = "2025-02-10T10:00"  # after the seed's last event (2025-01-24): time runs forward


def _categorize(
    engine: sa.Engine, item: int, category: Category, who: str = OFFICE, at: str = AFTER_SEED
) -> None:
    with db.unit_of_work(engine) as conn:
        actions.categorize(
            conn, item, who, clock.parse_moment(at), category=category, reason="备案材料已提交，待批复"
        )


def _report(engine: sa.Engine, day: date, rate: Rate | None = None) -> str:
    settings = demo_settings() if rate is None else replace(demo_settings(), rate=rate)
    with db.reading(engine) as conn:
        doc, _ = public.public(conn, day, settings, published=date(2025, 3, 6))
    return to_markdown(doc)


def test_an_office_marks_open_work_basic_and_every_figure_counts_it_apart(demo_engine: sa.Engine) -> None:
    _categorize(demo_engine, 3, Category.basic)
    text = _report(demo_engine, date(2025, 2, 14))
    assert (
        "巡察反馈的3个具体问题，已完成整改2个，基本完成1个，整改完成率为67%，修订完善各类规章制度1项。"
        in text
    )
    assert "整改情况：基本完成。一是10月15日" in text
    # As of a day before the mark, the report is the seed's, byte for byte in its sentence.
    assert "已完成整改2个，未整改（正在整改）1项，整改完成率为67%" in _report(demo_engine, date(2025, 2, 9))
    # One setting: counting 基本完成 as done moves the rate in the report, summary and board alike.
    counting = Rate(frozenset({Category.completed, Category.basic}), 2)
    assert "整改完成率为100.00%" in _report(demo_engine, date(2025, 2, 14), counting)
    with db.reading(demo_engine) as conn:
        live = statistics.summary(conn, date(2025, 2, 14), rate=counting)
        on_board = board.data(conn, date(2025, 2, 14), rate=counting)
        entry = chain.entries(conn, 3)[-1]
        shown = items.show_item(conn, 3, None, date(2025, 2, 14))
        assert (shown["category"], shown["category_marked"]) == ("basic", True)
        assert items.show_item(conn, 1, None, date(2025, 2, 14))["category"] == "completed"
        assert verify.verify(conn, deep=True).ok  # the mark is replayed and agrees with the column
    assert (live["completion_rate"], live["by_category"]["basic"], live["completed"]) == ("100.00%", 1, 2)
    assert on_board["totals"]["completion_rate"] == "100.00%"
    assert on_board["groups"][0]["rate"] == "100.00%" and on_board["groups"][0]["by_category"]["basic"] == 1
    assert statistics.summary_sentence(live).endswith("已完成整改2个，基本完成1个，整改完成率为100.00%。")
    assert (entry.action, entry.reason, entry.data) == (
        "categorize",
        "备案材料已提交，待批复",
        {"category": [None, "basic"]},
    )


def test_a_signed_off_item_is_completed_whatever_it_was_marked(demo_engine: sa.Engine) -> None:
    _categorize(demo_engine, 3, Category.not_done)
    with db.reading(demo_engine) as conn:
        snap = snapshot.take(conn, date(2025, 2, 14))
    assert [i.completion for i in snap.items] == [Category.completed, Category.completed, Category.not_done]
    assert "已完成整改2个，未完成1个，整改完成率为67%" in _report(demo_engine, date(2025, 2, 14))


def test_categorize_is_refused_to_handlers_on_closed_items_and_for_completed(demo_engine: sa.Engine) -> None:
    with pytest.raises(PermissionDenied, match="规划办经办人 没有认定完成类别的权限"):
        _categorize(demo_engine, 3, Category.basic, who=HANDLER)
    with pytest.raises(Refused, match="事项当前为「已销号」"):
        _categorize(demo_engine, 1, Category.basic)
    with pytest.raises(InvalidInput, match="「已完成」只能经提请销号、销号审核得出"):
        _categorize(demo_engine, 3, Category.completed)
    _categorize(demo_engine, 3, Category.ongoing, who=APPROVER)
    with pytest.raises(Refused, match="已认定为「长期坚持」"):
        _categorize(demo_engine, 3, Category.ongoing, at="2025-02-11T10:00")


def test_a_category_written_behind_the_engine_is_named_by_verify(demo_engine: sa.Engine) -> None:
    with db.unit_of_work(demo_engine) as conn:
        conn.execute(ITEM.update().where(ITEM.c.id == 2).values(category="basic"))
    with db.reading(demo_engine) as conn:
        verdict = verify.verify(conn, deep=True)
    assert not verdict.ok
    assert (verdict.table, verdict.row, verdict.column, verdict.expected, verdict.found) == (
        "item",
        "2",
        "category",
        None,
        "basic",
    )


def test_the_ledger_export_shows_the_category_and_import_brings_it_back(
    demo_engine: sa.Engine, blank_engine: sa.Engine, tmp_path: Path
) -> None:
    _categorize(demo_engine, 3, Category.not_done)
    with db.reading(demo_engine) as conn:
        export.export(conn, tmp_path / "l.xlsx", date(2025, 2, 14))
    rows = list(
        openpyxl.load_workbook(tmp_path / "l.xlsx")["整改台账"].iter_rows(min_row=3, values_only=True)
    )
    third = dict(zip(rows[0], rows[3], strict=True))
    assert (third["完成情况"], third["状态"], third["完成类别"]) == ("未完成", "整改中", "未完成")
    import_ledger(blank_engine, tmp_path / "l.xlsx", at="2025-02-14T20:00", round_name=None, new_round={})
    with db.reading(blank_engine) as conn:
        back = conn.execute(sa.select(ITEM.c.state, ITEM.c.category).where(ITEM.c.number == "一/3")).one()
        assert verify.verify(conn, deep=True).ok
    assert tuple(back) == ("in_progress", "not_done")


def test_ledger_status_words_set_the_category_of_new_items(blank_engine: sa.Engine, tmp_path: Path) -> None:
    rows = [
        row(1, 完成情况="已完成"),
        row(2, 完成情况="基本完成，待验收"),
        row(3, 完成情况="未完成"),
        row(4, 完成情况="长期坚持"),
        row(5, 完成情况="正在推进"),
        row(6, 完成情况="正在推进", 整改时限="长期坚持"),
    ]
    import_ledger(blank_engine, write_xlsx(tmp_path / "台账.xlsx", rows))
    with db.reading(blank_engine) as conn:
        marks = conn.execute(sa.select(ITEM.c.category).order_by(ITEM.c.id)).scalars().all()
        snap = snapshot.take(conn, date(2025, 1, 10))
        stats = statistics.figures(conn, snap, Rate(precision=2))
        assert verify.verify(conn, deep=True).ok
    assert marks == [None, "basic", "not_done", "ongoing", None, None]
    assert [i.completion.value for i in snap.items] == [
        "completed",
        "basic",
        "not_done",
        "ongoing",
        "in_progress",
        "ongoing",  # 长期坚持 by its deadline: derived, not marked
    ]
    assert stats["completion_rate"] == "16.67%"  # 1 of 6: 基本完成 and 长期坚持 are not done by default


def test_imported_history_is_not_completed_this_week(blank_engine: sa.Engine, tmp_path: Path) -> None:
    rows = [row(1, 完成情况="已完成"), row(2, 完成情况="正在推进")]
    import_ledger(blank_engine, write_xlsx(tmp_path / "台账.xlsx", rows), at="2025-01-06T10:00")
    with db.reading(blank_engine) as conn:
        doc, data = periodic.periodic(
            conn, "weekly", date(2025, 1, 12), demo_settings(), round_name="测试轮次"
        )
    text = to_markdown(doc)
    assert data["newly_completed"] == 0 and "本周新完成整改0个" in text
    assert "| 台账导入（基线） → 已销号 |" in text
    # The weekly dispatch's "closed this week" (销号) leaves the imported closure out too.
    due = clock.parse_moment("2025-01-13T09:00")
    with db.reading(blank_engine) as conn:
        closed = conn.execute(sa.select(sa.func.count()).where(digests._recently_closed(due))).scalar_one()
    assert closed == 0


def test_a_report_before_any_data_says_so_plainly(demo_engine: sa.Engine) -> None:
    text = _report(demo_engine, date(2024, 10, 1))
    assert (
        "截至2024年10月1日，系统中尚无本轮巡察反馈问题的记录，本轮最早的问题记录于2024年10月14日，"
        "暂无整改情况可以统计。"
    ) in text
    for contradiction in ("0个问题", "完成率为—", "已全部完成整改", "尚无已完成整改的问题"):
        assert contradiction not in text
    assert re.search(
        r"## 二、巡察反馈问题整改落实情况\n\n截至2024年10月1日，尚无巡察反馈问题的记录。\n", text
    )
    with db.reading(demo_engine) as conn:
        doc, _ = periodic.periodic(conn, "weekly", date(2024, 10, 1), demo_settings())
    weekly = to_markdown(doc)
    assert "尚无县委上下联动乡村振兴专项巡察（太山镇）反馈问题的记录，暂无整改进展可以通报。" in weekly
    assert "0个问题" not in weekly
    with db.reading(demo_engine) as conn:
        empty = render.board_text(board.data(conn, date(2024, 10, 1)))
    assert empty.endswith("\n截至该日尚无巡察反馈问题的记录。") and "完成率" not in empty
