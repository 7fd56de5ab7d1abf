"""The payloads of entries on an item's life: the lifecycle triggers and the audited actions that keep
the state (deadline, people, category, measures, progress, evidence). Re-exported by `payloads`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from workflow.audit.encoding import DAY, PAIR, FieldChanges, Payload, canonical_json, list_of

# --- the lifecycle triggers ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Moved(Payload):
    """A move with nothing more to record (assign, start, reject, revisit, reopen): `{}`."""


@dataclass(frozen=True, kw_only=True)
class Submitted(Payload):
    summary: str


@dataclass(frozen=True, kw_only=True)
class CitedEvidence(Payload):
    """One piece of evidence as a sign-off cites it."""

    id: int
    kind: str
    ref: str | None
    hash: str
    file_sha256: str | None


@dataclass(frozen=True, kw_only=True)
class SignedOff(Payload):
    """The sign-off (销号): the evidence by hash, who submitted what, and the chain head it was made on."""

    evidence: list[CitedEvidence] = field(default_factory=list, metadata=list_of(CitedEvidence))
    submitted_by: str | None = None
    summary: str | None = None
    chain_head: tuple[int, str] = field(metadata={"read": tuple})


@dataclass(frozen=True, kw_only=True)
class Confirmed(Payload):
    finding: str


# --- audited actions that keep the state --------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Extended(FieldChanges):
    from_: date | None = field(default=None, metadata={**DAY, "key": "from"})
    from_kind: str | None = None
    to: date | None = field(default=None, metadata=DAY)
    approved_by: str | None = None

    def field_changes(self) -> dict[str, Any]:
        return {"deadline_kind": [self.from_kind, "date"], "deadline": [self.from_, self.to]}


Pair = tuple[str | None, str]  # [old, new]


@dataclass(frozen=True, kw_only=True)
class Reassigned(FieldChanges):
    """Only the fields that changed are present."""

    leader: Pair | None = field(default=None, metadata=PAIR)
    department: Pair | None = field(default=None, metadata=PAIR)
    handler: Pair | None = field(default=None, metadata=PAIR)
    cooperating: Pair | None = field(default=None, metadata=PAIR)

    def field_changes(self) -> dict[str, Any]:
        return {k: list(v) for k, v in self.to_dict().items()}


@dataclass(frozen=True, kw_only=True)
class Categorized(FieldChanges):
    """The completion category an office set (`item categorize`): [old mark, new mark], None for
    "derived from the state" (states.categories)."""

    category: tuple[str | None, str] = field(metadata={"read": tuple})

    def field_changes(self) -> dict[str, Any]:
        return {"category": list(self.category)}


@dataclass(frozen=True, kw_only=True)
class MeasureAdded(Payload):
    seq: int
    text: str
    owner: str | None
    due: date | None = field(metadata=DAY)


@dataclass(frozen=True, kw_only=True)
class MeasureDone(Payload):
    seq: int
    done_on: date = field(metadata=DAY)


@dataclass(frozen=True, kw_only=True)
class ProgressRecorded(Payload):
    on: date = field(metadata=DAY)
    when: str | None
    text: str


@dataclass(frozen=True, kw_only=True)
class EvidenceRecord(Payload):
    """What an evidence row's `hash` is computed over (attach_evidence and the ledger import alike)."""

    kind: str
    ref: str | None
    file_sha256: str | None
    file_name: str | None
    size: int | None
    note: str | None
    actor: str
    at: str  # the moment as datetime.isoformat() gave it
    item_id: int

    @classmethod
    def of_ledger_row(cls, kind: str, ref: str, actor: str, at: str, item_id: int) -> EvidenceRecord:
        """The record of evidence a ledger row brings: a reference, no file and no note (written by the
        import, rebuilt by the replay: one definition, so their hashes agree)."""
        return cls(
            kind=kind,
            ref=ref,
            file_sha256=None,
            file_name=None,
            size=None,
            note=None,
            actor=actor,
            at=at,
            item_id=item_id,
        )

    def digest(self) -> str:
        return hashlib.sha256(canonical_json(self.to_dict()).encode()).hexdigest()

    def attached(self, id: int, digest: str) -> EvidenceAttached:
        """The audit payload of attaching it: the record with the row's id and its hash."""
        return EvidenceAttached(id=id, hash=digest, **{f.name: getattr(self, f.name) for f in fields(self)})


@dataclass(frozen=True, kw_only=True)
class EvidenceAttached(EvidenceRecord):
    id: int
    hash: str

    def record(self) -> EvidenceRecord:
        """The record its `hash` was computed over (without the id and the hash itself)."""
        return EvidenceRecord(**{f.name: getattr(self, f.name) for f in fields(EvidenceRecord)})
