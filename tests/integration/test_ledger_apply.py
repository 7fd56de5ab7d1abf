"""Writing a planned ledger import (workflow/intake/ledger/apply.py), row by row: where new items go in
their aspect, what a file without the optional columns leaves empty, what a re-import that moves an
item to a new aspect and rewrites one measure writes (to that item and that measure only), and a plan
that another import overtook. Written against the mutants `make mutate TARGETS=ledger-apply` found
alive (docs/mutation.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.ledger_fixtures import ADMIN, NEW_ROUND, blank_engine, import_ledger, row, write_xlsx
from workflow import clock, db
from workflow.audit import chain, verify
from workflow.db.tables.core import ASPECT, ITEM, MEASURE
from workflow.errors import Conflict
from workflow.intake.ledger import apply, apply_items, plan, workbook

__all__ = ["blank_engine"]  # fixture used below

SECOND = "二、违规建房"
THIRD = "三、其他问题"


def _items(engine: sa.Engine) -> list[tuple[object, ...]]:
    with db.reading(engine) as conn:
        q = (
            sa.select(ITEM.c.id, ASPECT.c.title, ITEM.c.number, ITEM.c.position, ITEM.c.version)
            .join(ASPECT, ASPECT.c.id == ITEM.c.aspect_id)
            .order_by(ITEM.c.id)
        )
        return [tuple(r) for r in conn.execute(q)]


def _measures(engine: sa.Engine) -> list[tuple[object, ...]]:
    with db.reading(engine) as conn:
        q = sa.select(MEASURE.c.item_id, MEASURE.c.seq, MEASURE.c.text).order_by(
            MEASURE.c.item_id, MEASURE.c.seq
        )
        return [tuple(r) for r in conn.execute(q)]


def _payload(entry: chain.Entry) -> dict[str, Any]:
    return dict(json.loads(entry.payload))


def test_new_items_follow_the_last_of_their_aspect_and_a_new_aspect_starts_at_zero(
    blank_engine: sa.Engine, tmp_path: Path
) -> None:
    first = [row(1), row(2), row(3, 问题类别=SECOND)]
    import_ledger(blank_engine, write_xlsx(tmp_path / "a.xlsx", first))
    again = [*first, row(4), row(5, 问题类别="三、其他问题"), row(6, 问题类别=SECOND)]
    summary = import_ledger(blank_engine, write_xlsx(tmp_path / "b.xlsx", again), at="2025-01-11T10:00")
    assert (summary.created, summary.unchanged) == (3, 3)
    assert [(i[1], i[3], i[4]) for i in _items(blank_engine)] == [
        ("违法违规占用耕地", 0, 1),
        ("违法违规占用耕地", 1, 1),
        ("违规建房", 0, 1),
        ("违法违规占用耕地", 2, 1),  # after the two the first import put there
        ("其他问题", 0, 1),
        ("违规建房", 1, 1),  # after its own aspect's one, not the unit's last
    ]


def test_columns_absent_from_the_file_leave_the_new_items_fields_empty(
    blank_engine: sa.Engine, tmp_path: Path
) -> None:
    header = ("序号", "问题类别", "问题描述")
    path = write_xlsx(tmp_path / "a.xlsx", [row(1, 完成情况="")], header)
    import_ledger(blank_engine, path)
    with db.reading(blank_engine) as conn:
        item = conn.execute(sa.select(ITEM)).one()
        (entry,) = [e for e in chain.entries(conn, item.id) if e.action == "ledger_import"]
        assert verify.verify(conn, deep=True).ok
    assert (item.title, item.description, item.instance, item.cooperating) == (
        "问题1概括",
        "问题1的具体描述。",
        "",
        "",
    )
    assert (item.leader, item.department, item.handler, item.deadline_kind, item.deadline) == (None,) * 5
    assert item.state == "reported"
    payload = _payload(entry)
    assert (payload["instance"], payload["cooperating"]) == ("", "")
    assert "unit_id" not in payload  # the round's own unit: named as before units existed
    assert [payload[k] for k in ("leader", "department", "handler", "deadline_kind", "deadline")] == [
        None
    ] * 5


def test_a_reimport_moves_an_item_to_a_new_aspect_and_rewrites_only_the_measure_it_changed(
    blank_engine: sa.Engine, tmp_path: Path
) -> None:
    import_ledger(blank_engine, write_xlsx(tmp_path / "a.xlsx", [row(1), row(2)]))
    changed = row(
        1, 问题类别=SECOND, 整改措施="1. 立即整改（修订）\n2. 全面排查", 完成情况="正在推进（过半）"
    )
    summary = import_ledger(
        blank_engine, write_xlsx(tmp_path / "b.xlsx", [changed, row(2)]), at="2025-01-11T10:00"
    )
    assert (summary.updated, summary.unchanged) == (1, 1)
    assert _items(blank_engine) == [(1, "违规建房", "二/1", 0, 2), (2, "违法违规占用耕地", "一/2", 1, 1)]
    assert _measures(blank_engine) == [
        (1, 1, "立即整改（修订）"),
        (1, 2, "全面排查"),
        (2, 1, "立即整改"),
        (2, 2, "全面排查"),
    ]
    with db.reading(blank_engine) as conn:
        entry = chain.entries(conn, 1)[-1]
        new_aspect = conn.execute(sa.select(ASPECT.c.id).where(ASPECT.c.title == "违规建房")).scalar_one()
        assert verify.verify(conn, deep=True).ok
    assert (entry.action, entry.from_state, entry.to_state) == ("ledger_import", "in_progress", "in_progress")
    payload = _payload(entry)
    assert (payload["ledger_no"], payload["row"], payload["status"]) == ("1", 3, "正在推进（过半）")
    assert payload["changes"]["aspect_id"] == [1, new_aspect]
    assert payload["changes"]["measures"] == [["立即整改"], ["立即整改（修订）"]]


def test_a_measure_added_on_reimport_has_an_entry_that_keeps_the_state(
    blank_engine: sa.Engine, tmp_path: Path
) -> None:
    import_ledger(blank_engine, write_xlsx(tmp_path / "a.xlsx", [row(1)]))
    more = row(1, 整改措施="1. 立即整改\n2. 全面排查\n3. 建立长效机制")
    import_ledger(blank_engine, write_xlsx(tmp_path / "b.xlsx", [more]), at="2025-01-11T10:00")
    with db.reading(blank_engine) as conn:
        update, added = chain.entries(conn, 1)[-2:]
    assert (update.action, update.to_state) == ("ledger_import", "in_progress")
    assert (added.action, added.from_state, added.to_state) == ("add_measure", "in_progress", "in_progress")
    assert (_payload(added)["seq"], _payload(added)["text"]) == (3, "建立长效机制")


def test_a_plan_overtaken_by_another_import_of_the_same_item_is_a_conflict(
    blank_engine: sa.Engine, tmp_path: Path
) -> None:
    import_ledger(blank_engine, write_xlsx(tmp_path / "a.xlsx", [row(1)]))
    now = clock.parse_moment("2025-01-11T10:00")
    plans = []
    for name, text in (("b.xlsx", "典型表现甲"), ("c.xlsx", "典型表现乙")):
        table = workbook.load(write_xlsx(tmp_path / name, [row(1, 典型表现=text)]))
        with db.reading(blank_engine) as conn:  # both planned from version 1 of the item
            target = plan.target_round(conn, table.meta, "测试轮次")
            plans.append(plan.prepare(conn, table, target, ADMIN, today=clock.local_today(now)))
    with db.unit_of_work(blank_engine) as conn:
        apply.apply(conn, plans[0], now)
    with pytest.raises(Conflict) as refused, db.unit_of_work(blank_engine) as conn:
        apply.apply(conn, plans[1], now)
    assert str(refused.value) == "事项 1 在导入过程中被他人改动，请重新导入"
    with db.reading(blank_engine) as conn:
        assert conn.execute(sa.select(ITEM.c.instance, ITEM.c.version)).one() == ("典型表现甲", 2)


def _entries(conn: sa.Connection, action: str) -> list[dict[str, Any]]:
    q = sa.text("SELECT payload FROM audit WHERE action = :a ORDER BY seq")
    return [dict(json.loads(p)) for p in conn.execute(q, {"a": action}).scalars()]


def test_the_round_people_aspects_and_batch_an_import_adds_are_each_recorded_as_written(
    blank_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(apply_items, "TICK_EVERY", 2)  # the progress callback every 2 rows, not every 500
    rows = [row(1), row(2, 问题类别=SECOND), row(3, 责任领导="王五", 责任人="王五", 责任部门="财政所")]
    ticks: list[int] = []
    now = clock.parse_moment("2025-01-10T10:00")
    table = workbook.load(write_xlsx(tmp_path / "a.xlsx", [*rows, row(4), row(5, 问题类别=THIRD)]))
    with db.unit_of_work(blank_engine) as conn:
        target = plan.target_round(conn, table.meta, "测试轮次", **NEW_ROUND)
        planned = plan.prepare(conn, table, target, ADMIN, today=clock.local_today(now))
        summary = apply.apply(conn, planned, now, tick=ticks.append)
    assert ticks == [2, 2, 1, 0]  # five creates, then no updates
    third = [*rows[:2], row(3, 责任领导="王五", 责任人="王五", 责任部门="财政所", 典型表现="改过")]
    again = workbook.load(
        write_xlsx(
            tmp_path / "b.xlsx", [*third, row(4), row(5, 问题类别=THIRD), row(6, 问题类别="四、制度问题")]
        )
    )
    ticks.clear()
    with db.unit_of_work(blank_engine) as conn:
        target = plan.target_round(conn, again.meta, "测试轮次")
        planned = plan.prepare(conn, again, target, ADMIN, today=clock.local_today(now))
        apply.apply(conn, planned, now, tick=ticks.append)
    assert ticks == [1, 1]  # one create, one update
    with db.reading(blank_engine) as conn:
        (round_added,) = _entries(conn, "round_add")
        people = {p["name"]: p for p in _entries(conn, "person_add") if p["name"] != ADMIN}
        aspects = conn.execute(sa.select(ASPECT.c.title, ASPECT.c.position).order_by(ASPECT.c.id)).all()
        aspect_entries = _entries(conn, "aspect_add")
        batch = _entries(conn, "ledger_batch")[0]
        rows_of = {
            r.name: (r.roles, r.department, r.unit) for r in conn.execute(sa.text("SELECT * FROM person"))
        }
        assert verify.verify(conn, deep=True).ok
    assert round_added["source"] == "ledger"
    unit = NEW_ROUND["unit"]
    assert people["王五"] == {"name": "王五", "roles": "handler,leader", "department": "财政所", "unit": unit}
    assert people["徐波"] == {"name": "徐波", "roles": "leader", "department": None, "unit": unit}
    assert rows_of["王五"] == ("handler,leader", "财政所", unit)
    # three new aspects in the first import, one more in the second: each after the unit's others
    assert [tuple(a) for a in aspects] == [
        ("违法违规占用耕地", 0),
        ("违规建房", 1),
        ("其他问题", 2),
        ("制度问题", 3),
    ]
    assert [(a["title"], a["position"]) for a in aspect_entries] == [tuple(a) for a in aspects]
    assert not any("unit_id" in a for a in aspect_entries)  # the round's own unit, named as before units
    assert summary.batch_id == 1  # `ledger import` says 导入批次 1
    assert {k: batch[k] for k in ("batch_id", "round", "rows", "created", "people", "state_changes")} == {
        "batch_id": 1,
        "round": "测试轮次",
        "rows": 5,
        "created": 5,
        "people": 3,
        "state_changes": 5,
    }


def test_the_progress_callback_counts_the_updates_of_a_reimport_as_they_go(
    blank_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large re-import reports its progress every TICK_EVERY rows (every 2 here), while it updates."""
    monkeypatch.setattr(apply_items, "TICK_EVERY", 2)
    now = clock.parse_moment("2025-01-10T10:00")

    def run(path: Path, *, new: bool) -> list[int]:
        ticks: list[int] = []
        table = workbook.load(path)
        with db.unit_of_work(blank_engine) as conn:
            extra = NEW_ROUND if new else {}
            target = plan.target_round(conn, table.meta, "测试轮次", **extra)
            planned = plan.prepare(conn, table, target, ADMIN, today=clock.local_today(now))
            apply.apply(conn, planned, now, tick=ticks.append)
        return ticks

    assert run(write_xlsx(tmp_path / "a.xlsx", [row(n) for n in (1, 2, 3)]), new=True) == [2, 1, 0]
    changed = [row(n, 典型表现=f"改过{n}") for n in (1, 2, 3)]
    assert run(write_xlsx(tmp_path / "b.xlsx", changed), new=False) == [2, 1]  # three updates: 2, then 1
    with db.reading(blank_engine) as conn:
        assert sorted(conn.execute(sa.select(ITEM.c.instance)).scalars()) == ["改过1", "改过2", "改过3"]
