"""Concurrency benchmark (issue 5), on SQLite and on PostgreSQL.

1. Transitions per second with 1, 4 and 8 client processes, and the conflict rate. Each client is
   what a real one does: read the item (state, version), fire its next transition with
   expect_version, one durable transaction per action (SQLite WAL + synchronous=FULL; PostgreSQL
   synchronous_commit=on). A conflict is an action refused because another process changed the item
   after it was read. Two pools: a wide one (few collisions) and a hot one (many).
2. Over --big items (1,000,000 by default; 20% open): the overdue query (`item list --overdue`, i.e.
   item_queries.list_items(overdue=True), and the count the summary runs) and the weekly reminder rules
   (run.plan with only the weekly dispatch and bulletin enabled), with the plans of their
   statements (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL).
3. `audit verify` (verify.verify_engine, what the command runs; verify.verify in one process for
   reference) over --audit-rows entries (1,000,000).

Large data is bulk-loaded (executemany on SQLite, COPY on PostgreSQL), then ANALYZEd. PostgreSQL runs
in a database created for the run and dropped at the end (server: --pg, default ZHENGGAI_BENCH_PG,
ZHENGGAI_TEST_PG or postgresql+psycopg://postgres@127.0.0.1:5432/test); SQLite in a temporary
directory. If the server cannot be reached, the PostgreSQL half is skipped with a note.

Run:  .venv/bin/python bench/bench_concurrency.py [--quick] [--backends sqlite,postgresql] [--big N]
      [--audit-rows N] [--attempts N] [--wide N] [--hot N] [--only transitions,queries,verify]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from workflow import clock, db
from workflow.audit import chain, verify
from workflow.errors import Conflict, ZhenggaiError
from workflow.items import actions, store
from workflow.read import clauses
from workflow.read import items as item_queries
from workflow.reminders import run
from workflow.reminders import settings as reminder_settings

OFFICE, LEADER, HANDLER, APPROVER = "镇整改办", "徐波", "规划办经办人", "县委巡察办"
DEPARTMENT = "村镇规划建设办公室"
PROCESSES = (1, 4, 8)
PARTS = ("transitions", "queries", "verify")
# The next transition from each state and who fires it: the lifecycle as a loop (reopen after the
# revisit sends the item round again), every step a lifecycle transition.
NEXT: dict[str, tuple[str, str, dict[str, str]]] = {
    "reported": ("assign", OFFICE, {}),
    "assigned": ("start", HANDLER, {}),
    "in_progress": ("submit", HANDLER, {"summary": "整改完成"}),
    "submitted": ("approve", APPROVER, {}),
    "closed": ("revisit", OFFICE, {}),
    "revisited": ("reopen", OFFICE, {"reason": "问题反弹"}),
}
START = datetime(2024, 10, 21, 1, 0, tzinfo=UTC)
CREATED = "2024-09-01T02:00:00.000000Z"
NOW = clock.parse_moment("2024-12-02T09:00")  # a Monday: the weekly rules are due
TODAY = date(2024, 12, 2)
OPEN = ("reported", "assigned", "in_progress", "submitted")
AUDIT_COLUMNS = ("seq", "at", "actor", "item_id", "action", "from_state", "to_state", "reason", "payload")


def say(text: str = "") -> None:
    print(text, flush=True)


# --- databases -------------------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    make_url: Callable[[str], str]  # a new empty database (SQLite file / PostgreSQL schema) per label


@contextmanager
def sqlite_backend(work: Path) -> Iterator[Backend]:
    yield Backend("SQLite", lambda label: db.sqlite_url(work / f"{label}.db"))


@contextmanager
def postgresql_backend(server: str) -> Iterator[Backend]:
    """A database of our own on the server for the whole run, a schema per label; dropped at the end."""
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"zg_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    base = sa.make_url(server).set(database=name)

    def make_url(label: str) -> str:
        engine = sa.create_engine(base, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{label}"')
        engine.dispose()
        url = base.update_query_dict({"options": f"-csearch_path={label}"})
        return url.render_as_string(hide_password=False)

    try:
        yield Backend("PostgreSQL", make_url)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def postgresql_version(server: str) -> str | None:
    try:
        engine = sa.create_engine(server, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            version = str(conn.exec_driver_sql("SHOW server_version").scalar())
        engine.dispose()
        return version
    except sa.exc.OperationalError:
        return None


def bulk(url: str, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Load rows fast: executemany in one SQLite transaction, COPY on PostgreSQL (triggers and
    foreign-key checks off for the load, as for a restore; the data is generated consistent)."""
    names = ", ".join(f'"{c}"' for c in columns)  # progress has a column named "on"
    if url.startswith("sqlite"):
        conn = sqlite3.connect(sa.make_url(url).database or "", isolation_level=None)
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        marks = ", ".join("?" * len(columns))
        conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        conn.execute("COMMIT")
        conn.close()
        return
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SET session_replication_role = replica")
        with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if "id" in columns:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


