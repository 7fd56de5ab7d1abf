"""Reminder benchmark (issue 3): one evaluation of every rule over 10k, 30k and 100k open items.

The moment is Monday 2024-12-02 09:00, the first working day of December, so every rule is due at
once: weekly dispatch and bulletin, the deadline ladder, revisits, ongoing reviews, the monthly
report. Each size is timed three ways on its own database:
  plan     the read side alone (what `remind run --dry-run` does)
  first    the real run that records every firing, message and outbox row in one transaction
  again    the same run repeated: nothing new, so this is the steady daily cost
The growth ratio 100k/10k should stay near 10 (linear): the queries are set-based and indexed, with
no query per item. The query plans of the two per-item queries are printed to show the indexes used.

Run:  .venv/bin/python bench/bench_reminders.py [--quick] [--sizes 10000,30000,100000] [--cache-mib N]
"plan" and "again" are the best of three runs; "first" runs once (it changes the database).
Databases live in a temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import platform
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from workflow import clock, db
from workflow.db.tables.core import ASPECT, ITEM, PERSON, PROGRESS, ROUND
from workflow.db.tables.reminders import MESSAGE, OUTBOX
from workflow.reminders import run
from workflow.reminders import settings as reminder_settings

NOW = clock.parse_moment("2024-12-02T09:00")
TODAY = date(2024, 12, 2)
CREATED = clock.parse_moment("2024-09-01T10:00")


def build(path: Path, open_items: int, seed: int = 7, cache_mib: int | None = None) -> sa.Engine:
    """A database with `open_items` open items (plus 10% closed ones) spread over departments and
    leaders, with deadlines from 60 days overdue to 120 days ahead and a progress history."""
    rng = random.Random(seed)
    engine = db.make_engine(db.sqlite_url(path), synchronous="OFF")
    if cache_mib:  # to see how much of the growth is SQLite's page cache (2 MiB by default)

        @sa.event.listens_for(engine, "connect")
        def _cache(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute(f"PRAGMA cache_size=-{cache_mib * 1024}")

    db.create_schema(engine)
    departments = max(20, open_items // 500)
    leaders = max(5, open_items // 2000)
    items = _items(rng, open_items, departments, leaders)
    progress = [
        {
            "item_id": i + 1,
            "on": TODAY - timedelta(days=rng.randrange(0, 40)),
            "text": "推进",
            "actor": "整改办",
            "created_at": CREATED,
        }
        for i in range(len(items))
        for _ in range(rng.randrange(0, 3))
    ]
    with db.unit_of_work(engine) as conn:
        conn.execute(PERSON.insert(), _people(departments, leaders))
        conn.execute(
            ROUND.insert().values(
                name="基准轮次",
                group_name="基准组",
                unit="基准单位",
                feedback_date=date(2024, 9, 1),
                created_at=CREATED,
            )
        )
        conn.execute(ASPECT.insert().values(round_id=1, number="一", title="基准方面", position=0))
        for start in range(0, len(items), 20000):
            conn.execute(ITEM.insert(), items[start : start + 20000])
        for start in range(0, len(progress), 20000):
            conn.execute(PROGRESS.insert(), progress[start : start + 20000])
    with db.unit_of_work(engine) as conn:
        conn.exec_driver_sql("ANALYZE")  # as a deployment's periodic maintenance would
    return engine


def _people(departments: int, leaders: int) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = [
        {"name": "整改办", "roles": "office", "department": "整改办"},
        {"name": "整改办二", "roles": "office", "department": "整改办", "email": "office2@example.org"},
    ]
    people += [{"name": f"领导{n}", "roles": "leader", "department": "领导班子"} for n in range(leaders)]
    people += [
        {"name": f"经办{n}", "roles": "handler", "department": f"部门{n}", "email": f"h{n}@example.org"}
        for n in range(departments)
    ]
    return people


def _items(rng: random.Random, open_items: int, departments: int, leaders: int) -> list[dict[str, Any]]:
    closed = open_items // 10
    states = ("assigned", "in_progress", "in_progress", "in_progress", "submitted", "reported")
    items: list[dict[str, Any]] = []
    for n in range(open_items + closed):
        d = rng.randrange(departments)
        kind = "ongoing" if n % 50 == 0 else "date"
        is_closed = n >= open_items
        closed_at = NOW - timedelta(days=rng.randrange(1, 200)) if is_closed else None
        items.append(
            {
                "round_id": 1,
                "aspect_id": 1,
                "number": f"一/{n + 1}",
                "position": n,
                "title": f"问题{n + 1}",
                "description": "",
                "instance": "",
                "leader": f"领导{rng.randrange(leaders)}",
                "department": f"部门{d}",
                "cooperating": "",
                "handler": f"经办{d}",
                "deadline_kind": kind,
                "deadline": TODAY + timedelta(days=rng.randrange(-60, 121)) if kind == "date" else None,
                "state": "closed" if is_closed else rng.choice(states),
                "version": 1,
                "closed_at": closed_at,
                "created_at": CREATED,
                "updated_at": CREATED,
            }
        )
    return items


def timed(action: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best of `repeat` wall times (the machine may be shared), and the last value."""
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = action()
        best = min(best, time.perf_counter() - start)
    return best, value


