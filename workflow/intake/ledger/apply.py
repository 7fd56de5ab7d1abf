"""Applying a planned ledger import in the caller's transaction: rounds, aspects, people, items, their
measures, progress and evidence, the 序号 keys, and an audit entry for every row written.

The 完成情况 column sets a new item's state; every created or changed item gets a `ledger_import`
audit entry with its from/to state, so the state as of any date can be rebuilt from the audit trail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.lifecycle import State
from workflow.audit import chain
from workflow.db.tables.core import ASPECT, EVIDENCE, ITEM, MEASURE, PERSON, PROGRESS, ROUND
from workflow.db.tables.ledger import LEDGER_BATCH, LEDGER_KEY
from workflow.errors import Conflict
from workflow.intake.ledger.plan import TEXT_FIELDS, Plan, norm
from workflow.intake.ledger.rows import TICK_EVERY, Tick


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
    state_changes: int


def apply(conn: Connection, plan: Plan, now: datetime, *, tick: Tick | None = None) -> Summary:
    """Write the plan in the caller's transaction: rows, keys, audit entries."""
    actor = plan.actor
    target = plan.round
    if target.id is None:
        target.id = conn.execute(ROUND.insert().values(created_at=now, **target.values)).inserted_primary_key[
            0
        ]  # type: ignore[index]
        chain.append(
            conn,
            at=now,
            actor=actor,
            action="round_add",
            payload={"id": target.id, "source": "ledger", **target.values},
        )
    rid = target.id
    for person in plan.people.values():
        values = {**person, "roles": ",".join(sorted(person["roles"]))}
        conn.execute(PERSON.insert().values(**values))
        chain.append(conn, at=now, actor=actor, action="person_add", payload=values)
    positions = dict(
        conn.execute(
            sa.select(ITEM.c.aspect_id, sa.func.max(ITEM.c.position))
            .where(ITEM.c.round_id == rid)
            .group_by(ITEM.c.aspect_id)
        ).all()
    )
    next_aspect = (
        conn.execute(sa.select(sa.func.max(ASPECT.c.position)).where(ASPECT.c.round_id == rid)).scalar() or -1
    ) + 1
    for key, aspect_id in list(plan.aspects.items()):
        if aspect_id is None:
            number, title = key
            values = {"round_id": rid, "number": number, "title": title, "position": next_aspect}
            plan.aspects[key] = conn.execute(ASPECT.insert().values(**values)).inserted_primary_key[0]  # type: ignore[index]
            chain.append(
                conn, at=now, actor=actor, action="aspect_add", payload={"id": plan.aspects[key], **values}
            )
            next_aspect += 1
    batch_id = conn.execute(
        LEDGER_BATCH.insert().values(
            round_id=rid,
            file_name=plan.table.file_name,
            sha256=plan.table.sha256,
            sheet=plan.table.sheet,
            rows=len(plan.creates) + len(plan.updates) + plan.unchanged,
            created=len(plan.creates),
            updated=len(plan.updates),
            unchanged=plan.unchanged,
            actor=actor,
            created_at=now,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    source = {"batch": batch_id, "file": plan.table.file_name, "sheet": plan.table.sheet}
    if plan.adopted:
        conn.execute(
            LEDGER_KEY.insert(),
            [
                {"item_id": i, "round_id": rid, "ledger_no": no, "batch_id": batch_id}
                for i, no in plan.adopted
            ],
        )
    moved = _create(conn, plan, rid, batch_id, positions, now, source, tick)
    moved += _update(conn, plan, now, source, tick)
    summary = Summary(
        batch_id,
        target.name,
        plan.table.sheet,
        len(plan.creates) + len(plan.updates) + plan.unchanged,
        len(plan.creates),
        len(plan.updates),
        plan.unchanged,
        len(plan.people),
        moved,
    )
    chain.append(
        conn,
        at=now,
        actor=actor,
        action="ledger_batch",
        payload={
            **source,
            "sha256": plan.table.sha256,
            "round_id": rid,
            "adopted": [list(a) for a in plan.adopted],
            **summary.__dict__,
        },
    )
    return summary


def _evidence_rows(
    item_id: int, evidence: list[tuple[str, str]], actor: str, now: datetime
) -> list[dict[str, Any]]:
    out = []
    for kind, ref in evidence:
        # The same record shape attach_evidence hashes, so a sign-off can cite it the same way.
        record = {
            "kind": kind,
            "ref": ref,
            "file_sha256": None,
            "file_name": None,
            "size": None,
            "note": None,
            "actor": actor,
            "at": now.isoformat(),
            "item_id": item_id,
        }
        digest = hashlib.sha256(chain.canonical_json(record).encode()).hexdigest()
        out.append(
            {**{k: record[k] for k in ("item_id", "kind", "ref", "actor")}, "created_at": now, "hash": digest}
        )
    return out


def _progress_rows(
    item_id: int, progress: list[tuple[date, str | None, str]], actor: str, now: datetime
) -> list[dict[str, Any]]:
    return [
        {"item_id": item_id, "on": on, "when_text": when, "text": text, "actor": actor, "created_at": now}
        for on, when, text in progress
    ]


def _create(
    conn: Connection,
    plan: Plan,
    rid: int,
    batch_id: int,
    positions: dict[int, int],
    now: datetime,
    source: dict[str, Any],
    tick: Tick | None,
) -> int:
    if not plan.creates:
        return 0
    rows = []
    for row, number, aspect in plan.creates:
        aspect_id = plan.aspects[aspect]
        assert aspect_id is not None
        positions[aspect_id] = positions.get(aspect_id, -1) + 1
        state = row.state or State.reported
        values = {
            "round_id": rid,
            "aspect_id": aspect_id,
            "number": number,
            "position": positions[aspect_id],
            **dict.fromkeys(TEXT_FIELDS, ""),
            **dict.fromkeys(("leader", "department", "handler", "deadline_kind", "deadline")),
            **{k: norm(k, v) for k, v in row.fields.items()},
            "state": state.value,
            "version": 1,
            "closed_at": now if state in (State.closed, State.revisited) else None,
            "created_at": now,
            "updated_at": now,
        }
        rows.append(values)
    # One INSERT for all items; RETURNING in parameter order pairs each id with its row.
    ids = [
        r[0]
        for r in conn.execute(ITEM.insert().returning(ITEM.c.id, sort_by_parameter_order=True), rows).all()
    ]
    measures, progress, evidence, keys = [], [], [], []
    for item_id, (row, _number, _aspect) in zip(ids, plan.creates, strict=True):
        measures += [{"item_id": item_id, "seq": n, "text": t} for n, t in enumerate(row.measures or [], 1)]
        progress += _progress_rows(item_id, row.progress, plan.actor, now)
        evidence += _evidence_rows(item_id, row.evidence, plan.actor, now)
        keys.append({"item_id": item_id, "round_id": rid, "ledger_no": row.no, "batch_id": batch_id})
    for table, batch in (
        (MEASURE, measures),
        (PROGRESS, progress),
        (EVIDENCE, evidence),
        (LEDGER_KEY, keys),
    ):
        if batch:
            conn.execute(table.insert(), batch)
    moved = 0
    for n, (item_id, values, (row, _number, _aspect)) in enumerate(
        zip(ids, rows, plan.creates, strict=True), 1
    ):
        payload = {
            **source,
            "ledger_no": row.no,
            "row": row.line,
            **{
                k: v
                for k, v in values.items()
                if k not in ("created_at", "updated_at", "closed_at", "version")
            },
            "measures": row.measures or [],
            "progress": [list(p) for p in row.progress],
            "evidence": [list(e) for e in row.evidence],
            "status": row.status,
        }
        chain.append(
            conn,
            at=now,
            actor=plan.actor,
            action="ledger_import",
            item_id=item_id,
            to_state=values["state"],
            payload=payload,
        )
        moved += values["state"] != State.reported.value
        if tick is not None and n % TICK_EVERY == 0:
            tick(TICK_EVERY)
    if tick is not None:
        tick(len(ids) % TICK_EVERY)
    return moved


def _update(conn: Connection, plan: Plan, now: datetime, source: dict[str, Any], tick: Tick | None) -> int:
    moved = 0
    for n, c in enumerate(plan.updates, 1):
        item = c.item
        if "aspect" in c.changes:  # the aspect may be new: its id is known only now
            number, title = c.changes["aspect"][1]
            c.changes["aspect_id"] = [item.aspect_id, plan.aspects[(number, title)]]
        values = {k: new for k, (_old, new) in c.changes.items() if k in ITEM.c}
        if c.state.value != item.state:
            values["state"] = c.state.value
            if c.state in (State.closed, State.revisited) and item.closed_at is None:
                values["closed_at"] = now
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
        chain.append(
            conn,
            at=now,
            actor=plan.actor,
            action="ledger_import",
            item_id=item.id,
            from_state=item.state,
            to_state=c.state.value,
            payload={
                **source,
                "ledger_no": c.row.no,
                "row": c.row.line,
                "changes": c.changes,
                "progress": [list(p) for p in c.progress],
                "evidence": [list(e) for e in c.evidence],
                "status": c.row.status,
            },
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
                from_state=c.state.value,
                to_state=c.state.value,
                payload={**source, "seq": seq, "text": text},
            )
        moved += c.state.value != item.state
        if tick is not None and n % TICK_EVERY == 0:
            tick(TICK_EVERY)
    if tick is not None:
        tick(len(plan.updates) % TICK_EVERY)
    return moved
