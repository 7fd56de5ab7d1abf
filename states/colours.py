"""Warning colours (预警亮灯), as offices use them on the board and in reminders.

green: done, or on schedule · yellow: deadline near, or done but not yet accepted ·
red: overdue · blue: ongoing (长期坚持), judged by revisits instead of a date.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from states.lifecycle import State


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


YELLOW_DAYS = 10  # days before the deadline when an item turns yellow (configurable by callers)


def colour(
    state: State,
    deadline_kind: str | None,
    deadline: date | None,
    today: date,
    yellow_days: int = YELLOW_DAYS,
) -> Colour:
    if state in (State.closed, State.revisited):
        return Colour.green
    if deadline_kind == "ongoing":
        return Colour.blue
    if deadline_kind == "date" and deadline is not None:
        if today > deadline:
            return Colour.red
        if (deadline - today).days <= yellow_days:
            return Colour.yellow
    if state is State.submitted:
        return Colour.yellow
    return Colour.green
