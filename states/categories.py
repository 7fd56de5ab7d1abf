"""Completion categories (完成情况) as public reports count them: 已完成, 基本完成, 正在整改, 未完成,
长期坚持. The one definition of an item's category, of which categories the completion rate counts as
done, and of the ledger's status words that set a category.

An item's category is derived from its state where the state says it (a closed or revisited item is
已完成; an open item with a 长期坚持 deadline is 长期坚持; any other open item is 正在整改), and set
explicitly where it cannot be derived: whether open work is 基本完成 or 未完成 is the office's judgement
(`item categorize`, or the 完成情况 cell of a ledger row that creates the item). The explicit mark is
the item's `category` column, audited; it counts while the item is open — a closed item is 已完成
whatever it was marked before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from states.lifecycle import DONE_STATES, DeadlineKind, State


class Category(StrEnum):
    completed = "completed"  # 已完成: signed off (closed or revisited)
    basic = "basic"  # 基本完成: stage goals met, still continuing — not counted as done by default
    in_progress = "in_progress"  # 正在整改
    not_done = "not_done"  # 未完成
    ongoing = "ongoing"  # 长期坚持: long-term work, counted apart

    @property
    def label(self) -> str:
        return LABELS[self]


# The wording reports use by default; [categories] in the configuration may change it.
LABELS: dict[Category, str] = {
    Category.completed: "已完成",
    Category.basic: "基本完成",
    Category.in_progress: "正在整改",
    Category.not_done: "未完成",
    Category.ongoing: "长期坚持",
}

# What an office may mark an open item as. 已完成 only by sign-off (`item submit`, `item approve`).
MARKS: tuple[Category, ...] = (Category.basic, Category.in_progress, Category.not_done, Category.ongoing)

# Status words of a ledger's 完成情况 column that say more than the state they map to (all of them are
# open work, 整改中): the category a new item created from such a row is marked with.
STATUS_CATEGORIES: dict[str, Category] = {
    **dict.fromkeys(("基本完成", "部分完成", "阶段性完成"), Category.basic),
    **dict.fromkeys(("未完成", "未整改"), Category.not_done),
    **dict.fromkeys(("长期坚持", "持续整改", "持续推进"), Category.ongoing),
}


def category(state: State, deadline_kind: str | None, mark: str | None) -> Category:
    """The item's completion category: derived from its state and deadline, or its explicit mark."""
    if state in DONE_STATES:
        return Category.completed
    if mark is not None:
        return Category(mark)
    if deadline_kind == DeadlineKind.ongoing:
        return Category.ongoing
    return Category.in_progress


@dataclass(frozen=True)
class Rate:
    """The completion rate's definition, one setting for every figure ([report] rate_counts and
    rate_precision): which categories count as done, and how many decimals are printed."""

    counts: frozenset[Category] = field(default_factory=lambda: frozenset({Category.completed}))
    precision: int = 0  # 0 → 67%, 2 → 98.71%

    def counted(self, by_category: dict[Category, int]) -> int:
        return sum(n for c, n in by_category.items() if c in self.counts)


DEFAULT_RATE = Rate()  # only 已完成 counts, printed without decimals (the seed's 67%)
