"""What each kind of audit entry records: one dataclass per action kind, written by the use cases and
read by the snapshot and the sign-off sheet, so that renaming a field fails mypy on both sides. The
classes live by purpose in `payloads_items`, `payloads_records` and `payloads_intake`; this module
names them all (callers use `payloads.X`) and maps each action to its classes (`KINDS`, `CHANGING`).

The chain hashes `canonical_json(payload.to_dict())`: exactly the dict the code wrote before these
classes existed (same keys, None kept, absent keys absent, dates as `date`), as tests/unit/test_payloads.py
and tests/e2e/test_legacy_database.py check."""

from __future__ import annotations

from workflow.audit.encoding import LATER, FieldChanges, Payload, canonical_json
from workflow.audit.payloads_intake import (
    AspectAdded,
    Cited,
    ImportedMeasure,
    ItemAdded,
    ItemEdited,
    ItemImported,
    LedgerBaseline,
    LedgerBatch,
    LedgerItemCreated,
    LedgerItemUpdated,
    LedgerMeasureAdded,
    LedgerSource,
    Progress,
    RoundAdded,
    RoundImported,
)
from workflow.audit.payloads_items import (
    Categorized,
    CitedEvidence,
    Confirmed,
    EvidenceAttached,
    EvidenceRecord,
    Extended,
    MeasureAdded,
    MeasureDone,
    Moved,
    Pair,
    ProgressRecorded,
    Reassigned,
    SignedOff,
    Submitted,
)
from workflow.audit.payloads_records import (
    AccountabilityAdded,
    LedgerPersonAdded,
    LoginSet,
    PersonAdded,
    PersonDeactivated,
    PersonEdited,
    RuleAdded,
    UnitAdded,
)

__all__ = [
    "CHANGING",
    "KINDS",
    "LATER",
    "AccountabilityAdded",
    "AspectAdded",
    "Categorized",
    "Cited",
    "CitedEvidence",
    "Confirmed",
    "EvidenceAttached",
    "EvidenceRecord",
    "Extended",
    "FieldChanges",
    "ImportedMeasure",
    "ItemAdded",
    "ItemEdited",
    "ItemImported",
    "LedgerBaseline",
    "LedgerBatch",
    "LedgerItemCreated",
    "LedgerItemUpdated",
    "LedgerMeasureAdded",
    "LedgerPersonAdded",
    "LedgerSource",
    "LoginSet",
    "MeasureAdded",
    "MeasureDone",
    "Moved",
    "Pair",
    "Payload",
    "PersonAdded",
    "PersonDeactivated",
    "PersonEdited",
    "Progress",
    "ProgressRecorded",
    "Reassigned",
    "RoundAdded",
    "RoundImported",
    "RuleAdded",
    "SignedOff",
    "Submitted",
    "UnitAdded",
    "canonical_json",
]

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
