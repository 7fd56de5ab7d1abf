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
from workflow.audit import verify
from workflow.demo import example_path
from workflow.errors import ZhenggaiError
from workflow.intake import round_yaml
from workflow.intake.ledger import apply, plan, workbook


def _import_unit(engine: sa.Engine, path: Path, unit: str, at: str) -> None:
    now = clock.parse_moment(at)
    table = workbook.load(path)
    with db.unit_of_work(engine) as conn:
        target = plan.target_round(conn, table.meta, "县委上下联动乡村振兴专项巡察（太山镇）", unit=unit)
        apply.apply(conn, plan.prepare(conn, table, target, OFFICE, today=clock.local_today(now)), now)


@pytest.mark.parametrize("workers", [1, 3])
def test_a_rounds_own_unit_whose_id_is_taken_is_added_with_an_entry(
    seeded: sa.Engine, tmp_path: Path, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Round 1 (the seed) gets a second unit, id 2; then round 2 arrives: its own unit cannot be 2.
    _import_unit(
        seeded, write_xlsx(tmp_path / "b.xlsx", [row(1), row(2)]), "太山镇财政所", "2024-10-20T10:00"
    )
    data = round_yaml.load_file(example_path("taishan.yaml"))
    second = data.model_copy(
        update={"round": data.round.model_copy(update={"name": "第二轮巡察", "unit": "另一镇"})}
    )
    with db.unit_of_work(seeded) as conn:
        round_yaml.import_round(conn, second, OFFICE, clock.parse_moment("2024-10-21T10:00"))
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
