"""Ledger cells as offices write them: measures, deadlines, 完成情况, progress, evidence, headers."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from states.lifecycle import State
from workflow.chinese import chinese_number
from workflow.intake.ledger.cells import (
    EXPORT_STATUS,
    STATUS_WORDS,
    cell_text,
    parse_aspect,
    parse_ledger_deadline,
    parse_status,
    split_evidence,
    split_measures,
    split_problem,
    split_progress,
)
from workflow.intake.ledger.workbook import BY_VARIANT, COLUMNS, Problem, column_letter, normalise_header


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("立即整改\n全面排查", ["立即整改", "全面排查"]),
        ("1. 立即整改\n2、全面排查\n（3）加强宣传", ["立即整改", "全面排查", "加强宣传"]),
        ("①立即整改；\n②全面排查。", ["立即整改", "全面排查。"]),
        (
            "一是迅速行动，立行立改；二是全面排查；三是加强宣讲。",
            ["迅速行动，立行立改", "全面排查", "加强宣讲。"],
        ),
        ("1. 立即整改\n并报告结果\n2. 全面排查", ["立即整改\n并报告结果", "全面排查"]),
        ("2024年完成备案", ["2024年完成备案"]),
        # numbered one after another in a line, as real ledgers write them
        ("1、修订议事规则；2、开展专题学习", ["修订议事规则", "开展专题学习"]),
        ("①清理台账；②严格公函制度", ["清理台账", "严格公函制度"]),
        ("①清理台账②严格公函制度", ["清理台账", "严格公函制度"]),
        ("1.开展整顿；2.选优配强班子", ["开展整顿", "选优配强班子"]),
        ("（1）健全制度（2）开展检查；（3）通报结果", ["健全制度", "开展检查", "通报结果"]),
        ("1.补缴1.5万元；2.约谈", ["补缴1.5万元", "约谈"]),  # 1.5 is a number, not measure 5
        ("1、排查3处隐患，2处已整改", ["排查3处隐患，2处已整改"]),  # 2 follows no 2、
        ("", []),
    ],
)
def test_measures_split_one_per_line_or_by_their_numbering(cell: str, expected: list[str]) -> None:
    assert split_measures(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2024-12-31", ("date", date(2024, 12, 31))),
        ("2024年12月31日", ("date", date(2024, 12, 31))),
        ("2024.12.31", ("date", date(2024, 12, 31))),
        ("2024/12/31", ("date", date(2024, 12, 31))),
        ("2024年12月31日前", ("date", date(2024, 12, 31))),
        ("2025年2月底", ("date", date(2025, 2, 28))),
        ("2024年12月", ("date", date(2024, 12, 31))),
        (datetime(2024, 12, 31), ("date", date(2024, 12, 31))),
        (45657, ("date", date(2024, 12, 31))),  # an Excel serial day number
        ("立行立改", ("immediate", None)),
        ("即知即改", ("immediate", None)),
        ("长期坚持", ("ongoing", None)),
    ],
)
def test_deadlines_in_the_usual_forms(cell: object, expected: tuple[str, date | None]) -> None:
    assert parse_ledger_deadline(cell) == expected


@pytest.mark.parametrize("cell", ["2024-13-01", "2024年2月30日", "明年", "1899-12-31", 12])
def test_a_bad_deadline_says_what_is_wrong_in_chinese(cell: object) -> None:
    with pytest.raises(ValueError, match="日期"):
        parse_ledger_deadline(cell)


def test_status_words_map_to_states_and_only_completed_words_close() -> None:
    assert parse_status("已完成") is State.closed
    assert parse_status(" 已 完成。已获批复") is State.closed
    assert parse_status("基本完成") is State.in_progress  # largely done, still continuing
    assert parse_status("正在推进中") is State.in_progress
    assert parse_status("未启动") is State.assigned
    assert parse_status("待销号审核") is State.submitted
    assert {s for s in STATUS_WORDS.values() if s in (State.closed, State.revisited)} == {
        State.closed,
        State.revisited,
    }
    with pytest.raises(ValueError, match="无法识别的完成情况「差不多了」"):
        parse_status("差不多了")


def test_every_state_exports_a_word_that_imports_back_to_it() -> None:
    assert {s: parse_status(word) for s, word in EXPORT_STATUS.items()} == {s: s for s in State}
    assert all(parse_status(s.label) is s for s in State)  # the lifecycle labels are accepted too


def test_progress_lines_are_dated_entries_and_the_year_follows_the_feedback() -> None:
    feedback, today = date(2024, 10, 14), date(2025, 3, 1)
    text = (
        "2024-11-05（11月初）：全镇排查撂荒土地\n"
        "10月15日，实地走访\n并与所有人沟通\n"
        "1月24日，提交备案材料\n"
        "2024年12月5日：专题讲座"
    )
    assert split_progress(text, feedback, today) == [
        (date(2024, 11, 5), "11月初", "全镇排查撂荒土地"),
        (date(2024, 10, 15), "10月15日", "实地走访并与所有人沟通"),  # one sentence, no line break
        (date(2025, 1, 24), "1月24日", "提交备案材料"),
        (date(2024, 12, 5), None, "专题讲座"),
    ]
    assert split_progress("已完成复耕", feedback, today) == [(today, None, "已完成复耕")]
    # No line break inside an entry: the public report prints it within a sentence.
    assert split_progress("召开会议\n完成清理", feedback, today) == [(today, None, "召开会议；完成清理")]
    assert split_progress("经核查，\n已约谈", feedback, today) == [(today, None, "经核查，已约谈")]


def test_progress_dates_anywhere_date_their_entries() -> None:
    feedback, today = date(2023, 1, 10), date(2023, 6, 1)
    assert split_progress("2023年3月15日召开专题会议", feedback, today) == [
        (date(2023, 3, 15), None, "召开专题会议")
    ]
    text = "2023年3月15日召开专题会议，研究整改；2023年4月2日完成清理。\n经排查，于2023年5月6日约谈相关人员\n计划于2023年6月30日前完成"
    assert split_progress(text, feedback, today) == [
        (date(2023, 3, 15), None, "召开专题会议，研究整改；"),
        (date(2023, 4, 2), None, "完成清理。"),
        (date(2023, 5, 6), None, "经排查，于2023年5月6日约谈相关人员；计划于2023年6月30日前完成"),
    ]
    with pytest.raises(ValueError, match="不存在的日期"):
        split_progress("2月30日，开会", feedback, today)


def test_evidence_lines_keep_kind_and_reference() -> None:
    assert split_evidence("批文：获政土〔2024〕27号\n现场照片若干\n会议纪要: 11月13日会议") == [
        ("批文", "获政土〔2024〕27号"),
        ("其他", "现场照片若干"),
        ("会议纪要", "11月13日会议"),
    ]


def test_aspects_and_problems_split_the_way_export_joins_them() -> None:
    assert parse_aspect("一、违法违规占用耕地") == ("一", "违法违规占用耕地")
    assert parse_aspect("（二）乡村振兴产业项目建设") == ("二", "乡村振兴产业项目建设")
    assert parse_aspect("一岗双责落实不到位") == (None, "一岗双责落实不到位")  # a numeral is not a number
    assert split_problem("新增违法占地禁而不绝。乡镇贯彻落实不到位。") == (
        "新增违法占地禁而不绝",
        "乡镇贯彻落实不到位。",
    )
    assert split_problem("耕地撂荒还有存在") == ("耕地撂荒还有存在", "")


def test_cells_become_text_without_excel_artefacts() -> None:
    assert cell_text(3.0) == "3"
    assert cell_text(datetime(2024, 12, 31)) == "2024-12-31"
    assert cell_text(" a\r\nb ") == "a\nb"
    assert cell_text(None) == ""


def test_chinese_numbers_for_aspects_and_ordinals() -> None:
    assert [chinese_number(n) for n in (1, 9, 10, 11, 20, 23, 99)] == [
        "一",
        "九",
        "十",
        "十一",
        "二十",
        "二十三",
        "九十九",
    ]


def test_header_variants_and_decorations_name_the_same_column() -> None:
    key = {c.key for c in COLUMNS}
    assert BY_VARIANT[normalise_header("责任单位")].key == "department"
    assert BY_VARIANT[normalise_header("牵头单位")].key == "department"
    assert BY_VARIANT[normalise_header(" 整改时限\n（年月日）*")].key == "deadline"
    assert BY_VARIANT[normalise_header("具体问题")].key == "problem"
    assert BY_VARIANT[normalise_header("方面")].key == "aspect"
    assert BY_VARIANT[normalise_header("序　号")].key == "no"
    assert {"no", "problem", "measures", "status"} <= key


def test_a_problem_names_sheet_row_and_column() -> None:
    assert str(Problem("台账", 7, "J", "整改时限", "无效的日期")) == "台账 第7行 J列（整改时限）：无效的日期"
    assert str(Problem("a.csv", None, None, None, "找不到表头")) == "a.csv：找不到表头"
    assert [column_letter(i) for i in (0, 25, 26, 27)] == ["A", "Z", "AA", "AB"]


def test_the_status_words_of_real_ledgers_and_a_yes_no_column() -> None:
    closed = ("已完成整改", "已整改到位", "整改到位", "已办结", "已销号", "完成整改", "是")
    assert {w: parse_status(w) for w in closed} == dict.fromkeys(closed, State.closed)
    assert parse_status("否") is State.in_progress
    assert parse_status("已整改到位。2023年5月补发") is State.closed  # the first clause decides
