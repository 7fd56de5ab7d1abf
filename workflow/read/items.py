"""Live queries on items: the list (the ledger view), one item in full, its sign-off sheet."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.categories import category
from states.colours import DEFAULT_SCHEME, YELLOW_DAYS, Scheme, colour
from states.deadlines import is_overdue
from states.guards import Actor
from states.lifecycle import DONE_STATES, State, parse_state
from workflow import clock
from workflow.audit import chain, verify
from workflow.audit.payloads import Extended, LedgerBaseline, LedgerItemCreated, SignedOff
from workflow.dates import show_deadline
from workflow.db.tables.core import ASPECT, AUDIT, EVIDENCE, ITEM, MEASURE, PROGRESS
from workflow.errors import InvalidInput, NotFound
from workflow.read.clauses import OPEN_SQL, near_clause, overdue_clause
from workflow.read.facts import item_row, options
from workflow.read.scope import EVERYTHING, Scope
from workflow.read.snapshot import BASELINE_PHRASE, is_baseline


def _item_dict(row: Any, today: date, yellow_days: int, scheme: Scheme = DEFAULT_SCHEME) -> dict[str, Any]:
    state = State(row.state)
    return {
        "id": row.id,
        "number": row.number,
        "title": row.title,
        "state": row.state,
        "state_label": State(row.state).label,
        "leader": row.leader,
        "department": row.department,
        "handler": row.handler,
        "deadline": show_deadline(row.deadline_kind, row.deadline),
        "overdue": is_overdue(state, row.deadline_kind, row.deadline, today),
        "colour": colour(state, row.deadline_kind, row.deadline, today, yellow_days, scheme).value,
        "version": row.version,
    }


def category_clause(conn: Connection, text: str) -> sa.ColumnElement[bool]:
    """`item list --category`: the problem category as stored today, the aspect (方面) — named by its
    number (一), its title, or "一、title" — in any round. Completion categories (已完成 / 基本完成 …),
    once they are a recorded fact of the item, plug in here: a word of theirs matches their column."""
    wanted = text.strip()
    aspects = conn.execute(sa.select(ASPECT.c.id, ASPECT.c.number, ASPECT.c.title)).all()
    ids = [a.id for a in aspects if wanted in (a.number, a.title, f"{a.number}、{a.title}")]
    if not ids:
        listed = "；".join(sorted({f"{a.number}、{a.title}" for a in aspects})) or "（还没有）"
        raise InvalidInput(f"没有编号或标题为 {wanted!r} 的问题类别（方面）（可用：{listed}）")
    return ITEM.c.aspect_id.in_(ids)


def list_items(
    conn: Connection,
    today: date,
    *,
    state: str | None = None,
    department: str | None = None,
    leader: str | None = None,
    overdue: bool = False,
    unit: str | None = None,
    scope: Scope = EVERYTHING,
    due_within: int | None = None,
    category: str | None = None,
    yellow_days: int = YELLOW_DAYS,
    scheme: Scheme = DEFAULT_SCHEME,
) -> list[dict[str, Any]]:
    """The ledger view: the items in `scope` (and of `unit`, by name, when given). `state` as typed
    (整改中 or in_progress); `due_within` N: open items with a dated deadline from today to N days
    ahead (what is due this week: 7); overdue ones are `overdue`."""
    q = sa.select(ITEM).order_by(
        ITEM.c.round_id, ITEM.c.unit_id, ITEM.c.aspect_id, ITEM.c.position, ITEM.c.id
    )
    q = q.where(scope.clause())
    if unit:
        q = q.where(Scope(unit).clause())
    if state:
        try:
            q = q.where(ITEM.c.state == parse_state(state).value)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
    if department:
        q = q.where(ITEM.c.department == department)
    if leader:
        q = q.where(ITEM.c.leader == leader)
    if overdue:
        q = q.where(overdue_clause(today))
    if due_within is not None:
        if not 0 <= due_within <= 3660:
            raise InvalidInput(f"--due-within 应为 0 到 3660 之间的天数，不是 {due_within}")
        q = q.where(OPEN_SQL, near_clause(today, due_within))
    if category:
        q = q.where(category_clause(conn, category))
    return [_item_dict(row, today, yellow_days, scheme) for row in conn.execute(q)]


def show_item(
    conn: Connection,
    item_id: int,
    actor: Actor | None,
    today: date,
    yellow_days: int = YELLOW_DAYS,
    scheme: Scheme = DEFAULT_SCHEME,
) -> dict[str, Any]:
    """One item in full: plan, measures, progress, evidence, history and, for an actor, what they may
    do now and why not the rest. An item out of the actor's scope is not found."""
    row = item_row(conn, item_id, Scope.of(actor))
    out = _item_dict(row, today, yellow_days, scheme)
    aspect = conn.execute(
        sa.select(ASPECT.c.number, ASPECT.c.title).where(ASPECT.c.id == row.aspect_id)
    ).one()
    out.update(
        aspect=f"{aspect.number}、{aspect.title}",
        description=row.description,
        instance=row.instance,
        cooperating=row.cooperating,
        deadline_kind=row.deadline_kind,
        original_deadline=row.original_deadline.isoformat() if row.original_deadline else None,
        summary=row.summary,
        submitted_by=row.submitted_by,
        closed_at=clock.show(row.closed_at),
        updated_at=clock.show(row.updated_at),
        measures=_measures(conn, item_id),
        progress=_progress(conn, item_id),
        evidence=_evidence(conn, item_id),
        # The completion category (states.categories) and whether the office set it.
        category=category(State(row.state), row.deadline_kind, row.category).value,
        category_marked=row.category is not None,
    )
    if actor is not None:
        opts = options(row, actor)
        out["actor"] = actor.name
        out["available"] = [o["action"] for o in opts if o["allowed"]]
        out["blocked"] = {o["action"]: "；".join(o["reasons"]) for o in opts if not o["allowed"]}
    log = chain.entries(conn, item_id)
    out["history"] = [
        {
            "seq": e.seq,
            "at": clock.show(e.at),
            "actor": e.actor,
            "action": e.action,
            "from": e.from_state,
            "to": e.to_state,
            "reason": e.reason,
            "recorded_at": clock.show(e.recorded_at),
            "back_dated": e.back_dated,
            "note": _note(e),
        }
        for e in log
    ]
    out["baseline"] = _baseline(log[0]) if log else None
    return out


