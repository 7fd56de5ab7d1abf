"""Importing ledgers into a real database: states from 完成情况 in the audit trail, updates by 序号,
and the broken-ledger corpus — every problem named by sheet, row and column, nothing written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.ledger_fixtures import (
    ADMIN,
    HEADER,
    audit_count,
    blank_engine,
    demo_dir,
    demo_engine,
    import_ledger,
    row,
    write_csv,
    write_xlsx,
)
from workflow import clock, db
from workflow.audit import chain, verify
from workflow.db.tables.core import EVIDENCE, ITEM, MEASURE, PERSON, PROGRESS
from workflow.db.tables.ledger import LEDGER_BATCH, LEDGER_KEY
from workflow.errors import InvalidInput, PermissionDenied
from workflow.intake.ledger import export
from workflow.intake.ledger.plan import LedgerInvalid

__all__ = ["blank_engine", "demo_dir", "demo_engine"]  # fixtures used below

FULL = (*HEADER[:-1], "佐证材料", "完成情况")


def _items(engine: sa.Engine) -> dict[str, sa.Row[tuple[object, ...]]]:
    with db.reading(engine) as conn:
        return {r.number: r for r in conn.execute(sa.select(ITEM).order_by(ITEM.c.id))}


def _entries(engine: sa.Engine, action: str | None) -> list[chain.Entry]:
    with db.reading(engine) as conn:
        return [e for e in chain.entries(conn) if action is None or e.action == action]


def test_a_ledger_creates_items_whose_state_comes_from_its_completion_column(
    blank_engine: sa.Engine, tmp_path: Path
) -> None:
    rows = [
        row(
            1,
            完成情况="已完成",
            整改进展="10月15日，实地走访\n2024-11-22：办结手续",
            佐证材料="批文：获政土〔2024〕27号",
        ),
        row(2, 完成情况="基本完成"),
        row(3, 完成情况="未启动", 整改时限="立行立改", 配合单位="自然资源所、农业农村办"),
        row(4, 完成情况="", 整改时限="长期坚持"),
        row(5, 完成情况="待销号", 问题类别="（二）乡村振兴产业项目建设", 责任人="张三"),
    ]
    summary = import_ledger(blank_engine, write_xlsx(tmp_path / "l.xlsx", rows, FULL))
    assert (summary.created, summary.updated, summary.unchanged, summary.people) == (5, 0, 0, 3)
    items = _items(blank_engine)
    assert {n: r.state for n, r in items.items()} == {
        "一/1": "closed",
        "一/2": "in_progress",
        "一/3": "assigned",
        "一/4": "reported",
        "二/5": "submitted",
    }
    assert items["一/1"].title == "问题1概括" and items["一/1"].description == "问题1的具体描述。"
    assert (
        items["一/3"].deadline_kind == "immediate" and items["一/3"].cooperating == "自然资源所、农业农村办"
    )
    assert items["一/4"].deadline_kind == "ongoing"
    # Past 已登记 the state is a ledger baseline (tests/integration/test_ledger_lifecycle.py).
    entries = [e for e in _entries(blank_engine, None) if e.item_id is not None]
    assert [(e.item_id, e.actor, e.action, e.from_state, e.to_state) for e in entries] == [
        (items["一/1"].id, ADMIN, "ledger_baseline", None, "closed"),
        (items["一/2"].id, ADMIN, "ledger_baseline", None, "in_progress"),
        (items["一/3"].id, ADMIN, "ledger_baseline", None, "assigned"),
        (items["一/4"].id, ADMIN, "ledger_import", None, "reported"),
        (items["二/5"].id, ADMIN, "ledger_baseline", None, "submitted"),
    ]
    assert entries[1].data["status"] == "基本完成" and entries[0].data["ledger_no"] == "1"
    with db.reading(blank_engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(MEASURE)).scalar_one() == 10
        assert [(p.on.isoformat(), p.when_text, p.text) for p in conn.execute(sa.select(PROGRESS))] == [
            ("2024-10-15", "10月15日", "实地走访"),
            ("2024-11-22", None, "办结手续"),
        ]
        assert conn.execute(sa.select(EVIDENCE.c.kind, EVIDENCE.c.ref)).all() == [
            ("批文", "获政土〔2024〕27号")
        ]
        people = {p.name: p.roles for p in conn.execute(sa.select(PERSON))}
        assert people == {ADMIN: "office", "徐波": "leader", "规划办经办人": "handler", "张三": "handler"}
        assert sorted(conn.execute(sa.select(LEDGER_KEY.c.ledger_no)).scalars()) == ["1", "2", "3", "4", "5"]
        assert verify.verify(conn).ok


def test_importing_it_again_updates_by_serial_number_and_audits_each_change(
    blank_engine: sa.Engine, tmp_path: Path
) -> None:
    rows = [row(1), row(2), row(3)]
    import_ledger(blank_engine, write_xlsx(tmp_path / "a.xlsx", rows))
    again = import_ledger(blank_engine, write_xlsx(tmp_path / "b.xlsx", rows), at="2025-01-11T10:00")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    before = _items(blank_engine)
    changed = [
        row(1, 责任部门="自然资源所", 配合单位="农业农村办"),
        row(2, 整改措施="1. 立即整改\n2. 全面排查\n3. 建立长效机制", 整改进展="2025-01-12：召开推进会"),
        row(3),
        row(4, 问题类别="二、新的方面"),
    ]
    summary = import_ledger(blank_engine, write_xlsx(tmp_path / "c.xlsx", changed), at="2025-01-12T10:00")
    assert (summary.created, summary.updated, summary.unchanged, summary.state_changes) == (1, 2, 1, 1)
    after = _items(blank_engine)
    assert after["一/1"].department == "自然资源所" and after["一/1"].version == before["一/1"].version + 1
    update = next(
        e for e in _entries(blank_engine, "ledger_import") if e.at.startswith("2025-01-12") and e.from_state
    )
    assert (update.from_state, update.to_state) == ("in_progress", "in_progress")
    assert update.data["changes"] == {
        "department": ["村镇规划建设办公室", "自然资源所"],
        "cooperating": ["", "农业农村办"],
    }
    added = _entries(blank_engine, "add_measure")
    assert [(e.item_id, e.data["seq"], e.data["text"]) for e in added] == [
        (after["一/2"].id, 3, "建立长效机制")
    ]
    batches = _entries(blank_engine, "ledger_batch")
    assert [b.data["created"] for b in batches] == [3, 0, 1]


def test_an_import_never_moves_a_state_nor_drops_measures(blank_engine: sa.Engine, tmp_path: Path) -> None:
    import_ledger(blank_engine, write_xlsx(tmp_path / "a.xlsx", [row(1, 完成情况="已完成"), row(2)]))
    count = audit_count(blank_engine)
    back = [row(1, 完成情况="正在推进"), row(2, 整改措施="只剩一项")]
    with pytest.raises(LedgerInvalid, match="未导入任何内容") as caught:
        import_ledger(blank_engine, write_xlsx(tmp_path / "b.xlsx", back))
    assert [str(p) for p in caught.value.problems] == [
        "台账 第3行 L列（完成情况）：事项 一/1 当前为「已销号」，台账写的是「正在推进」（整改中）："
        "导入不能改变已有事项的状态，请按流程操作：zhenggai item revisit 1，再 zhenggai item reopen 1",
        "台账 第4行 E列（整改措施）：台账中的整改措施（1 项）少于系统中已有的 2 项：导入不能删除整改措施",
    ]
    assert audit_count(blank_engine) == count


def test_a_state_past_registered_needs_a_complete_plan(blank_engine: sa.Engine, tmp_path: Path) -> None:
    rows = [row(1, 完成情况="已完成", 责任领导="", 整改时限=""), row(2, 完成情况="", 责任领导="")]
    with pytest.raises(
        LedgerInvalid,
        match="第3行 L列（完成情况）：完成情况为「已完成」，但整改方案不完整，缺少责任领导、完成时限",
    ):
        import_ledger(blank_engine, write_xlsx(tmp_path / "a.xlsx", rows))


def test_only_the_office_imports(demo_engine: sa.Engine, tmp_path: Path) -> None:
    with pytest.raises(PermissionDenied, match="徐波 没有导入台账的权限"):
        import_ledger(demo_engine, write_xlsx(tmp_path / "a.xlsx", [row(1)]), who="徐波", round_name=None)


def test_a_new_round_needs_its_group_unit_and_feedback_date(blank_engine: sa.Engine, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="新建它需要 --unit、--feedback-date"):
        import_ledger(blank_engine, write_xlsx(tmp_path / "a.xlsx", [row(1)]), new_round={"group_name": "组"})


def test_the_seed_items_are_adopted_when_their_exported_ledger_comes_back(
    demo_engine: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "seed.xlsx"
    with db.reading(demo_engine) as conn:
        export.export(conn, path, clock.local_today(clock.parse_moment("2025-02-14T12:00")))
    summary = import_ledger(
        demo_engine, path, who="镇整改办", at="2025-02-15T10:00", round_name=None, new_round={}
    )
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 3)
    with db.reading(demo_engine) as conn:
        assert dict(conn.execute(sa.select(LEDGER_KEY.c.ledger_no, LEDGER_KEY.c.item_id)).all()) == {
            "1": 1,
            "2": 2,
            "3": 3,
        }


# --- the broken-ledger corpus ----------------------------------------------------------------------------

Builder = Callable[[Path], Path]


def _wrong_headers(d: Path) -> Path:
    header = ["序号", "问题类别", "问题说明", "整改措施", "整改时间限", "完成情况"]
    return write_xlsx(
        d / "wrong_headers.xlsx",
        [dict(zip(header, [1, "一、a", "b", "c", "2024-12-31", "已完成"], strict=True))],
        header,
    )


def _bad_dates(d: Path) -> Path:
    rows = [
        row(1, 整改时限="2024-13-01"),
        row(2, 整改时限="下个月"),
        row(3, 整改进展="2月30日，开会"),
        row(4),
    ]
    return write_xlsx(d / "bad_dates.xlsx", rows)


def _empty_required(d: Path) -> Path:
    rows = [row(1, 问题类别=""), row(2, 序号=None, 问题描述="有描述没序号"), row(3, 问题描述=""), row(3)]
    return write_xlsx(d / "empty_required.xlsx", rows)


def _merged(d: Path) -> Path:
    return write_xlsx(
        d / "merged.xlsx", [row(1), row(2), row(3)], merges=["A1:L1", "B3:B5", "F4:G4", "A5:A5"]
    )


CORPUS: dict[str, tuple[Builder, list[str]]] = {
    "wrong headers": (
        _wrong_headers,
        [
            "台账 第2行：缺少「问题描述」列（可用的列名：问题描述、具体问题、反馈问题、存在问题、问题、问题内容、巡察反馈问题）",
            "台账 第2行 C列：未知列名「问题说明」，是否应为「问题描述」？（可删除该列，或加 --ignore-unknown 跳过未知列）",
            "台账 第2行 E列：未知列名「整改时间限」，是否应为「整改时限」？（可删除该列，或加 --ignore-unknown 跳过未知列）",
        ],
    ),
    "bad dates": (
        _bad_dates,
        [
            "台账 第3行 J列（整改时限）：不存在的日期：'2024-13-01'；完成时限也可以是「立行立改」或「长期坚持」",
            "台账 第4行 J列（整改时限）：无效的日期：'下个月'（应为 2024-12-31 或 2024年12月31日）；完成时限也可以是「立行立改」或「长期坚持」",
            "台账 第5行 K列（整改进展）：不存在的日期：'2月30日'",
        ],
    ),
    "empty required cells": (
        _empty_required,
        [
            "台账 第3行 B列（问题类别）：问题类别不能为空（第一条问题必须填写，下面留空表示同上）",
            "台账 第4行 A列（序号）：序号不能为空",
            "台账 第5行 C列（问题描述）：问题描述不能为空",
            "台账 第6行 A列（序号）：序号 3 与第 5 行重复",
        ],
    ),
    "merged cells": (
        _merged,
        [
            "台账 第4行 F列（责任领导）：合并单元格 F4:G4：只有「问题类别」列可以跨行合并，请取消合并后逐行填写"
        ],
    ),
}


@pytest.mark.parametrize("case", list(CORPUS))
def test_a_broken_ledger_names_every_problem_and_imports_nothing(
    case: str, blank_engine: sa.Engine, tmp_path: Path
) -> None:
    build, expected = CORPUS[case]
    count = audit_count(blank_engine)
    with pytest.raises(LedgerInvalid, match="未导入任何内容") as caught:
        import_ledger(blank_engine, build(tmp_path))
    assert [str(p) for p in caught.value.problems] == expected
    assert str(caught.value).startswith(
        f"{build(tmp_path).name} 有 {len(expected)} 处问题，未导入任何内容：\n"
    )
    assert audit_count(blank_engine) == count and not _items(blank_engine)


def test_a_sheet_of_twenty_thousand_rows_reports_the_bad_cells_deep_inside(
    blank_engine: sa.Engine, tmp_path: Path
) -> None:
    rows = [row(n) for n in range(1, 20_001)]
    rows[9_999]["整改时限"] = "2024-02-30"
    rows[19_999]["完成情况"] = "差不多"
    path = write_xlsx(tmp_path / "big.xlsx", rows, fast=True)
    with pytest.raises(LedgerInvalid, match="未导入任何内容") as caught:
        import_ledger(blank_engine, path)
    assert [(p.row, p.column) for p in caught.value.problems] == [(10_002, "J"), (20_002, "L")]
    assert not _items(blank_engine)


def test_a_gbk_csv_imports_with_its_encoding_and_not_without(blank_engine: sa.Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "台账.csv", [row(1, 问题描述="耕地撂荒还有存在。地块于2022年撂荒"), row(2)], encoding="gbk"
    )
    with pytest.raises(InvalidInput, match="请加 --encoding gbk"):
        import_ledger(blank_engine, path)
    summary = import_ledger(blank_engine, path, encoding="gbk")
    assert summary.created == 2 and summary.sheet == "台账.csv"
    assert _items(blank_engine)["一/1"].title == "耕地撂荒还有存在"
    with db.reading(blank_engine) as conn:
        batch = conn.execute(sa.select(LEDGER_BATCH)).one()
        assert batch.file_name == "台账.csv" and len(batch.sha256) == 64
        assert json.loads(chain.entries(conn)[-1].payload)["sha256"] == batch.sha256
