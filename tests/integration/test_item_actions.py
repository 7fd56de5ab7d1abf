"""What each use case on an item returns, stores and writes to the log — the outcome, the item row, the
audit entry with its payload, and the exact refusal — written out by hand for the seed round
(items 1–3, one measure each, deadlines 2024-12-31 / 2024-12-31 / 2025-02-14, no cooperating units)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from states.categories import Category
from states.lifecycle import State
from tests.conftest import APPROVER, HANDLER, LEADER, OFFICE, Clock
from workflow import db
from workflow.audit import chain
from workflow.db.tables.core import EVIDENCE, ITEM, MEASURE, PROGRESS
from workflow.errors import Conflict, InvalidInput, NotFound, Refused
from workflow.items import actions, people, store, units


@pytest.fixture(autouse=True)
def _cold_update_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test builds the versioned UPDATEs it uses (store._UPDATES starts empty), as a fresh process
    does: a mutation run forks every mutant from a process whose tests already filled the cache, where
    a change to how the statement is built would otherwise never run."""
    monkeypatch.setattr(store, "_UPDATES", {})


def item_row(engine: sa.Engine, item_id: int) -> sa.Row:
    with db.reading(engine) as conn:
        return conn.execute(sa.select(ITEM).where(ITEM.c.id == item_id)).one()


def last_entry(engine: sa.Engine, item_id: int) -> chain.Entry:
    with db.reading(engine) as conn:
        return chain.entries(conn, item_id)[-1]


def entry_fields(e: chain.Entry) -> tuple[object, ...]:
    return (e.actor, e.action, e.item_id, e.from_state, e.to_state, e.reason, e.data)


def outcome_fields(o: actions.Outcome) -> tuple[object, ...]:
    return (o.item_id, o.number, o.from_state, o.to_state, o.version)


def assigned(engine: sa.Engine, tick: Clock, item_id: int) -> None:
    with db.unit_of_work(engine) as conn:
        actions.fire(conn, item_id, "assign", OFFICE, tick())


# --- the triggers -------------------------------------------------------------------------------------


def test_each_trigger_returns_its_outcome_and_logs_what_its_effects_recorded(
    seeded: sa.Engine, tick: Clock
) -> None:
    with db.unit_of_work(seeded) as conn:
        out = actions.fire(conn, 1, "assign", OFFICE, tick())
    assert outcome_fields(out) == (1, "一/1", State.reported, State.assigned, 2)
    assert out.entry == last_entry(seeded, 1)
    assert entry_fields(out.entry) == (OFFICE, "assign", 1, "reported", "assigned", None, {})
    assert (item_row(seeded, 1).updated_at, item_row(seeded, 1).version) == (tick(), 2)

    with db.unit_of_work(seeded) as conn:
        actions.fire(conn, 1, "start", HANDLER, tick())
        actions.complete_measure(conn, 1, 1, HANDLER, tick())
        actions.attach_evidence(conn, 1, HANDLER, tick(), kind="批文", ref="获政土〔2024〕27号")
        out = actions.fire(conn, 1, "submit", HANDLER, tick.set("2024-11-01T10:00"), summary="手续已办结")
    assert outcome_fields(out) == (1, "一/1", State.in_progress, State.submitted, 6)
    assert entry_fields(last_entry(seeded, 1)) == (
        HANDLER,
        "submit",
        1,
        "in_progress",
        "submitted",
        None,
        {"summary": "手续已办结"},
    )
    row = item_row(seeded, 1)
    assert (row.state, row.summary, row.submitted_by, row.closed_at) == (
        "submitted",
        "手续已办结",
        HANDLER,
        None,
    )

    with db.reading(seeded) as conn:
        head = chain.head(conn)
        evidence = conn.execute(sa.select(EVIDENCE.c.id, EVIDENCE.c.hash)).one()
    with db.unit_of_work(seeded) as conn:
        out = actions.fire(conn, 1, "approve", APPROVER, tick.set("2024-11-29T10:00"))
    assert outcome_fields(out) == (1, "一/1", State.submitted, State.closed, 7)
    assert entry_fields(last_entry(seeded, 1)) == (
        APPROVER,
        "approve",
        1,
        "submitted",
        "closed",
        None,
        {
            "evidence": [
                {
                    "id": evidence.id,
                    "kind": "批文",
                    "ref": "获政土〔2024〕27号",
                    "hash": evidence.hash,
                    "file_sha256": None,
                }
            ],
            "submitted_by": HANDLER,
            "summary": "手续已办结",
            "chain_head": [head[0], head[1]],
        },
    )
    row = item_row(seeded, 1)
    assert (row.state, row.closed_at, row.submitted_by, row.version) == ("closed", tick(), HANDLER, 7)

    with db.unit_of_work(seeded) as conn:
        actions.fire(conn, 1, "revisit", OFFICE, tick.set("2025-03-01T10:00"))
        out = actions.fire(conn, 1, "confirm", OFFICE, tick(), finding="整改成果巩固，未反弹")
    assert outcome_fields(out) == (1, "一/1", State.revisited, State.closed, 9)
    assert entry_fields(last_entry(seeded, 1)) == (
        OFFICE,
        "confirm",
        1,
        "revisited",
        "closed",
        None,
        {"finding": "整改成果巩固，未反弹"},
    )


