"""What the replay of the trail yields and how it reads an entry: `Expected` (the rows the live
tables must hold), `Disagreement` (the first place they part ways), the comparison's forms of a date
and a moment, and `Replayer`, the state the two halves of the replay share (`replay_items`,
`replay_records`; `replay.py` joins them).

Entries are read as the driver gives them (`verify._rows`): (seq, at, actor, item_id, action,
from_state, to_state, reason, payload, prev_hash, hash, recorded_at).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from workflow import clock

Row = Sequence[Any]


@dataclass(frozen=True)
class Disagreement:
    """The first place where the live tables and the trail part ways."""

    table: str
    row: str  # the row's key as people read it: an id, "3/2" (item/seq), a name
    column: str
    expected: Any
    found: Any
    seq: int | None = None  # the entry that shows it, when there is one

    def __str__(self) -> str:
        where = f"表 {self.table} 的 {self.row}" + (f" 列 {self.column}" if self.column else "")
        return f"{where}：按审计日志应为 {_show(self.expected)}，库中为 {_show(self.found)}"


def _show(value: Any) -> str:
    return "（空）" if value is None else repr(value) if value not in (ABSENT, PRESENT) else value


# A row one side has and the other lacks (compared by identity, shown as they read).
ABSENT = "（无此行）"
PRESENT = "（有此行）"


@dataclass
class Expected:
    """What the live tables must hold, by key."""

    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    measures: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    progress: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    evidence: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    rounds: dict[int, dict[str, Any]] = field(default_factory=dict)
    units: dict[int, dict[str, Any]] = field(default_factory=dict)  # those created with an entry
    aspects: dict[int, dict[str, Any]] = field(default_factory=dict)  # those created with an entry
    rules: dict[int, dict[str, Any]] = field(default_factory=dict)
    accountability: dict[int, dict[str, Any]] = field(default_factory=dict)
    batches: dict[int, dict[str, Any]] = field(default_factory=dict)
    keys: dict[int, dict[str, Any]] = field(default_factory=dict)  # ledger_key by item id
    problem: Disagreement | None = None  # the trail contradicts itself (a state out of nowhere)


def day(value: Any) -> str | None:
    """A date as the comparison holds it: ISO text (the driver may give a date or the text)."""
    return None if value is None else value if isinstance(value, str) else value.isoformat()


def moment(value: Any) -> str | None:
    """A moment as the comparison holds it: the canonical UTC text the chain stores."""
    if value is None or isinstance(value, str):
        return value
    assert isinstance(value, datetime)
    return clock.to_text(value)


def payload(row: Row) -> dict[str, Any]:
    """The entry's payload, parsed when a handler needs it (most moves record nothing: `{}`). orjson:
    a verify parses every payload of the log, and the standard parser was a fifth of its time."""
    text = row[8]
    return {} if text == "{}" else dict(orjson.loads(text))


class Replayer:
    """The state both halves of the replay write to: the expected rows, and the round whose first unit
    is not yet seen (`replay_records`)."""

    def __init__(self) -> None:
        self.out = Expected()
        self.new_round: tuple[int, str, str] | None = None

    def fail(self, row: Row, table: str, key: str, column: str, expected: Any, found: Any) -> None:
        if self.out.problem is None:
            self.out.problem = Disagreement(table, key, column, expected, found, row[0])
