"""The chain: the database refuses edits, and every kind of tampering is named by verify."""

from __future__ import annotations

import os
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import OFFICE
from tests.fixtures.legacy import legacy_url
from workflow import clock, db
from workflow.audit import chain, verify
from workflow.demo import build
from workflow.errors import Refused


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo")
    build(directory)
    return directory / "zhenggai.db"


@pytest.fixture
def copy(demo_db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy.db"
    with sqlite3.connect(demo_db) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def verify_file(path: Path, head: tuple[int, str] | None = None) -> verify.Verdict:
    engine = db.make_engine(db.sqlite_url(path))
    with db.reading(engine) as conn:
        return verify.verify(conn, head, deep=True)


def tamper(path: Path, *sql: str) -> None:
    """What an attacker with file access does: drop the triggers, then edit."""
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("DROP TRIGGER audit_no_delete")
        for statement in sql:
            conn.execute(statement)


@pytest.mark.sqlite_only  # tampers with the file through sqlite3; PostgreSQL: tests/load
def test_the_demo_chain_verifies(copy: Path) -> None:
    verdict = verify_file(copy)
    assert verdict.ok and verdict.count == verdict.head_seq == 40
    assert verify_file(copy, (40, verdict.head_hash)) == verdict  # the head known from elsewhere matches


@pytest.mark.sqlite_only  # tampers with the file through sqlite3; PostgreSQL: tests/load
@pytest.mark.parametrize(
    "statement", ["UPDATE audit SET actor = 'x' WHERE seq = 5", "DELETE FROM audit WHERE seq = 5"]
)
def test_the_database_refuses_to_change_the_log(copy: Path, statement: str) -> None:
    with sqlite3.connect(copy) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(statement)


@pytest.mark.sqlite_only  # tampers with the file through sqlite3; PostgreSQL: tests/load
def test_an_edited_row_is_named(copy: Path) -> None:
    head = verify_file(copy)
    tamper(copy, "UPDATE audit SET reason = '补记' WHERE seq = 20")
    verdict = verify_file(copy)
    assert (verdict.ok, verdict.bad_seq, verdict.count) == (False, 20, 19)
    assert verdict.problem == "条目 #20 的内容与其哈希不符（被改动）"
    # the head known from elsewhere still matches; the edited row is what is named
    assert verify_file(copy, (head.head_seq, head.head_hash)) == verdict


@pytest.mark.sqlite_only  # tampers with the file through sqlite3; PostgreSQL: tests/load
def test_an_edited_row_with_a_recomputed_hash_breaks_the_next_link(copy: Path) -> None:
    with sqlite3.connect(copy) as conn:
        row = list(
            conn.execute(
                "SELECT seq, at, actor, item_id, action, from_state, to_state, reason, payload, "
                "prev_hash, recorded_at FROM audit WHERE seq = 20"
            ).fetchone()
        )
    row[2] = "冒名者"
    forged = chain.entry_hash(row[:10], row[10])
    tamper(copy, f"UPDATE audit SET actor = '冒名者', hash = '{forged}' WHERE seq = 20")
    verdict = verify_file(copy)
    assert (verdict.bad_seq, verdict.problem) == (21, "条目 #21 的前序哈希与 #20 不符（插入或改动）")


@pytest.mark.sqlite_only  # tampers with the file through sqlite3; PostgreSQL: tests/load
def test_a_deleted_row_is_named(copy: Path) -> None:
    tamper(copy, "DELETE FROM audit WHERE seq = 12")
    verdict = verify_file(copy)
    assert (verdict.ok, verdict.bad_seq, verdict.problem) == (False, 13, "条目 #12 缺失（被删除）")


@pytest.mark.sqlite_only  # tampers with the file through sqlite3; PostgreSQL: tests/load
def test_an_inserted_row_is_named(copy: Path) -> None:
    # Renumber the tail to make room, then slip in a row: its successor no longer links to it.
    tamper(
        copy,
        "UPDATE audit SET seq = seq + 1000 WHERE seq >= 30",
        "UPDATE audit SET seq = seq - 999 WHERE seq >= 1000",
        "INSERT INTO audit (seq, at, actor, item_id, action, payload, prev_hash, hash) "
        "VALUES (30, '2024-12-01T00:00:00.000000Z', 'x', 1, 'approve', '{}', "
        "(SELECT hash FROM audit WHERE seq = 29), 'f00')",
    )
    verdict = verify_file(copy)
    assert (verdict.ok, verdict.bad_seq) == (False, 30)


@pytest.mark.sqlite_only  # tampers with the file through sqlite3; PostgreSQL: tests/load
def test_a_truncated_tail_is_caught_against_a_known_head(copy: Path) -> None:
    head = verify_file(copy)
    tamper(copy, "DELETE FROM audit WHERE seq > 35")
    engine = db.make_engine(db.sqlite_url(copy))
    with db.reading(engine) as conn:
        assert verify.verify(conn).ok  # what remains is a valid chain …
    with sqlite3.connect(copy) as conn:
        (last,) = conn.execute("SELECT hash FROM audit WHERE seq = 35").fetchone()
    verdict = verify_file(copy, (head.head_seq, head.head_hash))
    assert verdict == verify.Verdict(False, 35, 35, last, 36, "日志止于 #35，但已知链头为 #40（尾部被截断）")
    # … and, without any known head, the tables now say more than the trail does.
    deep = verify_file(copy)
    assert (deep.ok, deep.table, deep.column) == (False, "item", "state")


def test_appends_in_one_transaction_chain_to_each_other(engine: sa.Engine) -> None:
    now = clock.parse_moment("2024-10-21T09:00")
    with db.unit_of_work(engine) as conn:
        a = chain.append(conn, at=now, actor=OFFICE, action="note")
        b = chain.append(conn, at=now, actor=OFFICE, action="note")
    with db.unit_of_work(engine) as conn:
        c = chain.append(conn, at=now, actor=OFFICE, action="note")
    assert (a.seq, b.seq, c.seq) == (1, 2, 3) and b.prev_hash == a.hash and c.prev_hash == b.hash
    with db.reading(engine) as conn:
        assert verify.verify(conn).ok


def test_a_rolled_back_append_leaves_no_gap(engine: sa.Engine) -> None:
    now = clock.parse_moment("2024-10-21T09:00")
    with pytest.raises(RuntimeError, match="rolled back"), db.unit_of_work(engine) as conn:
        chain.append(conn, at=now, actor=OFFICE, action="note")
        raise RuntimeError("rolled back")
    with db.unit_of_work(engine) as conn:
        assert chain.append(conn, at=now, actor=OFFICE, action="note").seq == 1


@pytest.mark.sqlite_only  # tampers with the file through sqlite3; PostgreSQL: tests/load
@pytest.mark.parametrize(
    ("sql", "bad_seq"),
    [
        ([], None),
        (["UPDATE audit SET reason = 'x' WHERE seq = 3"], 3),  # inside the first range
        (["UPDATE audit SET actor = 'x' WHERE seq = 27"], 27),  # inside a later range
        # A deletion is noticed at the first entry after the gap.
        (["DELETE FROM audit WHERE seq BETWEEN 14 AND 26"], 27),  # a whole range gone
        (["DELETE FROM audit WHERE seq = 1"], 2),
        (["DELETE FROM audit WHERE seq = 14"], 15),  # the first row of a range
    ],
)
def test_parallel_verify_agrees_with_the_single_pass(
    copy: Path, parallel_verify: str, sql: list[str], bad_seq: int | None
) -> None:
    if sql:
        tamper(copy, *sql)
    engine = db.make_engine(db.sqlite_url(copy))
    parallel = verify.verify_engine(engine, workers=3)
    assert parallel == verify_file(copy)
    assert parallel.bad_seq == bad_seq


@pytest.mark.sqlite_only  # tampers with the file through sqlite3; PostgreSQL: tests/load
def test_parallel_verify_checks_the_link_between_two_ranges(copy: Path, parallel_verify: str) -> None:
    """Entry 14 ends the first of three ranges (40 entries, 14 a range). Forged with its own hash
    recomputed, each range still checks out alone: only the link from range 1 into range 2 (entry 15's
    prev_hash) shows it, and the parallel verify must check that link as the single pass does."""
    with sqlite3.connect(copy) as conn:
        row = list(
            conn.execute(
                "SELECT seq, at, actor, item_id, action, from_state, to_state, reason, payload, "
                "prev_hash, recorded_at FROM audit WHERE seq = 14"
            ).fetchone()
        )
    row[2] = "冒名者"
    forged = chain.entry_hash(row[:10], row[10])
    tamper(copy, f"UPDATE audit SET actor = '冒名者', hash = '{forged}' WHERE seq = 14")
    engine = db.make_engine(db.sqlite_url(copy))
    parallel = verify.verify_engine(engine, workers=3, deep=False)
    assert (parallel.ok, parallel.bad_seq, parallel.count) == (False, 15, 14)
    assert parallel.problem == "条目 #15 的前序哈希与 #14 不符（插入或改动）"


@pytest.mark.sqlite_only  # tampers with the file through sqlite3; PostgreSQL: tests/load
@pytest.mark.parametrize("workers", [1, 3])
def test_an_entry_backdated_with_its_hash_recomputed_is_named_as_time_running_backwards(
    copy: Path, parallel_verify: str, workers: int
) -> None:
    """Entry 15 (the first of the second range when three workers share 40 entries) moved to a moment
    before entry 14, its own hash recomputed: its link and hash check out, only the order of time does
    not — inside one scan, and across the ranges of a parallel verify."""
    with sqlite3.connect(copy) as conn:
        before = conn.execute("SELECT at FROM audit WHERE seq = 14").fetchone()[0]
        row = list(
            conn.execute(
                "SELECT seq, at, actor, item_id, action, from_state, to_state, reason, payload, "
                "prev_hash, recorded_at FROM audit WHERE seq = 15"
            ).fetchone()
        )
    row[1] = "2024-01-01T00:00:00.000000Z"
    forged = chain.entry_hash(row[:10], row[10])
    tamper(copy, f"UPDATE audit SET at = '{row[1]}', hash = '{forged}' WHERE seq = 15")
    verdict = verify.verify_engine(db.make_engine(db.sqlite_url(copy)), workers=workers, deep=False)
    assert (verdict.ok, verdict.bad_seq, verdict.count) == (False, 15, 14)
    assert verdict.problem == (
        f"条目 #15 的时间 {clock.show(row[1])} 早于 #14 的 {clock.show(before)}（时间倒流：倒填时间或被改动）"
    )


def test_the_chain_refuses_entries_out_of_time_with_the_moments_named() -> None:
    """check_time: at most AHEAD (5 minutes) ahead of the machine's clock, never before the head."""
    recorded = clock.parse_moment("2025-01-10T10:00")
    chain.check_time(recorded + chain.AHEAD, recorded, 3, None)  # the bound itself is allowed
    with pytest.raises(Refused, match="不能预先记录将来的事") as ahead:
        chain.check_time(recorded + chain.AHEAD + timedelta(microseconds=1), recorded, 3, None)
    assert str(ahead.value) == (
        f"操作时间 {clock.show(recorded + chain.AHEAD + timedelta(microseconds=1))} 晚于当前时间 "
        f"{clock.show(recorded)}：不能预先记录将来的事"
    )
    head_at = clock.to_text(recorded)
    chain.check_time(recorded, recorded, 3, head_at)  # the same moment as the head is allowed
    earlier = recorded - timedelta(seconds=1)
    with pytest.raises(Refused, match="审计日志只能按时间顺序追加") as behind:
        chain.check_time(earlier, recorded, 3, head_at)
    assert str(behind.value) == (
        f"操作时间 {clock.show(earlier)} 早于审计日志中最近的一条（#3，{clock.show(head_at)}）："
        "审计日志只能按时间顺序追加；补录以前的事，请从最早的一件起按时间顺序录入"
    )


@pytest.mark.sqlite_only  # reads the demo file
def test_entries_of_an_item_and_the_last_few(copy: Path) -> None:
    engine = db.make_engine(db.sqlite_url(copy))
    with db.reading(engine) as conn:
        every = chain.entries(conn)
        mine = chain.entries(conn, 1)
        last = chain.entries(conn, limit=3)
        last_of_mine = chain.entries(conn, 1, limit=2)
        beyond = verify.upto(conn, 41)
        cut = verify.verify(conn, (40, every[-1].hash))
        wrong = verify.verify(conn, (39, "0" * 64))
    assert [e.seq for e in every] == list(range(1, 41))
    assert mine and all(e.item_id == 1 for e in mine) and len(mine) < len(every)
    assert [e.seq for e in last] == [38, 39, 40]
    assert [e.seq for e in last_of_mine] == [e.seq for e in mine[-2:]]
    assert (beyond.ok, beyond.bad_seq, beyond.problem) == (False, 41, "条目 #41 不存在")
    assert cut.ok and cut.head_seq == 40
    assert wrong == verify.Verdict(False, 40, 40, every[-1].hash, 39, "条目 #39 的哈希与已知链头不符")


def test_an_append_returns_the_entry_as_stored_and_the_head_only_moves_forward(engine: sa.Engine) -> None:
    now = clock.parse_moment("2024-10-21T09:00")
    with db.unit_of_work(engine) as conn:
        first = chain.append(
            conn, at=now, actor=OFFICE, action="note", item_id=7, from_state="a", to_state="b", reason="r"
        )
        second = chain.append(conn, at=now, actor=OFFICE, action="note")  # the head cached in the transaction
    with db.reading(engine) as conn:
        assert [first, second] == [chain.entry(conn, 1), chain.entry(conn, 2)]
        assert chain.entry(conn, 3) is None
    assert first.recorded_at is not None and first.at == clock.to_text(now)
    earlier = now - timedelta(seconds=1)
    with pytest.raises(Refused, match=r"早于审计日志中最近的一条（#2，"), db.unit_of_work(engine) as conn:
        chain.append(conn, at=earlier, actor=OFFICE, action="note")


@pytest.mark.sqlite_only  # an in-memory SQLite database
@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite:///:memory:"])
def test_a_database_in_memory_is_verified_whole_by_the_process_that_holds_it(
    url: str, parallel_verify: str
) -> None:
    """Workers open the database again by its URL; an in-memory one they would open empty. However
    large the log (here any log counts as large), it is verified where it lives."""
    engine = db.make_engine(url)
    db.create_schema(engine)
    now = clock.parse_moment("2024-10-21T09:00")
    with db.unit_of_work(engine) as conn:
        written = [chain.append(conn, at=now, actor=OFFICE, action="note") for _ in range(5)]
    assert verify.verify_engine(engine, workers=3, deep=False) == verify.Verdict(True, 5, 5, written[-1].hash)


Shares = list[tuple[int, list[tuple[int, int]]]]


@pytest.fixture
def shares(monkeypatch: pytest.MonkeyPatch) -> Shares:
    """The parallel verify's workers as threads that record each pool started: its size, and the
    range of entries (lo, hi) given to each worker."""
    started: Shares = []

    class Recording(ThreadPoolExecutor):
        def __init__(self, workers: int) -> None:
            super().__init__(workers)
            started.append((workers, []))

        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
            started[-1][1].append((args[1], args[2]))  # (url, lo, hi, …)
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(verify, "_pool", Recording)
    return started


def notes(engine: sa.Engine, upto: int) -> str:
    """Entries appended until the log holds `upto`; the head's hash."""
    now = clock.parse_moment("2024-10-21T09:00")
    with db.unit_of_work(engine) as conn:
        while chain.head(conn)[0] < upto:
            chain.append(conn, at=now, actor=OFFICE, action="note")
        return chain.head(conn)[1]


def test_a_log_from_the_threshold_up_is_shared_evenly_among_at_most_eight_workers(
    engine: sa.Engine, shares: Shares, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log as large as PARALLEL_MIN and larger is hashed in several workers, each a contiguous range
    of about the same size; one smaller, or a verify told to use one worker, runs in one process. By
    default there are as many workers as cores, at most eight."""
    monkeypatch.setattr(verify, "PARALLEL_MIN", 10)

    def started(n: int, head: str, workers: int | None) -> Shares:
        shares.clear()
        assert verify.verify_engine(engine, workers=workers, deep=False) == verify.Verdict(True, n, n, head)
        return shares

    head = notes(engine, 9)
    assert started(9, head, 3) == []  # below the threshold: one process
    head = notes(engine, 10)
    assert started(10, head, 3) == [(3, [(1, 4), (5, 8), (9, 10)])]
    assert started(10, head, 2) == [(2, [(1, 5), (6, 10)])]
    assert started(10, head, 1) == []
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert started(10, head, None) == [(4, [(1, 3), (4, 6), (7, 9), (10, 10)])]
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # unknown: one
    assert started(10, head, None) == []
    head = notes(engine, 17)
    monkeypatch.setattr(os, "cpu_count", lambda: 16)  # eight workers: ranges of three entries, six of them
    assert started(17, head, None) == [(6, [(1, 3), (4, 6), (7, 9), (10, 12), (13, 15), (16, 17)])]


def test_entries_written_while_the_workers_hash_are_verified_too(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ranges are fixed when a parallel verify starts; what is appended while the workers run is
    hashed after them and linked to the last range, so the verdict's head is the newest entry."""

    class WritesMeanwhile(ThreadPoolExecutor):
        def __exit__(self, *exc: object) -> None:
            super().__exit__(*exc)  # type: ignore[arg-type]
            notes(engine, 12)  # two more, committed before the workers' results are stitched

    monkeypatch.setattr(verify, "PARALLEL_MIN", 1)
    monkeypatch.setattr(verify, "_pool", WritesMeanwhile)
    notes(engine, 10)
    verdict = verify.verify_engine(engine, workers=3, deep=False)
    with db.reading(engine) as conn:
        newest = chain.entry(conn, 12)
    assert newest is not None and verdict == verify.Verdict(True, 12, 12, newest.hash)


def test_a_verify_checks_the_log_against_a_known_head(engine: sa.Engine) -> None:
    head = notes(engine, 10)  # one process: below PARALLEL_MIN
    assert verify.verify_engine(engine, (10, head), deep=False) == verify.Verdict(True, 10, 10, head)
    assert verify.verify_engine(engine, (12, "0" * 64), deep=False) == verify.Verdict(
        False, 10, 10, head, 11, "日志止于 #10，但已知链头为 #12（尾部被截断）"
    )


def test_a_parallel_verify_checks_the_log_against_a_known_head(
    engine: sa.Engine, parallel_verify: str
) -> None:
    head = notes(engine, 10)
    assert verify.verify_engine(engine, (10, head), workers=3, deep=False) == verify.Verdict(
        True, 10, 10, head
    )
    assert verify.verify_engine(engine, (12, "0" * 64), workers=3, deep=False) == verify.Verdict(
        False, 10, 10, head, 11, "日志止于 #10，但已知链头为 #12（尾部被截断）"
    )
    assert verify.verify_engine(engine, (9, "0" * 64), workers=3, deep=False) == verify.Verdict(
        False, 10, 10, head, 9, "条目 #9 的哈希与已知链头不符"
    )


@pytest.mark.parametrize("parallel", [False, True], ids=["one process", "parallel in threads"])
def test_a_verify_reads_beside_a_writer_without_waiting_for_it(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, parallel: bool
) -> None:
    """A verify is a reader: it takes no write lock, so a write in progress neither blocks it nor
    shows in it. (On SQLite its engine gives up on a lock after 0.1 s instead of 30 s.)"""
    if parallel:
        monkeypatch.setattr(verify, "PARALLEL_MIN", 1)
        monkeypatch.setattr(verify, "_pool", ThreadPoolExecutor)
    head = notes(engine, 3)
    reader = db.make_engine(engine.url.render_as_string(hide_password=False))
    if reader.dialect.name == "sqlite":
        sa.event.listen(reader, "connect", lambda raw, _: raw.execute("PRAGMA busy_timeout = 100"))
    with db.unit_of_work(engine) as conn:  # a write in progress, holding the write lock
        chain.append(conn, at=clock.parse_moment("2024-10-21T09:00"), actor=OFFICE, action="note")
        verdict = verify.verify_engine(reader, deep=False)
    reader.dispose()
    assert verdict == verify.Verdict(True, 3, 3, head)


def test_entries_from_before_recorded_at_existed_verify_with_their_old_hashes(tmp_path: Path) -> None:
    """The database the pre-restructure code made (tests/fixtures/legacy): its 86 entries have no
    `recorded_at`, and their hashes cover the fields they had; upgraded, the chain still verifies —
    in this process (tests/e2e/test_legacy_database.py does it through the CLI)."""
    engine = db.make_engine(legacy_url(tmp_path))
    db.create_schema(engine)  # `zhenggai db upgrade`
    with db.reading(engine) as conn:
        assert (
            conn.execute(sa.text("SELECT count(*) FROM audit WHERE recorded_at IS NULL")).scalar_one() == 86
        )
    verdict = verify.verify_engine(engine, deep=False)
    engine.dispose()
    assert (verdict.ok, verdict.count, verdict.problem) == (True, 86, None)
