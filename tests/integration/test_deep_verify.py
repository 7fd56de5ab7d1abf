"""Verify proves the live tables (issue 9 §3): someone with write access to the database (the SQLite
file, or an owner's connection on PostgreSQL) changes a table behind the engine's back and leaves the
chain intact; `audit verify` replays the trail and names the first row, column and value that disagree.
Each case on both backends; each would pass the chain-only check."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import APPROVER, HANDLER, OFFICE, Clock
from workflow import db
from workflow.audit import verify
from workflow.errors import ZhenggaiError
from workflow.items import actions


@pytest.fixture
def worked(seeded: sa.Engine, tick: Clock) -> sa.Engine:
    """Item 1 closed with evidence and progress; item 3 in progress with its measure open."""
    with db.unit_of_work(seeded) as conn:
        for item in (1, 3):
            actions.fire(conn, item, "assign", OFFICE, tick())
            actions.fire(conn, item, "start", HANDLER, tick())
        actions.add_progress(conn, 1, HANDLER, tick(), on=tick().date(), text="实地核查")
        actions.complete_measure(conn, 1, 1, HANDLER, tick())
        actions.attach_evidence(conn, 1, HANDLER, tick(), kind="批文", ref="获政土〔2024〕27号")
        actions.fire(conn, 1, "submit", HANDLER, tick(), summary="手续已办结")
        actions.fire(conn, 1, "approve", APPROVER, tick())
        actions.extend(
            conn,
            3,
            HANDLER,
            tick(),
            new_deadline=tick().date().replace(year=2025, month=3, day=31),
            reason="备案办理中",
            approved_by="徐波",
        )
    return seeded


def behind_the_engine(engine: sa.Engine, *statements: str) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


@pytest.fixture(params=["one process", "parallel", "parallel in threads"])
def deep(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Callable[[sa.Engine], verify.Verdict]:
    """`audit verify` as it runs on a small log (one process) and on a large one (several, each
    hashing a range of entries and replaying a share of the items) — in processes as it runs, and in
    threads of this process (see the `parallel_verify` fixture)."""
    if request.param != "one process":
        monkeypatch.setattr(verify, "PARALLEL_MIN", 1)
    if request.param == "parallel in threads":
        monkeypatch.setattr(verify, "_pool", ThreadPoolExecutor)
    return lambda engine: verify.verify_engine(engine, workers=3)


Deep = Callable[[sa.Engine], verify.Verdict]


def chain_only(engine: sa.Engine) -> verify.Verdict:
    return verify.verify_engine(engine, deep=False)


def test_an_untouched_database_agrees_with_its_trail(worked: sa.Engine, deep: Deep) -> None:
    verdict = deep(worked)
    assert verdict.ok and verdict.deep


@pytest.mark.parametrize(
    ("statements", "where"),
    [
        (["UPDATE item SET state = 'closed' WHERE id = 3"], ("item", "3", "state", "in_progress", "closed")),
        (
            ["UPDATE item SET deadline = '2099-12-31' WHERE id = 3"],
            ("item", "3", "deadline", "2025-03-31", "2099-12-31"),
        ),
        (["UPDATE item SET version = 5 WHERE id = 2"], ("item", "2", "version", "1", "5")),
        (
            ["UPDATE item SET handler = '县委巡察办' WHERE id = 1"],
            ("item", "1", "handler", "规划办经办人", "县委巡察办"),
        ),
        (
            ["UPDATE measure SET done_on = '2024-11-01', done_by = '规划办经办人' WHERE item_id = 3"],
            ("measure", "事项 3 第 1 项", "done_on", None, "2024-11-01"),
        ),
        (
            ["DELETE FROM evidence WHERE item_id = 1"],
            ("evidence", "事项 1 的第 1 条", None, "（有此行）", "（无此行）"),
        ),
        (
            [
                "INSERT INTO evidence (item_id, kind, ref, actor, created_at, hash) VALUES "
                "(3, '批文', '伪造', '规划办经办人', '2024-11-01T00:00:00.000000Z', '" + "0" * 64 + "')"
            ],
            ("evidence", "事项 3 的第 1 条", None, "（无此行）", "（有此行）"),
        ),
        (
            [
                'INSERT INTO progress (item_id, "on", text, actor, created_at) VALUES '
                "(3, '2024-11-01', '已全部整改', '徐波', '2024-11-01T00:00:00.000000Z')"
            ],
            ("progress", "事项 3 的第 1 条", None, "（无此行）", "（有此行）"),
        ),
        (
            ["UPDATE progress SET actor = '徐波' WHERE item_id = 1"],
            ("progress", "事项 1 的第 1 条", "actor", "规划办经办人", "徐波"),
        ),
        (
            ["UPDATE person SET roles = 'approver,handler' WHERE name = '规划办经办人'"],
            ("person", "规划办经办人", "roles", "handler", "approver,handler"),
        ),
        (
            ["INSERT INTO person (name, roles) VALUES ('影子审核人', 'approver')"],
            ("person", "影子审核人", None, "（无此行）", "（有此行）"),
        ),
        (
            ["UPDATE person SET unit = '中共太山镇委员会' WHERE name = '县委巡察办'"],
            ("person", "县委巡察办", "unit", None, "中共太山镇委员会"),
        ),
        (
            ["UPDATE unit SET name = '影子镇' WHERE id = 1"],
            ("unit", "1", "name", "中共太山镇委员会", "影子镇"),
        ),
        (
            [
                "INSERT INTO unit (id, round_id, name, position, created_at) VALUES "
                "(7, 1, '影子镇', 1, '2024-11-01T00:00:00.000000Z')"
            ],
            ("unit", "7", None, "（无此行）", "（有此行）"),
        ),
    ],
    ids=[
        "state",
        "deadline",
        "version",
        "handler",
        "measure",
        "evidence gone",
        "evidence added",
        "progress added",
        "progress author",
        "roles",
        "shadow person",
        "a person's unit",
        "a unit renamed",
        "shadow unit",
    ],
)
def test_a_change_behind_the_engine_is_named(
    worked: sa.Engine,
    deep: Deep,
    statements: list[str],
    where: tuple[str, str, str | None, str | None, str | None],
) -> None:
    intact = chain_only(worked)
    assert intact.ok  # the chain alone sees nothing
    behind_the_engine(worked, *statements)
    verdict = deep(worked)
    table, row, column, expected, found = where  # a whole row more or less names no column (null in --json)
    assert not verdict.ok and verdict.bad_seq is None
    assert (verdict.count, verdict.head_seq, verdict.head_hash) == (
        intact.count,
        intact.head_seq,
        intact.head_hash,
    )
    assert (verdict.table, verdict.row, verdict.column) == (table, row, column)
    assert (verdict.expected, verdict.found) == (expected, found)
    assert verdict.problem is not None and verdict.problem.startswith(f"表 {table} 的 {row}")


def test_a_file_whose_bytes_changed_is_named(
    worked: sa.Engine, deep: Deep, tick: Clock, tmp_path: Path
) -> None:
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + b"photo" * 100)
    with db.unit_of_work(worked) as conn:
        actions.attach_evidence(conn, 3, HANDLER, tick(), kind="照片", file=photo)
    assert deep(worked).ok
    behind_the_engine(
        worked, "UPDATE blob SET data = " + ("X'00'" if worked.dialect.name == "sqlite" else "'\\x00'::bytea")
    )
    verdict = deep(worked)
    assert (verdict.ok, verdict.table, verdict.column) == (False, "blob", "data")


def test_a_faked_state_laundered_by_a_later_action_is_named_at_that_entry(
    worked: sa.Engine, deep: Deep, tick: Clock
) -> None:
    behind_the_engine(worked, "UPDATE item SET state = 'closed' WHERE id = 3")
    with db.unit_of_work(worked) as conn:  # the guards see the faked row and let the revisit through
        outcome = actions.fire(conn, 3, "revisit", OFFICE, tick())
        actions.fire(conn, 3, "confirm", OFFICE, tick(), finding="巩固")
    verdict = deep(worked)
    assert (verdict.ok, verdict.table, verdict.column) == (False, "audit", "from_state")
    assert verdict.bad_seq == outcome.entry.seq
    assert (verdict.expected, verdict.found) == ("in_progress", "closed")


def test_verify_agrees_after_every_kind_of_use_case(worked: sa.Engine, deep: Deep, tick: Clock) -> None:
    steps: list[Callable[[sa.Connection], object]] = [
        lambda c: actions.reassign(
            c, 2, OFFICE, tick(), reason="分工调整", leader="徐波", cooperating="自然资源所"
        ),
        lambda c: actions.add_measure(c, 2, OFFICE, tick(), text="开展专项排查", owner="规划办", due=None),
        lambda c: actions.fire(c, 3, "assign", OFFICE, tick()),
    ]
    for step in steps:
        # A refusal writes nothing and leaves the tables in agreement too.
        with db.unit_of_work(worked) as conn, contextlib.suppress(ZhenggaiError):
            step(conn)
        assert deep(worked).ok


@pytest.mark.sqlite_only  # edits the SQLite file's audit table, triggers dropped, as an attacker with the file would
def test_a_sign_off_entry_edited_in_place_is_not_vouched_for_by_its_sheet(worked: sa.Engine) -> None:
    from workflow.read.items import signoff_sheet

    with db.reading(worked) as conn:
        sheet = signoff_sheet(conn, 1)
    assert sheet["entry_matches_log"] is True
    seq = sheet["entry"]["seq"]
    behind_the_engine(
        worked,
        "DROP TRIGGER audit_no_update",
        f"UPDATE audit SET actor = '徐波' WHERE seq = {seq}",  # another approver, the stored hash kept
    )
    with db.reading(worked) as conn:
        sheet = signoff_sheet(conn, 1)
    assert sheet["approved_by"] == "徐波"
    assert sheet["entry_matches_log"] is False
    assert sheet["log_problem"] == f"条目 #{seq} 的内容与其哈希不符（被改动）"
