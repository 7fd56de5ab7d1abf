"""Verifying the audit trail: recompute every entry's hash and the links between entries, naming the
first entry changed, inserted or removed; large logs are hashed in several processes."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow import clock
from workflow.audit.agreement import Part, compare
from workflow.audit.chain import GENESIS, entry, message
from workflow.audit.replay import Disagreement, Expected, feeding, replay
from workflow.db import unit_of_work
from workflow.db.tables.core import AUDIT

if TYPE_CHECKING:
    from concurrent.futures import Executor

_COLUMNS = (
    "seq, at, actor, item_id, action, from_state, to_state, reason, payload, prev_hash, hash, recorded_at"
)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    count: int
    head_seq: int
    head_hash: str
    bad_seq: int | None = None
    problem: str | None = None
    deep: bool = False  # the live tables were compared with the replayed trail too
    table: str | None = None  # where they part ways (deep only)
    row: str | None = None
    column: str | None = None
    expected: str | None = None
    found: str | None = None


def _disagrees(verdict: Verdict, d: Disagreement) -> Verdict:
    expected, found = (None if v is None else str(v) for v in (d.expected, d.found))
    return replace(
        verdict,
        ok=False,
        bad_seq=d.seq,
        problem=str(d),
        table=d.table,
        row=d.row,
        column=d.column or None,
        expected=expected,
        found=found,
    )


def _agree(conn: Connection, verdict: Verdict, expected: Expected) -> Verdict:
    """The chain verified: now do the live tables say what it says?"""
    if not verdict.ok:
        return verdict
    verdict = replace(verdict, deep=True)
    problem = expected.problem or compare(conn, expected)
    return verdict if problem is None else _disagrees(verdict, problem)


def _rows(conn: Connection, lo: int = 1, hi: int | None = None) -> Iterable[Sequence[Any]]:
    # The driver's own rows: the stored text is what was hashed, so no conversion on the way, and no
    # SQLAlchemy Row per entry (that alone doubled the time of a verify).
    where = f"WHERE seq >= {int(lo)}" + ("" if hi is None else f" AND seq <= {int(hi)}")
    raw = conn.connection.dbapi_connection
    assert raw is not None
    # A named (server-side) cursor streams on PostgreSQL instead of loading the whole log.
    cursor = raw.cursor(name="zhenggai_verify") if conn.dialect.name == "postgresql" else raw.cursor()
    try:
        cursor.execute(f"SELECT {_COLUMNS} FROM audit {where} ORDER BY seq")
        while batch := cursor.fetchmany(20000):
            yield from batch
    finally:
        cursor.close()


@dataclass(frozen=True)
class _Span:
    """One contiguous scan. The link into its first row is left to the caller, who knows what precedes it."""

    first_seq: int | None = None
    first_prev: str | None = None
    count: int = 0  # rows that checked out, before any bad one
    last_seq: int = 0
    last_hash: str = GENESIS
    bad_seq: int | None = None
    problem: str | None = None
    first_at: str = ""
    last_at: str = ""


def _backwards(seq: int, at: str, before: str) -> str:
    return f"条目 #{seq} 的时间 {clock.show(at)} 早于 #{seq - 1} 的 {clock.show(before)}（时间倒流：倒填时间或被改动）"


def _scan(rows: Iterable[Sequence[Any]]) -> _Span:
    """Check one contiguous run of rows: sequence, links, hashes, and time never running backwards."""
    sha = hashlib.sha256
    first_seq = first_prev = None
    first_at = last_at = ""
    expected, prev, count = 0, GENESIS, 0
    for row in rows:
        seq, at = row[0], row[1]
        if first_seq is None:
            first_seq, first_prev, expected, prev, first_at, last_at = seq, row[9], seq, row[9], at, at
        problem = None
        if seq != expected:
            if seq > expected:
                span = f" 至 #{seq - 1}" if seq - 1 > expected else ""
                problem = f"条目 #{expected}{span} 缺失（被删除）"
            else:
                problem = f"条目序号 #{seq} 重复或乱序"
            return _Span(first_seq, first_prev, count, expected - 1, prev, seq, problem, first_at, last_at)
        if row[9] != prev:
            problem = f"条目 #{seq} 的前序哈希与 #{seq - 1} 不符（插入或改动）"
        elif sha(message(row).encode()).hexdigest() != row[10]:
            problem = f"条目 #{seq} 的内容与其哈希不符（被改动）"
        elif at < last_at:
            problem = _backwards(seq, at, last_at)
        if problem is not None:
            return _Span(first_seq, first_prev, count, seq - 1, prev, seq, problem, first_at, last_at)
        prev, last_at = row[10], at
        expected += 1
        count += 1
    return _Span(first_seq, first_prev, count, expected - 1, prev, None, None, first_at, last_at)


def _stitch(spans: Sequence[_Span]) -> Verdict:
    """Join spans in order: each must start right after the previous one and link to its hash."""
    expected, prev, count, last_at = 1, GENESIS, 0, ""
    for span in spans:
        if span.first_seq is None:
            continue  # an empty range; a gap it hides shows as a missing start in the next span
        if span.first_seq != expected:
            if span.first_seq > expected:
                gap = f" 至 #{span.first_seq - 1}" if span.first_seq - 1 > expected else ""
                problem = f"条目 #{expected}{gap} 缺失（被删除）"
            else:
                problem = f"条目序号 #{span.first_seq} 重复或乱序"
            return Verdict(False, count, expected - 1, prev, span.first_seq, problem)
        if span.first_prev != prev:
            seq = span.first_seq
            problem = f"条目 #{seq} 的前序哈希与 #{seq - 1} 不符（插入或改动）"
            return Verdict(False, count, seq - 1, prev, seq, problem)
        if span.first_at < last_at:
            seq = span.first_seq
            return Verdict(False, count, seq - 1, prev, seq, _backwards(seq, span.first_at, last_at))
        count += span.count
        if span.bad_seq is not None:
            return Verdict(False, count, span.last_seq, span.last_hash, span.bad_seq, span.problem)
        expected, prev, last_at = span.last_seq + 1, span.last_hash, span.last_at
    return Verdict(True, count, expected - 1, prev)


def _check_head(conn: Connection, verdict: Verdict, expect_head: tuple[int, str] | None) -> Verdict:
    if expect_head is None or not verdict.ok:
        return verdict
    want_seq, want_hash = expect_head
    count, head_seq, prev = verdict.count, verdict.head_seq, verdict.head_hash
    if head_seq < want_seq:
        problem = f"日志止于 #{head_seq}，但已知链头为 #{want_seq}（尾部被截断）"
        return Verdict(False, count, head_seq, prev, head_seq + 1, problem)
    anchor = entry(conn, want_seq)
    if anchor is None or anchor.hash != want_hash:
        return Verdict(False, count, head_seq, prev, want_seq, f"条目 #{want_seq} 的哈希与已知链头不符")
    return verdict


def verify(conn: Connection, expect_head: tuple[int, str] | None = None, *, deep: bool = False) -> Verdict:
    """Recompute the chain in this transaction. Stops at the first entry changed, inserted or removed;
    with `expect_head` (a head recorded elsewhere, e.g. on a sign-off sheet) also catches a cut tail.
    `deep`: also replay the trail and compare it with the live tables (one read of the log for both)."""
    if not deep:
        return _check_head(conn, _stitch([_scan(_rows(conn))]), expect_head)
    rows, expected = feeding(_rows(conn))
    return _agree(conn, _check_head(conn, _stitch([_scan(rows)]), expect_head), expected)


def upto(conn: Connection, seq: int) -> Verdict:
    """The chain from its first entry to `seq` recomputed, hashes and links and time order: what a
    sign-off made at `seq` rests on. Not ok when anything up to it was changed, or it does not exist."""
    verdict = _stitch([_scan(_rows(conn, 1, seq))])
    if verdict.ok and verdict.head_seq != seq:
        return replace(verdict, ok=False, bad_seq=seq, problem=f"条目 #{seq} 不存在")
    return verdict


# Below this many entries one process is faster than starting others.
PARALLEL_MIN = 200_000


def _reader(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def _snapshot(conn: Connection) -> Connection:
    # One snapshot for everything a process reads (see db.unit_of_work).
    if conn.dialect.name == "postgresql":
        return conn.execution_options(isolation_level="REPEATABLE READ")
    return conn


def _scan_range(url: str, lo: int, hi: int) -> _Span:
    engine = _reader(url)
    try:
        with engine.connect() as conn, conn.begin():
            return _scan(_rows(conn, lo, hi))
    finally:
        engine.dispose()


# Entries that change no item's rows: part 0 of a parallel deep verify replays them.
_RECORDS = (
    "person_add",
    "person_login",
    "round_import",
    "round_add",
    "unit_add",
    "aspect_add",
    "rule_add",
    "accountability_add",
    "ledger_batch",
)


def _part_rows(conn: Connection, part: Part) -> Iterable[Sequence[Any]]:
    """The entries of `part`'s items in order, with every ledger batch (they name adopted 序号 keys),
    and for part 0 the entries of no item."""
    records = ", ".join(f"'{a}'" for a in _RECORDS)
    mine = f"(item_id % {part.n} = {part.k} AND action NOT IN ({records}))"
    where = f"{mine} OR action = 'ledger_batch'"
    if part.k == 0:
        where += f" OR item_id IS NULL OR action IN ({records})"
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor(name=f"zhenggai_part_{part.k}") if conn.dialect.name == "postgresql" else raw.cursor()
    try:
        cursor.execute(f"SELECT {_COLUMNS} FROM audit WHERE {where} ORDER BY seq")
        while batch := cursor.fetchmany(20000):
            yield from batch
    finally:
        cursor.close()


def _deep_range(url: str, lo: int, hi: int, k: int, n: int) -> tuple[_Span, Disagreement | None]:
    """One worker of a parallel deep verify: hash the entries lo..hi, and replay part k of n of the
    items (with what belongs to no item, in part 0) against the live tables, in one snapshot."""
    engine = _reader(url)
    part = Part(k, n)
    try:
        with engine.connect() as plain, _snapshot(plain).begin() as txn:
            conn = txn.connection
            span = _scan(_rows(conn, lo, hi))
            expected = replay(_part_rows(conn, part))
            return span, expected.problem or compare(conn, expected, part)
    finally:
        engine.dispose()


_TABLES = ("audit", "person", "round", "aspect", "item", "measure", "progress", "evidence", "blob", "rule")


def _first(found: Sequence[Disagreement]) -> Disagreement:
    """The one to name: the earliest entry that contradicts the trail, else the first table in the
    order a single process checks them."""
    return min(
        found,
        key=lambda d: (
            d.seq is None,
            d.seq or 0,
            _TABLES.index(d.table) if d.table in _TABLES else 99,
            d.row,
        ),
    )


def _pool(workers: int) -> Executor:
    """The workers of a parallel verify: forked processes, since hashing and replaying are CPU-bound.
    Tests also run the same ranges in threads of their own process (the mutation tool sees a mutant
    only in the process it put it in)."""
    import multiprocessing  # only large logs pay for these imports
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


def verify_engine(
    engine: sa.Engine,
    expect_head: tuple[int, str] | None = None,
    workers: int | None = None,
    *,
    deep: bool = True,
) -> Verdict:
    """Verify the whole log and, `deep`, that the live tables agree with it. Large logs go to several
    processes: each hashes a range of entries and replays a share of the items against their rows.

    Each entry's hash depends only on its own stored fields (its prev_hash included), so ranges can
    be hashed independently; the links between ranges are checked here, in order. Each item's rows
    depend only on its own entries, so the items can be shared out the same way."""
    workers = workers or min(os.cpu_count() or 1, 8)
    # A reader: no write lock (BEGIN IMMEDIATE / the chain lock), so verify never waits for writers.
    with unit_of_work(engine, write=False) as conn:
        lo, hi, n = conn.execute(
            sa.select(sa.func.min(AUDIT.c.seq), sa.func.max(AUDIT.c.seq), sa.func.count())
        ).one()
        if n < PARALLEL_MIN or workers < 2 or engine.url.database in (None, "", ":memory:"):
            return verify(conn, expect_head, deep=deep)
    step = -(-(hi - lo + 1) // workers)
    ranges = [(start, min(start + step - 1, hi)) for start in range(lo, hi + 1, step)]
    ranges[0] = (1, ranges[0][1])  # entries before `lo` are missing, and the first span must say so
    url = engine.url.render_as_string(hide_password=False)
    with _pool(len(ranges)) as pool:
        if deep:
            jobs = [pool.submit(_deep_range, url, a, b, k, len(ranges)) for k, (a, b) in enumerate(ranges)]
            results = [j.result() for j in jobs]
            spans, found = [s for s, _ in results], [d for _, d in results if d is not None]
        else:
            spans = [j.result() for j in [pool.submit(_scan_range, url, a, b) for a, b in ranges]]
            found = []
    with unit_of_work(engine, write=False) as conn:
        tail = list(_rows(conn, hi + 1))  # entries written since the ranges were fixed: hashed here
        verdict = _check_head(conn, _stitch([*spans, _scan(tail)]), expect_head)
    if not verdict.ok or not deep:
        return verdict
    verdict = replace(verdict, deep=True)
    return _disagrees(verdict, _first(found)) if found else verdict
