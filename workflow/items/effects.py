"""What each lifecycle trigger does besides moving the state: one function per `states.lifecycle.Effect`,
the only place the effects are carried out. `fire` runs a transition's effects in table order; each
returns the item columns it sets and, for at most one effect per transition, the audit payload."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from states.guards import Actor
from states.lifecycle import Effect
from workflow.audit import chain
from workflow.audit.payloads import Confirmed, Payload, SignedOff, Submitted
from workflow.items import store
from workflow.items.store import Current


@dataclass(frozen=True)
class Firing:
    """One trigger being fired: the item as it was, who fires it, when, and the inputs (cleaned)."""

    conn: Connection
    row: Current
    actor: Actor
    now: datetime
    inputs: dict[str, str]


Done = tuple[dict[str, Any], Payload | None]  # item columns to set, the audit payload (if this records it)


def keep_summary(f: Firing) -> Done:
    return {"summary": f.inputs["summary"]}, Submitted(summary=f.inputs["summary"])


def mark_submitter(f: Firing) -> Done:
    return {"submitted_by": f.actor.name}, None


def clear_submitter(f: Firing) -> Done:
    return {"submitted_by": None}, None


def close(f: Firing) -> Done:
    return {"closed_at": f.now}, None


def cite_signoff(f: Firing) -> Done:
    # The sign-off cites the evidence by hash and the chain head it was made on.
    return {}, SignedOff(
        evidence=store.evidence_of(f.conn, f.row.id),
        submitted_by=f.row.submitted_by,
        summary=f.row.summary,
        chain_head=chain.head(f.conn),
    )


def record_finding(f: Firing) -> Done:
    return {}, Confirmed(finding=f.inputs["finding"])


EFFECTS: dict[Effect, Callable[[Firing], Done]] = {
    Effect.keep_summary: keep_summary,
    Effect.mark_submitter: mark_submitter,
    Effect.clear_submitter: clear_submitter,
    Effect.close: close,
    Effect.cite_signoff: cite_signoff,
    Effect.record_finding: record_finding,
}
# The payload class each recording effect writes (a transition has at most one; without one, `Moved`).
RECORDS: dict[Effect, type[Payload]] = {
    Effect.keep_summary: Submitted,
    Effect.cite_signoff: SignedOff,
    Effect.record_finding: Confirmed,
}
if set(EFFECTS) != set(Effect):  # a new Effect member needs its implementation here
    raise RuntimeError(f"effects without an implementation: {set(Effect) - set(EFFECTS)}")


def carry_out(effects: tuple[Effect, ...], firing: Firing) -> tuple[dict[str, Any], Payload | None]:
    """Run `effects` in order: the item columns they set, and the payload one of them recorded."""
    values: dict[str, Any] = {}
    payload: Payload | None = None
    for effect in effects:
        columns, recorded = EFFECTS[effect](firing)
        values.update(columns)
        if recorded is not None:
            payload = recorded
    return values, payload
