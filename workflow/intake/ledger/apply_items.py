"""Writing a planned ledger import's items in the caller's transaction: new items (one INSERT for all)
with their measures, progress, evidence and 序号 keys, changed items one by one, and an audit entry
for each — `ledger_import`, or `ledger_baseline` for a new item that starts past 已登记 (see `apply`)."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Connection

from states.lifecycle import DONE_STATES, State
from workflow.audit import chain
from workflow.audit.payloads import (
    EvidenceRecord,
    LedgerBaseline,
    LedgerItemCreated,
    LedgerItemUpdated,
    LedgerMeasureAdded,
    LedgerSource,
)
from workflow.db.tables.core import EVIDENCE, ITEM, MEASURE, PROGRESS
from workflow.db.tables.ledger import LEDGER_KEY
from workflow.errors import Conflict
from workflow.intake.ledger.cells import status_category
from workflow.intake.ledger.changes import TEXT_FIELDS, Change, norm
from workflow.intake.ledger.plan import Plan
from workflow.intake.ledger.rows import TICK_EVERY, Row, Tick
from workflow.items import units


def _evidence_rows(
    item_id: int, evidence: list[tuple[str, str]], actor: str, now: datetime
) -> list[dict[str, Any]]:
    out = []
    for kind, ref in evidence:
        # The same record attach_evidence hashes, so a sign-off can cite it the same way.
        record = EvidenceRecord.of_ledger_row(kind, ref, actor, now.isoformat(), item_id)
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
    found = status_category(row.said) if row.said else None
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


def create(
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


def update(conn: Connection, plan: Plan, now: datetime, src: LedgerSource, tick: Tick | None) -> None:
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
