"""Items are managed, not only imported (issue 10 §4): `item add` puts a single problem in 已登记 without
a YAML or ledger import; `item edit` corrects its text while the state, the deadline and the people
stay the lifecycle's (refused, naming the command); `item list` filters by what is due within N days,
by category, and by a state typed in Chinese. All audited, replayed by the deep verify and by the
as-of snapshot."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import APPROVER, HANDLER, LEADER, OFFICE, Clock
from tests.integration.test_hostile_text import HOSTILE
from tests.ledger_fixtures import row, write_xlsx
from workflow import db
from workflow.audit import chain, verify
from workflow.db.tables.core import ITEM, MEASURE
from workflow.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Refused
from workflow.intake import round_yaml
from workflow.intake.ledger import apply, plan, workbook
from workflow.items import actions, editing, people, units
from workflow.read import snapshot
from workflow.read.items import list_items
from workflow.reports import board, board_page

ASPECT = '违法违规占用耕地、耕地"非农化"、"非粮化"'


def add(engine: sa.Engine, now: datetime, **given: Any) -> tuple[int, str]:
    values: dict[str, Any] = {
        "aspect": "一",
        "title": "村级财务公开不及时",
        "leader": LEADER,
        "department": "财政所",
        "deadline": "2025-03-31",
        "measures": ("按月公开村级财务收支",),
        **given,
    }
    with db.unit_of_work(engine) as conn:
        return editing.add_item(conn, values.pop("actor", OFFICE), now, **values)


def item(engine: sa.Engine, item_id: int) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.select(ITEM).where(ITEM.c.id == item_id)).one()


def deep_ok(engine: sa.Engine) -> None:
    with db.reading(engine) as conn:
        verdict = verify.verify(conn, deep=True)
    assert verdict.ok, verdict.problem


def test_a_new_problem_is_numbered_after_its_aspect_and_goes_through_the_lifecycle(
    seeded: sa.Engine, tick: Clock
) -> None:
    item_id, number = add(seeded, tick.set("2024-11-05T09:00"), description="2024年未按季度公开")
    assert (item_id, number) == (4, "一/4")
    row = item(seeded, 4)
    assert (row.state, row.version, row.position, row.deadline) == ("reported", 1, 3, date(2025, 3, 31))
    with seeded.connect() as conn:
        assert conn.execute(sa.select(MEASURE.c.text).where(MEASURE.c.item_id == 4)).scalars().all() == [
            "按月公开村级财务收支"
        ]
        [entry] = chain.entries(conn, 4)
    assert (entry.action, entry.actor, entry.from_state, entry.to_state) == (
        "item_add",
        OFFICE,
        None,
        "reported",
    )
    assert entry.data["number"] == "一/4" and entry.data["measures"][0]["text"] == "按月公开村级财务收支"
    # By its aspect's title too; numbered after the last, which is now 一/4.
    assert add(seeded, tick(), aspect=ASPECT, title="第二个新问题", deadline="长期坚持")[1] == "一/5"
    with db.unit_of_work(seeded) as conn:
        actions.fire(conn, 4, "assign", OFFICE, tick.set("2024-11-06T09:00"))
    deep_ok(seeded)
    with db.reading(seeded) as conn:  # as of the day before, it did not exist
        assert 4 not in snapshot.take(conn, date(2024, 11, 4)).ids
        assert 4 in snapshot.take(conn, date(2024, 11, 5)).ids


@pytest.mark.parametrize(
    ("given", "error", "says"),
    [
        ({"actor": HANDLER}, PermissionDenied, "规划办经办人 没有新增问题的权限（需要角色：整改办）"),
        ({"actor": APPROVER}, PermissionDenied, "县委巡察办 没有新增问题的权限"),
        ({"aspect": "二"}, InvalidInput, f"本轮次没有编号或标题为 '二' 的方面（可用：一、{ASPECT}）"),
        ({"leader": "张三"}, NotFound, "没有名为 '张三' 的人员"),
        ({"deadline": "2024-10-01"}, InvalidInput, "完成时限 2024-10-01 早于本轮次的反馈日期 2024-10-14"),
        ({"deadline": "下月底"}, ValueError, "无效的日期：'下月底'"),
        ({"title": "  "}, InvalidInput, "问题标题不能为空"),
        ({"title": "标题\x1b]8;;http://evil.example\x07点我"}, InvalidInput, "问题标题含有控制字符"),
        ({"department": "财政所\n审计组"}, InvalidInput, "责任部门含有换行符或制表符"),
        ({"handler": "规划办\t经办人"}, InvalidInput, "责任人含有换行符或制表符"),
        ({"measures": ("",)}, InvalidInput, "整改措施不能为空"),
        ({"description": "长" * 20_001}, InvalidInput, "问题描述过长"),
    ],
)
def test_a_wrong_new_problem_is_refused_with_its_reason_and_nothing_is_stored(
    seeded: sa.Engine, tick: Clock, given: dict[str, Any], error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match="^" + re.escape(says)) as caught:
        add(seeded, tick(), **given)
    assert str(caught.value).startswith(says), str(caught.value)
    with seeded.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar() == 3


def test_a_deactivated_person_cannot_be_made_responsible_for_a_new_problem(
    seeded: sa.Engine, tick: Clock
) -> None:
    with db.unit_of_work(seeded) as conn:
        people.deactivate_person(conn, OFFICE, tick(), name=LEADER)
    with pytest.raises(PermissionDenied, match=r"^人员 徐波 已停用"):
        add(seeded, tick())


def test_an_items_text_is_corrected_audited_and_rolled_back_as_of_before(
    seeded: sa.Engine, tick: Clock
) -> None:
    old = item(seeded, 1).instance
    with db.unit_of_work(seeded) as conn:
        outcome = editing.edit_item(
            conn,
            1,
            OFFICE,
            tick.set("2024-10-20T09:00"),
            fields={
                "title": "新增违法占地禁而不止",
                "instance": "典型表现：某村新建养殖棚",
                "description": None,
            },
            expect_version=1,
        )
    assert (outcome.from_state.value, outcome.to_state.value, outcome.version) == ("reported", "reported", 2)
    row = item(seeded, 1)
    assert (row.title, row.instance, row.version) == ("新增违法占地禁而不止", "典型表现：某村新建养殖棚", 2)
    assert outcome.entry.action == "edit"
    assert outcome.entry.data == {
        "changes": {
            "title": ["新增违法占地禁而不绝", "新增违法占地禁而不止"],
            "instance": [old, "典型表现：某村新建养殖棚"],
        }
    }
    with db.reading(seeded) as conn:
        before = {i.id: i for i in snapshot.take(conn, date(2024, 10, 19)).items}
        after = {i.id: i for i in snapshot.take(conn, date(2024, 10, 20)).items}
    assert (before[1].title, before[1].instance) == ("新增违法占地禁而不绝", old)
    assert after[1].title == "新增违法占地禁而不止"
    deep_ok(seeded)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        (
            {"state": "closed"},
            "item edit 不能修改这些内容：状态只能通过生命周期操作改变（zhenggai item assign/start/submit",
        ),
        (
            {"deadline": "2025-06-30"},
            "item edit 不能修改这些内容：完成时限只能通过延期改变（zhenggai item extend",
        ),
        (
            {"leader": "杨公平", "title": "x"},
            "item edit 不能修改这些内容：责任领导只能通过调整责任改变（zhenggai item reassign",
        ),
        ({"department": "镇政府"}, "item edit 不能修改这些内容：责任部门只能通过调整责任改变"),
        ({"handler": HANDLER}, "item edit 不能修改这些内容：责任人只能通过调整责任改变"),
    ],
)
def test_the_state_the_deadline_and_the_people_are_refused_naming_the_command(
    seeded: sa.Engine, tick: Clock, fields: dict[str, str], says: str
) -> None:
    with pytest.raises(Refused, match="^" + re.escape(says)) as caught, db.unit_of_work(seeded) as conn:
        editing.edit_item(conn, 1, OFFICE, tick(), fields=fields)  # type: ignore[arg-type]
    assert str(caught.value).startswith(says), str(caught.value)
    assert item(seeded, 1).version == 1


def test_an_edit_is_refused_to_others_once_closed_and_when_nothing_changes(
    seeded: sa.Engine, tick: Clock
) -> None:
    def edit(who: str, **fields: str) -> None:
        with db.unit_of_work(seeded) as conn:
            editing.edit_item(conn, 1, who, tick(), fields=fields)  # type: ignore[arg-type]

    with pytest.raises(
        PermissionDenied, match=r"^无法对事项 1（一/1）修改事项内容：规划办经办人 没有修改事项内容的权限"
    ):
        edit(HANDLER, title="改")
    with pytest.raises(InvalidInput, match=r"^事项 1 没有要修改的内容"):
        edit(OFFICE, title="新增违法占地禁而不绝")
    with pytest.raises(InvalidInput, match=r"^问题标题不能为空"):
        edit(OFFICE, title=" ")
    with pytest.raises(InvalidInput, match=r"^典型表现含有控制字符"):
        edit(OFFICE, instance="表现\x9b2J")
    with db.unit_of_work(seeded) as conn:  # closed (written directly: only the state matters here)
        conn.execute(ITEM.update().where(ITEM.c.id == 2).values(state="closed"))
    with (
        pytest.raises(Refused, match=r"^无法对事项 2（一/2）修改事项内容：事项当前为「已销号」"),
        db.unit_of_work(seeded) as conn,
    ):
        editing.edit_item(conn, 2, OFFICE, tick(), fields={"title": "改"})


def test_hostile_text_in_a_new_problem_stays_text_on_the_board_page(seeded: sa.Engine, tick: Clock) -> None:
    for text in HOSTILE[1:3]:  # HTML: a script, an image with a handler
        add(seeded, tick.set("2024-12-01T09:00"), title=text, deadline="2024-12-05")
    with db.reading(seeded) as conn:
        page = board_page.page(board.data(conn, date(2024, 12, 1)))
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # in the 需要督办 table, as the text it is


def _numbers(engine: sa.Engine, today: date, **filters: Any) -> list[str]:
    with db.reading(engine) as conn:
        return [r["number"] for r in list_items(conn, today, **filters)]


def test_the_list_filters_by_due_within_category_and_a_chinese_state(seeded: sa.Engine, tick: Clock) -> None:
    with db.unit_of_work(seeded) as conn:
        for n in (1, 2, 3):
            actions.fire(conn, n, "assign", OFFICE, tick())
        actions.fire(conn, 3, "start", HANDLER, tick())
    # 一/1, 一/2 due 2024-12-31, 一/3 due 2025-02-14.
    assert _numbers(seeded, date(2024, 12, 24), due_within=7) == ["一/1", "一/2"]
    assert _numbers(seeded, date(2024, 12, 23), due_within=7) == []
    assert _numbers(seeded, date(2024, 12, 31), due_within=0) == ["一/1", "一/2"]  # due today
    assert _numbers(seeded, date(2025, 1, 1), due_within=60) == ["一/3"]  # the late ones are --overdue
    assert _numbers(seeded, date(2025, 1, 1), state="整改中") == ["一/3"]
    assert _numbers(seeded, date(2025, 1, 1), state="assigned", category="一") == ["一/1", "一/2"]
    assert _numbers(seeded, date(2025, 1, 1), category=f"一、{ASPECT}") == ["一/1", "一/2", "一/3"]
    with pytest.raises(
        InvalidInput, match=f"^没有编号或标题为 '二' 的问题类别（方面）（可用：一、{ASPECT}）"
    ):
        _numbers(seeded, date(2025, 1, 1), category="二")
    with pytest.raises(InvalidInput, match=r"^未知状态 '完成'"):
        _numbers(seeded, date(2025, 1, 1), state="完成")
    with pytest.raises(InvalidInput, match=r"^--due-within 应为 0 到 3660 之间的天数"):
        _numbers(seeded, date(2025, 1, 1), due_within=-1)


# --- what `item add` stores, where it numbers the new problem, and what `item edit` refuses ------------

SECOND_ROUND = {
    "round": {"name": "第二轮", "group": "巡察组", "unit": "另一镇", "feedback_date": "2024-10-15"},
    "aspects": [
        {"number": "一", "title": "党的领导", "items": [{"number": "甲", "title": "按其他方式编号的问题"}]},
        {
            "number": "二",
            "title": "一",
            "items": [{"number": "1", "title": "问题"}],
        },  # titled as 一 is numbered
        {"number": "三", "title": "作风建设", "items": [{"number": "（一）", "title": "问题"}]},
    ],
}


def test_a_new_problem_is_stored_and_logged_with_every_field_given(seeded: sa.Engine, tick: Clock) -> None:
    item_id, number = add(
        seeded,
        tick.set("2024-11-05T09:00"),
        title=" 村级财务公开不及时 ",
        description=" 2024年未按季度公开 ",
        instance="某村三季度未公开",
        leader=f" {LEADER} ",
        department=" 财政所 ",
        handler=HANDLER,
        cooperating="经管站、审计所",
        deadline="2024-10-14",  # the feedback day itself is not too early
        measures=("按月公开村级财务收支", " 建立公开台账 "),
    )
    assert (item_id, number) == (4, "一/4")
    row = item(seeded, 4)
    assert {k: row._mapping[k] for k in STORED} == {
        "round_id": 1,
        "unit_id": 1,
        "aspect_id": 1,
        "parent_id": None,
        "number": "一/4",
        "position": 3,
        "title": "村级财务公开不及时",
        "description": "2024年未按季度公开",
        "instance": "某村三季度未公开",
        "leader": LEADER,
        "department": "财政所",
        "handler": HANDLER,
        "cooperating": "经管站、审计所",
        "deadline_kind": "date",
        "deadline": date(2024, 10, 14),
        "state": "reported",
        "version": 1,
    }
    with seeded.connect() as conn:
        measures = conn.execute(
            sa.select(MEASURE.c.seq, MEASURE.c.text, MEASURE.c.owner, MEASURE.c.due)
            .where(MEASURE.c.item_id == 4)
            .order_by(MEASURE.c.seq)
        ).all()
        [entry] = chain.entries(conn, 4)
    assert [tuple(m) for m in measures] == [
        (1, "按月公开村级财务收支", None, None),
        (2, "建立公开台账", None, None),
    ]
    assert entry.data == {
        "round_id": 1,
        "aspect_id": 1,
        "parent_id": None,
        "number": "一/4",
        "position": 3,
        "title": "村级财务公开不及时",
        "description": "2024年未按季度公开",
        "instance": "某村三季度未公开",
        "leader": LEADER,
        "department": "财政所",
        "cooperating": "经管站、审计所",
        "handler": HANDLER,
        "deadline_kind": "date",
        "deadline": "2024-10-14",
        "measures": [
            {"seq": 1, "text": "按月公开村级财务收支", "owner": None, "due": None},
            {"seq": 2, "text": "建立公开台账", "owner": None, "due": None},
        ],
    }  # the round's own unit is not named (entries as before units existed)
    bare_id, _ = add(seeded, tick(), leader=None, department="", deadline=None, measures=())
    bare = item(seeded, bare_id)
    assert (
        bare.leader,
        bare.department,
        bare.handler,
        bare.cooperating,
        bare.deadline_kind,
        bare.deadline,
    ) == (
        None,
        None,
        None,
        "",
        None,
        None,
    )
    assert (bare.description, bare.instance) == ("", "")
    ongoing = item(seeded, add(seeded, tick(), deadline="长期坚持")[0])
    assert (ongoing.deadline_kind, ongoing.deadline) == ("ongoing", None)
    deep_ok(seeded)


STORED = (
    "round_id",
    "unit_id",
    "aspect_id",
    "parent_id",
    "number",
    "position",
    "title",
    "description",
    "instance",
    "leader",
    "department",
    "handler",
    "cooperating",
    "deadline_kind",
    "deadline",
    "state",
    "version",
)


def test_a_new_problem_is_numbered_in_its_aspect_of_its_unit_whatever_the_ledgers_numbers(
    seeded: sa.Engine, tick: Clock
) -> None:
    with db.unit_of_work(seeded) as conn:
        round_yaml.import_round(conn, round_yaml.RoundFile.model_validate(SECOND_ROUND), OFFICE, tick())

    def added(aspect: str) -> tuple[str, int]:
        item_id, number = add(seeded, tick(), round_name="第二轮", aspect=aspect, deadline=None)
        return number, item(seeded, item_id).position

    assert added("党的领导") == ("一/1", 1)  # 一/甲 is no number to follow; after it in the list
    assert added("三") == ("三/1", 1)
    assert added("作风建设") == ("三/2", 2)  # by its title
    assert added("三、作风建设") == ("三/3", 3)  # as the list shows it
    choices = "一、党的领导；二、一；三、作风建设"
    with pytest.raises(
        InvalidInput, match="^" + re.escape(f"本轮次没有编号或标题为 '一' 的方面（可用：{choices}）") + "$"
    ):
        add(
            seeded, tick(), round_name="第二轮", aspect=" 一 ", deadline=None
        )  # the number of one, the title of another
    with pytest.raises(InvalidInput, match=r"^方面不能为空$"):
        add(seeded, tick(), round_name="第二轮", aspect=" ", deadline=None)
    with db.unit_of_work(seeded) as conn:  # a unit with no aspects yet
        units.unit_named(conn, 2, "财政所", OFFICE, tick())
    with pytest.raises(
        InvalidInput,
        match="^" + re.escape("本轮次没有编号或标题为 '一' 的方面（可用：（本轮次还没有方面））"),
    ):
        add(seeded, tick(), round_name="第二轮", unit="财政所", deadline=None)
    assert add(seeded, tick(), round_name=ROUND)[1] == "一/4"  # the first round's numbers are its own
    deep_ok(seeded)


ROUND = "县委上下联动乡村振兴专项巡察（太山镇）"


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"aspect": "方" * 501}, "方面过长（501 字，最多 500 字）"),
        ({"leader": "徐" * 65}, "责任领导过长（65 字，最多 64 字）"),
        ({"handler": "人" * 65}, "责任人过长（65 字，最多 64 字）"),
        ({"department": "部" * 201}, "责任部门过长（201 字，最多 200 字）"),
        ({"title": "题" * 501}, "问题标题过长（501 字，最多 500 字）"),
        ({"cooperating": "单" * 1001}, "配合单位过长（1001 字，最多 1000 字）"),
        ({"measures": ("措" * 5001,)}, "整改措施过长（5001 字，最多 5000 字）"),
        ({"instance": "表" * 20_001}, "典型表现过长（20001 字，最多 20000 字）"),
    ],
)
def test_a_new_problems_field_over_its_limit_is_refused_by_name(
    seeded: sa.Engine, tick: Clock, given: dict[str, Any], says: str
) -> None:
    with pytest.raises(InvalidInput, match="^" + re.escape(says)):
        add(seeded, tick(), **given)
    with seeded.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar() == 3


def test_item_edit_names_every_field_it_keeps_or_does_not_know_and_checks_the_version(
    seeded: sa.Engine, tick: Clock
) -> None:
    def edit(fields: dict[str, str | None], version: int | None = None) -> Any:
        with db.unit_of_work(seeded) as conn:
            return editing.edit_item(conn, 1, OFFICE, tick(), fields=fields, expect_version=version)

    both = (
        "item edit 不能修改这些内容：状态只能通过生命周期操作改变（zhenggai item assign/start/submit/approve …，见 item show 的「可执行」）"
        "；配合单位只能通过调整责任改变（zhenggai item reassign ID --cooperating … --reason …）"
    )
    with pytest.raises(Refused, match="^" + re.escape(both) + "$"):
        edit({"state": "closed", "cooperating": "财政所", "title": "改"})
    unknown = "item edit 不能修改 number、position（可修改：--title、--description、--instance）"
    with pytest.raises(InvalidInput, match="^" + re.escape(unknown) + "$"):
        edit({"position": "0", "number": "一/9", "title": "改", "state": None})
    with pytest.raises(InvalidInput, match="^" + re.escape("问题标题过长（501 字，最多 500 字）")):
        edit({"title": "题" * 501})
    with pytest.raises(InvalidInput, match=r"^事项 1 没有要修改的内容"):
        edit({"title": None, "description": None})
    edit({"description": " 新的描述 "}, version=1)
    with pytest.raises(
        Conflict, match="^" + re.escape("事项 1 已被他人改动（当前版本 2，你看到的是 1），请刷新后重试")
    ):
        edit({"description": "再改"}, version=1)
    edit({"description": ""}, version=2)  # the description may be emptied, the title not
    row = item(seeded, 1)
    assert (row.description, row.version, row.title) == ("", 3, "新增违法占地禁而不绝")
    with db.reading(seeded) as conn:
        edits = [e.data["changes"] for e in chain.entries(conn, 1) if e.action == "edit"]
    assert [list(c) for c in edits] == [["description"], ["description"]]
    assert edits[0]["description"][1] == "新的描述" and edits[1]["description"] == ["新的描述", ""]
    deep_ok(seeded)


def test_a_units_office_adds_a_problem_to_its_own_unit_and_no_other(
    seeded: sa.Engine, tick: Clock, tmp_path: Path
) -> None:
    table = workbook.load(write_xlsx(tmp_path / "finance.xlsx", [row(1), row(2)]))
    with db.unit_of_work(seeded) as conn:  # a second unit, 太山镇财政所, with items 4 and 5, and its office
        target = plan.target_round(conn, table.meta, ROUND, unit="太山镇财政所")
        apply.apply(conn, plan.prepare(conn, table, target, OFFICE, today=date(2024, 10, 21)), tick())
        people.add_person(conn, OFFICE, tick(), name="财政所整改办", roles="office", unit="太山镇财政所")
    item_id, number = add(seeded, tick(), actor="财政所整改办", deadline="")
    row_ = item(seeded, item_id)
    assert (number, row_.unit_id, row_.deadline_kind, row_.deadline) == ("一/3", 2, None, None)
    with pytest.raises(
        NotFound, match="^" + re.escape(f"巡察轮次「{ROUND}」没有名为「中共太山镇委员会」的被巡察单位") + "$"
    ):
        add(seeded, tick(), actor="财政所整改办", unit="中共太山镇委员会")
    with pytest.raises(
        InvalidInput, match="^" + re.escape(f"巡察轮次「{ROUND}」有多个被巡察单位，请用 --unit 指明")
    ):
        add(seeded, tick())  # the county's office names the unit
    assert add(seeded, tick(), unit="中共太山镇委员会")[1] == "一/4"
    with db.reading(seeded) as conn:
        assert chain.entries(conn, item_id)[0].data["unit_id"] == 2  # another unit than the round's own
    deep_ok(seeded)
