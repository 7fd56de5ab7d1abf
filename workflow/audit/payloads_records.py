"""The payloads of entries on people, units, rules and accountability records. Re-exported by
`payloads`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from workflow.audit.encoding import DAY, LATER, Payload

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
