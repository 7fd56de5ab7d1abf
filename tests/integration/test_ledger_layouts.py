"""Ledgers laid out the way township and county offices really lay them out (issue 10 §1): a title and
填报单位 rows, a header over two rows (责任主体 over 责任领导 / 责任单位 / 责任人), section rows merged across
the width that open a category, sub-problems numbered （1）, a 整改情况 column of dated progress beside
完成情况, measures numbered inline, blank and footer rows. Each workbook is written here with openpyxl."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from states.categories import DEFAULT_RATE
from tests.ledger_fixtures import blank_engine, import_ledger
from workflow import db
from workflow.audit import verify
from workflow.db.tables.core import ASPECT, ITEM, MEASURE, PROGRESS
from workflow.intake.ledger import workbook
from workflow.read import statistics

__all__ = ["blank_engine"]

TOP = ["序号", "问题描述", "整改措施", "责任主体", None, None, "整改时限", "整改情况", "完成情况"]
SUB = [None, None, None, "责任领导", "责任单位", "责任人", None, None, None]
P1 = "议事规则不健全。党委会议事规则多年未修订。"
ROWS: list[list[Any]] = [
    ["一、贯彻落实党中央决策部署方面"],
    [1, P1, "1、修订议事规则；2、开展专题学习", "王书记", "党政办", "李干事", "2023-06-30",
     "2023年3月15日召开专题会议\n2023年4月2日，印发新规则", "已完成整改"],
    [2, "公函管理不规范。", "①清理台账；②严格公函制度", "王书记", "党政办", "李干事", "立行立改",
     "", "正在整改"],
    [3, "惠民资金发放不及时。", "1.开展整顿；2.选优配强班子", "张镇长", "财政所", "赵会计", "2023-09-30",
     "", ""],
    ["（1）", "某村低保金迟发两个月。", "（1）补发低保金（2）约谈经办人", None, None, None, None,
     "2023年5月6日全部补发", "已整改到位"],
    ["（2）", "某村临时救助未公示。", "补充公示", None, None, None, None, "", "整改到位"],
    [None],  # a blank row between sections
    ["二、全面从严治党方面"],
    [4, "三重一大制度执行不严。", "严格执行三重一大制度", "王书记", "纪委", "陈委员", "2023-12-31",
     "", "已办结"],
    ["（1）", "某项目未经集体研究。", "补充集体研究程序", None, None, None, None, "", "已销号"],
    [None],
    ["填表人：李干事", None, None, "审核人：王书记", None, None, "联系电话：0373-1234567"],
]  # fmt: skip


def write_real(path: Path, rows: Sequence[Sequence[Any]] = ROWS, *, top: Sequence[Any] = TOP) -> Path:
    """Title, 填报单位, the two-row header with its merges, the rows; section and footer rows merged
    across the width as offices do."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "整改台账"
    width = len(top)
    sheet.append(["某镇党委关于十二届区委第二轮巡察反馈问题整改落实台账"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.append(["填报单位：某镇党委", None, None, None, None, None, "填报日期：2023年6月1日"])
    sheet.append(list(top))
    sheet.append(list(SUB[:width]))
    sheet.merge_cells("D3:F3")  # 责任主体 over its three columns
    for col in (1, 2, 3, 7, 8, 9)[: width - 3]:
        sheet.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
    for n, values in enumerate(rows, 5):
        sheet.append(list(values))
        first = values[0] if values else None
        if isinstance(first, str) and (first[:1] in "一二三四五六七八九十" or first.startswith("填表人")):
            sheet.merge_cells(start_row=n, start_column=1, end_row=n, end_column=width)
    book.save(path)
    return path


def _items(engine: sa.Engine) -> dict[str, Any]:
    with db.reading(engine) as conn:
        return {r.number: r for r in conn.execute(sa.select(ITEM).order_by(ITEM.c.id))}


def test_a_real_layout_ledger_imports(blank_engine: sa.Engine, tmp_path: Path) -> None:
    path = write_real(tmp_path / "real.xlsx")
    table = workbook.load(path)
    assert table.problems == [] and (table.header_top, table.header_row) == (3, 4)
    assert table.sections == [(5, "一、贯彻落实党中央决策部署方面"), (12, "二、全面从严治党方面")]
    assert table.footers == [16]
    assert workbook.mapping(table) == [
        "A列「序号」→ 序号",
        "B列「问题描述」→ 问题描述",
        "C列「整改措施」→ 整改措施",
        "D列「责任领导」→ 责任领导",
        "E列「责任单位」→ 责任部门",
        "F列「责任人」→ 责任人",
        "G列「整改时限」→ 整改时限",
        "H列「整改情况」→ 整改进展：内容为带日期的进展文字，作为「整改进展」",
        "I列「完成情况」→ 完成情况",
    ]
    summary = import_ledger(blank_engine, path, new_round={**_ROUND, "feedback_date": "2023-01-10"})
    assert (summary.created, summary.rows) == (4, 4)  # sub-problems are no problems of their own
    items = _items(blank_engine)
    assert {n: (i.state, i.leader, i.department, i.handler) for n, i in items.items()} == {
        "一/1": ("closed", "王书记", "党政办", "李干事"),
        "一/2": ("in_progress", "王书记", "党政办", "李干事"),
        "一/3": ("closed", "张镇长", "财政所", "赵会计"),  # from its instances: both 整改到位
        "二/4": ("closed", "王书记", "纪委", "陈委员"),
    }
    # 一/3/(1) and 一/3/(2) are the problem's specific instances; the same （1） under 二/4 is its own.
    assert items["一/3"].instance == "（1）某村低保金迟发两个月。（2）某村临时救助未公示。"
    assert items["二/4"].instance == "（1）某项目未经集体研究。"
    with db.reading(blank_engine) as conn:
        from workflow.audit import chain

        said = {e.item_id: e.data["status"] for e in chain.entries(conn) if e.action == "ledger_baseline"}
    assert said[items["一/3"].id] == "（1）已整改到位；（2）整改到位"  # every status word, as written
    assert said[items["二/4"].id] == "已办结；（1）已销号"
    with db.reading(blank_engine) as conn:
        aspects = conn.execute(sa.select(ASPECT.c.number, ASPECT.c.title).order_by(ASPECT.c.id)).all()
        assert aspects == [("一", "贯彻落实党中央决策部署方面"), ("二", "全面从严治党方面")]
        measures = conn.execute(
            sa.select(ITEM.c.number, MEASURE.c.text).join(ITEM).order_by(MEASURE.c.item_id, MEASURE.c.seq)
        ).all()
        assert [m for m in measures if m[0] in ("一/1", "一/2", "一/3")] == [
            ("一/1", "修订议事规则"),
            ("一/1", "开展专题学习"),
            ("一/2", "清理台账"),
            ("一/2", "严格公函制度"),
            ("一/3", "开展整顿"),
            ("一/3", "选优配强班子"),
            ("一/3", "补发低保金"),
            ("一/3", "约谈经办人"),
            ("一/3", "补充公示"),
        ]
        progress = conn.execute(
            sa.select(ITEM.c.number, PROGRESS.c.on, PROGRESS.c.text).join(ITEM).order_by(PROGRESS.c.id)
        ).all()
        assert progress == [
            ("一/1", date(2023, 3, 15), "召开专题会议"),
            ("一/1", date(2023, 4, 2), "印发新规则"),
            ("一/3", date(2023, 5, 6), "全部补发"),
        ]
        figures = statistics.summary(conn, date(2023, 6, 1), rate=DEFAULT_RATE)
        assert (figures["aspects"], figures["problems"], figures["completed"]) == (2, 4, 3)
        assert verify.verify(conn).ok


_ROUND = {"group_name": "区委第二巡察组", "unit": "中共某镇委员会"}


def test_an_immediate_item_is_due_at_the_end_of_the_concentrated_period(
    blank_engine: sa.Engine, tmp_path: Path
) -> None:
    """立行立改 still open three years on is red, not green: due when the concentrated period ends."""
    path = write_real(tmp_path / "real.xlsx")
    import_ledger(blank_engine, path, new_round={**_ROUND, "feedback_date": "2023-01-10"})
    item = _items(blank_engine)["一/2"]
    assert (item.deadline_kind, item.deadline) == ("immediate", date(2023, 3, 11))  # 60 days on
    from states.colours import Colour, colour
    from states.lifecycle import State

    assert colour(State(item.state), item.deadline_kind, item.deadline, date(2026, 1, 10)) is Colour.red
    with db.reading(blank_engine) as conn:
        assert statistics.summary(conn, date(2026, 1, 10), rate=DEFAULT_RATE)["overdue"] == 1
    # Imported again under another setting, the item keeps the date it got: nothing changes.
    again = plan_again(blank_engine, path, period_days=90)
    assert (again.creates, again.updates, again.unchanged) == ([], [], 4)


def plan_again(engine: sa.Engine, path: Path, *, period_days: int) -> Any:
    from workflow.intake.ledger import plan

    table = workbook.load(path)
    with db.reading(engine) as conn:
        target = plan.target_round(conn, table.meta, "测试轮次")
        return plan.prepare(conn, table, target, "办公室", today=date(2025, 1, 12), period_days=period_days)


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["是", "否"], ("closed", "in_progress")),
        (["已完成整改", "已办结"], ("closed", "closed")),
    ],
)
def test_a_yes_no_completion_column(
    cells: list[str], expected: tuple[str, str], blank_engine: sa.Engine, tmp_path: Path
) -> None:
    from tests.ledger_fixtures import row, write_xlsx

    header = ("序号", "问题类别", "问题描述", "整改措施", "责任领导", "责任部门", "整改时限", "是否完成")
    rows = [row(1, 是否完成=cells[0]), row(2, 是否完成=cells[1])]
    import_ledger(blank_engine, write_xlsx(tmp_path / "yn.xlsx", rows, header))
    assert tuple(i.state for i in _items(blank_engine).values()) == expected