def history(
    conn: Connection, item_id: int | None, limit: int | None = None, scope: Scope = EVERYTHING
) -> list[chain.Entry]:
    """The audit log of one item or of everything (the newest `limit`), within `scope`: confined to a
    unit, the entries of that unit's items only (an entry of no item — people, rounds — is the
    county's); an item out of scope is not found."""
    if item_id is not None:
        item_row(conn, item_id, scope)
    if item_id is not None or scope.unit is None:
        return chain.entries(conn, item_id, limit)
    q = sa.select(*AUDIT.c).where(AUDIT.c.item_id.in_(sa.select(ITEM.c.id).where(scope.clause())))
    q = q.order_by(AUDIT.c.seq.desc() if limit is not None else AUDIT.c.seq).limit(limit)
    return sorted((chain.Entry(*row) for row in conn.execute(q)), key=lambda e: e.seq)


def _note(e: chain.Entry) -> str | None:
    """What an entry says beyond its move: an extension names who agreed to it — as typed by the
    person who entered it, which is not the same as an approval made by that person."""
    if e.action == "extend":
        ext = Extended.from_dict(e.data)
        agreed = (
            f"经 {ext.approved_by} 同意（由 {e.actor} 录入）" if ext.approved_by else f"由 {e.actor} 录入"
        )
        return f"完成时限 {ext.from_ or '—'} → {ext.to}，{agreed}"
    return None


def _baseline_payload(e: chain.Entry) -> LedgerItemCreated:
    # Before `ledger_baseline` existed the same creation was a `ledger_import` entry (see snapshot).
    return (LedgerBaseline if e.action == "ledger_baseline" else LedgerItemCreated).from_dict(e.data)


def _baseline(e: chain.Entry) -> dict[str, Any] | None:
    """What the item's first entry says when it is a ledger baseline (None when it is not): the state
    the ledger gave, who vouched for it, when, from which file, sheet, row and batch."""
    if e.to_state is None or not is_baseline(e.action, e.from_state, e.to_state):
        return None
    data = _baseline_payload(e)
    state = State(e.to_state)
    return {
        "state": state.value,
        "state_label": state.label,
        "phrase": BASELINE_PHRASE[state],
        "vouched_by": data.vouched_by if isinstance(data, LedgerBaseline) else e.actor,
        "at": clock.show(e.at),
        "status": data.status,
        "file": data.file,
        "sheet": data.sheet,
        "batch": data.batch,
        "row": data.row,
        "ledger_no": data.ledger_no,
        "entry": {"seq": e.seq, "hash": e.hash},
    }


def _measures(conn: Connection, item_id: int) -> list[dict[str, Any]]:
    q = sa.select(MEASURE).where(MEASURE.c.item_id == item_id).order_by(MEASURE.c.seq)
    return [
        {
            "seq": m.seq,
            "text": m.text,
            "owner": m.owner,
            "due": m.due and m.due.isoformat(),
            "done_on": m.done_on and m.done_on.isoformat(),
            "done_by": m.done_by,
        }
        for m in conn.execute(q)
    ]


