"""What each kind of audit entry records: one dataclass per action kind, written by the use cases and
read by the snapshot and the sign-off sheet, so that renaming a field fails mypy on both sides.

The chain hashes `canonical_json(payload.to_dict())`: exactly the dict the code wrote before these
classes existed (same keys, None kept, absent keys absent, dates as `date`), as tests/unit/test_payloads.py
and tests/e2e/test_legacy_database.py check."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, ClassVar, Literal

from workflow.audit.encoding import DAY, PAIR, FieldChanges, Payload, canonical_json, list_of

# A field added after entries without it were written: absent when None, so those entries' payloads
# (and hashes) stay what they were. The unit fields (issue 10): an entry naming no unit was written
# before units existed and means the round's own unit, whose id is the round's (migration 0007).
LATER: dict[str, Any] = {"omit_none": True}

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


# --- people, rounds and their records -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PersonAdded(Payload):
    name: str
    roles: str  # comma-separated, sorted
    department: str | None
    title: str | None
    email: str | None
    unit: str | None = field(default=None, metadata=LATER)  # None: the county level


@dataclass(frozen=True, kw_only=True)
class LedgerPersonAdded(Payload):
    """A person a ledger names as leader or handler, created without post or e-mail."""

    name: str
    roles: str
    department: str | None
    unit: str | None = field(default=None, metadata=LATER)


@dataclass(frozen=True, kw_only=True)
class UnitAdded(Payload):
    """An inspected unit (被巡察单位) of a round."""

    id: int
    round_id: int
    name: str
    position: int


@dataclass(frozen=True, kw_only=True)
class LoginSet(Payload):
    name: str
    login: str


@dataclass(frozen=True, kw_only=True)
class PersonEdited(Payload):
    """What `person edit` changed on a person; `changes` maps column → [old, new], only those changed
    (roles as the sorted comma-separated text the column holds; `active` when reactivated)."""

    name: str
    changes: dict[str, list[Any]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class PersonDeactivated(Payload):
    """A person deactivated: the history keeps their name; they may no longer act or be reminded."""

    name: str


@dataclass(frozen=True, kw_only=True)
class RuleAdded(Payload):
    id: int
    round_id: int
    item_id: int | None
    title: str
    kind: str
    issued_on: date = field(metadata=DAY)
    doc_ref: str | None
    note: str | None
    actor: str


@dataclass(frozen=True, kw_only=True)
class AccountabilityAdded(Payload):
    id: int
    round_id: int
    item_id: int | None
    person: str
    post: str | None
    measure: str
    decided_on: date = field(metadata=DAY)
    reason: str | None
    actor: str


# --- intake: YAML rounds and ledgers ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RoundImported(Payload):
    id: int
    name: str
    group_name: str
    unit: str
    visit_start: date | None = field(metadata=DAY)
    visit_end: date | None = field(metadata=DAY)
    feedback_date: date = field(metadata=DAY)
    rectification_end: date | None = field(metadata=DAY)


@dataclass(frozen=True, kw_only=True)
class ImportedMeasure(Payload):
    seq: int
    text: str
    owner: str | None
    due: date | None = field(metadata=DAY)


@dataclass(frozen=True, kw_only=True)
class ItemImported(Payload):
    """An item as the YAML import wrote it, with its measures."""

    round_id: int
    aspect_id: int
    parent_id: int | None
    number: str
    position: int
    title: str
    description: str
    instance: str
    leader: str | None
    department: str | None
    cooperating: str
    handler: str | None
    deadline_kind: str | None
    deadline: date | None = field(metadata=DAY)
    measures: list[ImportedMeasure] = field(metadata=list_of(ImportedMeasure))
    unit_id: int | None = field(default=None, metadata=LATER)


@dataclass(frozen=True, kw_only=True)
class ItemAdded(ItemImported):
    """A single new problem added by hand (`item add`), in 已登记, with the same fields as an import."""


@dataclass(frozen=True, kw_only=True)
class ItemEdited(FieldChanges):
    """What `item edit` changed of an item's descriptive text; `changes` maps field → [old, new], of
    `FIELDS` only: the state, the deadline and the people change through their own actions."""

    FIELDS: ClassVar[tuple[str, ...]] = ("title", "description", "instance")
    changes: dict[str, list[str]] = field(default_factory=dict)

    def field_changes(self) -> dict[str, Any]:
        return self.changes


@dataclass(frozen=True, kw_only=True)
class LedgerSource(Payload):
    """Which import batch, file and sheet an entry came from."""

    batch: int
    file: str
    sheet: str


@dataclass(frozen=True, kw_only=True)
class RoundAdded(RoundImported):
    """A round a ledger import created."""

    source: Literal["ledger"] = "ledger"


@dataclass(frozen=True, kw_only=True)
class AspectAdded(Payload):
    id: int
    round_id: int
    number: str
    title: str
    position: int
    unit_id: int | None = field(default=None, metadata=LATER)


Progress = tuple[date, str | None, str]  # on, when, text
Cited = tuple[str, str]  # kind, reference


@dataclass(frozen=True, kw_only=True)
class LedgerItemCreated(LedgerSource):
    """An item a ledger row created: its columns as written, and the row's measures, progress and evidence."""

    ledger_no: str
    row: int
    round_id: int
    aspect_id: int
    number: str
    position: int
    title: str
    description: str
    instance: str
    cooperating: str
    leader: str | None
    department: str | None
    handler: str | None
    deadline_kind: str | None
    deadline: date | None = field(metadata=DAY)
    state: str
    measures: list[str]
    progress: list[Progress]
    evidence: list[Cited]
    status: str | None
    unit_id: int | None = field(default=None, metadata=LATER)
    # The completion category the status word set (基本完成 → basic, states.categories); absent from
    # entries that set none, and from every entry written before categories existed.
    category: str | None = field(default=None, metadata={"omit_none": True})