def test_numbering_that_starts_again_under_each_section(blank_engine: sa.Engine, tmp_path: Path) -> None:
    """一、 1 2, 二、 1: the numbers restart under each category; the items are 一/1, 一/2, 二/1, and a
    second import of the same file changes nothing."""
    rows: list[list[Any]] = [
        ["一、组织建设方面"],
        [1, "问题甲。", "措施甲", "王书记", "党政办", "李干事", "2023-06-30", "", "正在整改"],
        [2, "问题乙。", "措施乙", "王书记", "党政办", "李干事", "2023-06-30", "", "正在整改"],
        ["二、作风建设方面"],
        [1, "问题丙。", "措施丙", "王书记", "党政办", "李干事", "2023-06-30", "", ""],
        ["（1）", "丙的表现。", "", None, None, None, None, "", "基本完成"],
    ]
    path = write_real(tmp_path / "restart.xlsx", rows)
    new_round = {**_ROUND, "feedback_date": "2023-01-10"}
    import_ledger(blank_engine, path, new_round=new_round)
    items = _items(blank_engine)
    assert list(items) == ["一/1", "一/2", "二/1"]
    # 二/1 leaves its status blank: its instance's 基本完成 gives the state and the category.
    assert (items["二/1"].state, items["二/1"].category) == ("in_progress", "basic")
    again = import_ledger(blank_engine, path, new_round=new_round, at="2025-01-11T10:00")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_sub_problems_need_their_problem_and_are_not_repeated_under_it(
    blank_engine: sa.Engine, tmp_path: Path
) -> None:
    from workflow.intake.ledger.plan import LedgerInvalid

    rows: list[list[Any]] = [
        ["一、组织建设方面"],
        ["（1）", "没有上级问题的表现。", "", None, None, None, None, "", ""],
        [1, "问题甲。", "措施甲", "王书记", "党政办", "李干事", "2023-06-30", "", "正在整改"],
        ["（1）", "甲的表现。", "", None, None, None, None, "", ""],
        ["（1）", "甲的又一表现。", "", None, None, None, None, "", ""],
        ["（2）", None, "措施", None, None, None, None, "", ""],
        ["二、作风\x9b31m建设方面"],
        ["（2）", "新类别下没有问题的表现。", "", None, None, None, None, "", ""],
    ]
    with pytest.raises(LedgerInvalid) as caught:
        import_ledger(
            blank_engine,
            write_real(tmp_path / "subs.xlsx", rows),
            new_round=_ROUND | {"feedback_date": "2023-01-10"},
        )
    assert [str(p) for p in caught.value.problems] == [
        "整改台账 第6行 A列（序号）：序号 （1） 是某个问题的具体表现，但上方没有它所属的问题",
        "整改台账 第9行 A列（序号）：问题 1 下的 （1） 与第 8 行重复",
        "整改台账 第10行 B列（问题描述）：问题 1 的具体表现 （2） 没有内容（填在问题描述或典型表现列）",
        "整改台账 第11行：分类行含有控制字符 '\\x9b'",
        "整改台账 第12行 A列（序号）：序号 （2） 是某个问题的具体表现，但上方没有它所属的问题",
    ]


