"""Units and their ids (workflow/items/units.py): a round's own unit takes the round's id and has no
entry of its own; when that id is taken (a unit added to an earlier round), it is added with a
`unit_add` entry right after the round's, and the entries of its items name it. Either way the trail
rebuilds every row: deep verify agrees, in one process and in parallel."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import OFFICE
from tests.ledger_fixtures import row, write_xlsx
from workflow import clock, db
from workflow.audit import chain, verify
from workflow.demo import example_path
from workflow.errors import ZhenggaiError
from workflow.intake import round_yaml
from workflow.intake.ledger import apply, plan, workbook
from workflow.items import units

SECOND = {
    "round": {"name": "第二轮巡察", "group": "巡察组", "unit": "另一镇", "feedback_date": "2024-10-15"},
    "aspects": [{"number": "一", "title": "方面", "items": [{"number": "1", "title": "问题"}]}],
}


def _import_unit(engine: sa.Engine, path: Path, unit: str, at: str) -> None:
    now = clock.parse_moment(at)
    table = workbook.load(path)
    with db.unit_of_work(engine) as conn:
        target = plan.target_round(conn, table.meta, "县委上下联动乡村振兴专项巡察（太山镇）", unit=unit)
        apply.apply(conn, plan.prepare(conn, table, target, OFFICE, today=clock.local_today(now)), now)


def _import_second_round(engine: sa.Engine) -> None:
    """The seed's round again as 第二轮巡察 of another town, 另一镇."""
    data = round_yaml.load_file(example_path("taishan.yaml"))
    second = data.model_copy(
        update={"round": data.round.model_copy(update={"name": "第二轮巡察", "unit": "另一镇"})}
    )
    with db.unit_of_work(engine) as conn:
        round_yaml.import_round(conn, second, OFFICE, clock.parse_moment("2024-10-21T10:00"))


