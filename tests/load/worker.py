"""Worker processes for the load and fault tests, and the database they share.

`python -m tests.load.worker random URL LOG …` does M random actions on shared items through the
engine (services inside db.unit_of_work) and logs each as one JSON line: committed, with its audit
entry, or refused, with the error's class and message. `… burst URL LOG …` assigns items in order,
a batch per transaction, logging each batch after it commits (the fault tests kill it mid-burst).
Both say they are ready by creating a file and start when the barrier file appears;
`start_together` is how the tests launch them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from workflow import clock, db
from workflow.errors import Conflict, InvalidInput, PermissionDenied, Refused, ZhenggaiError
from workflow.intake import round_yaml
from workflow.items import actions, store

OFFICE, LEADER, APPROVER, APPROVER2, AUDITOR = "镇整改办", "徐波", "县委巡察办", "第二验收人", "审计员"
HANDLER, HANDLER2 = "规划办经办人", "农业办经办人"
DEPT, DEPT2 = "村镇规划建设办公室", "农业农村办公室"
PEOPLE = (OFFICE, LEADER, HANDLER, HANDLER2, APPROVER, APPROVER2, AUDITOR)
SETUP_AT = "2024-10-14T16:00"
START = clock.parse_moment("2024-10-21T09:00")
DEADLINE = date(2025, 6, 30)
MEASURES = 2  # per item at the start
HOT = 10  # items 1..HOT take a third of the picks, so processes collide on them
# What the engine may answer instead of committing. InvalidInput: a reassign to the handler that
# another process has just made the handler (the worker chose from what it read) has nothing to change.
REFUSALS = (Conflict, PermissionDenied, Refused, InvalidInput)
ROOT = Path(__file__).resolve().parents[2]


def round_file(items: int) -> round_yaml.RoundFile:
    """A round of `items` items in 已登记, half for each department, each with two measures."""
    people = [
        {"name": OFFICE, "roles": ["office"], "department": "巡察反馈意见整改工作领导小组办公室"},
        {"name": LEADER, "roles": ["leader"], "department": "镇人大"},
        {"name": HANDLER, "roles": ["handler"], "department": DEPT},
        # Two people hold two roles, so four eyes can be broken if the guard let it: HANDLER2 handles
        # half the items and may sign off; APPROVER2 is also in the office, so may submit any item.
        {"name": HANDLER2, "roles": ["handler", "approver"], "department": DEPT2},
        {"name": APPROVER, "roles": ["approver"], "department": "县委巡察办"},
        {"name": APPROVER2, "roles": ["approver", "office"], "department": "县委巡察办"},
        {"name": AUDITOR, "roles": ["auditor"]},
    ]
    rows = [
        {
            "number": str(n),
            "title": f"负载问题{n}",
            "leader": LEADER,
            "department": DEPT if n % 2 else DEPT2,
            "handler": HANDLER if n % 2 else HANDLER2,
            "deadline": DEADLINE.isoformat(),
            "measures": [{"text": f"措施{m}"} for m in range(1, MEASURES + 1)],
        }
        for n in range(1, items + 1)
    ]
    data = {
        "round": {
            "name": "负载测试轮次",
            "group": "负载测试组",
            "unit": "负载测试单位",
            "feedback_date": "2024-10-14",
        },
        "people": people,
        "aspects": [{"number": "一", "title": "负载测试方面", "items": rows}],
    }
    return round_yaml.RoundFile.model_validate(data)


def build(url: str, items: int) -> int:
    """Create the schema and import the round; returns the audit head after the set-up."""
    engine = db.make_engine(url)
    try:
        db.create_schema(engine)
        with db.unit_of_work(engine) as conn:
            round_yaml.import_round(conn, round_file(items), OFFICE, clock.parse_moment(SETUP_AT))
            seq = conn.execute(sa.text("SELECT max(seq) FROM audit")).scalar_one()
    finally:
        engine.dispose()
    return int(seq)


# --- random actions ---------------------------------------------------------------------------------


@dataclass
class Action:
    name: str
    actor: str
    params: dict[str, Any] = field(default_factory=dict)
    versioned: bool = False  # whether the use case takes expect_version


def _text(rng: random.Random) -> str | None:
    return rng.choice([None, "", "理由"])


def happy(rng: random.Random, row: store.Current) -> Action:
    """The next sensible step for the item's state, by someone who may take it (guards may still refuse)."""
    handler = row.handler or OFFICE
    state = row.state
    if state == "reported":
        return Action("assign", OFFICE, versioned=True)
    if state == "assigned":
        return Action("start", rng.choice([handler, OFFICE]), versioned=True)
    if state == "in_progress":
        pick = rng.choices(
            ["measure_done", "evidence", "progress", "submit", "extend", "reassign", "add_measure"],
            weights=[6, 4, 2, 6, 1, 1, 1],
        )[0]
        if pick == "measure_done":
            return Action(pick, handler, {"seq": rng.randint(1, MEASURES)})
        if pick == "evidence":
            return Action(pick, handler, {"kind": "批文", "ref": f"负载〔2024〕{rng.randint(1, 999)}号"})
        if pick == "progress":
            return Action(pick, rng.choice([handler, LEADER]), {"text": "推进整改"})
        if pick == "submit":
            return Action(
                pick, rng.choice([handler, handler, APPROVER2]), {"summary": "整改完成"}, versioned=True
            )
        if pick == "extend":
            to = (row.deadline or DEADLINE) + timedelta(days=rng.randint(1, 60))
            return Action(pick, handler, {"to": to, "reason": "延期理由", "approved_by": LEADER}, True)
        if pick == "reassign":
            other = HANDLER2 if handler == HANDLER else HANDLER
            return Action(pick, OFFICE, {"handler": other, "reason": "调整"}, versioned=True)
        return Action(pick, LEADER, {"text": "新增措施"})
    if state == "submitted":
        signer = rng.choice([APPROVER, APPROVER2, HANDLER2])  # the last two are refused on their own items
        if rng.random() < 0.75:
            return Action("approve", signer, versioned=True)
        return Action("reject", signer, {"reason": "材料不全"}, versioned=True)
    if state == "closed":
        return Action("revisit", OFFICE, versioned=True)
    if rng.random() < 0.7:
        return Action("confirm", rng.choice([OFFICE, APPROVER]), {"finding": "未反弹"}, versioned=True)
    return Action("reopen", OFFICE, {"reason": "问题反弹"}, versioned=True)


