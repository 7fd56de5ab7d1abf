"""Warning colours (预警亮灯), as offices use them on the board, in the ledger and in reminders.

An item's light says one of six things (`Meaning`), decided in this order: done · ongoing (长期坚持,
judged by revisits instead of a date) · overdue · reported done and awaiting acceptance (已报结) ·
deadline near · on schedule. Which colour each meaning lights is a scheme (`Scheme`), by default
green: done, on schedule · yellow: near, awaiting acceptance · red: overdue · blue: ongoing. Offices
that light 已报结 blue set it in [lights.colours] of zhenggai.toml (workflow.config.light_scheme).

How near is "near" is one setting, `yellow_days` ([lights] in zhenggai.toml); the yellow reminder
(黄灯预警) fires on the same day the item's deadline is near.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from states.deadlines import days_left, is_done
from states.lifecycle import DeadlineKind, State


class Colour(StrEnum):
    green = "green"
    yellow = "yellow"
    red = "red"
    blue = "blue"

    @property
    def label(self) -> str:
        return {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "blue": "蓝灯"}[self.value]

    @property
    def symbol(self) -> str:
        return {"green": "🟢", "yellow": "🟡", "red": "🔴", "blue": "🔵"}[self.value]


YELLOW_DAYS = 10  # the default of [lights] yellow_days

# The colour names a configuration may use, besides the values: 绿 / 绿灯 …
COLOUR_NAMES: dict[str, Colour] = {
    **{c.value: c for c in Colour},
    **{c.label: c for c in Colour},
    **{c.label[0]: c for c in Colour},
}


class Meaning(StrEnum):
    """What a light says about an item, in the order `meaning` decides it."""

    done = "done"
    ongoing = "ongoing"
    overdue = "overdue"
    submitted = "submitted"
    near = "near"
    on_track = "on_track"

    @property
    def label(self) -> str:
        return MEANING_LABELS[self]


MEANING_LABELS: dict[Meaning, str] = {
    Meaning.done: "已完成",
    Meaning.ongoing: "长期坚持",
    Meaning.overdue: "逾期",
    Meaning.submitted: "已报结待验收",
    Meaning.near: "临近时限",
    Meaning.on_track: "按期推进",
}
Scheme = Mapping[Meaning, Colour]
DEFAULT_SCHEME: Scheme = MappingProxyType(
    {
        Meaning.done: Colour.green,
        Meaning.ongoing: Colour.blue,
        Meaning.overdue: Colour.red,
        Meaning.submitted: Colour.yellow,
        Meaning.near: Colour.yellow,
        Meaning.on_track: Colour.green,
    }
)
# What needs chasing (the board's 需要督办): an open item whose light says one of these.
ATTENTION: frozenset[Meaning] = frozenset({Meaning.overdue, Meaning.submitted, Meaning.near})


def legend(scheme: Scheme = DEFAULT_SCHEME) -> dict[Colour, list[Meaning]]:
    """Each colour with the meanings it lights, in `Meaning` order (a colour no meaning uses: [])."""
    return {c: [m for m in Meaning if scheme[m] is c] for c in Colour}


def is_near(left: int | None, yellow_days: int) -> bool:
    """Within the yellow window: due today or in at most `yellow_days` days."""
    return left is not None and 0 <= left <= yellow_days


def meaning(
    state: State,
    deadline_kind: str | None,
    deadline: date | None,
    today: date,
    yellow_days: int = YELLOW_DAYS,
) -> Meaning:
    if is_done(state):
        return Meaning.done
    if deadline_kind == DeadlineKind.ongoing:
        return Meaning.ongoing
    left = days_left(deadline_kind, deadline, today)
    if left is not None and left < 0:
        return Meaning.overdue
    if state is State.submitted:
        return Meaning.submitted
    if is_near(left, yellow_days):
        return Meaning.near
    return Meaning.on_track


def colour(
    state: State,
    deadline_kind: str | None,
    deadline: date | None,
    today: date,
    yellow_days: int = YELLOW_DAYS,
    scheme: Scheme = DEFAULT_SCHEME,
) -> Colour:
    return scheme[meaning(state, deadline_kind, deadline, today, yellow_days)]
