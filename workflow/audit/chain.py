"""The audit trail: an append-only, hash-chained log behind every action.

Each entry's hash is SHA-256 over a canonical encoding of its fields and the previous entry's hash,
so changing, inserting or removing a row breaks the chain at that row. It is tamper-evident, not
tamper-proof: someone who can write the database can rebuild the whole chain, which is why sign-off
sheets carry the chain head at the moment of sign-off — an outside anchor to check against.
Verification is in `workflow.audit.verify`.

Time runs forward: an entry's `at` (when it happened) is never before the head's, and never after the
machine's clock (`recorded_at`, when it was written; hashed too). Entering paper records after the fact
stays possible, in order, and shows as such (`at` well before `recorded_at`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow import clock
from workflow.audit.encoding import Payload, canonical_json
from workflow.db import CHAIN_LOCK
from workflow.db.prepared import Prepared
from workflow.db.tables.core import AUDIT
from workflow.errors import Refused

GENESIS = "0" * 64
# How far ahead of the machine's clock an entry may be dated: clocks of two servers differ a little.
AHEAD = timedelta(minutes=5)
_INSERT = Prepared(lambda: AUDIT.insert().values({c.name: sa.bindparam(c.name) for c in AUDIT.c}))
_HEAD = Prepared(
    lambda: sa.select(AUDIT.c.seq, AUDIT.c.hash, AUDIT.c.at).order_by(AUDIT.c.seq.desc()).limit(1)
)
_LOCK = Prepared(lambda: sa.select(sa.func.pg_advisory_xact_lock(sa.bindparam("k"))))


def field(value: object) -> str:
    # Netstring-like: the length prefix makes the encoding unambiguous whatever the text holds,
    # and "~" keeps NULL apart from the empty string.
    if value is None:
        return "~"
    text = str(value)
    return f"{len(text)}:{text},"


def message(row: Sequence[Any]) -> str:
    """The same text as joining `field` over the hashed columns, in one f-string: verify does this
    for every entry, and a call per column was a third of its time. The NOT NULL columns (seq, at,
    actor, action, payload, prev_hash) need no "~" case. `row` is (seq … prev_hash, hash, recorded_at):
    recorded_at is hashed after prev_hash when present; entries written before it existed hash the
    ten columns alone, so their hashes are unchanged."""
    seq, at, actor, item_id, action, frm, to, reason, payload, prev = row[:10]
    recorded = row[11] if len(row) > 11 else None
    s = str(seq)
    i = "~" if item_id is None else f"{len(str(item_id))}:{item_id},"
    f = "~" if frm is None else f"{len(frm)}:{frm},"
    t = "~" if to is None else f"{len(to)}:{to},"
    r = "~" if reason is None else f"{len(reason)}:{reason},"
    tail = "" if recorded is None else f"{len(recorded)}:{recorded},"
    return (
        f"{len(s)}:{s},{len(at)}:{at},{len(actor)}:{actor},{i}{len(action)}:{action},{f}{t}{r}"
        f"{len(payload)}:{payload},{len(prev)}:{prev},{tail}"
    )


def entry_hash(fields: Sequence[object], recorded_at: str | None = None) -> str:
    """Hash of (seq, at, actor, item_id, action, from, to, reason, payload, prev_hash[, recorded_at])."""
    parts = [*fields, recorded_at] if recorded_at is not None else fields
    return hashlib.sha256("".join(map(field, parts)).encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str
    actor: str
    item_id: int | None
    action: str
    from_state: str | None
    to_state: str | None
    reason: str | None
    payload: str
    prev_hash: str
    hash: str
    recorded_at: str | None = None

    @property
    def data(self) -> dict[str, Any]:
        return dict(json.loads(self.payload))

    @property
    def back_dated(self) -> bool:
        """Entered after the fact: it happened (`at`) more than a day before it was recorded."""
        if self.recorded_at is None:
            return False
        return clock.from_text(self.recorded_at) - clock.from_text(self.at) > timedelta(days=1)


def head(conn: Connection) -> tuple[int, str]:
    """(seq, hash) of the newest entry; (0, GENESIS) for an empty log."""
    seq, digest, _at = _head(conn)
    return seq, digest


def _head(conn: Connection) -> tuple[int, str, str | None]:
    row = _HEAD.run(conn).fetchone()
    return (row[0], row[1], row[2]) if row else (0, GENESIS, None)


def check_time(at: datetime, recorded: datetime, head_seq: int, head_at: str | None) -> None:
    """Refuse an entry dated before the chain's head or ahead of the machine's clock."""
    if at > recorded + AHEAD:
        raise Refused(f"操作时间 {clock.show(at)} 晚于当前时间 {clock.show(recorded)}：不能预先记录将来的事")
    if head_at is not None and clock.to_text(at) < head_at:
        raise Refused(
            f"操作时间 {clock.show(at)} 早于审计日志中最近的一条（#{head_seq}，{clock.show(head_at)}）："
            "审计日志只能按时间顺序追加；补录以前的事，请从最早的一件起按时间顺序录入"
        )


def append(
    conn: Connection,
    *,
    at: datetime,
    actor: str,
    action: str,
    item_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    payload: Payload | None = None,
) -> Entry:
    """Append one entry inside the caller's transaction (which must be a write transaction). The
    payload (see `workflow.audit.payloads`) is hashed as its canonical JSON; none is `{}`."""
    txn = conn.get_transaction()
    cached = conn.info.get("zhenggai_head")
    if cached is not None and cached[0] is txn:
        seq, prev, head_at = cached[1], cached[2], cached[3]
    else:
        if conn.dialect.name == "postgresql":
            # Write transactions of db.make_engine already hold it; this covers any other caller.
            _LOCK.run(conn, {"k": CHAIN_LOCK})
        seq, prev, head_at = _head(conn)
    recorded = clock.wall()
    check_time(at, recorded, seq, head_at)
    seq += 1
    text_at = clock.to_text(at)
    text_recorded = clock.to_text(recorded)
    body = canonical_json(payload.to_dict() if payload is not None else {})
    fields = (seq, text_at, actor, item_id, action, from_state, to_state, reason, body, prev)
    digest = entry_hash(fields, text_recorded)
    _INSERT.run(
        conn,
        {
            "seq": seq,
            "at": text_at,
            "actor": actor,
            "item_id": item_id,
            "action": action,
            "from_state": from_state,
            "to_state": to_state,
            "reason": reason,
            "payload": body,
            "prev_hash": prev,
            "hash": digest,
            "recorded_at": text_recorded,
        },
    )
    # Within one transaction the head is ours alone (the write lock is held), so later appends in
    # the same batch need not read it back.
    conn.info["zhenggai_head"] = (txn, seq, digest, text_at)
    return Entry(
        seq, text_at, actor, item_id, action, from_state, to_state, reason, body, prev, digest, text_recorded
    )


def entries(conn: Connection, item_id: int | None = None, limit: int | None = None) -> list[Entry]:
    q = sa.select(*AUDIT.c).order_by(AUDIT.c.seq)
    if item_id is not None:
        q = q.where(AUDIT.c.item_id == item_id)
    if limit is not None:
        q = q.order_by(None).order_by(AUDIT.c.seq.desc()).limit(limit)
    rows = [Entry(*row) for row in conn.execute(q)]
    return sorted(rows, key=lambda e: e.seq)


def entry(conn: Connection, seq: int) -> Entry | None:
    row = conn.execute(sa.select(*AUDIT.c).where(AUDIT.c.seq == seq)).first()
    return Entry(*row) if row else None
