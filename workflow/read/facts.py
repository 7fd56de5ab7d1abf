"""The item as the guards see it (its fields and the counts of its parts), and "what can I do now?"."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from states.guards import Actor, Facts, refusals
from states.lifecycle import BY_ACTION, BY_TRIGGER, INPUTS, Role, State, rule
from workflow.dates import MAX_YEAR
from workflow.db.tables.core import EVIDENCE, ITEM, MEASURE
from workflow.read.scope import EVERYTHING, Scope, not_found

M_TOTAL = sa.select(sa.func.count()).where(MEASURE.c.item_id == ITEM.c.id).scalar_subquery()
M_DONE = (
    sa.select(sa.func.count())
    .where(MEASURE.c.item_id == ITEM.c.id, MEASURE.c.done_on.is_not(None))
    .scalar_subquery()
)
E_COUNT = sa.select(sa.func.count()).where(EVIDENCE.c.item_id == ITEM.c.id).scalar_subquery()
ITEM_WITH_COUNTS = sa.select(
    ITEM, M_TOTAL.label("measures_total"), M_DONE.label("measures_done"), E_COUNT.label("evidence_count")
)


def item_row(conn: Connection, item_id: int, scope: Scope = EVERYTHING) -> Row[Any]:
    """The item with the counts its guards need, in one query; out of `scope`, as if it did not exist."""
    row = conn.execute(ITEM_WITH_COUNTS.where(ITEM.c.id == item_id, scope.clause())).first()
    if row is None:
        raise not_found(item_id)
    return row


def facts(row: Any, actor: Actor, params: dict[str, object] | None = None) -> Facts:
    """The guards' view of `row` (an item row with the three counts, as `item_row` or the write path's
    `store.current` give it), the actor and the inputs typed with the action."""
    return Facts(
        state=State(row.state),
        actor=actor,
        leader=row.leader,
        department=row.department,
        handler=row.handler,
        deadline_kind=row.deadline_kind,
        deadline=row.deadline,
        measures_total=row.measures_total,
        measures_done=row.measures_done,
        evidence_count=row.evidence_count,
        submitted_by=row.submitted_by,
        params=params or {},
    )


def label(name: str) -> str:
    """The Chinese name of a trigger or action (交办, 延期 …)."""
    return rule(name).label


def options(row: Row[Any], actor: Actor) -> list[dict[str, Any]]:
    """Every trigger and action with whether the actor may do it now and, if not, why.

    Inputs the user types with the action (reason, summary, finding, new deadline) are assumed given;
    what is judged is the item and the actor."""
    assumed: dict[str, object] = {
        **{i.name: "…" for i in INPUTS},
        "new_deadline": date(MAX_YEAR, 12, 31),
        "approved_by": Actor("（批准人）", frozenset({Role.approver})),
    }
    f = facts(row, actor, assumed)
    out = []
    for name in (*BY_TRIGGER, *BY_ACTION):
        reasons = refusals(name, f)
        out.append({"action": name, "label": label(name), "allowed": not reasons, "reasons": reasons})
    return out
