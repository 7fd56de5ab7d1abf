"""Operations outside any item's lifecycle are the office's (states.lifecycle.OPERATIONS): each use case
refuses anyone else with the same sentence, naming the operation and the role it needs, and writes
nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import HANDLER, LEADER, OFFICE
from workflow import clock, db
from workflow.accounts import passwords
from workflow.db.tables.core import AUDIT
from workflow.errors import PermissionDenied
from workflow.intake import round_yaml
from workflow.intake.ledger import plan
from workflow.intake.ledger.workbook import Table
from workflow.items import people, round_records

NOW = clock.parse_moment("2024-11-01T10:00")
SECOND_ROUND = {
    "round": {"name": "第二轮", "group": "巡察组", "unit": "太山镇", "feedback_date": "2024-12-01"},
    "aspects": [{"number": "一", "title": "方面", "items": [{"number": "1", "title": "问题"}]}],
}

OPERATIONS: dict[str, tuple[str, Callable[[sa.Connection, str], Any]]] = {
    "person_add": ("添加人员", lambda c, who: people.add_person(c, who, NOW, name="新人", roles="handler")),
    "person_login": ("设置登录", lambda c, who: people.set_login(c, who, NOW, name=HANDLER, login="ghbjbr")),
    "password_reset": ("重置口令", lambda c, who: passwords.reset(c, who, OFFICE, "taken-over-1", NOW)),
    "round_import": (
        "导入",
        lambda c, who: round_yaml.import_round(
            c, round_yaml.RoundFile.model_validate(SECOND_ROUND), who, NOW
        ),
    ),
    "ledger_import": (
        "导入台账",
        lambda c, who: plan.prepare(
            c, Table("l.csv", "0" * 64, "台账"), plan.target_round(c, {}), who, today=date(2024, 11, 1)
        ),
    ),
    "rule_add": (
        "记录建章立制",
        lambda c, who: round_records.add_rule(
            c, who, NOW, title="制度", kind="made", issued_on=date(2024, 11, 1)
        ),
    ),
    "accountability_add": (
        "记录问责",
        lambda c, who: round_records.add_accountability(
            c, who, NOW, person="某人", measure="批评教育", decided_on=date(2024, 11, 1)
        ),
    ),
}


def _entries(engine: sa.Engine) -> int:
    with db.reading(engine) as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(AUDIT)).scalar_one())


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("who", [LEADER, HANDLER])
def test_only_the_office_may(seeded: sa.Engine, operation: str, who: str) -> None:
    label, run = OPERATIONS[operation]
    before = _entries(seeded)
    with (
        pytest.raises(PermissionDenied, match="的权限（需要角色：整改办）") as refused,
        db.unit_of_work(seeded) as conn,
    ):
        run(conn, who)
    assert str(refused.value) == f"{who} 没有{label}的权限（需要角色：整改办）"
    assert _entries(seeded) == before


@pytest.mark.parametrize("operation", ["person_add", "round_import", "rule_add", "accountability_add"])
def test_the_office_may(seeded: sa.Engine, operation: str) -> None:
    before = _entries(seeded)
    with db.unit_of_work(seeded) as conn:
        OPERATIONS[operation][1](conn, OFFICE)
    assert _entries(seeded) > before
