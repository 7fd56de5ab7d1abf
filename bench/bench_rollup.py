"""County benchmark (issue 10 §3): one round of --units inspected units × --problems problems each
(50 × 200 = 10,000 items by default), each unit imported from its own ledger (`ledger import --unit`)
and every item then taken through its history by the engine — assigned, started, a progress entry, its
measures done, evidence, submitted, and for a share of the items that grows from unit to unit,
signed off — each action in its own moment between the feedback and the end of the history.

Measured, each beside a baseline in the same run, medians of --repeats:

1. The county roll-up as of a past date (`reports.rollup.data`, what `report rollup --as-of` runs),
   against a bare read (stdlib sqlite3, fetchall) of the rows it is made of: every item of the round
   with the state of its latest entry by the cut (one hand-written query), the measure counts, the
   rules.
2. One unit's public report (`reports.public.public` + Markdown, what `report public --unit` runs),
   against a bare read of that unit's items with their state by the cut, their measures and progress.

Run:  .venv/bin/python bench/bench_rollup.py [--units N] [--problems N] [--repeats N] [--keep DIR]
SQLite (WAL, synchronous=OFF while building, as a bulk load would be); the database is built in a
temporary directory removed at the end unless --keep names one (built once, reused on the next run).
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from workflow import clock, db
from workflow.intake.ledger import apply, plan, workbook
from workflow.items import actions, people
from workflow.read import snapshot
from workflow.reports import document, public, rollup
from workflow.reports import settings as report_settings

ROUND = "十二届区委第二轮巡察"
OFFICE, APPROVER = "区委巡察办", "区纪委审核人"
FEEDBACK = date(2024, 10, 14)
START = clock.parse_moment("2024-10-21T09:00")
END = clock.parse_moment("2025-03-31T17:00")
AS_OF = date(2025, 1, 15)  # the roll-up "as of a past date": mid-history
HEADER = "序号,问题类别,问题描述,整改措施,责任领导,责任部门,责任人,整改时限,完成情况\n"


def say(text: str = "") -> None:
    print(text, flush=True)


def unit_name(k: int) -> str:
    return f"第{k + 1:02d}镇"


def _ledger(path: Path, k: int, problems: int) -> Path:
    lines = [HEADER]
    for n in range(1, problems + 1):
        aspect = ("一、贯彻落实党的路线方针政策不到位", "二、全面从严治党不力", "三、基层党组织建设薄弱")[
            n % 3
        ]
        lines.append(
            f"{n},{aspect},问题{n}概括。{unit_name(k)}问题{n}的具体描述。,"
            f'"1. 立即整改\n2. 建立长效机制",镇长{k},党政办,经办人{k},2025-0{1 + n % 6}-28,\n'
        )
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _import(engine: sa.Engine, path: Path, k: int, now: datetime) -> None:
    table = workbook.load(path)
    with db.unit_of_work(engine) as conn:
        given = {"group_name": "区委第二巡察组", "unit": unit_name(k), "feedback_date": FEEDBACK.isoformat()}
        target = plan.target_round(conn, table.meta, ROUND, **given)
        planned = plan.prepare(conn, table, target, OFFICE, today=clock.local_today(now))
        apply.apply(conn, planned, now)


def _events(k: int, units: int, ids: list[int]) -> list[tuple[datetime, int, str, str]]:
    """The steps of every item of unit k, each at its own moment over the rectification period; unit k
    signs off k/(units-1) of its items (the first unit none, the last all)."""
    handler = f"经办人{k}"
    span = (END - START).total_seconds()
    done_share = k / max(1, units - 1)
    out = []
    for j, item in enumerate(ids):
        offset = (j + k / units) / (len(ids) * 50)

        def at(fraction: float, offset: float = offset) -> datetime:
            return START + timedelta(seconds=span * min(0.999, fraction + offset))

        steps = [(0.0, "assign"), (0.05, "start"), (0.2, "progress"), (0.3, "measure 1"), (0.4, "measure 2")]
        steps.append((0.45, "evidence"))
        if j < round(done_share * len(ids)):
            steps += [(0.5, "submit"), (0.52 + 0.4 * j / len(ids), "approve")]
        out += [(at(f), item, step, handler) for f, step in steps]
    return out


def _apply(conn: sa.Connection, when: datetime, item: int, step: str, handler: str) -> None:
    if step in ("assign", "start", "submit", "approve"):
        who = {"assign": OFFICE, "approve": APPROVER}.get(step, handler)
        actions.fire(conn, item, step, who, when, summary="整改完成" if step == "submit" else None)
    elif step == "progress":
        actions.add_progress(
            conn, item, handler, when, on=clock.local_today(when), text="召开专题会议研究整改"
        )
    elif step.startswith("measure"):
        actions.complete_measure(conn, item, int(step.split()[1]), handler, when)
    else:
        actions.attach_evidence(conn, item, handler, when, kind="文件", ref=f"镇发〔2025〕{item}号")


def build(path: Path, units: int, problems: int) -> None:
    engine = db.make_engine(db.sqlite_url(path), synchronous="OFF")
    db.create_schema(engine)
    now = clock.parse_moment("2024-10-18T10:00")
    with db.unit_of_work(engine) as conn:
        people.add_person(conn, None, now, name=OFFICE, roles="office", bootstrap=True)
        people.add_person(conn, OFFICE, now, name=APPROVER, roles="approver")
    t0, entries = time.perf_counter(), 0
    for k in range(units):
        _import(engine, _ledger(path.parent / f"unit{k}.csv", k, problems), k, now)
    with db.reading(engine) as conn:
        by_unit = conn.execute(sa.text("SELECT unit_id, id FROM item ORDER BY unit_id, id")).all()
    grouped: dict[int, list[int]] = {}
    for unit_id, item in by_unit:
        grouped.setdefault(unit_id, []).append(item)
    # The trail is appended in time order: every unit's steps, merged by moment.
    events = sorted(e for k, ids in enumerate(grouped.values()) for e in _events(k, units, ids))
    for lo in range(0, len(events), 5000):
        with db.unit_of_work(engine) as conn:
            for event in events[lo : lo + 5000]:
                _apply(conn, *event)
        entries += len(events[lo : lo + 5000])
    with db.reading(engine) as conn:
        total = conn.execute(sa.text("SELECT count(*) FROM audit")).scalar()
    say(f"  built in {time.perf_counter() - t0:.0f} s: {len(by_unit):,} items, {total:,} audit entries")
    engine.dispose()


def interleaved(ours: Callable[[], object], base: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Medians of `repeats` runs of each, alternated, so that a busy machine weighs on both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for fn, out in ((ours, times[0]), (base, times[1])):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return statistics.median(times[0]), statistics.median(times[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--problems", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build the database here (or reuse it)")
    args = parser.parse_args(argv)
    say(
        f"zhenggai bench_rollup — {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "county.db"
        if not path.exists():
            say(f"building {args.units} units × {args.problems} problems …")
            build(path, args.units, args.problems)
        measure(path, args.repeats)
    return 0


def measure(path: Path, repeats: int) -> None:
    engine = db.make_engine(db.sqlite_url(path))
    raw = sqlite3.connect(path)
    cut = snapshot.cutoff(AS_OF)
    config = report_settings.load({})
    with db.reading(engine) as conn:
        round_id = conn.execute(sa.text("SELECT id FROM round")).scalar_one()
        slowest = rollup.data(conn, AS_OF, round_name=ROUND)["rows"][0]
    unit_id, unit = slowest["unit_id"], slowest["unit"]

    def roll() -> None:
        with db.reading(engine) as conn:
            rollup.data(conn, AS_OF, round_name=ROUND)

    # The rows each rebuilds from, read bare: every item of the round (of the unit) with the state of
    # its latest entry by the cut, in the one query a hand-written report would run, and the counts
    # or texts beside them — no replay of later field changes, no figures, no document.
    latest = (
        "SELECT i.*, a.to_state FROM item i JOIN (SELECT item_id + 0 AS item_id, max(seq) AS seq FROM audit"
        " WHERE at < ? AND item_id IS NOT NULL AND to_state IS NOT NULL{} GROUP BY item_id + 0) l"
        " ON l.item_id = i.id JOIN audit a ON a.seq = l.seq WHERE i.{} = ?"
    )
    of_unit = " AND item_id IN (SELECT id FROM item WHERE unit_id = ?)"  # the index, as the engine does

    def roll_bare() -> None:
        raw.execute(latest.format("", "round_id"), (cut, round_id)).fetchall()
        raw.execute(
            "SELECT m.item_id, count(*) FROM measure m JOIN item i ON i.id = m.item_id"
            " WHERE i.round_id = ? GROUP BY m.item_id",
            (round_id,),
        ).fetchall()
        raw.execute("SELECT * FROM rule WHERE round_id = ?", (round_id,)).fetchall()

    def report() -> None:
        with db.reading(engine) as conn:
            built, _ = public.public(conn, AS_OF, config, round_name=ROUND, unit_name=unit)
        document.to_markdown(built)

    def report_bare() -> None:
        ids = "SELECT id FROM item WHERE unit_id = ?"
        raw.execute(latest.format(of_unit, "unit_id"), (cut, unit_id, unit_id)).fetchall()
        raw.execute(f"SELECT * FROM measure WHERE item_id IN ({ids})", (unit_id,)).fetchall()
        raw.execute(f"SELECT * FROM progress WHERE item_id IN ({ids})", (unit_id,)).fetchall()

    with db.reading(engine) as conn:
        rows = rollup.data(conn, AS_OF, round_name=ROUND)
    say(
        f"\nround of {rows['units']} units, {rows['totals']['problems']:,} problems as of {AS_OF}: "
        f"completed {rows['totals']['completed']:,}, overdue {rows['totals']['overdue']:,}; "
        f"slowest unit {unit} ({slowest['completion_rate']})"
    )
    say(f"medians of {repeats} runs, interleaved (bare: stdlib sqlite3 fetchall of the same rows)")
    for name, ours, base in (
        (f"1. roll-up as of {AS_OF}", roll, roll_bare),
        (f"2. public report of {unit} as of {AS_OF}", report, report_bare),
    ):
        ours(), base()  # warm the page cache alike
        t_ours, t_base = interleaved(ours, base, repeats)
        say(
            f"  {name}: ours {t_ours * 1000:.0f} ms vs bare read {t_base * 1000:.0f} ms → {t_ours / t_base:.1f}×"
        )
    raw.close()
    engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
