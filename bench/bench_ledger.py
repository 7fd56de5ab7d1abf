"""Ledger and report benchmark (issue 4): times, and how they grow when the size doubles.

1. Ledger import from .xlsx at 5,000 / 10,000 / 20,000 rows into a fresh database: reading the file
   (openpyxl), checking every cell against the database, writing items, measures, progress and one
   audit entry per item in one transaction; then importing the same file again (nothing changes).
2. The public report over 25,000 / 50,000 / 100,000 items with a long history (about eight audit
   entries per item: import, assign, start, three progress notes, extensions, submit and sign-off),
   rebuilt from the audit trail as of the last day and as of a day in the middle (when later field
   changes must be rolled back); the weekly bulletin; the board's day-by-day timeline over the same
   trail; and the public report written as .docx at the smallest size.

Run:  .venv/bin/python bench/bench_ledger.py [--quick]     (--quick: a fifth of the sizes)
Databases and ledgers live in a temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from workflow import clock, db
from workflow.audit import chain, verify
from workflow.db.tables.core import ASPECT, AUDIT, ITEM, MEASURE, PROGRESS, ROUND
from workflow.intake.ledger import apply, plan, workbook
from workflow.items import people
from workflow.read import snapshot
from workflow.reports import board, periodic, public
from workflow.reports import settings as report_settings
from workflow.reports.document import to_docx, to_markdown

OFFICE = "镇整改办"
HEADER = (
    "序号",
    "问题类别",
    "问题描述",
    "典型表现",
    "整改措施",
    "责任领导",
    "责任部门",
    "责任人",
    "整改时限",
    "整改进展",
    "完成情况",
)
DEPARTMENTS = [f"第{n}责任部门" for n in range(1, 41)]
LEADERS = [f"领导{n}" for n in range(1, 16)]
FEEDBACK = date(2024, 10, 14)
LAST_DAY = date(2025, 2, 14)
AUDIT_FIELDS = (
    "seq",
    "at",
    "actor",
    "item_id",
    "action",
    "from_state",
    "to_state",
    "reason",
    "payload",
    "prev_hash",
    "hash",
)


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return time.perf_counter() - start, value


def fresh_engine(path: Path) -> sa.Engine:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = db.make_engine(db.sqlite_url(path))  # durable (synchronous=FULL), as in use
    db.create_schema(engine)
    with db.unit_of_work(engine) as conn:
        people.add_person(
            conn, None, clock.parse_moment("2024-10-14T09:00"), name=OFFICE, roles="office", bootstrap=True
        )
    return engine


# --- 1. import ------------------------------------------------------------------------------------------


def write_ledger(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    rng = random.Random(rows)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.append(["整改台账"])
    sheet.append(list(HEADER))
    statuses = ("已完成", "基本完成", "正在推进", "未启动", "")
    for n in range(1, rows + 1):
        sheet.append(
            [
                n,
                f"{'一二三四五'[n % 5]}、第{n % 5 + 1}方面的问题",
                f"问题{n}的概括。问题{n}的具体表现和原因分析，台账中通常有一两句话。",
                f"典型表现{n}：某村某地块于2023年建设，占地约0.{n % 9 + 1}亩。",
                "一是立行立改；二是全面排查；三是建立长效机制。",
                rng.choice(LEADERS),
                rng.choice(DEPARTMENTS),
                f"经办人{n % 200}",
                datetime(2024, 12, 31) if n % 3 else "长期坚持",
                f"10月{n % 20 + 10}日，实地核查\n2024-11-{n % 28 + 1:02d}：召开推进会",
                statuses[n % len(statuses)],
            ]
        )
    book.save(path)


def import_once(engine: sa.Engine, table: workbook.Table) -> tuple[float, float, apply.Summary]:
    """(seconds checking, seconds writing and committing, summary) of one import."""
    now = clock.parse_moment("2025-01-10T10:00")
    with db.unit_of_work(engine) as conn:
        target = plan.target_round(
            conn, table.meta, "基准轮次", group_name="巡察组", unit="某镇党委", feedback_date="2024-10-14"
        )
        start = time.perf_counter()
        planned = plan.prepare(conn, table, target, OFFICE, today=clock.local_today(now))
        checked = time.perf_counter()
        summary = apply.apply(conn, planned, now)
    return checked - start, time.perf_counter() - checked, summary


def bench_import(directory: Path, sizes: list[int]) -> list[dict[str, Any]]:
    out = []
    for size in sizes:
        path = directory / f"ledger_{size}.xlsx"
        write_ledger(path, size)
        engine = fresh_engine(directory / f"import_{size}.db")
        start = time.perf_counter()
        table = workbook.load(path)
        t_read = time.perf_counter() - start
        t_check, t_write, summary = import_once(engine, table)
        assert summary.created == size
        start = time.perf_counter()
        _, _, again = import_once(engine, workbook.load(path))
        t_again = time.perf_counter() - start
        assert again.unchanged == size
        out.append(
            {
                "rows": size,
                "read": t_read,
                "check": t_check,
                "write": t_write,
                "total": t_read + t_check + t_write,
                "again": t_again,
            }
        )
        engine.dispose()
    return out


# --- 2. reports over a long history ------------------------------------------------------------------------


def build_history(path: Path, items: int) -> int:
    """`items` items with about eight audit entries each, written in bulk with a valid hash chain."""
    engine = fresh_engine(path)
    rng = random.Random(items)
    at0 = datetime(2024, 10, 14, 8, 0, tzinfo=UTC)
    with db.unit_of_work(engine) as conn:
        round_id = conn.execute(
            ROUND.insert().values(
                name="基准轮次", group_name="巡察组", unit="某镇党委", feedback_date=FEEDBACK, created_at=at0
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        aspects = [
            conn.execute(
                ASPECT.insert().values(round_id=round_id, number=n, title=f"第{k}方面", position=k)
            ).inserted_primary_key[0]  # type: ignore[index]
            for k, n in enumerate("一二三四五")
        ]
        seq, prev = chain.head(conn)
        events: list[tuple[datetime, int, str, str | None, str, dict[str, Any]]] = []
        item_rows, measures, progress = [], [], []
        for i in range(1, items + 1):
            deadline = date(2024, 12, 31) + timedelta(days=rng.randrange(0, 60))
            closed = rng.random() < 0.6
            state = "closed" if closed else "in_progress"
            item_rows.append(
                {
                    "id": i,
                    "round_id": round_id,
                    "aspect_id": aspects[i % 5],
                    "number": f"{'一二三四五'[i % 5]}/{i}",
                    "position": i,
                    "title": f"问题{i}",
                    "description": "问题描述。",
                    "instance": "",
                    "leader": None,
                    "department": rng.choice(DEPARTMENTS),
                    "cooperating": "",
                    "handler": None,
                    "deadline_kind": "date",
                    "deadline": deadline,
                    "state": state,
                    "version": 8,
                    "created_at": at0,
                    "updated_at": at0,
                }
            )
            measures.append({"item_id": i, "seq": 1, "text": "整改措施"})
            t = at0 + timedelta(minutes=i % 600)
            events.append((t, i, "import", None, "reported", {}))
            events.append((t + timedelta(days=7), i, "assign", "reported", "assigned", {}))
            events.append((t + timedelta(days=7, hours=5), i, "start", "assigned", "in_progress", {}))
            for k in range(3):
                day = t + timedelta(days=15 + 20 * k)
                events.append((day, i, "progress", "in_progress", "in_progress", {"on": day.date()}))
                progress.append(
                    {
                        "item_id": i,
                        "on": day.date(),
                        "text": f"第{k + 1}次推进",
                        "actor": OFFICE,
                        "created_at": day,
                    }
                )
            if i % 10 == 0:
                new = deadline + timedelta(days=30)
                events.append(
                    (
                        t + timedelta(days=70),
                        i,
                        "extend",
                        "in_progress",
                        "in_progress",
                        {"from": deadline, "from_kind": "date", "to": new},
                    )
                )
                item_rows[-1]["deadline"] = new
            if closed:
                done = t + timedelta(days=rng.randrange(40, 110))
                events.append((done, i, "submit", "in_progress", "submitted", {}))
                events.append((done + timedelta(days=2), i, "approve", "submitted", "closed", {}))
        conn.execute(ITEM.insert(), item_rows)
        conn.execute(MEASURE.insert(), measures)
        conn.execute(PROGRESS.insert(), progress)
        events.sort(key=lambda e: (e[0], e[1]))
        batch = []
        for moment, item_id, action, source, dest, payload in events:
            seq += 1
            text_at = clock.to_text(moment)
            body = chain.canonical_json(payload)
            fields = (seq, text_at, OFFICE, item_id, action, source, dest, None, body, prev)
            prev = chain.entry_hash(fields)
            batch.append(dict(zip(AUDIT_FIELDS, (*fields, prev), strict=True)))
            if len(batch) == 50_000:
                conn.execute(AUDIT.insert(), batch)
                batch = []
        if batch:
            conn.execute(AUDIT.insert(), batch)
    engine.dispose()
    return len(events)


def bench_reports(directory: Path, sizes: list[int]) -> list[dict[str, Any]]:
    out = []
    config = report_settings.Settings()
    middle = date(2024, 12, 15)
    for size in sizes:
        path = directory / f"history_{size}.db"
        t_build, entries = timed(build_history, path, size)
        engine = db.make_engine(db.sqlite_url(path))
        with db.reading(engine) as conn:
            t_snap, snap = timed(snapshot.take, conn, LAST_DAY, 1)
            t_mid, mid = timed(snapshot.take, conn, middle, 1)
            t_public, (doc, stats) = timed(public.public, conn, LAST_DAY, config)
            t_md, text = timed(to_markdown, doc)
            # python-docx costs about 0.2 ms a paragraph: timed at the smallest size only.
            t_docx = timed(to_docx, doc, directory / "report.docx")[0] if size == sizes[0] else None
            t_weekly, _ = timed(periodic.periodic, conn, "weekly", LAST_DAY, config)
            t_board, data = timed(board.data, conn, LAST_DAY, round_id=1)
            assert verify.verify(conn).ok
        assert len(snap.items) == size == stats["problems"] and len(mid.items) == size
        engine.dispose()
        out.append(
            {
                "items": size,
                "entries": entries,
                "build": t_build,
                "snapshot": t_snap,
                "snapshot_mid": t_mid,
                "public": t_public,
                "markdown": t_md,
                "md_mb": len(text.encode()) / 1e6,
                "docx": t_docx,
                "paragraphs": len(doc.blocks),
                "weekly": t_weekly,
                "board": t_board,
                "points": len(data["timeline"]),
            }
        )
    return out


def growth(rows: list[dict[str, Any]], key: str) -> str:
    ratios = [f"×{b[key] / a[key]:.2f}" for a, b in pairwise(rows) if a[key] > 0]
    return " ".join(ratios)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fifth of the sizes (for a quick check)")
    args = parser.parse_args(argv)
    scale = 5 if args.quick else 1
    with tempfile.TemporaryDirectory(prefix="zhenggai-bench-") as tmp:
        directory = Path(tmp)
        imports = bench_import(directory, [n // scale for n in (5_000, 10_000, 20_000)])
        print("Ledger import (.xlsx, fresh database, one transaction, synchronous=FULL); seconds")
        print(f"{'rows':>7} {'read':>7} {'check':>7} {'write':>7} {'total':>7} {'rows/s':>8} {'again':>7}")
        for r in imports:
            print(
                f"{r['rows']:>7} {r['read']:>7.2f} {r['check']:>7.2f} {r['write']:>7.2f} {r['total']:>7.2f}"
                f" {r['rows'] / r['total']:>8.0f} {r['again']:>7.2f}"
            )
        print(f"growth per doubling — total: {growth(imports, 'total')}, again: {growth(imports, 'again')}")
        print()
        history = bench_reports(directory, [n // scale for n in (25_000, 50_000, 100_000)])
        print("Reports over a long history (as of the last day unless noted); seconds")
        print(
            f"{'items':>7} {'entries':>8} {'build':>6} {'snapshot':>9} {'mid-day':>8} {'public':>7}"
            f" {'md':>6} {'MB':>5} {'weekly':>7} {'board':>6}"
        )
        for r in history:
            print(
                f"{r['items']:>7} {r['entries']:>8} {r['build']:>6.1f} {r['snapshot']:>9.2f} {r['snapshot_mid']:>8.2f}"
                f" {r['public']:>7.2f} {r['markdown']:>6.2f} {r['md_mb']:>5.1f} {r['weekly']:>7.2f} {r['board']:>6.2f}"
            )
        for key in ("snapshot", "snapshot_mid", "public", "weekly", "board"):
            print(f"growth per doubling — {key}: {growth(history, key)}")
        first = history[0]
        print(
            f"public report as .docx at {first['items']} items ({first['paragraphs']} blocks): {first['docx']:.1f} s"
        )


if __name__ == "__main__":
    main()
