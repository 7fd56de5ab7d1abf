"""The audit trail: an append-only, hash-chained log behind every action.

Each entry's hash is SHA-256 over a canonical encoding of its fields and the previous entry's hash,
so changing, inserting or removing a row breaks the chain at that row. It is tamper-evident, not
tamper-proof: someone who can write the database can rebuild the whole chain, which is why sign-off
sheets carry the chain head at the moment of sign-off — an outside anchor to check against.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow import clock
from workflow.models import AUDIT
from workflow.prepared import Prepared

GENESIS = "0" * 64
# Serialises appends on PostgreSQL (SQLite's BEGIN IMMEDIATE already does); any constant works.
_PG_CHAIN_LOCK = 0x5A47_4149  # "ZGAI"
_INSERT = Prepared(AUDIT.insert().values({c.name: sa.bindparam(c.name) for c in AUDIT.c}))
_HEAD = Prepared(sa.select(AUDIT.c.seq, AUDIT.c.hash).order_by(AUDIT.c.seq.desc()).limit(1))
_LOCK = Prepared(sa.select(sa.func.pg_advisory_xact_lock(sa.bindparam("k"))))
_COLUMNS = "seq, at, actor, item_id, action, from_state, to_state, reason, payload, prev_hash, hash"


def canonical_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _field(value: object) -> str:
    # Netstring-like: the length prefix makes the encoding unambiguous whatever the text holds,
    # and "~" keeps NULL apart from the empty string.
    if value is None:
        return "~"
    text = str(value)
    return f"{len(text)}:{text},"


def entry_hash(fields: Sequence[object]) -> str:
    """Hash of (seq, at, actor, item_id, action, from, to, reason, payload, prev_hash)."""
    return hashlib.sha256("".join(map(_field, fields)).encode()).hexdigest()


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

    @property
    def data(self) -> dict[str, Any]:
        return dict(json.loads(self.payload))


def head(conn: Connection) -> tuple[int, str]:
    """(seq, hash) of the newest entry; (0, GENESIS) for an empty log."""
    row = _HEAD.run(conn).fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


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
    payload: dict[str, Any] | None = None,
) -> Entry:
    """Append one entry inside the caller's transaction (which must be a write transaction)."""
    txn = conn.get_transaction()
    cached = conn.info.get("zhenggai_head")
    if cached is not None and cached[0] is txn:
        seq, prev = cached[1], cached[2]
    else:
        if conn.dialect.name == "postgresql":
            _LOCK.run(conn, {"k": _PG_CHAIN_LOCK})
        seq, prev = head(conn)
    seq += 1
    text_at = clock.to_text(at)
    body = canonical_json(payload or {})
    fields = (seq, text_at, actor, item_id, action, from_state, to_state, reason, body, prev)
    digest = entry_hash(fields)
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
        },
    )
    # Within one transaction the head is ours alone (the write lock is held), so later appends in
    # the same batch need not read it back.
    conn.info["zhenggai_head"] = (txn, seq, digest)
    return Entry(seq, text_at, actor, item_id, action, from_state, to_state, reason, body, prev, digest)


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


@dataclass(frozen=True)
class Verdict:
    ok: bool
    count: int
    head_seq: int
    head_hash: str
    bad_seq: int | None = None
    problem: str | None = None


def _rows(conn: Connection) -> Iterable[Sequence[Any]]:
    # The raw driver rows: the stored text is what was hashed, so no type conversion on the way.
    result = conn.execution_options(stream_results=True).exec_driver_sql(
        f"SELECT {_COLUMNS} FROM audit ORDER BY seq"
    )
    while batch := result.fetchmany(20000):
        yield from batch


def verify(conn: Connection, expect_head: tuple[int, str] | None = None) -> Verdict:
    """Recompute the chain. Stops at the first entry that was changed, inserted or removed."""
    sha, field = hashlib.sha256, _field
    expected_seq, prev = 1, GENESIS
    count = 0
    for row in _rows(conn):
        seq = row[0]
        if seq != expected_seq:
            problem = (
                f"条目 #{expected_seq}"
                + (f" 至 #{seq - 1}" if seq - 1 > expected_seq else "")
                + " 缺失（被删除）"
                if seq > expected_seq
                else f"条目序号 #{seq} 重复或乱序"
            )
            return Verdict(False, count, expected_seq - 1, prev, seq, problem)
        if row[9] != prev:
            return Verdict(
                False, count, seq - 1, prev, seq, f"条目 #{seq} 的前序哈希与 #{seq - 1} 不符（插入或改动）"
            )
        digest = sha("".join([field(v) for v in row[:10]]).encode()).hexdigest()
        if digest != row[10]:
            return Verdict(False, count, seq - 1, prev, seq, f"条目 #{seq} 的内容与其哈希不符（被改动）")
        prev = row[10]
        expected_seq += 1
        count += 1
    head_seq = expected_seq - 1
    if expect_head is not None:
        want_seq, want_hash = expect_head
        if head_seq < want_seq:
            return Verdict(
                False,
                count,
                head_seq,
                prev,
                head_seq + 1,
                f"日志止于 #{head_seq}，但已知链头为 #{want_seq}（尾部被截断）",
            )
        anchor = entry(conn, want_seq)
        if anchor is None or anchor.hash != want_hash:
            return Verdict(False, count, head_seq, prev, want_seq, f"条目 #{want_seq} 的哈希与已知链头不符")
    return Verdict(True, count, head_seq, prev)