def test_a_rejection_clears_the_submitter_and_keeps_the_reason_on_the_entry(
    seeded: sa.Engine, tick: Clock
) -> None:
    with db.unit_of_work(seeded) as conn:
        actions.fire(conn, 2, "assign", OFFICE, tick())
        actions.fire(conn, 2, "start", HANDLER, tick())
        actions.complete_measure(conn, 2, 1, HANDLER, tick())
        actions.attach_evidence(conn, 2, HANDLER, tick(), kind="照片", ref="复耕照片")
        actions.fire(conn, 2, "submit", HANDLER, tick(), summary="已复耕")
        out = actions.fire(conn, 2, "reject", APPROVER, tick(), reason="缺少现场照片")
    assert outcome_fields(out) == (2, "一/2", State.submitted, State.in_progress, 7)
    assert entry_fields(last_entry(seeded, 2)) == (
        APPROVER,
        "reject",
        2,
        "submitted",
        "in_progress",
        "缺少现场照片",
        {},
    )
    row = item_row(seeded, 2)
    assert (row.state, row.submitted_by, row.summary) == ("in_progress", None, "已复耕")


def test_an_unknown_trigger_is_refused_naming_the_ones_there_are(seeded: sa.Engine, tick: Clock) -> None:
    known = "assign, start, submit, approve, reject, revisit, confirm, reopen"
    with (
        pytest.raises(InvalidInput, match=f"^未知操作 'close'（可用：{known}）$"),
        db.unit_of_work(seeded) as conn,
    ):
        actions.fire(conn, 1, "close", OFFICE, tick())
    assert item_row(seeded, 1).version == 1


def test_a_stale_version_names_both_versions_for_every_versioned_use_case(
    seeded: sa.Engine, tick: Clock
) -> None:
    assigned(seeded, tick, 3)  # item 3 is now at version 2
    stale = "^事项 3 已被他人改动（当前版本 2，你看到的是 1），请刷新后重试$"
    attempts = {
        "fire": lambda conn, v: actions.fire(conn, 3, "start", HANDLER, tick(), expect_version=v),
        "extend": lambda conn, v: actions.extend(
            conn,
            3,
            HANDLER,
            tick(),
            new_deadline=date(2025, 3, 1),
            reason="备案",
            approved_by=LEADER,
            expect_version=v,
        ),
        "reassign": lambda conn, v: actions.reassign(
            conn, 3, OFFICE, tick(), reason="换部门", department="镇政府", expect_version=v
        ),
        "categorize": lambda conn, v: actions.categorize(
            conn, 3, OFFICE, tick(), category=Category.basic, expect_version=v
        ),
    }
    for name, attempt in attempts.items():
        with pytest.raises(Conflict, match=stale), db.unit_of_work(seeded) as conn:
            attempt(conn, 1)
        assert item_row(seeded, 3).version == 2, name
    version = 2
    for name, attempt in attempts.items():  # the control: the version the writer saw goes through
        with db.unit_of_work(seeded) as conn:
            assert attempt(conn, version).version == version + 1, name
        version += 1


