"""Deadlines: when an open item is overdue, how many days it has left. The one definition, used by the
live queries (their SQL twin is `workflow.read.clauses`, tested against this), the as-of snapshot, the
board, the reports and the reminders."""

from __future__ import annotations

from datetime import date

from states.lifecycle import DONE_STATES, OPEN_STATES, DeadlineKind, State


def is_open(state: State) -> bool:
    return state in OPEN_STATES


def is_done(state: State) -> bool:
    """Completed (已完成) in every figure: closed, or closed and revisited."""
    return state in DONE_STATES


# The kinds judged by their date: a dated deadline, and 立行立改, due at the end of the concentrated
# rectification period (the date an import or a plan gives it). 长期坚持 has no date to miss.
DATED_KINDS = (DeadlineKind.date.value, DeadlineKind.immediate.value)


def days_left(kind: str | None, deadline: date | None, today: date) -> int | None:
    """Days until a dated deadline (0 on the day, negative once passed); None without a date."""
    if kind not in DATED_KINDS or deadline is None:
        return None
    return (deadline - today).days


def is_overdue(state: State, kind: str | None, deadline: date | None, today: date) -> bool:
    """Open work past its dated deadline (长期坚持, and 立行立改 without a date, have none to miss)."""
    left = days_left(kind, deadline, today)
    return state in OPEN_STATES and left is not None and left < 0
