"""Use cases on an item. Each takes an open write connection (one transaction, see `db.unit_of_work`),
the actor's name and `now`; it checks the guards, changes the rows, bumps the item's version and
appends the audit entry — all in the caller's transaction, so they commit together or not at all."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.categories import MARKS, Category
from states.guards import Actor, Facts, refusals, sees
from states.lifecycle import BY_INPUT, BY_TRIGGER, EVIDENCE_KINDS, INPUTS, State, rule
from workflow import clock
from workflow.audit import chain
from workflow.audit.payloads import (
    Categorized,
    EvidenceRecord,
    Extended,
    MeasureAdded,
    MeasureDone,
    Moved,
    Payload,
    ProgressRecorded,
    Reassigned,
)
from workflow.clock import local_today
from workflow.db.tables.core import BLOB, ITEM, MEASURE, PROGRESS
from workflow.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Refused
from workflow.inputs import clean_line, clean_line_optional, clean_optional, clean_text, occurred, read_file
from workflow.items import effects, store
from workflow.items.store import Current
from workflow.read.facts import facts, label
from workflow.read.people import load_actor
from workflow.read.scope import not_found

MAX_EVIDENCE_BYTES = 100 * 1024 * 1024  # a scanned approval or a few photos; kept inside the database
_MOVED = Moved()  # the payload of a move that records nothing more: `{}`


def _check(
    conn: Connection,
    item_id: int,
    name: str,
    actor: Actor,
    now: datetime,
    params: dict[str, object],
    expect_version: int | None,
) -> tuple[Current, Facts]:
    row = store.current(conn, item_id)
    if not sees(actor, row.unit):  # out of the actor's scope: to them, no such item
        raise not_found(item_id)
    if local_today(now) < row.feedback_date:
        raise Refused(
            f"操作日期 {local_today(now)} 早于事项 {item_id}（{row.number}）所在巡察轮次的反馈日期 "
            f"{row.feedback_date}：反馈之前不会有整改动作"
        )
    if expect_version is not None and row.version != expect_version:
        raise Conflict(
            f"事项 {item_id} 已被他人改动（当前版本 {row.version}，你看到的是 {expect_version}），请刷新后重试"
        )
    f = facts(row, actor, params)
    reasons = refusals(name, f)
    if reasons:
        message = f"无法对事项 {item_id}（{row.number}）{label(name)}：{'；'.join(reasons)}"
        if not actor.roles & set(rule(name).roles):
            raise PermissionDenied(message)
        raise Refused(message)
    return row, f


@dataclass(frozen=True)
class Outcome:
    item_id: int
    number: str
    from_state: State
    to_state: State
    version: int
    entry: chain.Entry


# --- transitions --------------------------------------------------------------------------------


def fire(
    conn: Connection,
    item_id: int,
    trigger: str,
    actor_name: str | None,
    now: datetime,
    *,
    reason: str | None = None,
    summary: str | None = None,
    finding: str | None = None,
    expect_version: int | None = None,
) -> Outcome:
    """Fire a lifecycle trigger: one row of `states.lifecycle.TRANSITIONS`, whose guards decide, whose
    inputs (reason, summary, finding) are checked, and whose effects `workflow.items.effects` carries out."""
    transition = BY_TRIGGER.get(trigger)
    if transition is None:
        raise InvalidInput(f"未知操作 {trigger!r}（可用：{', '.join(BY_TRIGGER)}）")
    actor = load_actor(conn, actor_name)
    typed = {"reason": reason, "summary": summary, "finding": finding}
    inputs = {i.name: clean_text(typed[i.name], i.label) for i in INPUTS}
    row, f = _check(conn, item_id, trigger, actor, now, {**inputs}, expect_version)
    from states import machine  # transitions is needed only here, not by reads

    new_state = machine.fire(trigger, f)
    values, payload = effects.carry_out(transition.effects, effects.Firing(conn, row, actor, now, inputs))
    store.bump(conn, row, now, state=new_state.value, **values)
    entry = chain.append(
        conn,
        at=now,
        actor=actor.name,
        action=trigger,
        item_id=item_id,
        from_state=row.state,
        to_state=new_state.value,
        reason=inputs["reason"] or None,
        payload=payload if payload is not None else _MOVED,
    )
    return Outcome(item_id, row.number, State(row.state), new_state, row.version + 1, entry)


# --- audited actions that keep the state ----------------------------------------------------------


def _record(
    conn: Connection,
    row: Current,
    actor: Actor,
    now: datetime,
    action: str,
    payload: Payload,
    reason: str | None = None,
    **values: Any,
) -> Outcome:
    store.bump(conn, row, now, **values)
    entry = chain.append(
        conn,
        at=now,
        actor=actor.name,
        action=action,
        item_id=row.id,
        from_state=row.state,
        to_state=row.state,
        reason=reason or None,
        payload=payload,
    )
    return Outcome(row.id, row.number, State(row.state), State(row.state), row.version + 1, entry)


def extend(
    conn: Connection,
    item_id: int,
    actor_name: str | None,
    now: datetime,
    *,
    new_deadline: date,
    reason: str | None,
    approved_by: str | None,
    expect_version: int | None = None,
) -> Outcome:
    """延期: a later date, a reason and an approver (a leader or approver other than the applicant)."""
    actor = load_actor(conn, actor_name)
    why = clean_text(reason, BY_INPUT["reason"].label)
    params: dict[str, object] = {"reason": why, "new_deadline": new_deadline}
    if approved_by:
        params["approved_by"] = load_actor(conn, approved_by)
    row, _ = _check(conn, item_id, "extend", actor, now, params, expect_version)
    payload = Extended(
        from_=row.deadline, from_kind=row.deadline_kind, to=new_deadline, approved_by=approved_by
    )
    return _record(
        conn,
        row,
        actor,
        now,
        "extend",
        payload,
        why,
        deadline=new_deadline,
        deadline_kind="date",
        original_deadline=row.original_deadline or row.deadline,
    )


_REASSIGNABLE = {
    "leader": ("责任领导", 64),
    "department": ("责任部门", 200),
    "handler": ("责任人", 64),
    "cooperating": ("配合单位", 1000),
}


def reassign(
    conn: Connection,
    item_id: int,
    actor_name: str | None,
    now: datetime,
    *,
    reason: str | None,
    leader: str | None = None,
    department: str | None = None,
    handler: str | None = None,
    cooperating: str | None = None,
    expect_version: int | None = None,
) -> Outcome:
    """调整责任: change the leader, department, handler or cooperating units, with a reason."""
    actor = load_actor(conn, actor_name)
    why = clean_text(reason, BY_INPUT["reason"].label)
    row, _ = _check(conn, item_id, "reassign", actor, now, {"reason": why}, expect_version)
    wanted = {"leader": leader, "department": department, "handler": handler, "cooperating": cooperating}
    changes: dict[str, Any] = {}
    for key, value in wanted.items():
        if value is None:
            continue
        name, limit = _REASSIGNABLE[key]
        value = clean_line(value, name, limit)  # names and units: one line each
        if key in ("leader", "handler"):
            load_actor(conn, value)  # must be a known person
        if value != (getattr(row, key) or ""):
            changes[key] = value
    if not changes:
        raise InvalidInput("没有要调整的内容（--leader/--dept/--handler/--cooperating）")
    pairs = {k: (getattr(row, k), v) for k, v in changes.items()}
    payload = Reassigned(
        leader=pairs.get("leader"),
        department=pairs.get("department"),
        handler=pairs.get("handler"),
        cooperating=pairs.get("cooperating"),
    )
    # The entry keeps the reason as typed (the guard judged it stripped), as it always has.
    return _record(conn, row, actor, now, "reassign", payload, reason, **changes)


def categorize(
    conn: Connection,
    item_id: int,
    actor_name: str | None,
    now: datetime,
    *,
    category: Category,
    reason: str | None = None,
    expect_version: int | None = None,
) -> Outcome:
    """认定完成类别: mark open work 基本完成, 正在整改, 未完成 or 长期坚持 (states.categories.MARKS);
    已完成 comes only with the sign-off. The reason, if given, is kept on the entry."""
    actor = load_actor(conn, actor_name)
    if category not in MARKS:
        marks = "、".join(c.label for c in MARKS)
        raise InvalidInput(f"「{category.label}」只能经提请销号、销号审核得出；可认定的完成类别：{marks}")
    why = clean_text(reason, BY_INPUT["reason"].label) or None
    row, _ = _check(conn, item_id, "categorize", actor, now, {"reason": why}, expect_version)
    old = conn.execute(sa.select(ITEM.c.category).where(ITEM.c.id == item_id)).scalar_one()
    if old == category.value:
        raise Refused(f"事项 {item_id}（{row.number}）已认定为「{category.label}」")
    payload = Categorized(category=(old, category.value))
    return _record(conn, row, actor, now, "categorize", payload, why, category=category.value)


def add_measure(
    conn: Connection,
    item_id: int,
    actor_name: str | None,
    now: datetime,
    *,
    text: str,
    owner: str | None = None,
    due: date | None = None,
) -> Outcome:
    actor = load_actor(conn, actor_name)
    row, _ = _check(conn, item_id, "add_measure", actor, now, {}, None)
    text = clean_text(text, "整改措施", 5000, required=True)
    owner = clean_line_optional(owner, "措施责任单位", 200)
    seq = (
        conn.execute(sa.select(sa.func.max(MEASURE.c.seq)).where(MEASURE.c.item_id == item_id)).scalar() or 0
    ) + 1
    conn.execute(MEASURE.insert().values(item_id=item_id, seq=seq, text=text, owner=owner, due=due))
    return _record(
        conn, row, actor, now, "add_measure", MeasureAdded(seq=seq, text=text, owner=owner, due=due)
    )


def complete_measure(
    conn: Connection, item_id: int, seq: int, actor_name: str | None, now: datetime, *, on: date | None = None
) -> Outcome:
    actor = load_actor(conn, actor_name)
    row, _ = _check(conn, item_id, "measure_done", actor, now, {}, None)
    measure = store.measure(conn, item_id, seq)
    if measure is None:
        raise NotFound(f"事项 {item_id} 没有第 {seq} 项整改措施")
    if measure[1] is not None:
        raise Refused(f"事项 {item_id} 的第 {seq} 项整改措施已于 {measure[1]} 完成")
    day = occurred(on, now, "完成日期") if on else local_today(now)
    store.mark_measure_done(conn, measure[0], day, actor.name)
    return _record(conn, row, actor, now, "measure_done", MeasureDone(seq=seq, done_on=day))


def add_progress(
    conn: Connection,
    item_id: int,
    actor_name: str | None,
    now: datetime,
    *,
    on: date,
    text: str,
    when_text: str | None = None,
) -> Outcome:
    """整改进展: a dated action, as the report will print it ("10月15日，…")."""
    actor = load_actor(conn, actor_name)
    row, _ = _check(conn, item_id, "progress", actor, now, {}, None)
    text = clean_text(text, "进展内容", required=True)
    when = clean_optional(when_text, "日期说明", 40)
    on = occurred(on, now, "进展日期")
    conn.execute(
        PROGRESS.insert().values(
            item_id=item_id, on=on, when_text=when, text=text, actor=actor.name, created_at=now
        )
    )
    return _record(conn, row, actor, now, "progress", ProgressRecorded(on=on, when=when, text=text))


def store_file(conn: Connection, path: Path) -> tuple[str, int]:
    """Store a file once by its SHA-256 inside the database; return (hash, size)."""
    data = read_file(path, MAX_EVIDENCE_BYTES)
    digest = hashlib.sha256(data).hexdigest()
    if conn.execute(sa.select(BLOB.c.sha256).where(BLOB.c.sha256 == digest)).first() is None:
        conn.execute(BLOB.insert().values(sha256=digest, size=len(data), data=data))
    return digest, len(data)


def attach_evidence(
    conn: Connection,
    item_id: int,
    actor_name: str | None,
    now: datetime,
    *,
    kind: str,
    ref: str | None = None,
    file: Path | None = None,
    note: str | None = None,
) -> Outcome:
    """佐证材料: a reference number, a file, or both; hashed so the sign-off can cite it."""
    actor = load_actor(conn, actor_name)
    row, _ = _check(conn, item_id, "evidence", actor, now, {}, None)
    if kind not in EVIDENCE_KINDS:
        raise InvalidInput(f"未知的佐证材料类型 {kind!r}（可用：{'、'.join(EVIDENCE_KINDS)}）")
    ref = clean_text(ref, "文号", 200) or None
    note = clean_text(note, "说明", 5000) or None
    if not ref and file is None:
        raise InvalidInput("佐证材料需要文号（--ref）或文件（--file），或两者都有")
    sha = size = name = None
    if file is not None:
        name = clean_text(file.name, "文件名", 255, required=True)
        sha, size = store_file(conn, file)
    record = EvidenceRecord(
        kind=kind,
        ref=ref,
        file_sha256=sha,
        file_name=name,
        size=size,
        note=note,
        actor=actor.name,
        at=now.isoformat(),
        item_id=item_id,
    )
    digest = record.digest()
    values = {
        "item_id": item_id,
        "kind": kind,
        "ref": ref,
        "file_sha256": sha,
        "file_name": name,
        "size": size,
        "note": note,
        "actor": actor.name,
        "created_at": clock.to_text(now),
        "hash": digest,
    }
    evidence_id = store.add_evidence(conn, values)
    return _record(conn, row, actor, now, "evidence", record.attached(evidence_id, digest))