def test_nothing_is_done_to_an_item_before_its_rounds_feedback(seeded: sa.Engine, tick: Clock) -> None:
    refused = pytest.raises(
        Refused,
        match=r"^操作日期 2024-10-13 早于事项 1（一/1）所在巡察轮次的反馈日期 2024-10-14：反馈之前不会有整改动作$",
    )
    with refused, db.unit_of_work(seeded) as conn:
        actions.fire(conn, 1, "assign", OFFICE, tick.set("2024-10-13T23:59"))
    with db.unit_of_work(seeded) as conn:  # the feedback day itself is fine (after the import's 16:00)
        actions.fire(conn, 1, "assign", OFFICE, tick.set("2024-10-14T16:30"))
    assert item_row(seeded, 1).state == "assigned"


# --- audited actions that keep the state -----------------------------------------------------------


def test_an_extension_records_its_reason_and_sets_a_dated_deadline(seeded: sa.Engine, tick: Clock) -> None:
    assigned(seeded, tick, 3)
    with db.unit_of_work(seeded) as conn:
        out = actions.extend(
            conn,
            3,
            HANDLER,
            tick(),
            new_deadline=date(2025, 3, 31),
            reason="  备案手续办理中 ",
            approved_by=LEADER,
        )
    assert outcome_fields(out) == (3, "一/3", State.assigned, State.assigned, 3)
    assert out.entry == last_entry(seeded, 3)
    assert entry_fields(out.entry) == (
        HANDLER,
        "extend",
        3,
        "assigned",
        "assigned",
        "备案手续办理中",
        {"approved_by": LEADER, "from": "2025-02-14", "from_kind": "date", "to": "2025-03-31"},
    )
    row = item_row(seeded, 3)
    assert (row.deadline, row.deadline_kind, row.original_deadline, row.version) == (
        date(2025, 3, 31),
        "date",
        date(2025, 2, 14),
        3,
    )
    with db.unit_of_work(seeded) as conn:  # a second extension keeps the first deadline as the original
        actions.extend(
            conn, 3, HANDLER, tick(), new_deadline=date(2025, 4, 30), reason="再延", approved_by=LEADER
        )
    row = item_row(seeded, 3)
    assert (row.deadline, row.original_deadline) == (date(2025, 4, 30), date(2025, 2, 14))
    assert last_entry(seeded, 3).data["from"] == "2025-03-31"


def test_an_extension_of_a_long_term_item_makes_its_deadline_a_date(seeded: sa.Engine, tick: Clock) -> None:
    assigned(seeded, tick, 3)
    with db.unit_of_work(seeded) as conn:
        conn.execute(ITEM.update().where(ITEM.c.id == 3).values(deadline_kind="long_term", deadline=None))
        actions.extend(
            conn, 3, HANDLER, tick(), new_deadline=date(2025, 3, 31), reason="定时限", approved_by=LEADER
        )
    row = item_row(seeded, 3)
    assert (row.deadline_kind, row.deadline, row.original_deadline) == ("date", date(2025, 3, 31), None)
    assert last_entry(seeded, 3).data == {
        "approved_by": LEADER,
        "from": None,
        "from_kind": "long_term",
        "to": "2025-03-31",
    }


