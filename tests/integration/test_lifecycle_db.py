"""Use cases against a real SQLite file: state, version and audit entry move together."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import APPROVER, AUDITOR, HANDLER, LEADER, OFFICE, Clock
from workflow import db
from workflow.audit import chain, verify
from workflow.db.tables.core import AUDIT, EVIDENCE, ITEM, PROGRESS
from workflow.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Refused
from workflow.items import actions, people, store
from workflow.read import items as item_queries
from workflow.read import people as people_read


@pytest.fixture(autouse=True)
def _cold_update_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test builds the versioned UPDATEs it uses (store._UPDATES starts empty), as a fresh process
    does: a mutation run forks every mutant from a process whose tests already filled the cache, where
    a change to how the statement is built would otherwise never run."""
    monkeypatch.setattr(store, "_UPDATES", {})


def state(engine: sa.Engine, item_id: int) -> tuple[str, int]:
    with db.reading(engine) as conn:
        row = conn.execute(sa.select(ITEM.c.state, ITEM.c.version).where(ITEM.c.id == item_id)).one()
    return row.state, row.version


def audit_count(engine: sa.Engine) -> int:
    with db.reading(engine) as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(AUDIT)).scalar_one())


def work_until_submitted(engine: sa.Engine, tick: Clock, item_id: int = 1) -> None:
    with db.unit_of_work(engine) as conn:
        actions.fire(conn, item_id, "assign", OFFICE, tick())
        actions.fire(conn, item_id, "start", HANDLER, tick())
        actions.complete_measure(conn, item_id, 1, HANDLER, tick())
        actions.attach_evidence(conn, item_id, HANDLER, tick(), kind="批文", ref="获政土〔2024〕27号")
        actions.fire(conn, item_id, "submit", HANDLER, tick(), summary="手续已办结")


def test_full_lifecycle_leaves_a_verifiable_trail(seeded: sa.Engine, tick: Clock) -> None:
    work_until_submitted(seeded, tick)
    with db.unit_of_work(seeded) as conn:
        actions.fire(conn, 1, "approve", APPROVER, tick.set("2024-11-29T10:00"))
        actions.fire(conn, 1, "revisit", OFFICE, tick.set("2025-03-01T10:00"))
        actions.fire(conn, 1, "confirm", OFFICE, tick(), finding="整改成果巩固，未反弹")
    assert state(seeded, 1) == ("closed", 9)
    with db.reading(seeded) as conn:
        done = [e.action for e in chain.entries(conn, 1)]
        verdict = verify.verify(conn)
    assert done == [
        "import",
        "assign",
        "start",
        "measure_done",
        "evidence",
        "submit",
        "approve",
        "revisit",
        "confirm",
    ]
    assert verdict.ok and verdict.count == audit_count(seeded)


def test_a_rejected_sign_off_goes_back_to_work_with_the_reason_in_history(
    seeded: sa.Engine, tick: Clock
) -> None:
    work_until_submitted(seeded, tick)
    with db.unit_of_work(seeded) as conn:
        actions.fire(conn, 1, "reject", APPROVER, tick(), reason="缺少现场照片")
    assert state(seeded, 1)[0] == "in_progress"
    with db.reading(seeded) as conn:
        last = chain.entries(conn, 1)[-1]
    assert (last.action, last.from_state, last.to_state, last.reason) == (
        "reject",
        "submitted",
        "in_progress",
        "缺少现场照片",
    )


def test_a_revisit_that_finds_relapse_reopens_the_item(seeded: sa.Engine, tick: Clock) -> None:
    work_until_submitted(seeded, tick)
    with db.unit_of_work(seeded) as conn:
        actions.fire(conn, 1, "approve", APPROVER, tick())
        actions.fire(conn, 1, "revisit", OFFICE, tick())
        actions.fire(conn, 1, "reopen", APPROVER, tick(), reason="问题反弹：再次出现违法占地")
    assert state(seeded, 1)[0] == "in_progress"


