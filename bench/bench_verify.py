"""Deep verify benchmark (issue 9): `audit verify` — the chain recomputed AND the trail replayed against
the live tables — over a database built through the engine's own use cases, beside a bare sqlite3
read of the same audit rows in the same run (target: at most 3x the bare read).

The database: one round of --items items imported from a round file, then every item taken through
assign, start, progress, measure done, evidence, submit, approve, revisit and confirm (10 entries per
item with its import: 100,000 items give 1,000,000 entries), 1,000 items per transaction.

Run:  .venv/bin/python bench/bench_verify.py [--items N] [--repeats N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from workflow import clock, db
from workflow.audit import verify
from workflow.intake import round_yaml
from workflow.items import actions

OFFICE, LEADER, HANDLER, APPROVER = "镇整改办", "徐波", "规划办经办人", "县委巡察办"
DEPARTMENT = "村镇规划建设办公室"
BATCH = 1000
COLUMNS = (
    "seq, at, actor, item_id, action, from_state, to_state, reason, payload, prev_hash, hash, recorded_at"
)


def say(text: str = "") -> None:
    print(text, flush=True)


def round_file(items: int) -> round_yaml.RoundFile:
    return round_yaml.RoundFile.model_validate(
        {
            "round": {
                "name": "基准轮次",
                "group": "县委第一巡察组",
                "unit": "某镇党委",
                "feedback_date": "2024-10-14",
            },
            "people": [
                {"name": OFFICE, "roles": ["office"]},
                {"name": LEADER, "roles": ["leader"]},
                {"name": HANDLER, "roles": ["handler"], "department": DEPARTMENT},
                {"name": APPROVER, "roles": ["approver"]},
            ],
            "aspects": [
                {
                    "number": "一",
                    "title": "基准方面",
                    "items": [
                        {
                            "number": str(n),
                            "title": f"问题{n}",
                            "leader": LEADER,
                            "department": DEPARTMENT,
                            "handler": HANDLER,
                            "deadline": "2025-12-31",
                            "measures": [{"text": f"措施{n}"}],
                        }
                        for n in range(1, items + 1)
                    ],
                }
            ],
        }
    )


def build(path: Path, items: int) -> float:
    """The database, through the use cases (not timed against anything; reported)."""
    t0 = time.perf_counter()
    engine = db.make_engine(db.sqlite_url(path), synchronous="OFF")
    db.create_schema(engine)
    now = clock.parse_moment("2024-10-14T16:00")
    with db.unit_of_work(engine) as conn:
        round_yaml.import_round(conn, round_file(items), OFFICE, now)
    day = date(2024, 10, 15)
    for start in range(1, items + 1, BATCH):
        now = clock.local_noon(day)
        with db.unit_of_work(engine) as conn:
            for i in range(start, min(start + BATCH, items + 1)):
                actions.fire(conn, i, "assign", OFFICE, now)
                actions.fire(conn, i, "start", HANDLER, now)
                actions.add_progress(conn, i, HANDLER, now, on=day, text="召开专题会议，部署整改")
                actions.complete_measure(conn, i, 1, HANDLER, now)
                actions.attach_evidence(conn, i, HANDLER, now, kind="会议纪要", ref=f"纪要{i}")
                actions.fire(conn, i, "submit", HANDLER, now, summary="已整改到位")
                actions.fire(conn, i, "approve", APPROVER, now)
                actions.fire(conn, i, "revisit", OFFICE, now)
                actions.fire(conn, i, "confirm", OFFICE, now, finding="成果巩固")
        day += timedelta(days=0 if start % (BATCH * 20) else 1)
        if start % (BATCH * 10) == 1:
            say(f"    {start + BATCH - 1:,} / {items:,} items worked")
    engine.dispose()
    return time.perf_counter() - t0


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def deep(path: Path, rows: int) -> float:
    """What `zhenggai audit verify` runs by default."""
    engine = db.make_engine(db.sqlite_url(path))
    t0 = time.perf_counter()
    verdict = verify.verify_engine(engine)
    spent = time.perf_counter() - t0
    engine.dispose()
    if not (verdict.ok and verdict.deep and verdict.count == rows):
        raise RuntimeError(f"deep verify failed: {verdict}")
    return spent


def deep_one_process(path: Path, rows: int) -> float:
    engine = db.make_engine(db.sqlite_url(path))
    t0 = time.perf_counter()
    with db.reading(engine) as conn:
        verdict = verify.verify(conn, deep=True)
    spent = time.perf_counter() - t0
    engine.dispose()
    if not (verdict.ok and verdict.count == rows):
        raise RuntimeError(f"deep verify failed: {verdict}")
    return spent


def chain_only(path: Path, rows: int) -> float:
    engine = db.make_engine(db.sqlite_url(path))
    t0 = time.perf_counter()
    verdict = verify.verify_engine(engine, deep=False)
    spent = time.perf_counter() - t0
    engine.dispose()
    if not (verdict.ok and verdict.count == rows):
        raise RuntimeError(f"verify failed: {verdict}")
    return spent


def bare_read(path: Path, rows: int) -> float:
    t0 = time.perf_counter()
    conn = sqlite3.connect(path)
    count = sum(1 for _ in conn.execute(f"SELECT {COLUMNS} FROM audit ORDER BY seq"))
    conn.close()
    spent = time.perf_counter() - t0
    if count != rows:
        raise RuntimeError(f"bare read saw {count} rows, expected {rows}")
    return spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the database in this folder")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="zg-bench-verify-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / "verify.db"
    say(f"bench_verify: {args.items:,} items, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    if not path.exists():
        say(f"  setup: built through the use cases in {build(path, args.items):.0f} s (not timed)")
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT count(*) FROM audit").fetchone()[0]
    say(f"  {rows:,} audit entries")
    bare_read(path, rows)  # warm the page cache for every side
    sides: list[tuple[str, Callable[[Path, int], float], list[float]]] = [
        ("audit verify (deep: chain + tables), what the command runs", deep, []),
        ("deep verify in one process", deep_one_process, []),
        ("audit verify --chain-only", chain_only, []),
        ("bare sqlite3 read of the same rows", bare_read, []),
    ]
    cpu: list[float] = []
    for r in range(args.repeats):
        for label, fn, times in sides if r % 2 == 0 else list(reversed(sides)):
            before = _cpu()
            times.append(fn(path, rows))
            if fn is deep:
                cpu.append(_cpu() - before)
            say(f"    {label}: {times[-1]:.2f} s")
    base = statistics.median(sides[-1][2])
    say()
    say(f"  medians of {args.repeats} interleaved runs, against the bare read ({base:.2f} s):")
    for label, _fn, times in sides:
        m = statistics.median(times)
        say(f"    {label:58s} {m:6.2f} s  {m / base:5.2f}x")
    used = statistics.median(c / t for c, t in zip(cpu, sides[0][2], strict=True))
    say(f"  deep verify kept {used:.2f} CPUs busy (median)")
    ratio = statistics.median(sides[0][2]) / base
    say(f"  target deep verify <= 3x bare read: {'PASS' if ratio <= 3 else 'MISS'} ({ratio:.2f}x)")
    return 0 if ratio <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
