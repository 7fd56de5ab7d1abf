"""The payloads of intake entries: YAML rounds and items, items added and edited by hand, and ledger
imports (items created, vouched for, updated, their measures and the batch). Re-exported by
`payloads`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Literal

from workflow.audit.encoding import DAY, LATER, FieldChanges, Payload, list_of

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
