"""Dates, deadlines, rates, the canonical audit encoding and the CJK table renderer."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from states.categories import Category, Rate
from states.colours import Colour, colour
from states.lifecycle import State
from workflow import clock
from workflow.audit.chain import entry_hash, field, message
from workflow.cli import render
from workflow.dates import parse_date, parse_deadline, show_deadline
from workflow.read.statistics import format_rate


@pytest.mark.parametrize("text", ["2024-12-31", "2024/12/31", "2024.12.31", "2024年12月31日", " 2024-12-31 "])
def test_dates_in_the_forms_ledgers_use(text: str) -> None:
    assert parse_date(text) == date(2024, 12, 31)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024-02-30", "不存在的日期"),
        ("明天", "无效的日期"),
        ("1900-01-01", "日期超出范围"),
        ("2200-1-1", "日期超出范围"),
    ],
)
def test_bad_dates_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_date(text)


def test_deadline_kinds() -> None:
    assert parse_deadline("立行立改") == ("immediate", None)
    assert parse_deadline("长期坚持") == ("ongoing", None)
    assert parse_deadline(date(2025, 2, 14)) == ("date", date(2025, 2, 14))
    assert show_deadline("ongoing", None) == "长期坚持"
    with pytest.raises(ValueError, match="立行立改"):
        parse_deadline("尽快")


def test_rate_precision_is_a_setting() -> None:
    assert format_rate(2, 3) == "67%"
    assert format_rate(688, 697, 2) == "98.71%"
    assert format_rate(1, 8) == "13%"  # half up, as reports round
    assert format_rate(0, 0) == "—"


def test_moments_are_stored_as_utc_text_and_shown_in_shanghai() -> None:
    moment = clock.parse_moment("2024-10-21T09:00")
    assert moment == datetime(2024, 10, 21, 1, 0, tzinfo=UTC)
    assert clock.to_text(moment) == "2024-10-21T01:00:00.000000Z"
    assert clock.show(clock.to_text(moment)) == "2024-10-21 09:00"


def test_the_hash_encoding_is_unambiguous() -> None:
    base = [1, "t", "a", 3, "x", None, "s", None, "{}", "0" * 64]
    assert entry_hash(base) != entry_hash([1, "t", "a", 3, "x", "", "s", None, "{}", "0" * 64])
    assert entry_hash([1, "ab", "c", 3, "x", None, None, None, "{}", "0"]) != entry_hash(
        [1, "a", "bc", 3, "x", None, None, None, "{}", "0"]
    )


def test_colours() -> None:
    today = date(2025, 2, 14)
    assert colour(State.in_progress, "date", date(2025, 2, 13), today) is Colour.red
    assert colour(State.in_progress, "date", date(2025, 2, 20), today) is Colour.yellow
    assert colour(State.in_progress, "date", date(2025, 4, 1), today) is Colour.green
    assert colour(State.submitted, "date", date(2025, 4, 1), today) is Colour.yellow
    assert colour(State.in_progress, "ongoing", None, today) is Colour.blue
    assert colour(State.closed, "date", date(2024, 1, 1), today) is Colour.green


def test_tables_align_chinese_text() -> None:
    out = render.table([{"a": "整改中", "b": 1}, {"a": "x", "b": 22}], [("a", "状态"), ("b", "N")])
    lines = out.splitlines()
    assert lines[2] == "整改中  1"
    assert lines[3] == "x       22"
    assert render.width("整改中") == 6


@given(
    st.tuples(
        st.integers(1, 10**12),
        st.text(min_size=1),
        st.text(min_size=1),
        st.none() | st.integers(1, 10**9),
        st.text(min_size=1),
        st.none() | st.text(),
        st.none() | st.text(),
        st.none() | st.text(),
        st.text(),
        st.text(min_size=1),
    )
)
def test_the_fast_verify_encoding_is_the_hash_encoding(row: tuple[Any, ...]) -> None:
    assert "".join(field(v) for v in row) == message(row)


def test_headline_counts_done_open_and_overdue_from_the_states_rules() -> None:
    from workflow.read.statistics import headline

    day = date(2025, 1, 10)
    groups = [
        (State.closed, "date", date(2025, 1, 1), 1, None, 2),  # done: late does not matter any more
        (State.revisited, None, None, 1, "basic", 1),  # closed: 已完成 whatever it was marked before
        (State.in_progress, "date", date(2025, 1, 9), 1, None, 3),  # overdue
        (State.submitted, "date", date(2025, 1, 10), 2, "basic", 1),  # due today: not yet overdue
        (State.assigned, "ongoing", None, 2, None, 4),  # 长期坚持 by its deadline
    ]
    h = headline(
        day,
        groups,
        measures=7,
        rules=["made", "revised", "revised"],
        accountability=["诫勉谈话"] * 2,
        rate=Rate(precision=2),
    )
    assert (h["problems"], h["completed"], h["in_progress"], h["overdue"], h["aspects"]) == (11, 3, 8, 3, 2)
    assert h["completion_rate"] == "27.27%"
    assert h["by_category"] == {"completed": 3, "basic": 1, "in_progress": 3, "not_done": 0, "ongoing": 4}
    counting = Rate(frozenset({Category.completed, Category.ongoing}), 1)
    other = headline(day, groups, measures=7, rules=[], accountability=[], rate=counting)
    assert (other["completed"], other["rate_counted"], other["completion_rate"]) == (3, 7, "63.6%")
    assert (h["rules_made"], h["rules_revised"], h["accountability"]) == (1, 2, 2)
    assert h["by_state"]["已销号"] == 2 and h["by_state"]["已登记"] == 0


def test_the_monthly_reminder_counts_the_categories_the_office_marked() -> None:
    from workflow.reminders import text

    two = {"completed": 2, "in_progress": 1}
    assert text._counts(two) == "已完成整改 2 个，正在整改 1 个"  # recorded before categories existed
    by = {"completed": 2, "basic": 0, "in_progress": 1, "not_done": 0, "ongoing": 0}
    assert text._counts({**two, "by_category": by}) == "已完成整改 2 个，正在整改 1 个"
    marked = {**two, "by_category": {**by, "in_progress": 0, "basic": 1}}
    assert text._counts(marked) == "已完成整改 2 个，基本完成 1 个"


def test_every_status_word_that_sets_a_category_is_a_status_word_of_open_work() -> None:
    from states.categories import STATUS_CATEGORIES, Category, category
    from states.deadlines import is_open
    from workflow.intake.ledger.cells import STATUS_WORDS, status_category

    for word, marked in STATUS_CATEGORIES.items():
        assert is_open(STATUS_WORDS[word]), word  # the word is read as a state first, and it is open work
        assert category(STATUS_WORDS[word], "date", marked.value) is marked
    assert status_category(" 基本完成，待验收") is Category.basic and status_category("已完成") is None