@dataclass(frozen=True, kw_only=True)
class LedgerBaseline(LedgerItemCreated):
    """A new item whose ledger row says it is already past 已登记 (in progress, submitted, done): its
    starting state is what the importing person vouched for, not a lifecycle the system saw. Everything
    the import wrote for it, so the trail alone rebuilds it: the creation's fields, who vouched, the
    status word as written (`status`), and the hash of each evidence row, in the order of `evidence`."""

    vouched_by: str
    evidence_hashes: list[str]


@dataclass(frozen=True, kw_only=True)
class LedgerItemUpdated(LedgerSource, FieldChanges):
    """What a ledger row changed on an existing item; `changes` maps field → [old, new]."""

    ledger_no: str
    row: int
    changes: dict[str, list[Any]] = field(default_factory=dict)
    progress: list[Progress]
    evidence: list[Cited]
    status: str | None

    def field_changes(self) -> dict[str, Any]:
        return self.changes


@dataclass(frozen=True, kw_only=True)
class LedgerMeasureAdded(LedgerSource):
    """A measure a ledger row added to an existing item (as `item measure-add` would, without owner/due)."""

    seq: int
    text: str


@dataclass(frozen=True, kw_only=True)
class LedgerBatch(LedgerSource):
    """The import as a whole: the file's hash, the 序号 adopted, the counts."""

    sha256: str
    round_id: int
    adopted: list[tuple[int, str]]
    batch_id: int
    round: str
    rows: int
    created: int
    updated: int
    unchanged: int
    people: int
    state_changes: int


# Every action the engine writes, with the payload classes its entries use (add_measure has two
# shapes: by hand, and from a ledger). The snapshot reads the ones that change item fields.
KINDS: dict[str, tuple[type[Payload], ...]] = {
    **{t: (Moved,) for t in ("assign", "start", "reject", "revisit", "reopen")},
    "submit": (Submitted,),
    "approve": (SignedOff,),
    "confirm": (Confirmed,),
    "extend": (Extended,),
    "reassign": (Reassigned,),
    "categorize": (Categorized,),
    "add_measure": (MeasureAdded, LedgerMeasureAdded),
    "measure_done": (MeasureDone,),
    "progress": (ProgressRecorded,),
    "evidence": (EvidenceAttached,),
    "person_add": (PersonAdded, LedgerPersonAdded),
    "person_login": (LoginSet,),
    "unit_add": (UnitAdded,),
    "person_edit": (PersonEdited,),
    "person_deactivate": (PersonDeactivated,),
    "item_add": (ItemAdded,),
    "edit": (ItemEdited,),
    "rule_add": (RuleAdded,),
    "accountability_add": (AccountabilityAdded,),
    "round_import": (RoundImported,),
    "import": (ItemImported,),
    "round_add": (RoundAdded,),
    "aspect_add": (AspectAdded,),
    "ledger_import": (LedgerItemCreated, LedgerItemUpdated),
    "ledger_baseline": (LedgerBaseline,),
    "ledger_batch": (LedgerBatch,),
}
CHANGING: dict[str, type[FieldChanges]] = {
    "extend": Extended,
    "reassign": Reassigned,
    "categorize": Categorized,
    "ledger_import": LedgerItemUpdated,
    "edit": ItemEdited,
}