def test_a_reassignment_logs_each_changed_field_old_and_new_and_the_reason_as_typed(
    seeded: sa.Engine, tick: Clock
) -> None:
    with db.unit_of_work(seeded) as conn:
        people.add_person(conn, OFFICE, tick(), name="新经办人", roles="handler")
        out = actions.reassign(
            conn,
            1,
            OFFICE,
            tick(),
            reason=" 人员调整 ",
            leader="杨公平",
            department="镇政府",
            handler="新经办人",
            cooperating="镇财政所",
        )
    assert outcome_fields(out) == (1, "一/1", State.reported, State.reported, 2)
    assert entry_fields(last_entry(seeded, 1)) == (
        OFFICE,
        "reassign",
        1,
        "reported",
        "reported",
        " 人员调整 ",
        {
            "leader": ["徐波", "杨公平"],
            "department": ["村镇规划建设办公室", "镇政府"],
            "handler": [HANDLER, "新经办人"],
            "cooperating": ["", "镇财政所"],
        },
    )
    row = item_row(seeded, 1)
    assert (row.leader, row.department, row.handler, row.cooperating) == (
        "杨公平",
        "镇政府",
        "新经办人",
        "镇财政所",
    )


def test_a_reassignment_keeps_out_what_did_not_change(seeded: sa.Engine, tick: Clock) -> None:
    with db.unit_of_work(seeded) as conn:  # the leader as it is, a new department that is no person
        actions.reassign(conn, 1, OFFICE, tick(), reason="换部门", leader="徐波", department="镇政府")
    assert last_entry(seeded, 1).data == {"department": ["村镇规划建设办公室", "镇政府"]}
    assert item_row(seeded, 1).leader == "徐波"


@pytest.mark.parametrize(
    "given",
    [{"leader": "徐波"}, {"handler": HANDLER}, {"cooperating": ""}, {}],
    ids=["same leader", "same handler", "no cooperating units as before", "nothing"],
)
def test_a_reassignment_that_changes_nothing_is_refused(
    seeded: sa.Engine, tick: Clock, given: dict[str, Any]
) -> None:
    refused = pytest.raises(
        InvalidInput, match=r"^没有要调整的内容（--leader/--dept/--handler/--cooperating）$"
    )
    with refused, db.unit_of_work(seeded) as conn:
        actions.reassign(conn, 1, OFFICE, tick(), reason="调整", **given)
    assert item_row(seeded, 1).version == 1


def test_a_leader_or_handler_must_be_a_known_person_but_a_department_need_not(
    seeded: sa.Engine, tick: Clock
) -> None:
    for key in ("leader", "handler"):
        with pytest.raises(NotFound, match=r"^没有名为 '张三' 的人员"), db.unit_of_work(seeded) as conn:
            unknown: dict[str, Any] = {key: "张三"}
            actions.reassign(conn, 1, OFFICE, tick(), reason="换人", **unknown)
    with db.unit_of_work(seeded) as conn:
        actions.reassign(conn, 1, OFFICE, tick(), reason="换", department="张三", cooperating="李四")
    row = item_row(seeded, 1)
    assert (row.department, row.cooperating, row.version) == ("张三", "李四", 2)


def test_a_category_is_logged_old_and_new_and_the_same_again_is_refused(
    seeded: sa.Engine, tick: Clock
) -> None:
    with db.unit_of_work(seeded) as conn:
        out = actions.categorize(
            conn, 1, APPROVER, tick(), category=Category.basic, reason=" 备案材料已提交 "
        )
    assert outcome_fields(out) == (1, "一/1", State.reported, State.reported, 2)
    assert entry_fields(last_entry(seeded, 1)) == (
        APPROVER,
        "categorize",
        1,
        "reported",
        "reported",
        "备案材料已提交",
        {"category": [None, "basic"]},
    )
    assert item_row(seeded, 1).category == "basic"
    with (
        pytest.raises(Refused, match=r"^事项 1（一/1）已认定为「基本完成」$"),
        db.unit_of_work(seeded) as conn,
    ):
        actions.categorize(conn, 1, OFFICE, tick(), category=Category.basic)
    with db.unit_of_work(seeded) as conn:
        actions.categorize(conn, 1, OFFICE, tick(), category=Category.ongoing)
    assert entry_fields(last_entry(seeded, 1))[5:] == (None, {"category": ["basic", "ongoing"]})
    marks = "基本完成、正在整改、未完成、长期坚持"
    completed = f"^「已完成」只能经提请销号、销号审核得出；可认定的完成类别：{marks}$"
    with pytest.raises(InvalidInput, match=completed), db.unit_of_work(seeded) as conn:
        actions.categorize(conn, 1, OFFICE, tick(), category=Category.completed)
    assert item_row(seeded, 1).version == 3


