"""Two processes act on one item at once: exactly one wins, the other gets a clear conflict, and the
chain never forks. Real processes, real SQLite file, started together behind a barrier file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from tests.backends import fresh_url
from workflow import db
from workflow.audit import chain, verify
from workflow.demo import build

pytestmark = pytest.mark.slow

# Each worker imports everything, says it is ready, waits for the barrier, then runs one command.
WORKER = """
import os, sys, time
from cli import cli
import workflow.items.actions, workflow.db
ready, barrier = sys.argv[1], sys.argv[2]
open(ready, "w").close()
while not os.path.exists(barrier):
    time.sleep(0.001)
cli.main(args=sys.argv[3:], prog_name="zhenggai")
"""


def run_together(tmp_path: Path, commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    barrier = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    ready = [tmp_path / f"ready-{i}" for i in range(len(commands))]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(flag), str(barrier), *cmd],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for flag, cmd in zip(ready, commands, strict=True)
    ]
    deadline = time.monotonic() + 60
    while not all(f.exists() for f in ready):
        assert time.monotonic() < deadline, "workers did not start"
        time.sleep(0.01)
    barrier.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        results.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return results


@pytest.fixture
def demo(tmp_path: Path) -> str:
    url, _ = build(tmp_path / "demo", fresh_url(tmp_path))
    return url


def test_two_approvers_at_once_exactly_one_signs_off(demo: str, tmp_path: Path) -> None:
    # Item 3 is in progress in the demo; get it to 待销号审核 first.
    base = ["--db", demo, "--now", "2025-02-10T10:00"]
    runner = CliRunner()
    for args in (
        ["--as", "规划办经办人", "item", "measure-done", "3", "1"],
        ["--as", "规划办经办人", "item", "submit", "3", "--summary", "备案已完成"],
        ["--as", "镇整改办", "person", "add", "第二验收人", "--role", "approver"],
    ):
        result = runner.invoke(cli, base + args)
        assert result.exit_code == 0, result.output
    results = run_together(
        tmp_path,
        [
            [*base, "--as", "县委巡察办", "item", "approve", "3", "--expect-version", "10"],
            [
                *base,
                "--as",
                "第二验收人",
                "item",
                "reject",
                "3",
                "--reason",
                "材料不全",
                "--expect-version",
                "10",
            ],
        ],
    )
    codes = sorted(r.returncode for r in results)
    assert codes == [0, 1], [(r.returncode, r.stderr) for r in results]
    loser = next(r for r in results if r.returncode == 1)
    assert "已被他人改动" in loser.stderr and loser.stderr.count("\n") == 1
    engine = db.make_engine(demo)
    with db.reading(engine) as conn:
        decisions = [e.action for e in chain.entries(conn, 3) if e.action in ("approve", "reject")]
        assert len(decisions) == 1 and verify.verify(conn).ok


def test_many_writers_at_once_never_fork_the_chain(demo: str, tmp_path: Path) -> None:
    engine = db.make_engine(demo)
    with db.reading(engine) as conn:
        before = chain.head(conn)[0]
    n = 6
    results = run_together(
        tmp_path,
        [
            ["--db", demo, "--as", "镇整改办", "item", "progress", "3", f"并发进展 {i}", "--on", "2025-02-01"]
            for i in range(n)
        ],
    )
    assert [r.returncode for r in results] == [0] * n, [r.stderr for r in results]
    with db.reading(engine) as conn:
        verdict = verify.verify(conn)
    assert verdict.ok and verdict.head_seq == before + n
