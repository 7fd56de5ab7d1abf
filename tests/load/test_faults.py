"""Faults: a process killed (SIGKILL) in the middle of a ledger import or of a burst of transitions,
and a PostgreSQL audit table tampered with behind the engine's back.

After a kill the database must be as if the killed transaction never started: the import is all or
nothing, only whole transactions of the burst are there, every item's state and version agree with
its audit trail, `audit verify` passes, and the same work can be run again to the end. Each kill
lands at a known point (the import's progress bar on a pseudo-terminal; a burst that stops inside
its transaction and waits) or at a moment chosen by polling the chain's length; no test sleeps for
anything but bounded polling.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.backends import BACKEND, fresh_url
from tests.ledger_fixtures import ADMIN, row, write_csv, write_xlsx
from tests.load import worker
from workflow import clock, db
from workflow.audit import chain as audit_chain
from workflow.audit import verify
from workflow.demo import build as build_demo
from workflow.items import actions, people
from workflow.read import items as item_queries

pytestmark = [pytest.mark.load, pytest.mark.slow]

ZHENGGAI = str(Path(sys.executable).with_name("zhenggai"))
IMPORT_ROWS = 10_000
BURST_ITEMS = 1_000
postgresql_only = pytest.mark.skipif(BACKEND != "postgresql", reason="tampering through a PostgreSQL login")


def cli_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ZHENGGAI_")}


def zhenggai(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ZHENGGAI, "--db", url, *args],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=300,
        check=False,
    )


def poll(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    """Wait, bounded, for something a subprocess does."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def assert_consistent(url: str) -> verify.Verdict:
    """The database as a restarted program finds it (a new engine here, the `audit verify` command in
    a new process): sound, every item's state the last its trail records and its version the number
    of its entries, and the chain verifies."""
    engine = db.make_engine(url)
    try:
        with db.reading(engine) as conn:
            if conn.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            items = {i: (s, v) for i, s, v in conn.exec_driver_sql("SELECT id, state, version FROM item")}
            replayed: dict[int, str] = {}
            entries: Counter[int] = Counter()
            for e in audit_chain.entries(conn):
                if e.item_id is not None:
                    entries[e.item_id] += 1
                    if e.to_state is not None:
                        replayed[e.item_id] = e.to_state
        assert {i: s for i, (s, _v) in items.items()} == replayed
        assert {i: v for i, (_s, v) in items.items()} == dict(entries)
        verdict = verify.verify_engine(engine)
        assert verdict.ok, verdict
    finally:
        engine.dispose()
    done = zhenggai(url, "audit", "verify")
    assert done.returncode == 0 and done.stdout.startswith(f"审计链完整：{verdict.count} 条"), done
    return verdict


def kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)  # reaps it and closes its pipes
    assert proc.returncode == -signal.SIGKILL


def scalar(url: str, sql: str) -> int:
    engine = db.make_engine(url)
    try:
        with db.reading(engine) as conn:
            return int(conn.exec_driver_sql(sql).scalar_one())
    finally:
        engine.dispose()


def count(url: str, table: str) -> int:
    return scalar(url, f"SELECT count(*) FROM {table}")


# --- a ledger import killed while it writes -------------------------------------------------------


def blank(tmp_path: Path) -> str:
    url = fresh_url(tmp_path)
    engine = db.make_engine(url)
    db.create_schema(engine)
    with db.unit_of_work(engine) as conn:
        people.add_person(
            conn, None, clock.parse_moment("2024-10-14T09:00"), name=ADMIN, roles="office", bootstrap=True
        )
    engine.dispose()
    return url


def big_ledger(path: Path) -> Path:
    status = ("正在推进", "已完成", "未启动")
    rows = [
        row(n, 完成情况=status[n % 3], 整改进展="2024年11月1日，完成排查", 责任人=f"经办人{n % 7}")
        for n in range(1, IMPORT_ROWS + 1)
    ]
    return write_csv(path, rows) if path.suffix == ".csv" else write_xlsx(path, rows, fast=True)


IMPORT = (
    "--round",
    "负载轮次",
    "--group",
    "县委第一巡察组",
    "--unit",
    "中共某镇委员会",
    "--feedback-date",
    "2024-10-14",
)
WRITING = re.compile(r"写入数据库\s+\[[^\]]*\]\s+(\d+)/(\d+)")