def test_measures_are_numbered_on_from_the_last_and_logged_as_added(seeded: sa.Engine, tick: Clock) -> None:
    with db.unit_of_work(seeded) as conn:
        out = actions.add_measure(
            conn, 1, LEADER, tick(), text="组织耕地保护专题学习", owner="镇政府", due=date(2025, 1, 15)
        )
        actions.add_measure(conn, 1, OFFICE, tick(), text="建立巡查台账")
    assert outcome_fields(out) == (1, "一/1", State.reported, State.reported, 2)
    with db.reading(seeded) as conn:
        rows = conn.execute(
            sa.select(MEASURE.c.seq, MEASURE.c.text, MEASURE.c.owner, MEASURE.c.due)
            .where(MEASURE.c.item_id == 1)
            .order_by(MEASURE.c.seq)
        ).all()
        entries = chain.entries(conn, 1)[-2:]
    assert [tuple(r) for r in rows] == [
        (
            1,
            "立行立改完善用地手续，举一反三全面排查整改，强化耕地保护学习教育",
            "村镇规划建设办公室",
            date(2024, 12, 31),
        ),
        (2, "组织耕地保护专题学习", "镇政府", date(2025, 1, 15)),
        (3, "建立巡查台账", None, None),
    ]
    assert [entry_fields(e) for e in entries] == [
        (
            LEADER,
            "add_measure",
            1,
            "reported",
            "reported",
            None,
            {"seq": 2, "text": "组织耕地保护专题学习", "owner": "镇政府", "due": "2025-01-15"},
        ),
        (
            OFFICE,
            "add_measure",
            1,
            "reported",
            "reported",
            None,
            {"seq": 3, "text": "建立巡查台账", "owner": None, "due": None},
        ),
    ]


def test_the_first_measure_of_an_item_without_any_is_number_one(seeded: sa.Engine, tick: Clock) -> None:
    with db.unit_of_work(seeded) as conn:
        conn.execute(MEASURE.delete().where(MEASURE.c.item_id == 2))
        actions.add_measure(conn, 2, OFFICE, tick(), text="复耕")
    assert last_entry(seeded, 2).data["seq"] == 1


def test_a_measure_is_done_once_by_whom_on_which_day(seeded: sa.Engine, tick: Clock) -> None:
    assigned(seeded, tick, 1)
    with pytest.raises(NotFound, match=r"^事项 1 没有第 2 项整改措施$"), db.unit_of_work(seeded) as conn:
        actions.complete_measure(conn, 1, 2, HANDLER, tick())
    with db.unit_of_work(seeded) as conn:
        out = actions.complete_measure(conn, 1, 1, HANDLER, tick(), on=date(2024, 10, 18))
    assert outcome_fields(out) == (1, "一/1", State.assigned, State.assigned, 3)
    assert entry_fields(last_entry(seeded, 1)) == (
        HANDLER,
        "measure_done",
        1,
        "assigned",
        "assigned",
        None,
        {"seq": 1, "done_on": "2024-10-18"},
    )
    with db.reading(seeded) as conn:
        done = conn.execute(
            sa.select(MEASURE.c.done_on, MEASURE.c.done_by).where(MEASURE.c.item_id == 1)
        ).one()
    assert tuple(done) == (date(2024, 10, 18), HANDLER)
    again = pytest.raises(Refused, match=r"^事项 1 的第 1 项整改措施已于 2024-10-18 完成$")
    with again, db.unit_of_work(seeded) as conn:
        actions.complete_measure(conn, 1, 1, OFFICE, tick())