def analyze(url: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def base_rows(url: str) -> None:
    """The people who act, a round and an aspect."""
    people = [
        (OFFICE, "office", "巡察反馈意见整改工作领导小组办公室"),
        (LEADER, "leader", "镇人大"),
        (HANDLER, "handler", DEPARTMENT),
        (APPROVER, "approver", "县委巡察办"),
    ]
    bulk(url, "person", ("name", "roles", "department"), people)
    bulk(
        url,
        "round",
        ("id", "name", "group_name", "unit", "feedback_date", "created_at"),
        [(1, "基准轮次", "基准巡察组", "基准单位", "2024-09-01", CREATED)],
    )
    bulk(url, "aspect", ("id", "round_id", "number", "title", "position"), [(1, 1, "一", "基准方面", 0)])


ITEM_COLUMNS = (
    "id",
    "round_id",
    "aspect_id",
    "number",
    "position",
    "title",
    "description",
    "instance",
    "leader",
    "department",
    "cooperating",
    "handler",
    "deadline_kind",
    "deadline",
    "state",
    "version",
    "closed_at",
    "created_at",
    "updated_at",
)


def item_row(
    i: int,
    leader: str,
    department: str,
    handler: str,
    kind: str,
    deadline: str | None,
    state: str,
    closed_at: str | None,
) -> tuple[Any, ...]:
    """One item in ITEM_COLUMNS order, in round 1, aspect 1."""
    values = {
        **dict.fromkeys(("description", "instance", "cooperating"), ""),
        "id": i,
        "round_id": 1,
        "aspect_id": 1,
        "number": f"一/{i}",
        "position": i,
        "title": f"问题{i}",
        "leader": leader,
        "department": department,
        "handler": handler,
        "deadline_kind": kind,
        "deadline": deadline,
        "state": state,
        "version": 1,
        "closed_at": closed_at,
        "created_at": CREATED,
        "updated_at": CREATED,
    }
    return tuple(values[c] for c in ITEM_COLUMNS)


# --- 1. transitions with concurrent clients -----------------------------------------------------------


def make_pool(url: str, items: int) -> None:
    """`items` items in 已登记, each with its one measure done and one piece of evidence, so that
    every step of the loop is allowed when its turn comes."""
    engine = db.make_engine(url)
    db.create_schema(engine)
    engine.dispose()
    base_rows(url)
    bulk(
        url,
        "item",
        ITEM_COLUMNS,
        (
            item_row(i, LEADER, DEPARTMENT, HANDLER, "date", "2025-12-31", "reported", None)
            for i in range(1, items + 1)
        ),
    )
    bulk(
        url,
        "measure",
        ("item_id", "seq", "text", "done_on", "done_by"),
        ((i, 1, "整改措施", "2024-10-01", HANDLER) for i in range(1, items + 1)),
    )
    bulk(
        url,
        "evidence",
        ("item_id", "kind", "ref", "actor", "created_at", "hash"),
        ((i, "批文", f"文号{i}", HANDLER, CREATED, f"{i:064x}") for i in range(1, items + 1)),
    )
    analyze(url)


def client(url: str, seed: int, attempts: int, pool: int, barrier: Any, results: Any) -> None:
    """One client process: read, then fire the next transition with the version it read."""
    engine = db.make_engine(url)
    with db.reading(engine) as conn:  # connected before the start
        conn.exec_driver_sql("SELECT 1")
    rng = random.Random(seed)
    committed = conflicts = refused = 0
    barrier.wait()
    for n in range(attempts):
        item = rng.randint(1, pool)
        with db.reading(engine) as conn:
            row = store.current(conn, item)
        trigger, actor, extra = NEXT[row.state]
        now = START + timedelta(seconds=n, microseconds=seed % 1_000_000)
        try:
            with db.unit_of_work(engine) as conn:
                actions.fire(conn, item, trigger, actor, now, expect_version=row.version, **extra)
            committed += 1
        except Conflict:
            conflicts += 1
        except ZhenggaiError:
            refused += 1
    results.put((committed, conflicts, refused, time.monotonic()))
    engine.dispose()


@dataclass(frozen=True)
class Run:
    backend: str
    pool: int
    processes: int
    attempts: int
    committed: int
    conflicts: int
    refused: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.committed / self.seconds

    @property
    def conflict_rate(self) -> float:
        return self.conflicts / self.attempts


def run_clients(backend: Backend, pool: int, processes: int, attempts: int) -> Run:
    url = backend.make_url(f"pool{pool}_p{processes}")
    make_pool(url, pool)
    ctx = multiprocessing.get_context("fork")  # no engine is open in this process at the fork
    barrier = ctx.Barrier(processes + 1)
    results = ctx.Queue()
    share = [attempts // processes + (n < attempts % processes) for n in range(processes)]
    procs = [
        ctx.Process(target=client, args=(url, 1000 + n, share[n], pool, barrier, results))
        for n in range(processes)
    ]
    for p in procs:
        p.start()
    barrier.wait(timeout=120)
    start = time.monotonic()
    outcomes = [results.get(timeout=3600) for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"client exited {p.exitcode}")
    committed, conflicts, refused = (sum(o[i] for o in outcomes) for i in range(3))
    run = Run(
        backend.name,
        pool,
        processes,
        attempts,
        committed,
        conflicts,
        refused,
        max(o[3] for o in outcomes) - start,
    )
    engine = db.make_engine(url)
    verdict = verify.verify_engine(engine)
    engine.dispose()
    if not verdict.ok or verdict.count != committed:
        raise RuntimeError(f"{backend.name}: {committed} committed but the chain says {verdict}")
    return run


def bench_transitions(backend: Backend, wide: int, hot: int, attempts: int) -> list[Run]:
    runs = []
    for pool in (wide, hot):
        for processes in PROCESSES:
            run = run_clients(backend, pool, processes, attempts)
            runs.append(run)
            say(
                f"  {backend.name:<10} {pool:>6} items  {processes} process{'es' if processes > 1 else '  '}  "
                f"{run.per_second:>7,.0f} transitions/s  conflicts {run.conflicts:>5} / {run.attempts} "
                f"= {run.conflict_rate:6.1%}  other refusals {run.refused}  ({run.seconds:.1f} s, chain OK)"
            )
    return runs


# --- 2. the overdue query and the weekly rules over many items -------------------------------------------


def make_big(url: str, items: int, seed: int = 7) -> dict[str, int]:
    """`items` items: 80% closed (over two years), 20% open with deadlines from 60 days overdue to
    120 days ahead (2% ongoing), 200 departments, 50 leaders, recent progress on open items."""
    rng = random.Random(seed)
    engine = db.make_engine(url)
    db.create_schema(engine)
    engine.dispose()
    departments, leaders = 200, 50
    people = [(f"经办{d}", "handler", f"部门{d}") for d in range(departments)]
    people += [(f"领导{n}", "leader", "领导班子") for n in range(leaders)]
    base_rows(url)
    bulk(url, "person", ("name", "roles", "department"), people)
    stats = {"open": 0, "overdue": 0}
    progress: list[tuple[int, str, str, str, str]] = []

    def rows() -> Iterator[tuple[Any, ...]]:
        for i in range(1, items + 1):
            d = rng.randrange(departments)
            is_open = rng.random() < 0.2
            kind = "ongoing" if rng.random() < 0.02 else "date"
            if is_open:
                state = rng.choice(OPEN)
                deadline = TODAY + timedelta(days=rng.randrange(-60, 121))
                closed_at = None
                stats["open"] += 1
                stats["overdue"] += kind == "date" and deadline < TODAY
                for _ in range(rng.randrange(0, 3)):
                    on = TODAY - timedelta(days=rng.randrange(0, 40))
                    progress.append((i, on.isoformat(), "推进", "整改办", CREATED))
            else:
                state = "closed" if rng.random() < 0.9 else "revisited"
                deadline = TODAY - timedelta(days=rng.randrange(30, 800))
                closed_at = clock.to_text(
                    NOW - timedelta(days=rng.randrange(1, 730), minutes=rng.randrange(1440))
                )
            day = deadline.isoformat() if kind == "date" else None
            yield item_row(
                i, f"领导{rng.randrange(leaders)}", f"部门{d}", f"经办{d}", kind, day, state, closed_at
            )

    bulk(url, "item", ITEM_COLUMNS, rows())
    bulk(url, "progress", ("item_id", "on", "text", "actor", "created_at"), progress)
    analyze(url)
    return stats


def timed(action: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, value = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = action()
        best = min(best, time.perf_counter() - t0)
    return best, value


@contextmanager
def capture(engine: sa.Engine) -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs a block runs, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def hook(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and "item" in statement:
            seen.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", hook)


def plans(engine: sa.Engine, statements: list[tuple[str, Any]], max_lines: int = 30) -> list[str]:
    out = []
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for statement, params in statements:
            out.append(f"    {' '.join(statement.split())[:150]}")
            if engine.dialect.name == "sqlite":
                cur.execute(f"EXPLAIN QUERY PLAN {statement}", params)
                out += [f"        {r[-1]}" for r in cur.fetchall()]
            else:
                cur.execute(f"EXPLAIN (ANALYZE, BUFFERS OFF) {statement}", params)
                lines = [r[0] for r in cur.fetchall()]
                out += [f"        {line}" for line in lines[:max_lines]]
                if len(lines) > max_lines:
                    out.append(f"        … {len(lines) - max_lines} more lines")
        raw.rollback()
    finally:
        raw.close()
    return out


def bench_queries(backend: Backend, items: int, repeat: int) -> dict[str, float]:
    url = backend.make_url(f"big{items}")
    t0 = time.perf_counter()
    stats = make_big(url, items)
    say(
        f"  {backend.name}: {items:,} items bulk-loaded and analysed in {time.perf_counter() - t0:.1f} s "
        f"(not timed): {stats['open']:,} open, {stats['overdue']:,} of them overdue on {TODAY}"
    )
    engine = db.make_engine(url)
    with tempfile.TemporaryDirectory() as out:
        weekly_only = reminder_settings.load(
            {
                "reminders": {
                    "deadline": {"enabled": False},
                    "revisit": {"enabled": False},
                    "monthly": {"enabled": False},
                },
                "channels": {"file": {"dir": out}},
            }
        )

        def overdue_list() -> int:
            with db.reading(engine) as conn:
                return len(item_queries.list_items(conn, TODAY, overdue=True))

        def overdue_count() -> int:
            with db.reading(engine) as conn:
                q = (
                    sa.select(sa.func.count())
                    .select_from(item_queries.ITEM)
                    .where(clauses.overdue_clause(TODAY))
                )
                return int(conn.execute(q).scalar_one())

        def weekly() -> int:
            with db.reading(engine) as conn:
                return len(run.plan(conn, weekly_only, NOW))

        figures: dict[str, float] = {}
        for label, action in (
            ("overdue list (item list --overdue)", overdue_list),
            ("overdue count (summary)", overdue_count),
            ("weekly rules (dispatch + bulletin)", weekly),
        ):
            with capture(engine) as statements:
                action()  # warm-up, and the statements to explain
            spent, value = timed(action, repeat)
            figures[label] = spent
            say(
                f"    {label:<36} {spent * 1000:>8.0f} ms  → {value:,} {'firings' if 'weekly' in label else 'items'}"
            )
            say("\n".join(plans(engine, statements)))
    engine.dispose()
    return figures


# --- 3. audit verify over a long chain -----------------------------------------------------------------


def chain_rows(rows: int) -> Iterator[tuple[Any, ...]]:
    steps = [(step, actor, src, extra) for src, (step, actor, extra) in NEXT.items()]
    prev, moment = chain.GENESIS, START
    for seq in range(1, rows + 1):
        step, actor, src, extra = steps[(seq - 1) % len(steps)]
        if seq % 1000 == 1:
            moment += timedelta(minutes=1)
        at = clock.to_text(moment)
        dest = NEXT[src][0]
        fields = (
            seq,
            at,
            actor,
            (seq - 1) // len(steps) + 1,
            step,
            src,
            dest,
            None,
            chain.canonical_json(extra),
            prev,
        )
        prev = chain.entry_hash(fields)
        yield (*fields, prev)


def bench_verify(backend: Backend, rows: int, repeat: int) -> dict[str, float]:
    url = backend.make_url(f"chain{rows}")
    engine = db.make_engine(url)
    db.create_schema(engine)
    engine.dispose()
    t0 = time.perf_counter()
    bulk(url, "audit", (*AUDIT_COLUMNS, "prev_hash", "hash"), chain_rows(rows))
    analyze(url)
    say(
        f"  {backend.name}: {rows:,}-entry chain hashed and bulk-loaded in {time.perf_counter() - t0:.1f} s (not timed)"
    )
    engine = db.make_engine(url)

    def engine_verify() -> verify.Verdict:
        return verify.verify_engine(engine)

    def one_process() -> verify.Verdict:
        with db.reading(engine) as conn:
            return verify.verify(conn)

    figures = {}
    for label, action in (
        ("verify_engine (zhenggai audit verify)", engine_verify),
        ("verify.verify, one process", one_process),
    ):
        spent, verdict = timed(action, repeat)
        if not verdict.ok or verdict.count != rows:
            raise RuntimeError(f"verify failed: {verdict}")
        figures[label] = spent
        say(f"    {label:<38} {spent:6.2f} s  ({rows / spent:,.0f} entries/s, chain OK)")
    engine.dispose()
    return figures


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg", help="PostgreSQL server URL (a database is created there and dropped)")
    parser.add_argument("--attempts", type=int, default=4000, help="actions per run, shared by its processes")
    parser.add_argument("--wide", type=int, default=10_000, help="items in the wide pool")
    parser.add_argument("--hot", type=int, default=50, help="items in the hot pool")
    parser.add_argument("--big", type=int, default=1_000_000, help="items for the query figures")
    parser.add_argument("--audit-rows", type=int, default=1_000_000, help="entries in the verified chain")
    parser.add_argument("--repeat", type=int, default=3, help="best of N for the query and verify figures")
    parser.add_argument("--only", help=f"comma-separated parts: {', '.join(PARTS)}")
    parser.add_argument("--workdir", type=Path, help="parent of the temporary directory for SQLite files")
    args = parser.parse_args(argv)
    if args.quick:
        args.attempts, args.wide, args.hot, args.big, args.audit_rows, args.repeat = (
            400,
            1000,
            20,
            20_000,
            20_000,
            1,
        )
    parts = set((args.only or ",".join(PARTS)).split(","))
    server = args.pg or os.environ.get("ZHENGGAI_BENCH_PG") or os.environ.get("ZHENGGAI_TEST_PG")
    server = server or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    wanted = args.backends.split(",")
    pg_version = postgresql_version(server) if "postgresql" in wanted else None
    say(
        f"bench_concurrency — Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"PostgreSQL {pg_version or '(not used)'}, SQLAlchemy {sa.__version__}, {os.cpu_count()} CPUs, {date.today()}"
    )
    say(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    say(f"load average at start {os.getloadavg()[0]:.2f}")
    if "postgresql" in wanted and pg_version is None:
        say(f"PostgreSQL at {sa.make_url(server).render_as_string()} cannot be reached: its half is skipped")
        wanted.remove("postgresql")
    summary: list[str] = []
    t_all = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="zhenggai-bench-", dir=args.workdir) as tmp:
        for name in wanted:
            context = sqlite_backend(Path(tmp)) if name == "sqlite" else postgresql_backend(server)
            with context as backend:
                if "transitions" in parts:
                    say(
                        f"\n1. {backend.name}: {args.attempts:,} read-then-fire actions per run with expect_version, "
                        f"one durable transaction each, shared by 1/4/8 processes"
                    )
                    for run in bench_transitions(backend, args.wide, args.hot, args.attempts):
                        summary.append(
                            f"  {run.backend:<10} transitions/s, {run.processes} process(es), {run.pool:,} items: "
                            f"{run.per_second:,.0f}/s, conflict rate {run.conflict_rate:.1%}"
                        )
                if "queries" in parts:
                    say(
                        f"\n2. {backend.name}: overdue query and weekly rules over {args.big:,} items (best of {args.repeat})"
                    )
                    for label, spent in bench_queries(backend, args.big, args.repeat).items():
                        summary.append(
                            f"  {backend.name:<10} {label}, {args.big:,} items: {spent * 1000:,.0f} ms"
                        )
                if "verify" in parts:
                    say(
                        f"\n3. {backend.name}: audit verify over {args.audit_rows:,} entries (best of {args.repeat})"
                    )
                    for label, spent in bench_verify(backend, args.audit_rows, args.repeat).items():
                        summary.append(
                            f"  {backend.name:<10} {label}, {args.audit_rows:,} entries: {spent:.2f} s"
                        )
    say(
        f"\nSummary (total {time.perf_counter() - t_all:.0f} s; load average at end {os.getloadavg()[0]:.2f})"
    )
    say("\n".join(summary))
    if args.quick:
        say("  (--quick is a smoke run: these sizes are not the figures the issue asks for)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
