"""Rules (建章立制) and accountability (问责) are records of a round, not numbers typed into a report
(workflow/items/round_records.py): each is stored as given — its kind or measure by name, blank
optional text as nothing — with an audited entry that says the same; it belongs to the round of the
item it names, and a unit's office records for its own unit's items only."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import OFFICE, Clock
from tests.ledger_fixtures import row, write_xlsx
from workflow import clock, db
from workflow.audit import chain, verify
from workflow.db.tables.core import ACCOUNTABILITY, RULE
from workflow.errors import InvalidInput, NotFound
from workflow.intake import round_yaml
from workflow.intake.ledger import apply, plan, workbook
from workflow.items import people, round_records

ROUND = "县委上下联动乡村振兴专项巡察（太山镇）"
SECOND_ROUND = {
    "round": {"name": "第二轮", "group": "巡察组", "unit": "另一镇", "feedback_date": "2024-10-15"},
    "aspects": [{"number": "一", "title": "方面", "items": [{"number": "1", "title": "问题"}]}],
}
FINANCE, FINANCE_OFFICE = "太山镇财政所", "财政所整改办"


def rule(engine: sa.Engine, now: Any, **given: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": "耕地保护巡查制度",
        "kind": "made",
        "issued_on": date(2024, 10, 20),
        **given,
    }
    with db.unit_of_work(engine) as conn:
        return round_records.add_rule(conn, values.pop("actor", OFFICE), now, **values)


def accountability(engine: sa.Engine, now: Any, **given: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "person": "张某",
        "measure": "诫勉谈话",
        "decided_on": date(2024, 10, 20),
        **given,
    }
    with db.unit_of_work(engine) as conn:
        return round_records.add_accountability(conn, values.pop("actor", OFFICE), now, **values)


def stored(engine: sa.Engine, table: sa.Table) -> list[dict[str, Any]]:
    with db.reading(engine) as conn:
        return [
            {k: v for k, v in r._mapping.items() if k != "created_at"}
            for r in conn.execute(sa.select(table).order_by(table.c.id))
        ]


def logged(engine: sa.Engine, action: str) -> list[tuple[Any, ...]]:
    with db.reading(engine) as conn:
        return [(e.actor, e.item_id, e.data) for e in chain.entries(conn) if e.action == action]


def deep_ok(engine: sa.Engine) -> None:
    with db.reading(engine) as conn:
        verdict = verify.verify(conn, deep=True)
    assert verdict.ok, verdict.problem


def test_a_rule_is_stored_and_logged_as_given_its_kind_by_either_name(seeded: sa.Engine, tick: Clock) -> None:
    made = rule(
        seeded,
        tick(),
        title=" 太山镇耕地保护巡查制度 ",
        kind=" 制定 ",
        item_id=1,
        doc_ref=" 太政〔2024〕12号 ",
        note="每月巡查一次",
    )
    assert made == {
        "id": 1,
        "round_id": 1,
        "item_id": 1,
        "title": "太山镇耕地保护巡查制度",
        "kind": "made",
        "issued_on": date(2024, 10, 20),
        "doc_ref": "太政〔2024〕12号",
        "note": "每月巡查一次",
        "actor": OFFICE,
    }
    revised = rule(
        seeded, tick(), title="设施农用地监管办法", kind="修订", doc_ref="  ", note="", round_name=ROUND
    )
    assert (revised["id"], revised["kind"], revised["item_id"], revised["doc_ref"], revised["note"]) == (
        2,
        "revised",
        None,
        None,
        None,
    )
    assert rule(seeded, tick(), kind="revised")["kind"] == "revised"
    assert [
        (
            r["id"],
            r["round_id"],
            r["item_id"],
            r["title"],
            r["kind"],
            r["issued_on"],
            r["doc_ref"],
            r["note"],
            r["actor"],
        )
        for r in stored(seeded, RULE)
    ] == [
        (
            1,
            1,
            1,
            "太山镇耕地保护巡查制度",
            "made",
            date(2024, 10, 20),
            "太政〔2024〕12号",
            "每月巡查一次",
            OFFICE,
        ),
        (2, 1, None, "设施农用地监管办法", "revised", date(2024, 10, 20), None, None, OFFICE),
        (3, 1, None, "耕地保护巡查制度", "revised", date(2024, 10, 20), None, None, OFFICE),
    ]
    as_logged = [(OFFICE, r["item_id"], {**r, "issued_on": "2024-10-20"}) for r in (made, revised)]
    assert logged(seeded, "rule_add")[:2] == as_logged  # the entry says what was stored, the day as text
    deep_ok(seeded)


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"kind": "废止"}, "未知的类型 '废止'（可用：made 制定、revised 修订）"),
        ({"title": " "}, "制度名称不能为空"),
        ({"title": "制" * 501}, "制度名称过长（501 字，最多 500 字）"),
        ({"issued_on": date(2024, 10, 22)}, "印发日期 2024-10-22 晚于今天（2024-10-21）：只记录已经发生的事"),
        ({"doc_ref": "号" * 201}, "文号过长（201 字，最多 200 字）"),
        ({"note": "说明\x07"}, "说明含有控制字符"),
        ({"note": "说" * 5001}, "说明过长（5001 字，最多 5000 字）"),
    ],
)
def test_a_wrong_rule_is_refused_naming_the_field(
    seeded: sa.Engine, tick: Clock, given: dict[str, Any], says: str
) -> None:
    with pytest.raises(InvalidInput, match="^" + re.escape(says)):
        rule(seeded, tick(), **given)
    assert stored(seeded, RULE) == [] and logged(seeded, "rule_add") == []


def test_a_rule_with_every_text_at_its_longest_is_stored(seeded: sa.Engine, tick: Clock) -> None:
    """The control of the refusals above: one character less is stored whole."""
    rule(seeded, tick(), title="制" * 500, doc_ref="号" * 200, note="说" * 5000)
    (row,) = stored(seeded, RULE)
    assert (row["title"], row["doc_ref"], row["note"]) == ("制" * 500, "号" * 200, "说" * 5000)


def test_an_accountability_action_is_stored_and_logged_as_given(seeded: sa.Engine, tick: Clock) -> None:
    first = accountability(
        seeded,
        tick(),
        person=" 张某 ",
        measure="党纪处分",
        post=" 沙窝营村党支部书记 ",
        item_id=3,
        reason=" 对违规改变用地用途监管不力 ",
        decided_on=date(2024, 10, 21),
    )
    assert first == {
        "id": 1,
        "round_id": 1,
        "item_id": 3,
        "person": "张某",
        "post": "沙窝营村党支部书记",
        "measure": "党纪处分",
        "decided_on": date(2024, 10, 21),
        "reason": "对违规改变用地用途监管不力",
        "actor": OFFICE,
    }
    bare = accountability(seeded, tick(), person="李某", measure="提醒谈话", post=" ", reason="")
    assert (bare["id"], bare["item_id"], bare["post"], bare["reason"]) == (2, None, None, None)
    assert [
        (
            a["id"],
            a["round_id"],
            a["item_id"],
            a["person"],
            a["post"],
            a["measure"],
            a["decided_on"],
            a["reason"],
            a["actor"],
        )
        for a in stored(seeded, ACCOUNTABILITY)
    ] == [
        (
            1,
            1,
            3,
            "张某",
            "沙窝营村党支部书记",
            "党纪处分",
            date(2024, 10, 21),
            "对违规改变用地用途监管不力",
            OFFICE,
        ),
        (2, 1, None, "李某", None, "提醒谈话", date(2024, 10, 20), None, OFFICE),
    ]
    assert logged(seeded, "accountability_add") == [
        (OFFICE, 3, {**first, "decided_on": "2024-10-21"}),
        (OFFICE, None, {**bare, "decided_on": "2024-10-20"}),
    ]
    deep_ok(seeded)


@pytest.mark.parametrize(
    ("given", "says"),
    [
        (
            {"measure": "罚款"},
            "未知的问责方式 '罚款'（可用：提醒谈话、批评教育、责令检查、诫勉谈话、通报批评、约谈、组织处理、党纪处分、政务处分、其他）",
        ),
        ({"person": ""}, "被问责人不能为空"),
        ({"person": "张\t某"}, "被问责人含有换行符或制表符"),
        ({"person": "张" * 65}, "被问责人过长（65 字，最多 64 字）"),
        ({"post": "职" * 201}, "单位及职务过长（201 字，最多 200 字）"),
        ({"post": "书记\n主任"}, "单位及职务含有换行符或制表符"),
        (
            {"decided_on": date(2024, 10, 22)},
            "问责日期 2024-10-22 晚于今天（2024-10-21）：只记录已经发生的事",
        ),
        ({"reason": "事" * 5001}, "问责事由过长（5001 字，最多 5000 字）"),
    ],
)
def test_a_wrong_accountability_action_is_refused_naming_the_field(
    seeded: sa.Engine, tick: Clock, given: dict[str, Any], says: str
) -> None:
    with pytest.raises(InvalidInput, match="^" + re.escape(says)):
        accountability(seeded, tick(), **given)
    assert stored(seeded, ACCOUNTABILITY) == [] and logged(seeded, "accountability_add") == []


def test_a_record_belongs_to_the_round_of_its_item(seeded: sa.Engine, tick: Clock) -> None:
    with db.unit_of_work(seeded) as conn:
        round_yaml.import_round(conn, round_yaml.RoundFile.model_validate(SECOND_ROUND), OFFICE, tick())
    with pytest.raises(InvalidInput, match=r"^有多个巡察轮次，请用 --round 指明："):
        rule(seeded, tick())
    assert rule(seeded, tick(), item_id=4)["round_id"] == 2  # the second round's only item
    assert rule(seeded, tick(), item_id=4, round_name="第二轮")["round_id"] == 2
    assert accountability(seeded, tick(), round_name="第二轮")["round_id"] == 2
    assert accountability(seeded, tick(), item_id=2, round_name=ROUND)["round_id"] == 1
    with pytest.raises(InvalidInput, match="^" + re.escape("事项 1 不属于巡察轮次「第二轮」") + "$"):
        rule(seeded, tick(), item_id=1, round_name="第二轮")
    with pytest.raises(NotFound, match="^" + re.escape("没有编号为 99 的事项（用 zhenggai item list 查看）")):
        accountability(seeded, tick(), item_id=99)
    assert [r["round_id"] for r in stored(seeded, RULE)] == [2, 2]
    deep_ok(seeded)


def _finance_items(engine: sa.Engine, tmp_path: Path, now: Any) -> None:
    """The seed round gets a second unit, 太山镇财政所, with two items (ids 4 and 5) and an office."""
    table = workbook.load(write_xlsx(tmp_path / "finance.xlsx", [row(1), row(2)]))
    with db.unit_of_work(engine) as conn:
        target = plan.target_round(conn, table.meta, ROUND, unit=FINANCE)
        apply.apply(conn, plan.prepare(conn, table, target, OFFICE, today=clock.local_today(now)), now)
        people.add_person(conn, OFFICE, now, name=FINANCE_OFFICE, roles="office", unit=FINANCE)


def test_a_units_office_records_for_an_item_of_its_own_unit_only(
    seeded: sa.Engine, tick: Clock, tmp_path: Path
) -> None:
    with db.unit_of_work(seeded) as conn:  # while the round has one unit, its office needs no item
        people.add_person(conn, OFFICE, tick(), name="镇党委整改办", roles="office", unit="中共太山镇委员会")
    assert rule(seeded, tick(), actor="镇党委整改办")["item_id"] is None
    _finance_items(seeded, tmp_path, tick())
    several = f"巡察轮次「{ROUND}」有多个被巡察单位：请用 --item 指明本单位（{FINANCE}）的事项"
    with pytest.raises(InvalidInput, match="^" + re.escape(several) + "$"):
        rule(seeded, tick(), actor=FINANCE_OFFICE)
    with pytest.raises(InvalidInput, match="^" + re.escape(several)):
        accountability(seeded, tick(), actor=FINANCE_OFFICE, round_name=ROUND)
    with pytest.raises(NotFound, match=r"^没有编号为 1 的事项"):  # another unit's item is nobody's
        accountability(seeded, tick(), actor=FINANCE_OFFICE, item_id=1)
    assert accountability(seeded, tick(), actor=FINANCE_OFFICE, item_id=5)["item_id"] == 5
    assert rule(seeded, tick(), actor=FINANCE_OFFICE, item_id=4)["item_id"] == 4
    assert rule(seeded, tick(), item_id=1)["item_id"] == 1  # the county's office: any unit's
    assert rule(seeded, tick())["item_id"] is None  # and the round as a whole
    assert [(a, i) for a, i, _ in logged(seeded, "rule_add")] == [
        ("镇党委整改办", None),
        (FINANCE_OFFICE, 4),
        (OFFICE, 1),
        (OFFICE, None),
    ]
    deep_ok(seeded)