def test_a_measure_done_without_a_day_is_done_today_and_not_in_the_future(
    seeded: sa.Engine, tick: Clock
) -> None:
    assigned(seeded, tick, 2)
    with pytest.raises(InvalidInput, match=r"^完成日期 2024-10-22 晚于今天"), db.unit_of_work(seeded) as conn:
        actions.complete_measure(conn, 2, 1, HANDLER, tick(), on=date(2024, 10, 22))
    with db.unit_of_work(seeded) as conn:
        actions.complete_measure(conn, 2, 1, HANDLER, tick())
    assert last_entry(seeded, 2).data == {"seq": 1, "done_on": "2024-10-21"}


def test_progress_is_stored_and_logged_with_its_day_and_how_the_report_words_it(
    seeded: sa.Engine, tick: Clock
) -> None:
    with db.unit_of_work(seeded) as conn:
        out = actions.add_progress(
            conn, 1, HANDLER, tick(), on=date(2024, 10, 15), text="拆除违建", when_text="10月中旬" + "旬" * 35
        )
    assert outcome_fields(out) == (1, "一/1", State.reported, State.reported, 2)
    when = "10月中旬" + "旬" * 35  # 40 characters, the limit
    assert entry_fields(last_entry(seeded, 1)) == (
        HANDLER,
        "progress",
        1,
        "reported",
        "reported",
        None,
        {"on": "2024-10-15", "when": when, "text": "拆除违建"},
    )
    with db.reading(seeded) as conn:
        row = conn.execute(sa.select(PROGRESS)).one()
    assert (row.item_id, row.on, row.when_text, row.text, row.actor, row.created_at) == (
        1,
        date(2024, 10, 15),
        when,
        "拆除违建",
        HANDLER,
        tick(),
    )
    with (
        pytest.raises(InvalidInput, match=r"^日期说明过长（41 字，最多 40 字）"),
        db.unit_of_work(seeded) as conn,
    ):
        actions.add_progress(conn, 1, HANDLER, tick(), on=date(2024, 10, 15), text="x", when_text=when + "旬")
    with pytest.raises(InvalidInput, match=r"^进展日期 2024-10-22 晚于今天"), db.unit_of_work(seeded) as conn:
        actions.add_progress(conn, 1, HANDLER, tick(), on=date(2024, 10, 22), text="x")


def test_evidence_is_logged_with_its_row_id_and_hash_and_cited_at_sign_off(
    seeded: sa.Engine, tick: Clock, tmp_path: Path
) -> None:
    photo = tmp_path / "复耕.jpg"
    photo.write_bytes(b"\xff\xd8 photo")
    sha = hashlib.sha256(b"\xff\xd8 photo").hexdigest()  # of the file's bytes, as anyone can check
    assigned(seeded, tick, 2)
    with db.unit_of_work(seeded) as conn:
        actions.fire(conn, 2, "start", HANDLER, tick())
        out = actions.attach_evidence(conn, 2, HANDLER, tick(), kind="照片", file=photo, note="复耕后")
        actions.attach_evidence(conn, 2, HANDLER, tick(), kind="批文", ref="获政〔2024〕3号")
    assert outcome_fields(out) == (2, "一/2", State.in_progress, State.in_progress, 4)
    with db.reading(seeded) as conn:
        rows = conn.execute(sa.select(EVIDENCE).order_by(EVIDENCE.c.id)).all()
        first, second = chain.entries(conn, 2)[-2:]
    assert [
        (r.item_id, r.kind, r.ref, r.file_sha256, r.file_name, r.size, r.note, r.actor) for r in rows
    ] == [
        (2, "照片", None, sha, "复耕.jpg", 8, "复耕后", HANDLER),
        (2, "批文", "获政〔2024〕3号", None, None, None, None, HANDLER),
    ]
    assert entry_fields(first) == (
        HANDLER,
        "evidence",
        2,
        "in_progress",
        "in_progress",
        None,
        {
            "kind": "照片",
            "ref": None,
            "file_sha256": sha,
            "file_name": "复耕.jpg",
            "size": 8,
            "note": "复耕后",
            "actor": HANDLER,
            "at": "2024-10-21T01:00:00+00:00",
            "item_id": 2,
            "id": rows[0].id,
            "hash": rows[0].hash,
        },
    )
    assert {k: second.data[k] for k in ("kind", "ref", "file_sha256", "note", "id", "hash")} == {
        "kind": "批文",
        "ref": "获政〔2024〕3号",
        "file_sha256": None,
        "note": None,
        "id": rows[1].id,
        "hash": rows[1].hash,
    }
    with db.unit_of_work(seeded) as conn:
        actions.complete_measure(conn, 2, 1, HANDLER, tick())
        actions.fire(conn, 2, "submit", HANDLER, tick(), summary="已复耕")
        actions.fire(conn, 2, "approve", APPROVER, tick())
    assert last_entry(seeded, 2).data["evidence"] == [
        {"id": rows[0].id, "kind": "照片", "ref": None, "hash": rows[0].hash, "file_sha256": sha},
        {
            "id": rows[1].id,
            "kind": "批文",
            "ref": "获政〔2024〕3号",
            "hash": rows[1].hash,
            "file_sha256": None,
        },
    ]


