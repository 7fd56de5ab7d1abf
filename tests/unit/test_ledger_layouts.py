"""Finding the ledger in the layouts offices use (issue 10 §1): a header over two rows, section and
footer rows, blank rows, and which of two look-alike columns is progress and which status."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.ledger_fixtures import row, write_csv, write_xlsx
from workflow.intake.ledger.workbook import load, mapping


def test_a_two_row_header_in_a_csv_and_footer_rows_in_separate_cells(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text(
        "\n".join(
            [
                "序号,问题描述,责任主体,,,完成情况",
                ",,责任领导,责任单位,责任人,",
                "1,问题。,王书记,党政办,李干事,已完成",
                ",,,,,",
                "2,问题二。,王书记,党政办,李干事,正在整改",
                "合计,共2个问题,,,,已完成1个",
                "填表人：李干事,,审核人：王书记,,联系电话：0373-1234567,",
                ",,,,,",
            ]
        ),
        encoding="utf-8",
    )
    table = load(path)
    assert table.problems == [] and (table.header_top, table.header_row) == (1, 2)
    assert [c.key for c in table.columns.values()] == [
        "no",
        "problem",
        "leader",
        "department",
        "handler",
        "status",
    ]
    assert [n for n, _ in table.rows] == [3, 5] and table.footers == [6, 7]


def test_a_title_row_is_not_taken_for_the_top_of_a_two_row_header(tmp_path: Path) -> None:
    table = load(write_xlsx(tmp_path / "l.xlsx", [row(1)], title="整改台账", merges=["A1:L1"]))
    assert table.problems == [] and (table.header_top, table.header_row) == (2, 2)


def test_progress_and_status_columns_are_told_apart_by_content_and_the_choice_is_said(tmp_path: Path) -> None:
    header = ("序号", "问题描述", "整改情况", "完成情况")
    dated = [{"序号": 1, "问题描述": "问题。", "整改情况": "2023年3月15日召开专题会议", "完成情况": "已完成"}]
    table = load(write_xlsx(tmp_path / "a.xlsx", dated, header))
    assert mapping(table)[2:] == [
        "C列「整改情况」→ 整改进展：内容为带日期的进展文字，作为「整改进展」",
        "D列「完成情况」→ 完成情况",
    ]
    # 整改情况 alone, holding status words, is the status column, as before.
    alone = [{"序号": 1, "问题描述": "问题。", "整改情况": "已完成"}]
    table = load(write_xlsx(tmp_path / "b.xlsx", alone, header[:3]))
    assert mapping(table)[2] == "C列「整改情况」→ 完成情况：内容为完成情况用语，作为「完成情况」"
    # A column named 整改进展 holding only status words, and no status column: it is the status.
    words = [{"序号": 1, "问题描述": "问题。", "整改进展": "已办结"}]
    table = load(write_xlsx(tmp_path / "c.xlsx", words, ("序号", "问题描述", "整改进展")))
    assert mapping(table)[2] == "C列「整改进展」→ 完成情况：内容为完成情况用语，作为「完成情况」"
    # Named plainly and holding what the name says: no note.
    table = load(write_csv(tmp_path / "d.csv", [row(1, 整改进展="2024-11-05：排查")]))
    assert [m for m in mapping(table) if "：" in m] == []


def test_a_section_row_in_a_csv_opens_a_category_and_is_no_data_row(tmp_path: Path) -> None:
    header = ("序号", "问题描述", "完成情况")
    rows: list[dict[str, Any]] = [
        {"序号": "一、组织建设方面"},
        {"序号": 1, "问题描述": "问题。", "完成情况": "已完成"},
    ]
    table = load(write_csv(tmp_path / "s.csv", rows, header))
    assert table.sections == [(2, "一、组织建设方面")] and [n for n, _ in table.rows] == [3]


def test_a_section_written_as_a_bare_number_and_its_name_and_a_row_with_a_note_is_data(
    tmp_path: Path,
) -> None:
    header = ("序号", "问题描述", "备注", "完成情况")
    rows: list[dict[str, Any]] = [
        {"序号": "一", "问题描述": "组织建设方面"},
        {"序号": 1, "问题描述": "问题。", "完成情况": "已完成"},
        {"序号": "（二）", "问题描述": "作风建设方面"},
        {"序号": None, "问题描述": "没有序号的问题。", "备注": "说明：待补"},  # data, reported, not skipped
    ]
    table = load(write_csv(tmp_path / "s.csv", rows, header), ignore_unknown=True)
    assert table.sections == [(2, "一、组织建设方面"), (4, "（二）作风建设方面")]
    assert [n for n, _ in table.rows] == [3, 5] and table.footers == []


def test_a_section_fills_a_blank_category_column_and_a_filled_one_wins(tmp_path: Path) -> None:
    from datetime import date

    from workflow.intake.ledger.rows import parse_rows

    header = ("序号", "问题类别", "问题描述")
    rows: list[dict[str, Any]] = [
        {"序号": "一、组织建设方面"},
        {"序号": 1, "问题描述": "问题甲。"},
        {"序号": 2, "问题类别": "（二）作风建设", "问题描述": "问题乙。"},
        {"序号": 3, "问题描述": "问题丙。"},
    ]
    table = load(write_csv(tmp_path / "s.csv", rows, header))
    parsed, problems = parse_rows(table, year_hint=date(2024, 10, 14), today=date(2025, 1, 10))
    assert problems == []
    assert [(r.no, r.aspect) for r in parsed] == [
        ("1", ("一", "组织建设方面")),
        ("2", ("二", "作风建设")),
        ("3", ("二", "作风建设")),  # blank: the same as above
    ]


def test_an_instance_written_in_the_instance_column_under_its_problem(tmp_path: Path) -> None:
    from datetime import date

    from workflow.intake.ledger.rows import parse_rows

    header = ("序号", "问题描述", "典型表现", "整改措施")
    rows: list[dict[str, Any]] = [
        {"序号": 1, "问题描述": "问题甲。", "典型表现": "总的表现。", "整改措施": "1.整顿"},
        {"序号": "(1)", "典型表现": "表现一", "整改措施": "2.补课"},
        {"序号": "（2）", "问题描述": "表现二。", "典型表现": "详情"},
    ]
    table = load(write_csv(tmp_path / "i.csv", rows, header))
    parsed, problems = parse_rows(table, year_hint=date(2024, 10, 14), today=date(2025, 1, 10))
    assert problems == [] and len(parsed) == 1
    assert parsed[0].fields["instance"] == "总的表现。(1)表现一；（2）表现二。详情"
    assert parsed[0].measures == ["整顿", "补课"]
