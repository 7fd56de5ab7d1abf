"""The trail replayed into the items: state, version, deadline, people and times, with their
measures, progress and evidence — as the use cases would have written them, entry by entry. Payloads
are read through their typed classes (`workflow.audit.payloads`), so the replay and the writers cannot
drift apart unseen.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from states.deadlines import is_done
from states.lifecycle import BY_TRIGGER, Effect, State
from workflow import clock
from workflow.audit import payloads as p
from workflow.audit.expected import ABSENT, Replayer, Row, day
from workflow.audit.expected import payload as _payload
from workflow.db.tables.core import ITEM

_STATES = {s.value: s for s in State}


# Every column of the item table but its id: the trail owns them all, so a new column is compared
# by the deep verify from the day it is added.
ITEM_COLUMNS = tuple(c.name for c in ITEM.columns if c.name != "id")
_DAY_COLUMNS = frozenset({"deadline", "original_deadline"})


def _new_item(at: str, values: dict[str, Any], state: str) -> dict[str, Any]:
    item: dict[str, Any] = dict.fromkeys(ITEM_COLUMNS)
    item.update({k: v for k, v in values.items() if k in item})
    for column in _DAY_COLUMNS:
        item[column] = day(item[column])
    if item["unit_id"] is None:  # written before units existed: the round's own unit (migration 0007)
        item["unit_id"] = item["round_id"]
    item.update(state=state, version=1, created_at=at, updated_at=at)
    if is_done(_STATES[state]):
        item["closed_at"] = at
    return item


# `imported` reads ItemImported payloads by key: the keys it relies on must be the classes' fields.
if {f.name for f in fields(p.ImportedMeasure)} != {"seq", "text", "owner", "due"} or not (
    {f.name for f in fields(p.ItemImported)} - {"measures"} <= set(ITEM_COLUMNS)
):
    raise RuntimeError("ItemImported changed: update workflow.audit.replay_items.imported")


class ItemReplay(Replayer):
    """The entries on items; one method per kind of entry."""

    # Items move one entry at a time: the state an entry starts from is the one the last left.
    def existing(self, row: Row) -> dict[str, Any] | None:
        item = self.out.items.get(row[3])
        if item is None:
            self.fail(row, "item", str(row[3]), "", "（先有创建该事项的条目）", ABSENT)
            return None
        if row[5] != item["state"]:
            self.fail(row, "audit", f"#{row[0]}", "from_state", item["state"], row[5])
            return None
        return item

    def bump(self, item: dict[str, Any], row: Row) -> None:
        item["version"] += 1
        item["updated_at"] = row[1]

    def trigger(self, row: Row) -> None:
        item = self.existing(row)
        if item is None:
            return
        for effect in BY_TRIGGER[row[4]].effects:
            if effect is Effect.keep_summary:  # the only effect that sets a column from the payload
                item["summary"] = p.Submitted.from_dict(_payload(row)).summary
            elif effect is Effect.mark_submitter:
                item["submitted_by"] = row[2]
            elif effect is Effect.clear_submitter:
                item["submitted_by"] = None
            elif effect is Effect.close:
                item["closed_at"] = row[1]
        item["state"] = row[6]
        self.bump(item, row)

    def created(self, row: Row, values: dict[str, Any], state: str) -> dict[str, Any] | None:
        if row[3] in self.out.items:
            self.fail(row, "audit", f"#{row[0]}", "item_id", "一个新事项", row[3])
            return None
        if row[5] is not None:
            self.fail(row, "audit", f"#{row[0]}", "from_state", None, row[5])
            return None
        item = self.out.items[row[3]] = _new_item(row[1], values, state)
        return item

    def imported(self, row: Row) -> None:
        # The hottest payload of a county's log (one per item, with its measures) is read as stored:
        # its keys are the item's columns and ImportedMeasure's fields (checked below, at import).
        data = _payload(row)
        if self.created(row, data, row[6]) is None:
            return
        for m in data["measures"]:
            self.out.measures[(row[3], m["seq"])] = {
                "text": m["text"],
                "owner": m["owner"],
                "due": m["due"],
                "done_on": None,
                "done_by": None,
            }

    def ledger_item(self, row: Row) -> None:
        data = _payload(row)
        if row[5] is None:  # created by the ledger (or with a baseline state)
            created = p.LedgerItemCreated.from_dict(data)
            if self.created(row, created.to_dict(), row[6]) is None:
                return
            for seq, text in enumerate(created.measures, 1):
                self.out.measures[(row[3], seq)] = dict(
                    text=text, owner=None, due=None, done_on=None, done_by=None
                )
            self._ledger_parts(row, created.progress, created.evidence)
            self.out.keys[row[3]] = {
                "round_id": created.round_id,
                "unit_id": self.out.items[row[3]]["unit_id"],
                "ledger_no": created.ledger_no,
                "batch_id": created.batch,
            }
            return
        item = self.existing(row)
        if item is None:
            return
        updated = p.LedgerItemUpdated.from_dict(data)
        for column, (_old, new) in updated.changes.items():
            if column in item and column not in ("state", "version"):
                item[column] = day(new) if column in _DAY_COLUMNS else new
        if "measures" in updated.changes:
            self._measure_texts(row[3], *updated.changes["measures"])
        if row[6] != row[5]:
            item["state"] = row[6]
            if is_done(_STATES[row[6]]) and item["closed_at"] is None:
                item["closed_at"] = row[1]
        self._ledger_parts(row, updated.progress, updated.evidence)
        self.bump(item, row)

    def _measure_texts(self, item_id: int, olds: list[str], news: list[str]) -> None:
        # The entry lists the changed texts in measure order, without their numbers: match the old
        # texts against the item's measures in order.
        seqs = sorted(s for (i, s) in self.out.measures if i == item_id)
        k = 0
        for seq in seqs:
            if k < len(olds) and self.out.measures[(item_id, seq)]["text"] == olds[k]:
                self.out.measures[(item_id, seq)]["text"] = news[k]
                k += 1

    def _ledger_parts(self, row: Row, progress: list[p.Progress], evidence: list[p.Cited]) -> None:
        item_id, at, actor = row[3], row[1], row[2]
        for on, when, text in progress:
            self.out.progress.setdefault(item_id, []).append(
                {"on": day(on), "when_text": when, "text": text, "actor": actor, "created_at": at}
            )
        iso = clock.from_text(at).isoformat()  # as the writer's datetime.isoformat() gave it
        for kind, ref in evidence:
            record = p.EvidenceRecord.of_ledger_row(kind, ref, actor, iso, item_id)
            self.out.evidence.setdefault(item_id, []).append(_evidence_row(record, record.digest(), at, None))

    def extended(self, row: Row) -> None:
        data = _payload(row)
        item = self.existing(row)
        if item is None:
            return
        e = p.Extended.from_dict(data)
        item["original_deadline"] = item["original_deadline"] or item["deadline"]
        item.update(deadline=day(e.to), deadline_kind="date")
        self.bump(item, row)

    def reassigned(self, row: Row) -> None:
        data = _payload(row)
        item = self.existing(row)
        if item is None:
            return
        for column, (_old, new) in p.Reassigned.from_dict(data).field_changes().items():
            item[column] = new
        self.bump(item, row)

    def edited(self, row: Row) -> None:
        item = self.existing(row)
        if item is None:
            return
        for column, (_old, new) in p.ItemEdited.from_dict(_payload(row)).changes.items():
            if column in p.ItemEdited.FIELDS:  # an entry naming another column changes nothing
                item[column] = new
        self.bump(item, row)

    def categorized(self, row: Row) -> None:
        data = _payload(row)
        item = self.existing(row)
        if item is None:
            return
        item["category"] = p.Categorized.from_dict(data).category[1]
        self.bump(item, row)

    def measure_added(self, row: Row) -> None:
        data = _payload(row)
        item = self.existing(row)
        if item is None:
            return
        if "batch" in data:  # from a ledger re-import: the import's own entry bumped the version
            m = p.LedgerMeasureAdded.from_dict(data)
            self.out.measures[(row[3], m.seq)] = dict(
                text=m.text, owner=None, due=None, done_on=None, done_by=None
            )
            return
        a = p.MeasureAdded.from_dict(data)
        self.out.measures[(row[3], a.seq)] = dict(
            text=a.text, owner=a.owner, due=day(a.due), done_on=None, done_by=None
        )
        self.bump(item, row)

    def measure_done(self, row: Row) -> None:
        data = _payload(row)
        item = self.existing(row)
        if item is None:
            return
        d = p.MeasureDone.from_dict(data)
        measure = self.out.measures.get((row[3], d.seq))
        if measure is None:
            self.fail(row, "measure", f"事项 {row[3]} 第 {d.seq} 项", "", "（先有这项措施）", ABSENT)
            return
        measure.update(done_on=day(d.done_on), done_by=row[2])
        self.bump(item, row)

    def progress(self, row: Row) -> None:
        data = _payload(row)
        item = self.existing(row)
        if item is None:
            return
        r = p.ProgressRecorded.from_dict(data)
        self.out.progress.setdefault(row[3], []).append(
            {"on": day(r.on), "when_text": r.when, "text": r.text, "actor": row[2], "created_at": row[1]}
        )
        self.bump(item, row)

    def evidence(self, row: Row) -> None:
        data = _payload(row)
        item = self.existing(row)
        if item is None:
            return
        e = p.EvidenceAttached.from_dict(data)
        self.out.evidence.setdefault(row[3], []).append(_evidence_row(e, e.hash, row[1], e.id))
        self.bump(item, row)


def _evidence_row(record: p.EvidenceRecord, digest: str, at: str, evidence_id: int | None) -> dict[str, Any]:
    return {
        "id": evidence_id,
        "kind": record.kind,
        "ref": record.ref,
        "file_sha256": record.file_sha256,
        "file_name": record.file_name,
        "size": record.size,
        "note": record.note,
        "actor": record.actor,
        "created_at": at,
        "hash": digest,
    }