def test_updated_at_is_the_moment_of_the_last_change(seeded: sa.Engine, tick: Clock) -> None:
    with db.unit_of_work(seeded) as conn:
        actions.add_progress(conn, 1, HANDLER, tick.set("2024-10-22T15:30"), on=date(2024, 10, 22), text="x")
    row = item_row(seeded, 1)
    assert (row.updated_at, row.version) == (datetime.fromisoformat("2024-10-22T15:30+08:00"), 2)


def test_evidence_needs_a_known_kind_and_a_reference_or_a_file_and_a_note_within_its_limit(
    seeded: sa.Engine, tick: Clock
) -> None:
    assigned(seeded, tick, 2)
    attempts: dict[str, dict[str, Any]] = {
        r"^未知的佐证材料类型 '视频'（可用：批文、会议纪要、照片、文件、其他）$": {
            "kind": "视频",
            "ref": "x",
        },
        r"^佐证材料需要文号（--ref）或文件（--file），或两者都有$": {
            "kind": "照片",
            "ref": "  ",
            "note": "n",
        },
        r"^文号过长（201 字，最多 200 字）$": {"kind": "批文", "ref": "号" * 201},
        r"^说明过长（5001 字，最多 5000 字）$": {"kind": "批文", "ref": "号", "note": "说" * 5001},
    }
    for refusal, given in attempts.items():
        with pytest.raises(InvalidInput, match=refusal), db.unit_of_work(seeded) as conn:
            actions.attach_evidence(conn, 2, HANDLER, tick(), **given)
    assert item_row(seeded, 2).version == 2
    with db.unit_of_work(seeded) as conn:  # the limits themselves are allowed; blank text is absent
        actions.attach_evidence(conn, 2, HANDLER, tick(), kind="批文", ref="号" * 200, note="说" * 5000)
        actions.attach_evidence(conn, 2, HANDLER, tick(), kind="其他", ref="会议记录", note=" ")
    with db.reading(seeded) as conn:
        rows = conn.execute(sa.select(EVIDENCE.c.ref, EVIDENCE.c.note, EVIDENCE.c.created_at)).all()
    assert [(len(r.ref), r.note and len(r.note), r.created_at) for r in rows] == [
        (200, 5000, tick()),
        (4, None, tick()),
    ]


def test_a_measure_needs_text_and_both_its_text_and_owner_within_their_limits(
    seeded: sa.Engine, tick: Clock
) -> None:
    attempts: dict[str, dict[str, Any]] = {
        r"^整改措施不能为空$": {"text": "  "},
        r"^整改措施过长（5001 字，最多 5000 字）$": {"text": "措" * 5001},
        r"^措施责任单位过长（201 字，最多 200 字）$": {"text": "措", "owner": "单" * 201},
    }
    for refusal, given in attempts.items():
        with pytest.raises(InvalidInput, match=refusal), db.unit_of_work(seeded) as conn:
            actions.add_measure(conn, 1, OFFICE, tick(), **given)
    assert item_row(seeded, 1).version == 1
    with db.unit_of_work(seeded) as conn:  # the limits themselves are allowed
        actions.add_measure(conn, 1, OFFICE, tick(), text="措" * 5000, owner="单" * 200)
    data = last_entry(seeded, 1).data
    assert (len(data["text"]), len(data["owner"])) == (5000, 200)


