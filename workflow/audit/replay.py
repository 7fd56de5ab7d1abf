"""The trail replayed into the rows it implies: every item (state, version, deadline, people, times),
its measures, progress and evidence, the people, rounds, rules, accountability records and ledger
batches — as the use cases would have written them, entry by entry. `verify.deep` compares the result
with the live tables (`compare`), so a row changed behind the engine's back is named even when the
chain itself is intact.

Entries are read as the driver gives them (`verify._rows`): (seq, at, actor, item_id, action,
from_state, to_state, reason, payload, prev_hash, hash, recorded_at). Payloads are read through their
typed classes (`workflow.audit.payloads`), so the replay and the writers cannot drift apart unseen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from states.lifecycle import BY_TRIGGER
from workflow.audit.expected import (
    ABSENT,
    PRESENT,
    Disagreement,
    Expected,
    Row,
    day,
    moment,
)
from workflow.audit.replay_items import ITEM_COLUMNS, ItemReplay
from workflow.audit.replay_records import RecordReplay, first_unit_of

__all__ = [
    "ABSENT",
    "ITEM_COLUMNS",
    "PRESENT",
    "Disagreement",
    "Expected",
    "day",
    "feeding",
    "moment",
    "replay",
]


class _Replay(ItemReplay, RecordReplay):
    """Applies entries in order to `Expected`: each action to its handler."""

    def __init__(self) -> None:
        super().__init__()
        self.handlers: dict[str, Callable[[Row], None]] = {
            **{t: self.trigger for t in BY_TRIGGER},
            "import": self.imported,
            "item_add": self.imported,
            "edit": self.edited,
            "ledger_import": self.ledger_item,
            "ledger_baseline": self.ledger_item,
            "extend": self.extended,
            "reassign": self.reassigned,
            "categorize": self.categorized,
            "add_measure": self.measure_added,
            "measure_done": self.measure_done,
            "progress": self.progress,
            "evidence": self.evidence,
            "person_add": self.person,
            "person_login": self.login,
            "person_edit": self.person_edited,
            "person_deactivate": self.person_deactivated,
            "round_import": self.round,
            "round_add": self.round,
            "unit_add": self.unit,
            "aspect_add": self.aspect,
            "rule_add": self.rule,
            "accountability_add": self.accountability,
            "ledger_batch": self.batch,
        }

    def apply(self, row: Row) -> None:
        if self.new_round is not None and not (
            row[4] == "unit_add" and first_unit_of(row) == self.new_round[0]
        ):
            self.finish()
        handler = self.handlers.get(row[4])
        if handler is None:
            self.fail(row, "audit", f"#{row[0]}", "action", "已知的操作", row[4])
            return
        handler(row)


def replay(rows: Iterable[Row]) -> Expected:
    """Every entry applied in order; stops recording at the first contradiction in the trail itself."""
    r = _Replay()
    for row in rows:
        r.apply(row)
    r.finish()
    return r.out


def feeding(rows: Iterable[Row]) -> tuple[Iterator[Row], Expected]:
    """Rows passed through unchanged while each is also applied: one read for the hash check and the
    replay."""
    r = _Replay()

    def gen() -> Iterator[Row]:
        for row in rows:
            r.apply(row)
            yield row
        r.finish()

    return gen(), r.out