@pytest.mark.parametrize("workers", [1, 3])
def test_a_rounds_own_unit_whose_id_is_taken_is_added_with_an_entry(
    seeded: sa.Engine, tmp_path: Path, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Round 1 (the seed) gets a second unit, id 2; then round 2 arrives: its own unit cannot be 2.
    _import_unit(
        seeded, write_xlsx(tmp_path / "b.xlsx", [row(1), row(2)]), "太山镇财政所", "2024-10-20T10:00"
    )
    _import_second_round(seeded)
    with db.reading(seeded) as conn:
        units = conn.execute(sa.text("SELECT id, round_id, name, position FROM unit ORDER BY id")).all()
        items = conn.execute(sa.text("SELECT round_id, unit_id, number FROM item ORDER BY id")).all()
        added = conn.execute(
            sa.text("SELECT payload FROM audit WHERE action = 'unit_add' ORDER BY seq")
        ).all()
    assert [tuple(u) for u in units] == [
        (1, 1, "中共太山镇委员会", 0),
        (2, 1, "太山镇财政所", 1),
        (3, 2, "另一镇", 0),
    ]
    assert [tuple(i) for i in items] == [
        *((1, 1, n) for n in ("一/1", "一/2", "一/3")),
        (1, 2, "一/1"),  # the same number in another unit of the same round
        (1, 2, "一/2"),
        *((2, 3, n) for n in ("一/1", "一/2", "一/3")),
    ]
    assert len(added) == 2  # 太山镇财政所, and 另一镇 (its round's id was taken); not the seed's own
    if workers > 1:
        monkeypatch.setattr(verify, "PARALLEL_MIN", 1)
    verdict = verify.verify_engine(seeded, workers=workers)
    assert verdict.ok and verdict.deep, verdict.problem


def test_a_second_rounds_own_unit_takes_the_rounds_id_with_no_entry_of_its_own(seeded: sa.Engine) -> None:
    """The counterpart of the case above: the round's id is free, so its own unit has that id and is
    implied by the round's entry, as the seed's is."""
    _import_second_round(seeded)
    with db.reading(seeded) as conn:
        units = conn.execute(sa.text("SELECT id, round_id, name, position FROM unit ORDER BY id")).all()
        added = conn.execute(sa.text("SELECT count(*) FROM audit WHERE action = 'unit_add'")).scalar_one()
    assert [tuple(u) for u in units] == [(1, 1, "中共太山镇委员会", 0), (2, 2, "另一镇", 0)]
    assert added == 0
    assert verify.verify_engine(seeded).ok


def test_a_yaml_round_names_the_unit_of_its_people(engine: sa.Engine) -> None:
    data = round_yaml.load_file(example_path("taishan.yaml"))
    people = [
        p.model_copy(update={"unit": data.round.unit}) if p.name == "规划办经办人" else p for p in data.people
    ]
    with db.unit_of_work(engine) as conn:
        round_yaml.import_round(
            conn, data.model_copy(update={"people": people}), OFFICE, clock.parse_moment("2024-10-14T16:00")
        )
    with db.reading(engine) as conn:
        units: dict[str, str | None] = {
            r[0]: r[1] for r in conn.execute(sa.text("SELECT name, unit FROM person"))
        }
    assert units["规划办经办人"] == data.round.unit and units[OFFICE] is None
    assert verify.verify_engine(engine).ok
    wrong = [p.model_copy(update={"unit": "无此镇"}) for p in data.people]
    renamed = data.model_copy(
        update={"people": wrong, "round": data.round.model_copy(update={"name": "另一轮"})}
    )
    with (
        pytest.raises(ZhenggaiError, match=re.escape("people[0].unit: 没有名为「无此镇」的被巡察单位")),
        db.unit_of_work(engine) as conn,
    ):
        round_yaml.import_round(conn, renamed, OFFICE, clock.parse_moment("2024-10-15T16:00"))


AT_TEXT = "2024-10-20T02:00:00.000000Z"  # 2024-10-20T10:00 in Beijing, as the log stores it


def _units(engine: sa.Engine) -> list[tuple[object, ...]]:
    with db.reading(engine) as conn:
        return [
            tuple(u)
            for u in conn.execute(sa.text("SELECT id, round_id, name, position FROM unit ORDER BY id"))
        ]


def _unit_entries(engine: sa.Engine) -> list[tuple[object, ...]]:
    with db.reading(engine) as conn:
        return [(e.at, e.actor, e.item_id, e.data) for e in chain.entries(conn) if e.action == "unit_add"]


def test_a_unit_a_ledger_names_is_added_once_per_round_next_after_the_rounds_last(
    seeded: sa.Engine,
) -> None:
    at = clock.parse_moment("2024-10-20T10:00")
    with db.unit_of_work(seeded) as conn:
        finance = units.unit_named(conn, 1, " 太山镇财政所 ", OFFICE, at)
        again = units.unit_named(conn, 1, "太山镇财政所", OFFICE, at)  # found by name: no second unit
        school = units.add_unit(conn, 1, "太山镇中心校", OFFICE, at)
    assert (finance, again, school) == (2, 2, 3)
    with db.unit_of_work(seeded) as conn:  # a second round: its own unit is the next free id, at 0
        round_yaml.import_round(conn, round_yaml.RoundFile.model_validate(SECOND), OFFICE, at)
    with db.unit_of_work(seeded) as conn:  # the same name in another round is another unit
        assert units.unit_named(conn, 2, "太山镇财政所", "县委巡察办", at) == 5
    assert _units(seeded) == [
        (1, 1, "中共太山镇委员会", 0),
        (2, 1, "太山镇财政所", 1),
        (3, 1, "太山镇中心校", 2),
        (4, 2, "另一镇", 0),
        (5, 2, "太山镇财政所", 1),  # after its round's last (0), not after every round's (2)
    ]
    assert _unit_entries(seeded) == [
        (AT_TEXT, OFFICE, None, {"id": 2, "round_id": 1, "name": "太山镇财政所", "position": 1}),
        (AT_TEXT, OFFICE, None, {"id": 3, "round_id": 1, "name": "太山镇中心校", "position": 2}),
        (AT_TEXT, OFFICE, None, {"id": 4, "round_id": 2, "name": "另一镇", "position": 0}),
        (AT_TEXT, "县委巡察办", None, {"id": 5, "round_id": 2, "name": "太山镇财政所", "position": 1}),
    ]
    with db.reading(seeded) as conn:
        assert verify.verify(conn, deep=True).ok


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("  ", "被巡察单位不能为空"),
        ("财政所\n二", "被巡察单位含有换行符或制表符"),
        ("所" * 201, "被巡察单位过长（201 字，最多 200 字）"),
    ],
)
def test_a_unit_named_blank_on_two_lines_or_too_long_is_refused(
    seeded: sa.Engine, name: str, says: str
) -> None:
    at = clock.parse_moment("2024-10-20T10:00")
    for add in (units.unit_named, units.add_unit):
        with pytest.raises(ZhenggaiError, match="^" + re.escape(says)), db.unit_of_work(seeded) as conn:
            add(conn, 1, name, OFFICE, at)
    assert _units(seeded) == [(1, 1, "中共太山镇委员会", 0)] and _unit_entries(seeded) == []
