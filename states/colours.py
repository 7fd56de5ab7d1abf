"""Warning colours (预警亮灯), as offices use them on the board, in the ledger and in reminders.

green: done, or on schedule · yellow: deadline near, or done but not yet accepted ·
red: overdue · blue: ongoing (长期坚持), judged by revisits instead of a date.

How near is "near" is one setting, `yellow_days` ([lights] in zhenggai.toml); the yellow reminder
(黄灯预警) fires on the same day the light turns yellow.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

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


def is_near(left: int | None, yellow_days: int) -> bool:
    """Within the yellow window: due today or in at most `yellow_days` days."""
    return left is not None and 0 <= left <= yellow_days


def colour(
    state: State,
    deadline_kind: str | None,
    deadline: date | None,
    today: date,
    yellow_days: int = YELLOW_DAYS,
) -> Colour:
    if is_done(state):
        return Colour.green
    if deadline_kind == DeadlineKind.ongoing:
        return Colour.blue
    left = days_left(deadline_kind, deadline, today)
    if left is not None and left < 0:
        return Colour.red
    if is_near(left, yellow_days) or state is State.submitted:
        return Colour.yellow
    return Colour.green