def test_progress_needs_its_text(seeded: sa.Engine, tick: Clock) -> None:
    with pytest.raises(InvalidInput, match=r"^进展内容不能为空$"), db.unit_of_work(seeded) as conn:
        actions.add_progress(conn, 1, HANDLER, tick(), on=date(2024, 10, 15), text=" ")
    with db.unit_of_work(seeded) as conn:  # the control
        actions.add_progress(conn, 1, HANDLER, tick(), on=date(2024, 10, 15), text="拆")
    assert item_row(seeded, 1).version == 2


def test_a_category_with_a_bad_reason_is_refused_naming_the_reason(seeded: sa.Engine, tick: Clock) -> None:
    with (
        pytest.raises(InvalidInput, match=r"^理由含有控制字符 '\\x1b'$"),
        db.unit_of_work(seeded) as conn,
    ):
        actions.categorize(conn, 1, OFFICE, tick(), category=Category.basic, reason="已\x1b[31m报")
    with db.unit_of_work(seeded) as conn:  # the control: the same without the escape
        actions.categorize(conn, 1, OFFICE, tick(), category=Category.basic, reason="已报")
    assert last_entry(seeded, 1).reason == "已报"


def test_the_versioned_update_writes_any_columns_it_is_given_in_their_stored_form(
    seeded: sa.Engine, tick: Clock
) -> None:
    """store.bump with a set of columns no use case writes together: its statement is built on first use."""
    with db.unit_of_work(seeded) as conn:
        row = store.current(conn, 2)
        store.bump(
            conn,
            row,
            tick(),
            title="耕地撂荒（复核）",
            deadline=date(2025, 1, 31),
            closed_at=datetime.fromisoformat("2024-10-20T08:00+08:00"),
        )
    got = item_row(seeded, 2)
    assert (got.title, got.deadline, got.closed_at, got.version, got.updated_at) == (
        "耕地撂荒（复核）",
        date(2025, 1, 31),
        datetime.fromisoformat("2024-10-20T00:00+00:00"),
        2,
        tick(),
    )


def test_a_unit_acts_on_its_own_items_and_to_another_unit_they_do_not_exist(
    seeded: sa.Engine, tick: Clock
) -> None:
    with db.unit_of_work(seeded) as conn:
        units.add_unit(conn, 1, "城关镇", OFFICE, tick())
        people.add_person(conn, OFFICE, tick(), name="太山镇办", roles="office", unit="中共太山镇委员会")
        people.add_person(conn, OFFICE, tick(), name="城关镇办", roles="office", unit="城关镇")
    missing = pytest.raises(NotFound, match=r"^没有编号为 1 的事项（用 zhenggai item list 查看）$")
    with missing, db.unit_of_work(seeded) as conn:
        actions.fire(conn, 1, "assign", "城关镇办", tick())
    with db.unit_of_work(seeded) as conn:  # the control: the item's own unit may
        actions.fire(conn, 1, "assign", "太山镇办", tick())
    assert item_row(seeded, 1).state == "assigned"


def test_every_reason_a_trigger_is_refused_is_given_one_after_another(seeded: sa.Engine, tick: Clock) -> None:
    with db.unit_of_work(seeded) as conn:
        actions.fire(conn, 1, "assign", OFFICE, tick())
        actions.fire(conn, 1, "start", HANDLER, tick())
    with pytest.raises(Refused) as refused, db.unit_of_work(seeded) as conn:
        actions.fire(conn, 1, "submit", HANDLER, tick(), summary="办完")
    head, reasons = str(refused.value).split("：", 1)
    assert head == "无法对事项 1（一/1）提请销号"
    assert reasons == "尚有 1 项整改措施未完成；没有佐证材料"  # the undone measure, the missing evidence
