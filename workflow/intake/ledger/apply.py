"""Applying a planned ledger import in the caller's transaction: rounds, aspects, people, items, their
measures, progress and evidence, the 序号 keys, and an audit entry for every row written.

A new item gets one entry: `ledger_import` when it starts in 已登记, else `ledger_baseline` — its
starting state as the ledger gave it, vouched for by the importing person, so that nobody mistakes it
for a submission or a sign-off the system saw. A changed item gets a `ledger_import` entry that keeps
its state (see `changes`: an import never moves one). The state as of any date is rebuilt from these.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.lifecycle import DONE_STATES, State
from workflow.audit import chain
from workflow.audit.payloads import (
    AspectAdded,
    EvidenceRecord,
    LedgerBaseline,
    LedgerBatch,
    LedgerItemCreated,
    LedgerItemUpdated,
    LedgerMeasureAdded,
    LedgerPersonAdded,
    LedgerSource,
    RoundAdded,
)
from workflow.db.tables.core import ASPECT, EVIDENCE, ITEM, MEASURE, PERSON, PROGRESS, ROUND
from workflow.db.tables.ledger import LEDGER_BATCH, LEDGER_KEY
from workflow.errors import Conflict
from workflow.intake.ledger import by_unit
from workflow.intake.ledger.cells import status_category
from workflow.intake.ledger.changes import TEXT_FIELDS, Change, norm
from workflow.intake.ledger.plan import Plan
from workflow.intake.ledger.rows import TICK_EVERY, Row, Tick
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
    baselines = _create(conn, plan, (rid, uid), positions, now, src, tick)
    _update(conn, plan, now, src, tick)
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


def _evidence_rows(
    item_id: int, evidence: list[tuple[str, str]], actor: str, now: datetime
) -> list[dict[str, Any]]:
    out = []
    for kind, ref in evidence:
        # The same record attach_evidence hashes, so a sign-off can cite it the same way.
        record = EvidenceRecord(
            kind=kind,
            ref=ref,
            file_sha256=None,
            file_name=None,
            size=None,
            note=None,
            actor=actor,
            at=now.isoformat(),
            item_id=item_id,
        )
        out.append(
            {
                "item_id": item_id,
                "kind": kind,
                "ref": ref,
                "actor": actor,
                "created_at": now,
                "hash": record.digest(),
            }
        )
    return out


def _progress_rows(
    item_id: int, progress: list[tuple[date, str | None, str]], actor: str, now: datetime
) -> list[dict[str, Any]]:
    return [
        {"item_id": item_id, "on": on, "when_text": when, "text": text, "actor": actor, "created_at": now}
        for on, when, text in progress
    ]


def _created(
    src: LedgerSource, row: Row, where: tuple[int, int], number: str, aspect_id: int, position: int
) -> LedgerItemCreated:
    """A new item as a ledger row gives it: columns absent from the file are empty."""
    values: dict[str, Any] = {
        **dict.fromkeys(TEXT_FIELDS, ""),
        **dict.fromkeys(("leader", "department", "handler", "deadline_kind", "deadline")),
        **{k: norm(k, v) for k, v in row.fields.items()},
    }
    rid, uid = where
    return LedgerItemCreated(
        **src.to_dict(),
        ledger_no=row.no,
        row=row.line,
        round_id=rid,
        unit_id=units.in_payload(uid, rid),
        aspect_id=aspect_id,
        number=number,
        position=position,
        title=values["title"],
        description=values["description"],
        instance=values["instance"],
        cooperating=values["cooperating"],
        leader=values["leader"],
        department=values["department"],
        handler=values["handler"],
        deadline_kind=values["deadline_kind"],
        deadline=values["deadline"],
        state=(row.state or State.reported).value,
        measures=row.measures or [],
        progress=list(row.progress),
        evidence=list(row.evidence),
        status=row.status,
        category=_category(row),
    )


def _category(row: Row) -> str | None:
    """The completion category the status word sets on open work (基本完成, 未完成, 长期坚持)."""
    found = status_category(row.status) if row.status else None
    return None if found is None or row.state is None or row.state in DONE_STATES else found.value


def _item_rows(
    conn: Connection,
    plan: Plan,
    where: tuple[int, int],
    positions: dict[int, int],
    now: datetime,
    src: LedgerSource,
) -> tuple[list[int], list[LedgerItemCreated]]:
    """Insert the new items (one INSERT for all); their ids and creation records, in plan order."""
    created = []
    for row, number, aspect in plan.creates:
        aspect_id = plan.aspects[aspect]
        assert aspect_id is not None
        positions[aspect_id] = positions.get(aspect_id, -1) + 1
        created.append(_created(src, row, where, number, aspect_id, positions[aspect_id]))
    rows = [
        {
            **{k: v for k, v in c.to_dict().items() if k in ITEM.c},
            "unit_id": where[1],
            "category": c.category,  # every row names every column: one INSERT for all
            "version": 1,
            "closed_at": now if State(c.state) in DONE_STATES else None,
            "created_at": now,
            "updated_at": now,
        }
        for c in created
    ]
    # RETURNING in parameter order pairs each id with its row.
    ids = [
        r[0]
        for r in conn.execute(ITEM.insert().returning(ITEM.c.id, sort_by_parameter_order=True), rows).all()
    ]
    return ids, created


def _create(
    conn: Connection,
    plan: Plan,
    where: tuple[int, int],
    positions: dict[int, int],
    now: datetime,
    src: LedgerSource,
    tick: Tick | None,
) -> int:
    """Write the new items and their parts, one entry each; how many start past 已登记 (baselines)."""
    if not plan.creates:
        return 0
    ids, created = _item_rows(conn, plan, where, positions, now, src)
    rid, uid = where
    measures, progress, evidence, keys = [], [], [], []
    hashes: list[list[str]] = []
    for item_id, (row, _number, _aspect) in zip(ids, plan.creates, strict=True):
        measures += [{"item_id": item_id, "seq": n, "text": t} for n, t in enumerate(row.measures or [], 1)]
        progress += _progress_rows(item_id, row.progress, plan.actor, now)
        cited = _evidence_rows(item_id, row.evidence, plan.actor, now)
        evidence += cited
        hashes.append([e["hash"] for e in cited])
        keys.append(
            {"item_id": item_id, "round_id": rid, "unit_id": uid, "ledger_no": row.no, "batch_id": src.batch}
        )
    for table, batch in ((MEASURE, measures), (PROGRESS, progress), (EVIDENCE, evidence), (LEDGER_KEY, keys)):
        if batch:
            conn.execute(table.insert(), batch)
    baselines = 0
    for n, (item_id, record, cited_hashes) in enumerate(zip(ids, created, hashes, strict=True), 1):
        action, payload = "ledger_import", record
        if record.state != State.reported.value:
            action, baselines = "ledger_baseline", baselines + 1
            payload = LedgerBaseline(**_fields(record), vouched_by=plan.actor, evidence_hashes=cited_hashes)
        chain.append(
            conn,
            at=now,
            actor=plan.actor,
            action=action,
            item_id=item_id,
            to_state=record.state,
            payload=payload,
        )
        if tick is not None and n % TICK_EVERY == 0:
            tick(TICK_EVERY)
    if tick is not None:
        tick(len(ids) % TICK_EVERY)
    return baselines


def _fields(record: LedgerItemCreated) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in fields(record)}


def _update(conn: Connection, plan: Plan, now: datetime, src: LedgerSource, tick: Tick | None) -> None:
    for n, c in enumerate(plan.updates, 1):
        _update_one(conn, plan, c, now, src)
        if tick is not None and n % TICK_EVERY == 0:
            tick(TICK_EVERY)
    if tick is not None:
        tick(len(plan.updates) % TICK_EVERY)


def _update_one(conn: Connection, plan: Plan, c: Change, now: datetime, src: LedgerSource) -> None:
    """Write one changed item, its parts and its entries; its state stays as it is."""
    item = c.item
    if "aspect" in c.changes:  # the aspect may be new: its id is known only now
        number, title = c.changes["aspect"][1]
        c.changes["aspect_id"] = [item.aspect_id, plan.aspects[(number, title)]]
    values = {k: new for k, (_old, new) in c.changes.items() if k in ITEM.c}
    done = conn.execute(
        ITEM.update()
        .where(ITEM.c.id == item.id, ITEM.c.version == item.version)
        .values(version=item.version + 1, updated_at=now, **values)
    )
    if done.rowcount != 1:
        raise Conflict(f"事项 {item.id} 在导入过程中被他人改动，请重新导入")
    for seq, text in c.measure_texts.items():
        conn.execute(
            MEASURE.update().where(MEASURE.c.item_id == item.id, MEASURE.c.seq == seq).values(text=text)
        )
    if c.progress:
        conn.execute(PROGRESS.insert(), _progress_rows(item.id, c.progress, plan.actor, now))
    if c.evidence:
        conn.execute(EVIDENCE.insert(), _evidence_rows(item.id, c.evidence, plan.actor, now))
    updated = LedgerItemUpdated(
        **src.to_dict(),
        ledger_no=c.row.no,
        row=c.row.line,
        changes=c.changes,
        progress=list(c.progress),
        evidence=list(c.evidence),
        status=c.row.status,
    )
    chain.append(
        conn,
        at=now,
        actor=plan.actor,
        action="ledger_import",
        item_id=item.id,
        from_state=item.state,
        to_state=item.state,
        payload=updated,
    )
    # Each added measure gets its own entry, as `item measure-add` would: the measure count as of
    # a date is rebuilt from these.
    for seq, text in enumerate(c.new_measures, c.last_seq + 1):
        conn.execute(MEASURE.insert().values(item_id=item.id, seq=seq, text=text))
        chain.append(
            conn,
            at=now,
            actor=plan.actor,
            action="add_measure",
            item_id=item.id,
            from_state=item.state,
            to_state=item.state,
            payload=LedgerMeasureAdded(**src.to_dict(), seq=seq, text=text),
        )