def kill_import_while_writing(url: str, ledger: Path, at_least: int) -> None:
    """Start `zhenggai ledger import` with stderr on a pseudo-terminal, so that its progress bar is
    drawn, and SIGKILL it once the bar shows at least `at_least` rows written: inside its transaction."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [
            ZHENGGAI,
            "--db",
            url,
            "--as",
            ADMIN,
            "--now",
            "2025-01-10T10:00",
            "ledger",
            "import",
            str(ledger),
            *IMPORT,
        ],
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=cli_env(),
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 180
    try:
        while True:
            assert time.monotonic() < deadline, seen.decode(errors="replace")[-500:]
            ready, _, _ = select.select([master], [], [], 1)
            if ready:
                with contextlib.suppress(OSError):  # raised once the process has gone
                    seen += os.read(master, 65536)
            written = [(int(a), int(b)) for a, b in WRITING.findall(seen.decode(errors="ignore"))]
            if written and written[-1][0] >= at_least:
                assert written[-1][0] < written[-1][1], "the import finished before it could be killed"
                proc.send_signal(signal.SIGKILL)
                break
            assert proc.poll() is None, seen.decode(errors="replace")[-500:]
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        os.close(master)  # only now: writing to a pseudo-terminal without its master fails


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_ledger_import_killed_while_writing_leaves_nothing_and_runs_again_in_full(
    tmp_path: Path, suffix: str
) -> None:
    url = blank(tmp_path)
    ledger = big_ledger(tmp_path / f"台账{suffix}")
    before = count(url, "audit")
    kill_import_while_writing(url, ledger, at_least=500)
    # Nothing of the killed import: no round, batch, item, person, measure, progress or entry.
    for table in ("round", "aspect", "ledger_batch", "item", "measure", "progress", "evidence"):
        assert count(url, table) == 0, table
    assert (count(url, "person"), count(url, "audit")) == (1, before)
    assert_consistent(url)
    # Work continues: the same file imports in full, and the items take transitions.
    done = zhenggai(url, "--as", ADMIN, "--now", "2025-01-10T11:00", "ledger", "import", str(ledger), *IMPORT)
    assert done.returncode == 0, done.stderr
    assert f"新增 {IMPORT_ROWS} 项" in done.stdout
    assert count(url, "item") == IMPORT_ROWS
    # (On PostgreSQL the killed import used up sequence values, so ids need not start at 1.)
    item = scalar(url, "SELECT item_id FROM ledger_key WHERE ledger_no = '3'")  # 正在推进: in progress
    done = zhenggai(
        url, "--as", ADMIN, "--now", "2025-01-11T09:00", "item", "progress", str(item), "导入后继续工作"
    )
    assert done.returncode == 0, done.stderr
    # Entries: the office user, the round, its aspect, the handlers named in the file, one per row,
    # the batch, the progress.
    people = count(url, "person") - 1
    assert assert_consistent(url).count == before + 2 + people + IMPORT_ROWS + 1 + 1


# --- a burst of transitions killed -------------------------------------------------------------------


def burst_log(path: Path) -> list[list[int]]:
    return [json.loads(line)["items"] for line in path.read_text(encoding="utf-8").splitlines()]


def assigned(url: str) -> list[int]:
    engine = db.make_engine(url)
    try:
        with db.reading(engine) as conn:
            rows = conn.exec_driver_sql("SELECT id FROM item WHERE state = 'assigned' ORDER BY id")
            return [i for (i,) in rows]
    finally:
        engine.dispose()


def burst_options(batch: int, *more: str) -> list[str]:
    return ["--items", str(BURST_ITEMS), "--batch", str(batch), *more]


def finish_burst(tmp_path: Path, url: str, log: Path, batch: int, setup_head: int) -> None:
    """Run the burst again to the end (it skips what is done) and check the result."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.load.worker", "burst", url, str(log), *burst_options(batch)],
        cwd=worker.ROOT,
        env={**os.environ, "PYTHONPATH": str(worker.ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert assigned(url) == list(range(1, BURST_ITEMS + 1))
    verdict = assert_consistent(url)
    assert verdict.count == setup_head + BURST_ITEMS


@pytest.mark.parametrize("batch", [1, 20])
def test_a_burst_killed_inside_a_transaction_keeps_only_the_committed_transactions(
    tmp_path: Path, batch: int
) -> None:
    url = fresh_url(tmp_path)
    setup_head = worker.build(url, BURST_ITEMS)
    log = tmp_path / "burst.jsonl"
    # Five transactions commit; the sixth has assigned some items when the process is killed.
    hold = 5 * batch + max(1, batch // 2)
    (proc,) = worker.start_together(
        tmp_path, [["burst", url, str(log), *burst_options(batch, "--hold-after", str(hold))]]
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 120)
    assert ready and proc.stdout.readline() == "holding\n", proc.communicate()[1]
    kill(proc)
    committed = [i for items in burst_log(log) for i in items]
    assert committed == list(range(1, 5 * batch + 1))
    assert assigned(url) == committed
    verdict = assert_consistent(url)
    assert verdict.count == setup_head + len(committed)
    finish_burst(tmp_path, url, log, batch, setup_head)


@pytest.mark.parametrize("batch", [1, 20])
def test_a_burst_killed_at_any_moment_keeps_whole_transactions_and_can_finish(
    tmp_path: Path, batch: int
) -> None:
    url = fresh_url(tmp_path)
    setup_head = worker.build(url, BURST_ITEMS)
    log = tmp_path / "burst.jsonl"
    (proc,) = worker.start_together(tmp_path, [["burst", url, str(log), *burst_options(batch)]])
    poll(lambda: count(url, "audit") >= setup_head + 100, "the burst to commit 100 transitions")
    kill(proc)
    done = assigned(url)
    k = len(done)
    logged = sum(len(items) for items in burst_log(log))
    # A prefix of whole transactions; the log may miss the last one (killed between commit and write).
    assert done == list(range(1, k + 1)) and k % batch == 0
    assert logged <= k <= logged + batch and 100 <= k < BURST_ITEMS
    assert assert_consistent(url).count == setup_head + k
    finish_burst(tmp_path, url, log, batch, setup_head)


# --- tampering with the audit table on PostgreSQL ----------------------------------------------------


class Tampered:
    """The seed case on a fresh PostgreSQL schema, with item 3 signed off last (its sign-off sheet is
    the head an auditor keeps), and a direct connection that bypasses the engine."""

    def __init__(self, tmp_path: Path) -> None:
        self.url, _ = build_demo(tmp_path / "demo", fresh_url(tmp_path))
        engine = db.make_engine(self.url)
        now = clock.parse_moment("2025-02-20T10:00")
        with db.unit_of_work(engine) as conn:
            actions.complete_measure(conn, 3, 1, "规划办经办人", now)
            actions.fire(conn, 3, "submit", "规划办经办人", now, summary="备案手续已办结")
            actions.fire(conn, 3, "approve", "县委巡察办", now)
        with db.reading(engine) as conn:
            sheet = item_queries.signoff_sheet(conn, 3)
        engine.dispose()
        self.signoff = (int(sheet["entry"]["seq"]), str(sheet["entry"]["hash"]))
        assert self.signoff[0] == 43  # the seed's 40 entries, then measure_done, submit, approve

    def sql(self, *statements: str) -> None:
        direct = sa.create_engine(self.url, poolclass=sa.pool.NullPool)  # not db.make_engine: no chain lock
        try:
            with direct.begin() as conn:
                for statement in statements:
                    conn.exec_driver_sql(statement)
        finally:
            direct.dispose()

    def row(self, seq: int) -> list[object]:
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                found = conn.exec_driver_sql(
                    "SELECT seq, at, actor, item_id, action, from_state, to_state, reason, payload, "
                    f"prev_hash, hash, recorded_at FROM audit WHERE seq = {int(seq)}"
                ).one()
        finally:
            engine.dispose()
        return list(found)

    def verify(
        self, parallel: bool, head: tuple[int, str] | None = None, *, deep: bool = False
    ) -> verify.Verdict:
        """The chain alone by default (what these tests tamper with); `deep` adds the live tables."""
        engine = db.make_engine(self.url)
        try:
            if parallel:  # the multi-process path, with ranges small enough to split this log in three
                return verify.verify_engine(engine, head, workers=3, deep=deep)
            with db.reading(engine) as conn:
                return verify.verify(conn, head, deep=deep)
        finally:
            engine.dispose()


@pytest.fixture
def chain(tmp_path: Path) -> Tampered:
    return Tampered(tmp_path)


@pytest.fixture(params=[False, True], ids=["one-pass", "parallel"])
def parallel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    monkeypatch.setattr(verify, "PARALLEL_MIN", 1)
    return bool(request.param)


@postgresql_only
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit SET actor = 'x' WHERE seq = 5",
        "DELETE FROM audit WHERE seq = 5",
        "DELETE FROM audit",
        "TRUNCATE audit",
    ],
)
def test_postgresql_refuses_every_change_to_the_log(chain: Tampered, statement: str) -> None:
    with pytest.raises(sa.exc.DBAPIError, match="audit log is append-only"):
        chain.sql(statement)
    assert chain.verify(parallel=False).count == 43


@postgresql_only
def test_an_edited_row_is_named(chain: Tampered, parallel: bool) -> None:
    chain.sql("DROP TRIGGER audit_no_change ON audit", "UPDATE audit SET reason = '补记' WHERE seq = 20")
    verdict = chain.verify(parallel)
    assert (verdict.ok, verdict.bad_seq, verdict.count) == (False, 20, 19)
    assert verdict.problem == "条目 #20 的内容与其哈希不符（被改动）"


@postgresql_only
def test_an_edited_row_with_its_hash_recomputed_breaks_the_next_link(chain: Tampered, parallel: bool) -> None:
    row = chain.row(20)
    fields = row[:10]
    fields[2] = "冒名者"
    forged = audit_chain.entry_hash(fields, str(row[11]))
    chain.sql(
        "DROP TRIGGER audit_no_change ON audit",
        f"UPDATE audit SET actor = '冒名者', hash = '{forged}' WHERE seq = 20",
    )
    verdict = chain.verify(parallel)
    assert (verdict.bad_seq, verdict.problem) == (21, "条目 #21 的前序哈希与 #20 不符（插入或改动）")


@postgresql_only
def test_a_deleted_row_is_named(chain: Tampered, parallel: bool) -> None:
    chain.sql("DROP TRIGGER audit_no_change ON audit", "DELETE FROM audit WHERE seq = 12")
    verdict = chain.verify(parallel)
    assert (verdict.ok, verdict.bad_seq, verdict.problem) == (False, 13, "条目 #12 缺失（被删除）")


def _make_room(at: int) -> tuple[str, ...]:
    return (
        "DROP TRIGGER audit_no_change ON audit",
        f"UPDATE audit SET seq = seq + 1000 WHERE seq >= {at}",
        "UPDATE audit SET seq = seq - 999 WHERE seq >= 1000",
    )


@postgresql_only
def test_an_inserted_row_is_named(chain: Tampered, parallel: bool) -> None:
    # The tail renumbered to make room, and a row slipped in whose hash does not match its content.
    chain.sql(
        *_make_room(30),
        "INSERT INTO audit (seq, at, actor, item_id, action, payload, prev_hash, hash) "
        "VALUES (30, '2024-12-01T00:00:00.000000Z', 'x', 1, 'approve', '{}', "
        "(SELECT hash FROM audit WHERE seq = 29), 'f00')",
    )
    verdict = chain.verify(parallel)
    assert (verdict.bad_seq, verdict.problem) == (30, "条目 #30 的内容与其哈希不符（被改动）")


@postgresql_only
def test_an_inserted_row_with_a_valid_hash_breaks_the_link_after_it(chain: Tampered, parallel: bool) -> None:
    prev = str(chain.row(29)[10])
    fields: list[object] = [
        30,
        "2024-12-01T00:00:00.000000Z",
        "冒名者",
        1,
        "approve",
        None,
        None,
        None,
        "{}",
        prev,
    ]
    chain.sql(
        *_make_room(30),
        "INSERT INTO audit (seq, at, actor, item_id, action, payload, prev_hash, hash) "
        f"VALUES (30, '{fields[1]}', '冒名者', 1, 'approve', '{{}}', '{prev}', '{audit_chain.entry_hash(fields)}')",
    )
    verdict = chain.verify(parallel)
    assert (verdict.bad_seq, verdict.problem) == (31, "条目 #31 的前序哈希与 #30 不符（插入或改动）")


@postgresql_only
@pytest.mark.parametrize(
    ("trigger", "cut", "left"),
    [
        ("audit_no_change", "DELETE FROM audit WHERE seq > 40", 40),
        ("audit_no_truncate", "TRUNCATE audit", 0),
    ],
)
def test_a_truncated_tail_is_caught_against_the_sign_off_head(
    chain: Tampered, parallel: bool, trigger: str, cut: str, left: int
) -> None:
    with pytest.raises(sa.exc.DBAPIError, match="audit log is append-only"):
        chain.sql(cut)  # refused while the trigger is there
    chain.sql(f"DROP TRIGGER {trigger} ON audit", cut)
    assert chain.verify(parallel).ok  # what remains is a valid chain …
    assert not chain.verify(parallel, deep=True).ok  # … that no longer backs the tables …
    verdict = chain.verify(parallel, chain.signoff)  # … nor is the one the sign-off sheet was made on
    assert (verdict.ok, verdict.bad_seq) == (False, left + 1)
    assert verdict.problem == f"日志止于 #{left}，但已知链头为 #43（尾部被截断）"
    seq, digest = chain.signoff
    done = zhenggai(chain.url, "audit", "verify", "--head", f"{seq}:{digest}")
    assert done.returncode == 1
    assert (
        done.stderr
        == f"审计链校验失败：日志止于 #{left}，但已知链头为 #43（尾部被截断）（前 {left} 条完好）\n"
    )