TRIGGERS = ("assign", "start", "submit", "approve", "reject", "revisit", "confirm", "reopen")
OTHERS = ("measure_done", "evidence", "progress", "extend", "reassign", "add_measure")


def anything(rng: random.Random, row: store.Current) -> Action:
    """Any action by anyone, with or without the text its guards ask for: mostly refused."""
    name = rng.choice(TRIGGERS + OTHERS)
    actor = rng.choice(PEOPLE)
    text = _text(rng)
    if name in TRIGGERS:
        return Action(name, actor, {"reason": text, "summary": text, "finding": text}, versioned=True)
    if name == "measure_done":
        return Action(name, actor, {"seq": rng.randint(1, MEASURES)})
    if name == "evidence":
        return Action(name, actor, {"kind": "文件", "ref": "文号"})
    if name == "progress":
        return Action(name, actor, {"text": "进展"})
    if name == "extend":
        to = (row.deadline or DEADLINE) + timedelta(days=rng.randint(-30, 30))
        approver = rng.choice([None, *PEOPLE])
        return Action(name, actor, {"to": to, "reason": text, "approved_by": approver}, versioned=True)
    if name == "reassign":
        other = HANDLER2 if row.handler == HANDLER else HANDLER
        return Action(name, actor, {"handler": other, "reason": text or "调整"}, versioned=True)
    return Action(name, actor, {"text": "措施"})


def perform(
    conn: sa.Connection, item: int, act: Action, now: datetime, expect: int | None
) -> actions.Outcome:
    p = act.params
    if act.name in TRIGGERS:
        return actions.fire(
            conn,
            item,
            act.name,
            act.actor,
            now,
            reason=p.get("reason"),
            summary=p.get("summary"),
            finding=p.get("finding"),
            expect_version=expect,
        )
    if act.name == "measure_done":
        return actions.complete_measure(conn, item, p["seq"], act.actor, now)
    if act.name == "evidence":
        return actions.attach_evidence(conn, item, act.actor, now, kind=p["kind"], ref=p["ref"])
    if act.name == "progress":
        return actions.add_progress(conn, item, act.actor, now, on=clock.local_today(now), text=p["text"])
    if act.name == "extend":
        return actions.extend(
            conn,
            item,
            act.actor,
            now,
            new_deadline=p["to"],
            reason=p["reason"],
            approved_by=p["approved_by"],
            expect_version=expect,
        )
    if act.name == "reassign":
        return actions.reassign(
            conn, item, act.actor, now, reason=p["reason"], handler=p["handler"], expect_version=expect
        )
    return actions.add_measure(conn, item, act.actor, now, text=p["text"])