def _progress(conn: Connection, item_id: int) -> list[dict[str, Any]]:
    q = sa.select(PROGRESS).where(PROGRESS.c.item_id == item_id).order_by(PROGRESS.c.on, PROGRESS.c.id)
    return [
        {"on": p.on.isoformat(), "when": p.when_text, "text": p.text, "actor": p.actor}
        for p in conn.execute(q)
    ]


def _evidence(conn: Connection, item_id: int) -> list[dict[str, Any]]:
    q = sa.select(EVIDENCE).where(EVIDENCE.c.item_id == item_id).order_by(EVIDENCE.c.id)
    return [
        {
            "id": e.id,
            "kind": e.kind,
            "ref": e.ref,
            "file": e.file_name,
            "size": e.size,
            "file_sha256": e.file_sha256,
            "hash": e.hash,
            "note": e.note,
            "actor": e.actor,
            "at": clock.show(e.created_at),
        }
        for e in conn.execute(q)
    ]


def signoff_sheet(conn: Connection, item_id: int, scope: Scope = EVERYTHING) -> dict[str, Any]:
    """销号单: the latest sign-off of an item as recorded in the log, checked against the log now; for
    an item closed only by its ledger baseline, that baseline, named as such."""
    row = item_row(conn, item_id, scope)
    log = chain.entries(conn, item_id)
    signoffs = [e for e in log if e.action == "approve"]
    if not signoffs:
        first = log[0] if log else None
        if first is not None and (base := _baseline(first)) and State(base["state"]) in DONE_STATES:
            return _baseline_sheet(conn, row, first, base)
        raise NotFound(f"事项 {item_id}（{row.number}）尚未销号，没有销号单")
    e = signoffs[-1]
    data = SignedOff.from_dict(e.data)
    # The entry's hash recomputed from its fields, and every entry before it: edited in place, the
    # sign-off would still carry a hash of its own, but not the right one.
    proof = verify.upto(conn, e.seq)
    evidence_now = _evidence_hashes(conn, item_id)
    return {
        **_people(row),
        "submitted_by": data.submitted_by,
        "summary": data.summary,
        "approved_by": e.actor,
        "approved_at": clock.show(e.at),
        "evidence": [
            {
                "file_sha256": ev.file_sha256,
                "hash": ev.hash,
                "id": ev.id,
                "kind": ev.kind,
                "ref": ev.ref,
                "matches_record": evidence_now.get(ev.id) == ev.hash,
            }
            for ev in data.evidence
        ],
        "chain_head_before": {"seq": data.chain_head[0], "hash": data.chain_head[1]},
        "entry": {"seq": e.seq, "hash": e.hash},
        "entry_matches_log": proof.ok,
        "log_problem": proof.problem,
        "signoffs": len(signoffs),
        "basis": "signoff",
    }


def _people(row: Any) -> dict[str, Any]:
    return {
        "item_id": row.id,
        "number": row.number,
        "title": row.title,
        "leader": row.leader,
        "department": row.department,
        "handler": row.handler,
    }


def _evidence_hashes(conn: Connection, item_id: int) -> dict[int, str]:
    q = sa.select(EVIDENCE.c.id, EVIDENCE.c.hash).where(EVIDENCE.c.item_id == item_id)
    return {r.id: r.hash for r in conn.execute(q)}


def _baseline_sheet(conn: Connection, row: Any, e: chain.Entry, base: dict[str, Any]) -> dict[str, Any]:
    """The sheet of an item closed by its ledger baseline: nobody signed it off; who vouched, the
    entry that says so and the evidence the ledger named (by hash, where the entry recorded them)."""
    data = _baseline_payload(e)
    hashes: list[str | None] = list(data.evidence_hashes) if isinstance(data, LedgerBaseline) else []
    hashes += [None] * (len(data.evidence) - len(hashes))
    now = set(_evidence_hashes(conn, row.id).values())
    proof = verify.upto(conn, e.seq)  # as for a sign-off: the entry and the chain up to it recomputed
    return {
        **_people(row),
        "submitted_by": None,
        "summary": None,
        "approved_by": None,
        "approved_at": None,
        "evidence": [
            {"kind": kind, "ref": ref, "hash": h, "matches_record": None if h is None else h in now}
            for (kind, ref), h in zip(data.evidence, hashes, strict=True)
        ],
        "chain_head_before": {"seq": e.seq - 1, "hash": e.prev_hash},
        "entry": {"seq": e.seq, "hash": e.hash},
        "entry_matches_log": proof.ok,
        "log_problem": proof.problem,
        "signoffs": 0,
        "basis": "ledger_baseline",
        "baseline": base,
        "vouched_by": base["vouched_by"],
    }