def test_refusal_changes_nothing(seeded: sa.Engine, tick: Clock) -> None:
    before = (state(seeded, 1), audit_count(seeded))
    with pytest.raises(Refused, match="只有「已交办」时才能开始整改"), db.unit_of_work(seeded) as conn:
        actions.fire(conn, 1, "start", HANDLER, tick())
    assert (state(seeded, 1), audit_count(seeded)) == before


def test_state_and_audit_entry_commit_together_or_not_at_all(
    seeded: sa.Engine, tick: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = (state(seeded, 1), audit_count(seeded))

    def broken_append(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(chain, "append", broken_append)
    with pytest.raises(RuntimeError, match="disk full"), db.unit_of_work(seeded) as conn:
        actions.fire(conn, 1, "assign", OFFICE, tick())
    assert (state(seeded, 1), audit_count(seeded)) == before


def test_a_stale_version_is_a_conflict(seeded: sa.Engine, tick: Clock) -> None:
    with db.unit_of_work(seeded) as conn:
        actions.fire(conn, 1, "assign", OFFICE, tick(), expect_version=1)
    with pytest.raises(Conflict, match="已被他人改动"), db.unit_of_work(seeded) as conn:
        actions.add_progress(conn, 1, HANDLER, tick(), on=date(2024, 10, 21), text="x")
        actions.fire(conn, 1, "start", HANDLER, tick(), expect_version=2)
    assert state(seeded, 1) == ("assigned", 2)  # the progress entry of that transaction is gone too
    with db.reading(seeded) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(PROGRESS)).scalar_one() == 0


def test_nobody_signs_off_their_own_work(seeded: sa.Engine, tick: Clock) -> None:
    with db.unit_of_work(seeded) as conn:
        people.add_person(
            conn, OFFICE, tick(), name="双重角色", roles="handler,approver", department="村镇规划建设办公室"
        )
        actions.fire(conn, 1, "assign", OFFICE, tick())
        actions.fire(conn, 1, "start", "双重角色", tick())
        actions.complete_measure(conn, 1, 1, "双重角色", tick())
        actions.attach_evidence(conn, 1, "双重角色", tick(), kind="照片", ref="复耕照片")
        actions.fire(conn, 1, "submit", "双重角色", tick(), summary="已复耕")
    with pytest.raises(Refused, match="是提请销号的人"), db.unit_of_work(seeded) as conn:
        actions.fire(conn, 1, "approve", "双重角色", tick())


def test_the_items_handler_may_not_sign_it_off_though_someone_else_submitted(
    seeded: sa.Engine, tick: Clock
) -> None:
    """Four eyes, the handler's half: 双重角色 handles item 1 and is an approver; the office submits."""
    with db.unit_of_work(seeded) as conn:
        people.add_person(conn, OFFICE, tick(), name="双重角色", roles="handler,approver")
        actions.reassign(conn, 1, OFFICE, tick(), reason="换人", handler="双重角色")
        actions.fire(conn, 1, "assign", OFFICE, tick())
        actions.fire(conn, 1, "start", OFFICE, tick())
        actions.complete_measure(conn, 1, 1, OFFICE, tick())
        actions.attach_evidence(conn, 1, OFFICE, tick(), kind="照片", ref="复耕照片")
        actions.fire(conn, 1, "submit", OFFICE, tick(), summary="已复耕")
    for trigger, reason in (("approve", None), ("reject", "不行")):
        refused = pytest.raises(Refused, match="双重角色 是本事项的责任人，不能审核自己的事项")
        with refused, db.unit_of_work(seeded) as conn:
            actions.fire(conn, 1, trigger, "双重角色", tick(), reason=reason)
    assert state(seeded, 1) == ("submitted", 7)
    with db.unit_of_work(seeded) as conn:  # the control: another approver may
        actions.fire(conn, 1, "approve", APPROVER, tick())
    assert state(seeded, 1)[0] == "closed"


def test_the_submitter_may_not_reject_either(seeded: sa.Engine, tick: Clock) -> None:
    with db.unit_of_work(seeded) as conn:
        people.add_person(conn, OFFICE, tick(), name="双重角色", roles="office,approver")
        actions.fire(conn, 1, "assign", OFFICE, tick())
        actions.fire(conn, 1, "start", OFFICE, tick())
        actions.complete_measure(conn, 1, 1, OFFICE, tick())
        actions.attach_evidence(conn, 1, OFFICE, tick(), kind="照片", ref="复耕照片")
        actions.fire(conn, 1, "submit", "双重角色", tick(), summary="已复耕")
    refused = pytest.raises(Refused, match="双重角色 是提请销号的人，不能审核自己的事项")
    with refused, db.unit_of_work(seeded) as conn:
        actions.fire(conn, 1, "reject", "双重角色", tick(), reason="再改")
    with db.unit_of_work(seeded) as conn:
        actions.fire(conn, 1, "reject", APPROVER, tick(), reason="再改")
    assert state(seeded, 1)[0] == "in_progress"


def test_the_auditor_changes_nothing(seeded: sa.Engine, tick: Clock) -> None:
    with pytest.raises(PermissionDenied, match="审计员 没有交办的权限"), db.unit_of_work(seeded) as conn:
        actions.fire(conn, 1, "assign", AUDITOR, tick())
    with pytest.raises(PermissionDenied, match="审计员 没有添加人员的权限"), db.unit_of_work(seeded) as conn:
        people.add_person(conn, AUDITOR, tick(), name="新人", roles="office")


def test_unknown_item_and_person(seeded: sa.Engine, tick: Clock) -> None:
    with pytest.raises(NotFound, match="没有编号为 99 的事项"), db.unit_of_work(seeded) as conn:
        actions.fire(conn, 99, "assign", OFFICE, tick())
    with pytest.raises(NotFound, match="没有名为 '张三' 的人员"), db.unit_of_work(seeded) as conn:
        actions.fire(conn, 1, "assign", "张三", tick())


def test_extension_moves_the_deadline_and_keeps_the_original(seeded: sa.Engine, tick: Clock) -> None:
    with db.unit_of_work(seeded) as conn:
        actions.fire(conn, 3, "assign", OFFICE, tick())
        actions.fire(conn, 3, "start", HANDLER, tick())
        actions.extend(
            conn,
            3,
            HANDLER,
            tick(),
            new_deadline=date(2025, 3, 31),
            reason="备案手续办理中",
            approved_by=LEADER,
        )
    with db.reading(seeded) as conn:
        row = conn.execute(sa.select(ITEM).where(ITEM.c.id == 3)).one()
        entry = chain.entries(conn, 3)[-1]
    assert (row.deadline, row.original_deadline) == (date(2025, 3, 31), date(2025, 2, 14))
    assert entry.data == {
        "approved_by": LEADER,
        "from": "2025-02-14",
        "from_kind": "date",
        "to": "2025-03-31",
    }


def test_an_extension_to_the_same_day_is_refused_and_one_day_later_granted(
    seeded: sa.Engine, tick: Clock
) -> None:
    with db.unit_of_work(seeded) as conn:
        actions.fire(conn, 3, "assign", OFFICE, tick())
    refused = pytest.raises(Refused, match="新的完成时限 2025-02-14 必须晚于原时限 2025-02-14")
    with refused, db.unit_of_work(seeded) as conn:
        actions.extend(
            conn, 3, HANDLER, tick(), new_deadline=date(2025, 2, 14), reason="备案", approved_by=LEADER
        )
    with db.unit_of_work(seeded) as conn:
        actions.extend(
            conn, 3, HANDLER, tick(), new_deadline=date(2025, 2, 15), reason="备案", approved_by=LEADER
        )
        assert store.current(conn, 3).deadline == date(2025, 2, 15)


def test_a_write_that_lost_the_race_is_a_conflict_at_the_update(seeded: sa.Engine, tick: Clock) -> None:
    """The versioned UPDATE (store.bump, WHERE id AND version). Writers normally cannot race: the write
    lock (BEGIN IMMEDIATE, the chain's advisory lock) orders them. A caller that read the item outside
    that lock — here a row read in one transaction and written in a later one, after another writer —
    must get a Conflict, not overwrite the other's change."""
    with db.unit_of_work(seeded) as conn:
        stale = store.current(conn, 1)
    with db.unit_of_work(seeded) as conn:
        actions.fire(conn, 1, "assign", OFFICE, tick())
    with pytest.raises(Conflict, match="事项 1 已被他人改动，请刷新后重试"), db.unit_of_work(seeded) as conn:
        store.bump(conn, stale, tick(), state="closed")
    assert state(seeded, 1) == ("assigned", 2)
    with db.unit_of_work(seeded) as conn:  # the control: the same write on the fresh row goes through
        store.bump(conn, store.current(conn, 1), tick(), summary="x")
    assert state(seeded, 1) == ("assigned", 3)


def test_evidence_files_are_stored_once_by_hash(seeded: sa.Engine, tick: Clock, tmp_path: Path) -> None:
    photo = tmp_path / "复耕.jpg"
    photo.write_bytes(b"\xff\xd8 not really a jpeg")
    with db.unit_of_work(seeded) as conn:
        actions.fire(conn, 2, "assign", OFFICE, tick())
        actions.attach_evidence(conn, 2, OFFICE, tick(), kind="照片", file=photo)
        actions.attach_evidence(conn, 2, OFFICE, tick(), kind="照片", file=photo, note="同一张")
        rows = conn.execute(sa.select(EVIDENCE.c.file_sha256, EVIDENCE.c.size)).all()
        blobs = conn.execute(sa.text("SELECT count(*) FROM blob")).scalar_one()
    assert len({r.file_sha256 for r in rows}) == 1 and rows[0].size == photo.stat().st_size
    assert blobs == 1


def test_control_characters_and_overlong_text_are_refused(seeded: sa.Engine, tick: Clock) -> None:
    with pytest.raises(InvalidInput, match="控制字符"), db.unit_of_work(seeded) as conn:
        actions.add_progress(conn, 1, OFFICE, tick(), on=date(2024, 10, 21), text="bad\x1b[31m")
    with (
        pytest.raises(InvalidInput, match="过长（20001 字，最多 20000 字）"),
        db.unit_of_work(seeded) as conn,
    ):
        actions.add_progress(conn, 1, OFFICE, tick(), on=date(2024, 10, 21), text="长" * 20001)
    with db.unit_of_work(seeded) as conn:  # the limit itself is allowed
        actions.add_progress(conn, 1, OFFICE, tick(), on=date(2024, 10, 21), text="长" * 20000)


def test_what_can_i_do_now_explains_every_blocked_action(seeded: sa.Engine, tick: Clock) -> None:
    with db.reading(seeded) as conn:
        view = item_queries.show_item(conn, 1, people_read.load_actor(conn, HANDLER), date(2024, 10, 21))
    assert view["available"] == ["progress"]
    assert view["blocked"]["start"] == "事项当前为「已登记」，只有「已交办」时才能开始整改"
    assert view["blocked"]["assign"] == "规划办经办人 没有交办的权限（需要角色：整改办）"


def test_sign_off_sheet_cites_evidence_and_chain_head(seeded: sa.Engine, tick: Clock) -> None:
    work_until_submitted(seeded, tick)
    with db.unit_of_work(seeded) as conn:
        head_before = chain.head(conn)
        actions.fire(conn, 1, "approve", APPROVER, tick())
    with db.reading(seeded) as conn:
        sheet = item_queries.signoff_sheet(conn, 1)
        evidence_hash = conn.execute(sa.select(EVIDENCE.c.hash)).scalar_one()
    assert sheet["chain_head_before"] == {"seq": head_before[0], "hash": head_before[1]}
    assert sheet["entry"]["seq"] == head_before[0] + 1 and sheet["entry_matches_log"]
    assert [e["hash"] for e in sheet["evidence"]] == [evidence_hash]
    assert sheet["evidence"][0]["matches_record"]
    assert (sheet["approved_by"], sheet["submitted_by"]) == (APPROVER, HANDLER)