def random_actions(url: str, log: Path, *, worker: int, seed: int, actions: int, items: int) -> None:
    """Each action: read the item (as `item show` would), choose, act with an expect_version that is
    fresh, stale or absent, and log the outcome."""
    rng = random.Random(seed)
    engine = db.make_engine(url)
    with log.open("w", encoding="utf-8", buffering=1) as out:
        for n in range(actions):
            item = rng.randint(1, HOT) if rng.random() < 1 / 3 else rng.randint(1, items)
            with db.reading(engine) as conn:
                row = store.current(conn, item)
            act = happy(rng, row) if rng.random() < 0.7 else anything(rng, row)
            expect = None
            if act.versioned:
                expect = rng.choices([row.version, None, row.version - rng.randint(1, 3)], [6, 3, 1])[0]
            # Every process's clock moves on in step; the moment is an input like any other.
            now = START + timedelta(minutes=n, microseconds=worker)
            record: dict[str, Any] = {
                "worker": worker,
                "n": n,
                "item": item,
                "action": act.name,
                "actor": act.actor,
                "expect": expect,
                "seen": row.version,
            }
            try:
                with db.unit_of_work(engine) as conn:
                    outcome = perform(conn, item, act, after_head(conn, now), expect)
            except REFUSALS as exc:
                record.update(outcome="refused", error=type(exc).__name__, message=str(exc))
            except Exception as exc:  # logged, and the test fails on any
                record.update(
                    outcome="error", error=type(exc).__name__, message=traceback.format_exc(limit=3)
                )
            else:
                e = outcome.entry
                record.update(
                    outcome="committed",
                    seq=e.seq,
                    hash=e.hash,
                    version=outcome.version,
                    from_state=e.from_state,
                    to_state=e.to_state,
                )
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    engine.dispose()


# --- a burst of transitions ---------------------------------------------------------------------------


def after_head(conn: sa.Connection, moment: datetime) -> datetime:
    """The moment as a server's clock, read once it holds the write lock, would give it: never before the
    newest entry (which another process may have written while this one waited for the lock)."""
    head = conn.execute(sa.text("SELECT at FROM audit ORDER BY seq DESC LIMIT 1")).scalar()
    return max(moment, clock.from_text(head)) if head else moment


def burst(url: str, log: Path, *, items: int, batch: int, hold_after: int | None = None) -> None:
    """Assign items 1..items in order, `batch` per transaction; log each batch once it has committed.
    Items already assigned (by an earlier, killed run) are skipped, so a rerun finishes the work.

    With `hold_after`, stop after that many assignments — inside the open transaction when it is not
    a multiple of `batch` — say "holding" on stdout and wait to be killed: a kill at a known point."""
    engine = db.make_engine(url)
    fired = 0
    with log.open("a", encoding="utf-8", buffering=1) as out:
        with db.reading(engine) as conn:
            todo = [
                i
                for (i,) in conn.execute(sa.text("SELECT id FROM item WHERE state = 'reported' ORDER BY id"))
                if i <= items
            ]
        for start in range(0, len(todo), batch):
            ids = todo[start : start + batch]
            now = START + timedelta(seconds=ids[0])
            with db.unit_of_work(engine) as conn:
                seqs = []
                for i in ids:
                    seqs.append(actions.fire(conn, i, "assign", OFFICE, now).entry.seq)
                    fired += 1
                    if fired == hold_after:
                        print("holding", flush=True)
                        sys.stdin.read()  # until the test kills this process
            out.write(json.dumps({"items": ids, "seqs": seqs}) + "\n")
    engine.dispose()


# --- the process around them ----------------------------------------------------------------------------


def wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"barrier {path} did not appear within {timeout} s")
        time.sleep(0.002)


def start_together(
    tmp: Path, commands: list[list[str]], *, timeout: float = 60
) -> list[subprocess.Popen[str]]:
    """Start `python -m tests.load.worker` once per argument list; return once every process has
    imported everything and connected, and the barrier is down (they start within milliseconds)."""
    barrier = tmp / "go"
    ready = [tmp / f"ready-{n}" for n in range(len(commands))]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.load.worker",
                *args,
                "--ready",
                str(flag),
                "--barrier",
                str(barrier),
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,  # kept open: a holding burst waits on it until it is killed
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for flag, args in zip(ready, commands, strict=True)
    ]
    deadline = time.monotonic() + timeout
    while not all(f.exists() for f in ready):
        failed = [p for p in procs if p.poll() is not None]
        if failed or time.monotonic() > deadline:
            for p in procs:
                p.kill()
            details = [p.communicate()[1][-2000:] for p in failed]
            raise AssertionError(f"workers did not get ready: {details}")
        time.sleep(0.01)
    barrier.touch()
    return procs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.load.worker")
    parser.add_argument("mode", choices=["random", "burst"])
    parser.add_argument("url")
    parser.add_argument("log", type=Path)
    parser.add_argument("--ready", type=Path)
    parser.add_argument("--barrier", type=Path)
    parser.add_argument("--worker", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--actions", type=int, default=500)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--hold-after", type=int)
    args = parser.parse_args(argv)
    # Connect once before saying "ready", so start-up is not part of the race.
    engine = db.make_engine(args.url)
    with db.reading(engine) as conn:
        conn.execute(sa.text("SELECT 1"))
    engine.dispose()
    if args.ready:
        args.ready.touch()
    if args.barrier:
        wait_for(args.barrier)
    if args.mode == "random":
        random_actions(
            args.url, args.log, worker=args.worker, seed=args.seed, actions=args.actions, items=args.items
        )
    else:
        burst(args.url, args.log, items=args.items, batch=args.batch, hold_after=args.hold_after)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ZhenggaiError as exc:  # e.g. the database is not initialised: one line, exit 1
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(1)
