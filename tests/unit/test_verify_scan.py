"""Verify's two steps on hand-built rows, no database: `_scan` checks one contiguous run of entries
(sequence, links, hashes, time never running backwards) and `_stitch` joins the runs that a parallel
verify hashed apart. Each tampering is named at the entry where it shows, in the words `audit verify`
prints; `_first` picks which of several table disagreements a parallel deep verify names."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from workflow.audit.chain import GENESIS, entry_hash
from workflow.audit.expected import Disagreement
from workflow.audit.verify import Verdict, _first, _scan, _Span, _stitch

# Stored moments (UTC) and how `audit verify` shows them (Asia/Shanghai, minutes).
NINE = "2024-10-21T01:00:00.000000Z"  # 09:00 in Shanghai
NINE_ONE = "2024-10-21T01:01:00.000000Z"  # 09:01
NINE_TWO = "2024-10-21T01:02:00.000000Z"  # 09:02
RECORDED = "2024-10-21T02:00:00.000000Z"


def row(seq: int, prev: str, at: str = NINE, actor: str = "县委巡察办") -> tuple[Any, ...]:
    """One entry as stored: (seq, at, actor, item_id, action, from, to, reason, payload, prev_hash,
    hash, recorded_at), its hash computed over its own fields as the chain writes it."""
    fields = (seq, at, actor, 1, "assign", "pending", "assigned", None, "{}", prev)
    return (*fields, entry_hash(fields, RECORDED), RECORDED)


def log(n: int, ats: list[str] | None = None) -> list[tuple[Any, ...]]:
    """Entries 1..n, each linked to the one before."""
    rows: list[tuple[Any, ...]] = []
    prev = GENESIS
    for seq in range(1, n + 1):
        rows.append(row(seq, prev, at=ats[seq - 1] if ats else NINE))
        prev = rows[-1][10]
    return rows


def forged(original: tuple[Any, ...], **change: Any) -> tuple[Any, ...]:
    """`original` with a field changed and its hash recomputed, as someone rebuilding the row would."""
    at = change.get("at", original[1])
    prev = change.get("prev", original[9])
    return row(original[0], prev, at=at, actor=change.get("actor", original[2]))


def test_an_intact_log_scans_as_one_span_from_its_first_to_its_last_entry() -> None:
    rows = log(3, [NINE, NINE_ONE, NINE_TWO])
    assert _scan(rows) == _Span(
        first_seq=1,
        first_prev=GENESIS,
        count=3,
        last_seq=3,
        last_hash=rows[2][10],
        first_at=NINE,
        last_at=NINE_TWO,
    )


def test_a_range_from_the_middle_of_the_log_starts_where_it_starts_and_links_to_what_precedes_it() -> None:
    rows = log(6)
    assert _scan(rows[3:]) == _Span(
        first_seq=4,
        first_prev=rows[2][10],
        count=3,
        last_seq=6,
        last_hash=rows[5][10],
        first_at=NINE,
        last_at=NINE,
    )


def test_an_empty_range_has_no_first_entry_and_nothing_checked() -> None:
    span = _scan([])
    assert (span.first_seq, span.count, span.bad_seq, span.problem) == (None, 0, None, None)


def test_one_entry_missing_is_named_at_the_next_one() -> None:
    rows = log(4, [NINE, NINE_ONE, NINE_TWO, NINE_TWO])
    span = _scan([rows[0], rows[1], rows[3]])
    assert span == _Span(1, GENESIS, 2, 2, rows[1][10], 4, "条目 #3 缺失（被删除）", NINE, NINE_ONE)


def test_several_entries_missing_are_named_as_a_span() -> None:
    rows = log(6)
    span = _scan([rows[0], rows[1], rows[5]])
    assert (span.count, span.last_seq, span.last_hash) == (2, 2, rows[1][10])
    assert (span.bad_seq, span.problem) == (6, "条目 #3 至 #5 缺失（被删除）")


def test_an_entry_repeated_is_named_as_out_of_order() -> None:
    rows = log(3)
    span = _scan([rows[0], rows[1], rows[1], rows[2]])
    assert (span.count, span.last_seq, span.last_hash) == (2, 2, rows[1][10])
    assert (span.bad_seq, span.problem) == (2, "条目序号 #2 重复或乱序")


def test_an_entry_that_does_not_link_to_the_one_before_is_named() -> None:
    rows = log(4)
    rows[2] = forged(rows[2], prev="f" * 64)  # its own hash is right, its link is not
    span = _scan(rows)
    assert (span.count, span.last_seq, span.last_hash) == (2, 2, rows[1][10])
    assert (span.bad_seq, span.problem) == (3, "条目 #3 的前序哈希与 #2 不符（插入或改动）")


def test_an_entry_changed_without_its_hash_is_named() -> None:
    rows = log(4)
    rows[2] = (*rows[2][:2], "冒名者", *rows[2][3:])
    span = _scan(rows)
    assert (span.count, span.last_seq, span.last_hash) == (2, 2, rows[1][10])
    assert (span.bad_seq, span.problem) == (3, "条目 #3 的内容与其哈希不符（被改动）")


def test_the_first_entry_of_a_range_changed_leaves_nothing_checked_in_it() -> None:
    rows = log(6)
    bad = (*rows[3][:2], "冒名者", *rows[3][3:])
    span = _scan([bad, *rows[4:]])
    assert span == _Span(
        4, rows[2][10], 0, 3, rows[2][10], 4, "条目 #4 的内容与其哈希不符（被改动）", NINE, NINE
    )


def test_an_entry_dated_before_the_one_before_it_is_named_as_time_running_backwards() -> None:
    rows = log(4, [NINE_ONE, NINE_TWO, NINE_TWO, NINE_TWO])
    rows[2] = forged(rows[2], at=NINE)  # rehashed: link and hash check out, only time does not
    rows[3] = forged(rows[3], prev=rows[2][10])
    span = _scan(rows)
    assert (span.count, span.last_seq, span.last_hash, span.last_at) == (2, 2, rows[1][10], NINE_TWO)
    assert (span.bad_seq, span.problem) == (
        3,
        "条目 #3 的时间 2024-10-21 09:00 早于 #2 的 2024-10-21 09:02（时间倒流：倒填时间或被改动）",
    )


def test_entries_at_the_same_moment_are_in_order() -> None:
    span = _scan(log(3, [NINE_ONE, NINE_ONE, NINE_ONE]))
    assert (span.count, span.bad_seq) == (3, None)


def test_time_is_compared_with_the_entry_just_before_not_the_first() -> None:
    span = _scan(log(3, [NINE, NINE_TWO, NINE_ONE]))
    assert (span.count, span.bad_seq) == (2, 3)
    assert span.problem is not None and "早于 #2 的 2024-10-21 09:02" in span.problem


def spans(rows: list[tuple[Any, ...]], *cuts: int) -> list[_Span]:
    """`rows` scanned in ranges, as the workers of a parallel verify do: cut before each index given."""
    bounds = [0, *cuts, len(rows)]
    return [_scan(rows[a:b]) for a, b in itertools.pairwise(bounds)]


def test_ranges_stitched_in_order_verify_as_the_whole_log() -> None:
    rows = log(7, [NINE, NINE, NINE_ONE, NINE_ONE, NINE_TWO, NINE_TWO, NINE_TWO])
    assert _stitch(spans(rows, 3, 5)) == Verdict(True, 7, 7, rows[6][10])


def test_an_empty_log_verifies_with_the_genesis_head() -> None:
    assert _stitch([]) == Verdict(True, 0, 0, GENESIS)
    assert _stitch([_scan([])]) == Verdict(True, 0, 0, GENESIS)


def test_an_empty_range_between_two_others_is_passed_over() -> None:
    rows = log(6)
    assert _stitch([_scan(rows[:3]), _scan([]), _scan(rows[3:])]) == Verdict(True, 6, 6, rows[5][10])


def test_a_log_whose_first_entry_is_gone_is_named_at_the_first_that_remains() -> None:
    rows = log(5)
    assert _stitch([_scan(rows[1:])]) == Verdict(False, 0, 0, GENESIS, 2, "条目 #1 缺失（被删除）")
    assert _stitch([_scan(rows[3:])]) == Verdict(False, 0, 0, GENESIS, 4, "条目 #1 至 #3 缺失（被删除）")


def test_a_whole_range_gone_is_named_at_the_start_of_the_next() -> None:
    rows = log(9)
    verdict = _stitch([_scan(rows[:3]), _scan(rows[6:])])
    assert verdict == Verdict(False, 3, 3, rows[2][10], 7, "条目 #4 至 #6 缺失（被删除）")
    one = _stitch([_scan(rows[:3]), _scan(rows[4:])])
    assert one == Verdict(False, 3, 3, rows[2][10], 5, "条目 #4 缺失（被删除）")


def test_ranges_that_overlap_are_named_as_out_of_order() -> None:
    rows = log(6)
    verdict = _stitch([_scan(rows[:4]), _scan(rows[2:])])
    assert verdict == Verdict(False, 4, 4, rows[3][10], 3, "条目序号 #3 重复或乱序")


def test_a_range_that_does_not_link_to_the_one_before_is_named_at_its_first_entry() -> None:
    rows = log(6)
    rows[3] = forged(rows[3], actor="冒名者")  # entry 4 rebuilt with its hash: only 5's link shows it
    verdict = _stitch(spans(rows, 4))
    assert verdict == Verdict(False, 4, 4, rows[3][10], 5, "条目 #5 的前序哈希与 #4 不符（插入或改动）")


def test_a_range_starting_before_the_end_of_the_one_before_in_time_is_named() -> None:
    rows = log(4, [NINE_ONE, NINE_TWO, NINE_TWO, NINE_TWO])
    rows[2] = forged(rows[2], at=NINE)
    rows[3] = forged(rows[3], prev=rows[2][10])
    verdict = _stitch(spans(rows, 2))
    assert verdict == Verdict(
        False,
        2,
        2,
        rows[1][10],
        3,
        "条目 #3 的时间 2024-10-21 09:00 早于 #2 的 2024-10-21 09:02（时间倒流：倒填时间或被改动）",
    )


def test_the_time_carried_across_ranges_is_the_end_of_the_last_one() -> None:
    """Range 3 starts after range 1 ended but before range 2 did: time ran backwards at its start."""
    rows = log(6, [NINE, NINE, NINE_TWO, NINE_TWO, NINE_ONE, NINE_TWO])
    verdict = _stitch(spans(rows, 2, 4))
    assert (verdict.ok, verdict.count, verdict.bad_seq) == (False, 4, 5)
    assert _stitch(spans(log(6, [NINE, NINE, NINE_ONE, NINE_ONE, NINE_ONE, NINE_TWO]), 2, 4)).ok


def test_a_bad_entry_inside_a_later_range_counts_what_checked_out_before_it() -> None:
    rows = log(8)
    rows[5] = (*rows[5][:2], "冒名者", *rows[5][3:])
    verdict = _stitch(spans(rows, 4))
    assert verdict == Verdict(False, 5, 5, rows[4][10], 6, "条目 #6 的内容与其哈希不符（被改动）")


def at(table: str, row: str = "1", seq: int | None = None) -> Disagreement:
    return Disagreement(table, row, "state", "in_progress", "closed", seq)


@pytest.mark.parametrize(
    ("found", "named"),
    [
        # the earliest entry that contradicts the trail comes before any table difference
        ([at("person"), at("item", seq=9), at("item", seq=4)], at("item", seq=4)),
        ([at("item", seq=4), at("person", seq=4)], at("person", seq=4)),
        # else the first table in the order one process checks them (person before item)
        ([at("item"), at("person", "徐波")], at("person", "徐波")),
        ([at("rule"), at("blob")], at("blob")),
        # a table not in that list comes after every one that is
        ([at("unit"), at("rule")], at("rule")),
        # then the row
        ([at("item", "3"), at("item", "2")], at("item", "2")),
    ],
)
def test_of_several_disagreements_the_earliest_in_the_trail_is_named(
    found: list[Disagreement], named: Disagreement
) -> None:
    assert _first(found) == named


def test_two_entries_missing_are_named_as_a_span_in_a_range_and_between_ranges() -> None:
    rows = log(7)
    assert _scan([*rows[:3], *rows[5:]]).problem == "条目 #4 至 #5 缺失（被删除）"
    verdict = _stitch([_scan(rows[:3]), _scan(rows[5:])])
    assert verdict == Verdict(False, 3, 3, rows[2][10], 6, "条目 #4 至 #5 缺失（被删除）")
