"""Applying a planned ledger import in the caller's transaction: rounds, aspects, people, items, their
measures, progress and evidence, the 序号 keys, and an audit entry for every row written.

A new item gets one entry: `ledger_import` when it starts in 已登记, else `ledger_baseline` — its
starting state as the ledger gave it, vouched for by the importing person, so that nobody mistakes it
for a submission or a sign-off the system saw. A changed item gets a `ledger_import` entry that keeps
its state (see `changes`: an import never moves one). The state as of any date is rebuilt from these.
The items themselves are written by `apply_items`; this module writes the round, people, aspects and
the batch around them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.audit import chain
from workflow.audit.payloads import (
    AspectAdded,
    LedgerBatch,
    LedgerPersonAdded,
    LedgerSource,
    RoundAdded,
)
from workflow.db.tables.core import ASPECT, ITEM, PERSON, ROUND
from workflow.db.tables.ledger import LEDGER_BATCH, LEDGER_KEY
from workflow.intake.ledger import by_unit
from workflow.intake.ledger.apply_items import create, update
from workflow.intake.ledger.plan import Plan
from workflow.intake.ledger.rows import Tick
from workflow.items import units


@dataclass(frozen=True)
class Summary:
    batch_id: int
    round: str
    sheet: str
    rows: int
    created: int
    updated: int
    unchanged: int
    people: int
    state_changes: int  # new items that start past 已登记 (baselines): an import moves no existing item


def apply(conn: Connection, plan: Plan, now: datetime, *, tick: Tick | None = None) -> Summary:
    """Write the plan in the caller's transaction: rows, keys, audit entries."""
    rid = _round(conn, plan, now)
    uid = by_unit.target_unit(conn, plan, rid, now)
    _people(conn, plan, now)
    positions = dict(
        conn.execute(
            sa.select(ITEM.c.aspect_id, sa.func.max(ITEM.c.position))
            .where(ITEM.c.unit_id == uid)
            .group_by(ITEM.c.aspect_id)
        ).all()
    )
    _aspects(conn, plan, rid, uid, now)
    src = LedgerSource(batch=_batch(conn, plan, rid, now), file=plan.table.file_name, sheet=plan.table.sheet)
    if plan.adopted:
        conn.execute(
            LEDGER_KEY.insert(),
            [
                {"item_id": i, "round_id": rid, "unit_id": uid, "ledger_no": no, "batch_id": src.batch}
                for i, no in plan.adopted
            ],
        )
    baselines = create(conn, plan, (rid, uid), positions, now, src, tick)
    update(conn, plan, now, src, tick)
    rows = len(plan.creates) + len(plan.updates) + plan.unchanged
    summary = Summary(
        src.batch,
        plan.round.name,
        plan.table.sheet,
        rows,
        len(plan.creates),
        len(plan.updates),
        plan.unchanged,
        len(plan.people),
        baselines,
    )
    batch = LedgerBatch(
        batch=src.batch,
        file=src.file,
        sheet=summary.sheet,
        sha256=plan.table.sha256,
        round_id=rid,
        adopted=list(plan.adopted),
        batch_id=summary.batch_id,
        round=summary.round,
        rows=summary.rows,
        created=summary.created,
        updated=summary.updated,
        unchanged=summary.unchanged,
        people=summary.people,
        state_changes=summary.state_changes,
    )
    chain.append(conn, at=now, actor=plan.actor, action="ledger_batch", payload=batch)
    return summary


def _round(conn: Connection, plan: Plan, now: datetime) -> int:
    """The round's id, creating it (audited) when the plan names a new one."""
    target = plan.round
    if target.id is None:
        target.id = conn.execute(ROUND.insert().values(created_at=now, **target.values)).inserted_primary_key[
            0
        ]  # type: ignore[index]
        added = RoundAdded(id=target.id, source="ledger", **target.values)
        chain.append(conn, at=now, actor=plan.actor, action="round_add", payload=added)
    return target.id


def _people(conn: Connection, plan: Plan, now: datetime) -> None:
    # People a unit's ledger names work in that unit: they see its items only.
    for person in plan.people.values():
        added = LedgerPersonAdded(
            name=person["name"],
            roles=",".join(sorted(person["roles"])),
            department=person["department"],
            unit=plan.round.unit or None,
        )
        conn.execute(PERSON.insert().values(**added.to_dict()))
        chain.append(conn, at=now, actor=plan.actor, action="person_add", payload=added)


def _aspects(conn: Connection, plan: Plan, rid: int, uid: int, now: datetime) -> None:
    """Create the aspects the plan found new, after the unit's others."""
    position = (
        conn.execute(sa.select(sa.func.max(ASPECT.c.position)).where(ASPECT.c.unit_id == uid)).scalar() or -1
    ) + 1
    for key, aspect_id in list(plan.aspects.items()):
        if aspect_id is None:
            number, title = key
            added = AspectAdded(
                id=0,
                round_id=rid,
                number=number,
                title=title,
                position=position,
                unit_id=units.in_payload(uid, rid),
            )
            values = {k: v for k, v in added.to_dict().items() if k != "id"} | {"unit_id": uid}
            new_id = int(conn.execute(ASPECT.insert().values(**values)).inserted_primary_key[0])  # type: ignore[index]
            plan.aspects[key] = new_id
            chain.append(
                conn, at=now, actor=plan.actor, action="aspect_add", payload=replace(added, id=new_id)
            )
            position += 1


def _batch(conn: Connection, plan: Plan, rid: int, now: datetime) -> int:
    return int(
        conn.execute(
            LEDGER_BATCH.insert().values(
                round_id=rid,
                file_name=plan.table.file_name,
                sha256=plan.table.sha256,
                sheet=plan.table.sheet,
                rows=len(plan.creates) + len(plan.updates) + plan.unchanged,
                created=len(plan.creates),
                updated=len(plan.updates),
                unchanged=plan.unchanged,
                actor=plan.actor,
                created_at=now,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    )
