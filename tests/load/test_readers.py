"""Readers beside a writer: reading commands do not queue behind an open write transaction.

Writers serialise (BEGIN IMMEDIATE on SQLite, the chain lock on PostgreSQL), but a read needs
neither: SQLite in WAL mode and PostgreSQL both let it read the last committed state. Each command
runs as its own process while this test holds a write transaction open.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.backends import fresh_url
from tests.load import worker
from workflow import db

pytestmark = [pytest.mark.load, pytest.mark.slow]

ZHENGGAI = str(Path(sys.executable).with_name("zhenggai"))
# A reading command starts and answers in well under a second on a quiet machine; a blocked one would
# wait for the writer (indefinitely on PostgreSQL, 30 s and then "database is locked" on SQLite). The
# budget stays under those 30 s but leaves room for a busy machine: `make test` runs another test
# process beside this one (pytest-xdist), at times the load tests' bursts of processes, and 5 s were
# missed there by a command that only took long to start (Python and its imports).
PROMPT = 20


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = fresh_url(tmp_path_factory.mktemp("readers"))
    worker.build(url, 5)
    return url


def run_beside_a_writer(url: str, *args: str) -> subprocess.CompletedProcess[str] | None:
    """Run `zhenggai --db URL ARGS` while a write transaction is open; None if it did not finish."""
    engine = db.make_engine(url)
    try:
        with db.unit_of_work(engine) as conn:
            conn.exec_driver_sql("SELECT 1")  # the transaction has begun: the writers' lock is held
            try:
                return subprocess.run(
                    [ZHENGGAI, "--db", url, *args],
                    capture_output=True,
                    text=True,
                    timeout=PROMPT,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                return None
    finally:
        engine.dispose()


@pytest.mark.parametrize("args", [["item", "list"], ["audit", "log", "1"], ["summary"]])
def test_reading_commands_do_not_wait_for_a_writer(url: str, args: list[str]) -> None:
    done = run_beside_a_writer(url, *args)
    assert done is not None and done.returncode == 0, done


def test_audit_verify_does_not_wait_for_a_writer(url: str) -> None:
    done = run_beside_a_writer(url, "audit", "verify")
    assert done is not None, f"audit verify was still waiting for the writer after {PROMPT} s"
    assert done.returncode == 0 and done.stdout.startswith("审计链完整"), done
