"""Finding the ledger in a file: the header under title rows, header variants, merged cells, encodings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ledger_fixtures import HEADER, row, write_csv, write_xlsx
from workflow.errors import InvalidInput
from workflow.intake.ledger.workbook import load


def test_the_header_is_found_below_title_rows_and_variants_are_accepted(tmp_path: Path) -> None:
    header = ["序 号", "方面", "具体问题", "整改措施", "牵头单位", "完成时限（年月日）", "完成情况"]
    rows = [
        {
            h: v
            for h, v in zip(
                header, [1, "一、耕地", "问题。", "整改", "规划办", "2024-12-31", "已完成"], strict=True
            )
        }
    ]
    table = load(write_xlsx(tmp_path / "l.xlsx", rows, header, title="太山镇巡察整改台账"))
    assert table.problems == []
    assert table.header_row == 2
    assert [c.key for c in table.columns.values()] == [
        "no",
        "aspect",
        "problem",
        "measures",
        "department",
        "deadline",
        "status",
    ]
    assert [n for n, _ in table.rows] == [3]


def test_unknown_and_repeated_headers_are_reported_with_a_suggestion(tmp_path: Path) -> None:
    header = [*HEADER, "整改时间限", "责任单位"]
    table = load(write_xlsx(tmp_path / "l.xlsx", [row(1)], header))
    messages = [str(p) for p in table.problems]
    assert messages == [
        "台账 第2行 M列：未知列名「整改时间限」，是否应为「整改时限」？（可删除该列，或加 --ignore-unknown 跳过未知列）",
        "台账 第2行 N列：与 G 列重复，都是「责任部门」",
    ]
    assert load(tmp_path / "l.xlsx", ignore_unknown=True).problems[1:] == []


def test_missing_required_columns_and_a_sheet_without_header(tmp_path: Path) -> None:
    table = load(write_xlsx(tmp_path / "l.xlsx", [row(1)], [h for h in HEADER if h != "序号"]))
    assert [str(p) for p in table.problems] == [
        "台账 第2行：缺少「序号」列（可用的列名：序号、编号、问题序号、问题编号、序）"
    ]
    table = load(write_xlsx(tmp_path / "x.xlsx", [{"甲": 1, "乙": 2}], ["甲", "乙"], title="说明"))
    assert str(table.problems[0]).startswith(
        "台账：前 10 行中找不到表头（至少需要「序号」「问题描述」等列）；第一行是：说明"
    )


def test_a_merged_aspect_is_filled_down_and_other_merges_are_refused(tmp_path: Path) -> None:
    rows = [row(1), row(2, 问题类别=None), row(3, 问题类别=None, 责任部门=None)]
    path = write_xlsx(tmp_path / "m.xlsx", rows, merges=["A1:L1", "B3:B5", "G4:G5"])
    table = load(path)
    assert [values[1] for _, values in table.rows] == ["一、违法违规占用耕地"] * 3
    assert [str(p) for p in table.problems] == [
        "台账 第4行 G列（责任部门）：合并单元格 G4:G5：只有「问题类别」列可以跨行合并，请取消合并后逐行填写"
    ]


def test_a_gbk_csv_needs_its_encoding_and_the_error_says_so(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "台账.csv", [row(1)], encoding="gbk")
    with pytest.raises(InvalidInput, match=r"不是 utf-8-sig 编码的文本.*请加 --encoding gbk"):
        load(path)
    table = load(path, encoding="gbk")
    assert table.problems == [] and table.rows[0][1][2] == "问题1概括。问题1的具体描述。"
    with pytest.raises(InvalidInput, match="未知的编码 'klingon'"):
        load(path, encoding="klingon")


def test_files_that_are_not_ledgers_are_refused_plainly(tmp_path: Path) -> None:
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InvalidInput, match=r"旧版 Excel（\.xls）"):
        load(tmp_path / "old.xls")
    (tmp_path / "fake.xlsx").write_text("not a zip")
    with pytest.raises(InvalidInput, match=r"不是有效的 \.xlsx 文件"):
        load(tmp_path / "fake.xlsx")
    with pytest.raises(InvalidInput, match="--encoding 只用于 CSV"):
        load(write_xlsx(tmp_path / "l.xlsx", [row(1)]), encoding="gbk")