def test_the_public_report_prints_no_line_break_inside_a_sentence(
    blank_engine: sa.Engine, tmp_path: Path
) -> None:
    """Cells broken over lines (problem, instance, progress) print as sentences in the report."""
    from workflow.reports import public
    from workflow.reports.settings import Settings

    rows: list[list[Any]] = [
        ["一、组织建设方面"],
        [1, "台账不规范。部分台账\n缺页少项", "措施", "王书记", "党政办", "李干事", "2023-06-30",
         "2023年3月15日召开专题会议，\n部署清理\n2023年4月2日完成清理", "正在整改"],
        ["（1）", "某村台账\n缺页", "", None, None, None, None, "", ""],
    ]  # fmt: skip
    import_ledger(
        blank_engine,
        write_real(tmp_path / "breaks.xlsx", rows),
        new_round={**_ROUND, "feedback_date": "2023-01-10"},
    )
    with db.reading(blank_engine) as conn:
        doc, _data = public.public(conn, date(2025, 1, 10), Settings())
    paragraphs = [b.text for b in doc.blocks if b.kind == "para"]
    assert not [p for p in paragraphs if "\n" in p]
    assert "问题1：台账不规范。部分台账；缺页少项。如，（1）某村台账；缺页。" in paragraphs
    assert any(p.endswith("一是3月15日，召开专题会议，部署清理；二是4月2日，完成清理。") for p in paragraphs)