def query_plans(engine: sa.Engine, settings: reminder_settings.Settings) -> list[str]:
    """EXPLAIN QUERY PLAN of the statements the rules run, as SQLite executes them."""
    seen: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM item" in statement:
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        with db.reading(engine) as conn:
            run.plan(conn, settings, NOW)
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    out = []
    raw = engine.raw_connection()
    try:
        for statement in seen:
            cur = raw.cursor()
            # Parameters do not change the plan's shape; NULLs keep every placeholder bound.
            params = (None,) * statement.count("?")
            rows = cur.execute(f"EXPLAIN QUERY PLAN {statement}", params).fetchall()
            first_line = " ".join(statement.split())[:70]
            out.append(f"  {first_line}…")
            out += [f"      {r[-1]}" for r in rows]
    finally:
        raw.close()
    return out


def count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


Row = tuple[int, float, float, float, float, int, int, int]  # size, build, plan, first, again, firings …


def measure(
    path: Path, size: int, settings: reminder_settings.Settings, cache_mib: int | None, show_plans: bool
) -> Row:
    """Build a database of `size` open items and time plan, the first run and a repeated run on it;
    with `show_plans`, print the query plans too (taken on the fresh database, before anything fired)."""
    t_build, engine = timed(partial(build, path, size, cache_mib=cache_mib))
    plans = query_plans(engine, settings) if show_plans else []
    with db.reading(engine) as conn:
        t_plan, planned = timed(partial(run.plan, conn, settings, NOW), repeat=3)

    def record() -> run.RunResult:
        with db.unit_of_work(engine) as conn:
            return run.run(conn, settings, NOW)

    t_first, first = timed(record)
    t_again, again = timed(record, repeat=3)
    assert len(first.firings) == len(planned) and not again.firings
    row = (
        size,
        t_build,
        t_plan,
        t_first,
        t_again,
        len(first.firings),
        count(engine, MESSAGE),
        count(engine, OUTBOX),
    )
    engine.dispose()
    print(
        f"{size:>7} open items  built {t_build:6.2f}s  plan {t_plan:6.3f}s  first {t_first:6.3f}s  "
        f"again {t_again:6.3f}s  firings {row[5]:>7}  messages {row[6]:>5}"
    )
    if show_plans:
        print("\nquery plans (largest size):")
        print("\n".join(plans))
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (1k, 3k, 10k) for a smoke run")
    parser.add_argument("--sizes", help="comma-separated numbers of open items")
    parser.add_argument(
        "--cache-mib", type=int, help="SQLite page cache per connection (default: SQLite's 2 MiB)"
    )
    args = parser.parse_args(argv)
    sizes = (
        [int(s) for s in args.sizes.split(",")]
        if args.sizes
        else ([1000, 3000, 10000] if args.quick else [10000, 30000, 100000])
    )
    print(
        f"bench_reminders — Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}"
    )
    print(f"moment: {clock.show(NOW)} (every rule due)\n")
    with tempfile.TemporaryDirectory() as tmp:
        settings = reminder_settings.load({"channels": {"file": {"dir": str(Path(tmp) / "out")}}})
        rows = [
            measure(Path(tmp) / f"bench{size}.db", size, settings, args.cache_mib, size == sizes[-1])
            for size in sizes
        ]
    assert count_ok(rows)
    small, large = rows[0], rows[-1]
    factor = large[0] / small[0]
    print(f"\ngrowth {small[0]} → {large[0]} items (×{factor:g}):")
    for label, i in (("plan", 2), ("first run", 3), ("repeat run", 4)):
        print(
            f"  {label:<10} ×{large[i] / small[i]:5.2f}  ({small[i]:.3f}s → {large[i]:.3f}s; linear would be ×{factor:g})"
        )
    return 0


def count_ok(rows: list[Row]) -> bool:
    return all(r[5] > 0 and r[6] > 0 for r in rows)


if __name__ == "__main__":
    sys.exit(main())