@pytest.mark.parametrize(("end", "due"), [("2023-03-31", date(2023, 3, 31)), (None, date(2023, 2, 9))])
def test_a_yaml_round_dates_its_immediate_items_the_same_way(
    end: str | None, due: date, blank_engine: sa.Engine, tmp_path: Path
) -> None:
    """Round YAML: 立行立改 is due on the round's rectification_end, else period_days after feedback."""
    from workflow import clock
    from workflow.intake import round_yaml

    path = tmp_path / "round.yaml"
    path.write_text(
        "round:\n  name: 测试\n  group: 组\n  unit: 单位\n  feedback_date: 2023-01-10\n"
        + (f"  rectification_end: {end}\n" if end else "")
        + "aspects:\n  - number: 一\n    title: 方面\n    items:\n"
        + "      - number: '1'\n        title: 问题\n        deadline: 立行立改\n",
        encoding="utf-8",
    )
    with db.unit_of_work(blank_engine) as conn:
        data = round_yaml.load_file(path)
        round_yaml.import_round(conn, data, "办公室", clock.parse_moment("2025-01-11T10:00"), period_days=30)
        assert verify.verify(conn).ok
    item = _items(blank_engine)["一/1"]
    assert (item.deadline_kind, item.deadline) == ("immediate", due)
