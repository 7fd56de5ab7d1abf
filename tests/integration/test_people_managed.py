"""People are managed, not only added (issue 10 §4): `person edit` changes roles, department, post and
e-mail; `person deactivate` keeps the history and refuses the person's further actions with a Chinese
reason, and no reminder goes to them. Every change is audited, and the deep verify replays it: a change
made behind the engine's back is named."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import APPROVER, AUDITOR, HANDLER, LEADER, OFFICE, Clock
from tests.reminders_fixtures import (
    DEPT,
    at,
    firings,
    import_items,
    item_spec,
    make_settings,
    out_dir,
    rem_engine,
    run,
    start,
)
from workflow import db
from workflow.audit import chain, verify
from workflow.db.tables.core import PERSON
from workflow.errors import InvalidInput, NotFound, PermissionDenied
from workflow.items import actions, people, units
from workflow.read.people import find_person

__all__ = ["out_dir", "rem_engine"]  # fixtures used by name


def person(engine: sa.Engine, name: str) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(sa.select(PERSON).where(PERSON.c.name == name)).one()
    return {**row._mapping, "active": bool(row.active)}


def deep_ok(engine: sa.Engine) -> None:
    with db.reading(engine) as conn:
        verdict = verify.verify(conn, deep=True)
    assert verdict.ok, verdict.problem


def test_roles_department_post_and_email_change_audited_and_replayed(seeded: sa.Engine, tick: Clock) -> None:
    with db.unit_of_work(seeded) as conn:
        changes = people.edit_person(
            conn,
            OFFICE,
            tick(),
            name=LEADER,
            add_roles=("销号审核人",),
            department="镇人大办公室",
            email="xubo@example.cn",
        )
    assert changes == {
        "roles": ["leader", "approver,leader"],
        "department": ["镇人大", "镇人大办公室"],
        "email": [None, "xubo@example.cn"],
    }
    with db.unit_of_work(seeded) as conn:
        people.edit_person(conn, OFFICE, tick(), name=LEADER, remove_roles=("approver",), title="")
    after = person(seeded, LEADER)
    assert (after["roles"], after["department"], after["title"], after["email"]) == (
        "leader",
        "镇人大办公室",
        None,
        "xubo@example.cn",
    )
    with db.reading(seeded) as conn:
        log = [e for e in chain.entries(conn) if e.action == "person_edit"]
    assert [(e.actor, e.data["name"]) for e in log] == [(OFFICE, LEADER), (OFFICE, LEADER)]
    assert log[1].data["changes"] == {"roles": ["approver,leader", "leader"], "title": ["镇人大主席", None]}
    deep_ok(seeded)


@pytest.mark.parametrize(
    ("who", "change", "error", "says"),
    [
        (
            HANDLER,
            {"title": "主任"},
            PermissionDenied,
            "规划办经办人 没有修改人员信息的权限（需要角色：整改办）",
        ),
        (OFFICE, {"add_roles": ("组长",)}, InvalidInput, "未知角色 '组长'（可用：office（整改办）"),
        (OFFICE, {"remove_roles": ("handler",)}, InvalidInput, "徐波 没有角色 责任人（现有：责任领导）"),
        (OFFICE, {"remove_roles": ("leader",)}, InvalidInput, "不能移除 徐波 的全部角色"),
        (
            OFFICE,
            {"add_roles": ("office",), "remove_roles": ("整改办",)},
            InvalidInput,
            "同一角色不能既添加又移除",
        ),
        (OFFICE, {"department": "镇人大"}, InvalidInput, "徐波 没有要修改的内容"),
        (OFFICE, {}, InvalidInput, "徐波 没有要修改的内容"),
        (OFFICE, {"reactivate": True}, InvalidInput, "徐波 未被停用，无需恢复"),
        (OFFICE, {"department": "镇\n人大"}, InvalidInput, "部门含有换行符或制表符"),
        (OFFICE, {"title": "主席\x1b[31m"}, InvalidInput, "职务含有控制字符"),
        (OFFICE, {"email": "xubo@example.cn\r\nBcc: all@example.cn"}, InvalidInput, "邮箱含有控制字符"),
        (OFFICE, {"email": "徐波@镇.cn"}, InvalidInput, "邮箱 '徐波@镇.cn' 不是有效的电子邮箱地址"),
        (OFFICE, {"department": "部" * 201}, InvalidInput, "部门过长（201 字，最多 200 字）"),
        (OFFICE, {"title": "职" * 201}, InvalidInput, "职务过长（201 字，最多 200 字）"),
        (OFFICE, {"email": "x" * 190 + "@example.cn"}, InvalidInput, "邮箱过长（201 字，最多 200 字）"),
        (OFFICE, {"unit": "单" * 201}, InvalidInput, "被巡察单位过长（201 字，最多 200 字）"),
    ],
)
def test_a_wrong_edit_is_refused_with_its_reason_and_changes_nothing(
    seeded: sa.Engine, tick: Clock, who: str, change: dict[str, object], error: type[Exception], says: str
) -> None:
    before = person(seeded, LEADER)
    with pytest.raises(error, match="^" + re.escape(says)) as caught, db.unit_of_work(seeded) as conn:
        people.edit_person(conn, who, tick(), name=LEADER, **change)  # type: ignore[arg-type]
    assert str(caught.value).startswith(says), str(caught.value)
    assert person(seeded, LEADER) == before


def test_the_office_cannot_lock_itself_out(seeded: sa.Engine, tick: Clock) -> None:
    with (
        pytest.raises(InvalidInput, match="镇整改办 不能移除自己的整改办角色"),
        db.unit_of_work(seeded) as conn,
    ):
        people.edit_person(conn, OFFICE, tick(), name=OFFICE, add_roles=("leader",), remove_roles=("office",))
    with pytest.raises(InvalidInput, match="镇整改办 不能停用自己"), db.unit_of_work(seeded) as conn:
        people.deactivate_person(conn, OFFICE, tick(), name=OFFICE)


def test_a_deactivated_person_keeps_the_history_and_is_refused_everything_after(
    seeded: sa.Engine, tick: Clock
) -> None:
    with db.unit_of_work(seeded) as conn:
        actions.fire(conn, 3, "assign", OFFICE, tick.set("2024-10-21T09:00"))
        actions.fire(conn, 3, "start", HANDLER, tick.set("2024-10-21T10:00"))
        actions.add_progress(conn, 3, HANDLER, tick(), on=date(2024, 10, 21), text="开展排查")
    with db.unit_of_work(seeded) as conn:
        people.deactivate_person(conn, OFFICE, tick.set("2024-11-01T09:00"), name=HANDLER, reason="工作调动")
    assert person(seeded, HANDLER)["active"] is False
    gone = "人员 规划办经办人 已停用：不能再以其身份操作"
    for act in (
        lambda c: actions.add_progress(c, 3, HANDLER, tick(), on=date(2024, 11, 1), text="继续排查"),
        lambda c: actions.fire(c, 3, "submit", HANDLER, tick(), summary="已整改"),
        lambda c: actions.reassign(c, 2, OFFICE, tick(), reason="分工调整", handler=HANDLER),
        lambda c: actions.extend(
            c, 3, OFFICE, tick(), new_deadline=date(2025, 3, 31), reason="备案中", approved_by=HANDLER
        ),
    ):
        with (
            pytest.raises(PermissionDenied, match="^" + re.escape(gone)) as caught,
            db.unit_of_work(seeded) as conn,
        ):
            act(conn)
        assert str(caught.value).startswith(gone)
        assert "zhenggai person edit 姓名 --reactivate" in str(caught.value)
    with db.reading(seeded) as conn:
        entries = chain.entries(conn, 3)
        assert find_person(conn, HANDLER).active is False  # still there, found by name
    assert [e.actor for e in entries if e.action == "progress"] == [HANDLER]  # the history is kept
    with pytest.raises(InvalidInput, match="规划办经办人 已经停用"), db.unit_of_work(seeded) as conn:
        people.deactivate_person(conn, OFFICE, tick(), name=HANDLER)
    deep_ok(seeded)
    # Reactivated, they act again.
    with db.unit_of_work(seeded) as conn:
        people.edit_person(conn, OFFICE, tick.set("2024-11-02T09:00"), name=HANDLER, reactivate=True)
    with db.unit_of_work(seeded) as conn:
        actions.add_progress(conn, 3, HANDLER, tick(), on=date(2024, 11, 2), text="回到岗位继续排查")
    deep_ok(seeded)


@pytest.mark.parametrize("who", [HANDLER, LEADER, APPROVER, AUDITOR])
def test_only_the_office_deactivates(seeded: sa.Engine, tick: Clock, who: str) -> None:
    with pytest.raises(PermissionDenied, match=f"^{who} 没有停用人员的权限"), db.unit_of_work(seeded) as conn:
        people.deactivate_person(conn, who, tick(), name=HANDLER if who != HANDLER else LEADER)
    with pytest.raises(NotFound, match="没有名为 '张三' 的人员"), db.unit_of_work(seeded) as conn:
        people.deactivate_person(conn, OFFICE, tick(), name="张三")


def test_a_change_to_a_person_behind_the_engines_back_is_named_by_the_deep_verify(
    seeded: sa.Engine, tick: Clock
) -> None:
    with db.unit_of_work(seeded) as conn:
        people.deactivate_person(conn, OFFICE, tick(), name=HANDLER)
    with seeded.begin() as conn:
        conn.execute(PERSON.update().where(PERSON.c.name == HANDLER).values(active=True))
    with db.reading(seeded) as conn:
        verdict = verify.verify(conn, deep=True)
    assert not verdict.ok
    assert "表 person 的 规划办经办人 列 active：按审计日志应为 False" in str(verdict.problem)


SECOND = "规划办副主任"
TEAM = [
    {"name": OFFICE, "roles": ["office"], "department": "整改办"},
    {"name": LEADER, "roles": ["leader"], "department": "镇人大"},
    {"name": HANDLER, "roles": ["handler"], "department": DEPT, "email": "handler@example.org"},
    {"name": SECOND, "roles": ["handler"], "department": DEPT},
]


def test_no_reminder_goes_to_a_deactivated_person_and_a_handlers_goes_to_the_department(
    rem_engine: sa.Engine, out_dir: Path
) -> None:
    import_items(rem_engine, [item_spec("1", "2024-12-31")], people=TEAM)
    start(rem_engine, 1)
    for name in (HANDLER, LEADER):
        with db.unit_of_work(rem_engine) as conn:
            people.deactivate_person(conn, OFFICE, at("2024-12-01T09:00"), name=name)
    quiet = {"weekly": {"enabled": False}, "monthly": {"enabled": False}, "revisit": {"enabled": False}}
    settings = make_settings(out_dir, **quiet)
    warned = run(rem_engine, settings, "2024-12-21T09:00")  # 黄灯预警: the handler and the leader
    assert {(f.rule, f.recipient) for f in warned.firings} == {("deadline_warning", SECOND)}
    late = run(rem_engine, settings, "2025-01-01T09:00")
    assert {f.recipient for f in late.firings} == {SECOND, OFFICE}
    assert not {HANDLER, LEADER} & {f["recipient"] for f in firings(rem_engine)}


def test_a_new_round_cannot_make_a_deactivated_person_responsible(rem_engine: sa.Engine) -> None:
    import_items(rem_engine, [item_spec("1", "2024-12-31")], people=TEAM)
    with db.unit_of_work(rem_engine) as conn:
        people.deactivate_person(conn, OFFICE, at("2024-10-15T09:00"), name=LEADER)
    with pytest.raises(InvalidInput, match="已停用，不能承担事项") as caught:
        import_items(rem_engine, [item_spec("1", "2025-06-30")], name="第二轮")
    assert "aspects[0].items[0].leader: 人员 '徐波' 已停用，不能承担事项" in str(caught.value)


# --- logins, deactivation with its reason, and the scope of a unit's office ---------------------------

FINANCE = "太山镇财政所"  # a second unit of the seed round
FINANCE_OFFICE, FINANCE_CLERK = "财政所整改办", "财政所会计"


def _entries(engine: sa.Engine, action: str) -> list[chain.Entry]:
    with db.reading(engine) as conn:
        return [e for e in chain.entries(conn) if e.action == action]


def test_a_login_is_mapped_to_one_person_audited_and_refused_when_taken_or_malformed(
    seeded: sa.Engine, tick: Clock
) -> None:
    def login(name: str, text: str) -> None:
        with db.unit_of_work(seeded) as conn:
            people.set_login(conn, OFFICE, tick(), name=name, login=text)

    login(HANDLER, "ghbjbr")
    login(HANDLER, "ghbjbr")  # again, for the same person: allowed, and audited again
    with seeded.connect() as conn:
        logins = dict(conn.execute(sa.select(PERSON.c.name, PERSON.c.db_login)).all())
    assert logins == {
        OFFICE: None,
        LEADER: None,
        "杨公平": None,
        HANDLER: "ghbjbr",
        APPROVER: None,
        AUDITOR: None,
    }
    assert [(e.actor, e.item_id, e.data) for e in _entries(seeded, "person_login")] == [
        (OFFICE, None, {"name": HANDLER, "login": "ghbjbr"})
    ] * 2
    with pytest.raises(InvalidInput, match=r"^数据库登录 ghbjbr 已属于 规划办经办人$"):
        login(LEADER, "ghbjbr")
    login(LEADER, "_xubo_2")  # an underscore first, digits after
    login(AUDITOR, "a" * 63)  # the longest PostgreSQL name
    for bad in ("Xubo", "2xubo", "xu-bo", "xu bo", "a" * 64, ""):
        with pytest.raises(
            InvalidInput,
            match="^" + re.escape(f"无效的数据库登录名 {bad!r}（小写字母、数字和下划线，最多 63 个字符）"),
        ):
            login(LEADER, bad)
    with pytest.raises(NotFound, match=r"^没有名为 '张三' 的人员"):
        login("张三", "zhangsan")
    with seeded.connect() as conn:
        logins = dict(conn.execute(sa.select(PERSON.c.name, PERSON.c.db_login)).all())
    assert (logins[LEADER], logins[AUDITOR], len(_entries(seeded, "person_login"))) == (
        "_xubo_2",
        "a" * 63,
        4,
    )


def test_a_deactivation_keeps_its_reason_and_touches_no_one_else(seeded: sa.Engine, tick: Clock) -> None:
    with db.unit_of_work(seeded) as conn:
        people.deactivate_person(conn, OFFICE, tick(), name=HANDLER, reason="  工作调动  ")
        people.deactivate_person(conn, OFFICE, tick(), name=LEADER, reason="   ")
    with seeded.connect() as conn:
        active = dict(conn.execute(sa.select(PERSON.c.name, PERSON.c.active)).all())
    assert {n for n, a in active.items() if not a} == {HANDLER, LEADER}
    assert [(e.actor, e.item_id, e.reason, e.data) for e in _entries(seeded, "person_deactivate")] == [
        (OFFICE, None, "工作调动", {"name": HANDLER}),
        (OFFICE, None, None, {"name": LEADER}),  # a blank reason is no reason
    ]
    for reason, says in (
        ("调动\x1b[2J", "理由含有控制字符"),
        ("长" * 2001, "理由过长（2001 字，最多 2000 字）"),
    ):
        with pytest.raises(InvalidInput, match="^" + re.escape(says)), db.unit_of_work(seeded) as conn:
            people.deactivate_person(conn, OFFICE, tick(), name="杨公平", reason=reason)
    with db.unit_of_work(seeded) as conn:
        people.deactivate_person(conn, OFFICE, tick(), name="杨公平", reason="长" * 2000)
    assert len(_entries(seeded, "person_deactivate")) == 3
    deep_ok(seeded)


def test_roles_are_added_and_removed_by_either_name_and_stored_sorted(seeded: sa.Engine, tick: Clock) -> None:
    def edit(**given: tuple[str, ...]) -> dict[str, list[object]]:
        with db.unit_of_work(seeded) as conn:
            return people.edit_person(conn, OFFICE, tick(), name=HANDLER, **given)  # type: ignore[arg-type]

    assert edit(add_roles=("责任领导", "approver", " 经办人 ")) == {
        "roles": ["handler", "approver,handler,leader"]
    }
    with pytest.raises(
        InvalidInput,
        match="^" + re.escape("规划办经办人 没有角色 整改办（现有：销号审核人、责任人、责任领导）") + "$",
    ):
        edit(remove_roles=("整改办",))
    assert edit(add_roles=("leader",), remove_roles=("销号审核人", "责任人")) == {
        "roles": ["approver,handler,leader", "leader"]
    }
    nothing = (
        "规划办经办人 没有要修改的内容（--add-role/--remove-role/--dept/--title/--email/--unit/--reactivate，"
        "或所给的值与现有的相同）"
    )
    with pytest.raises(InvalidInput, match="^" + re.escape(nothing) + "$"):
        edit(add_roles=("leader",))  # held already
    with pytest.raises(
        InvalidInput, match="^" + re.escape("规划办经办人 没有角色 销号审核人、责任人（现有：责任领导）")
    ):
        edit(remove_roles=("handler", "approver"))
    with pytest.raises(InvalidInput, match="^" + re.escape("同一角色不能既添加又移除：销号审核人、责任领导")):
        edit(add_roles=("leader", "approver"), remove_roles=("approver", "leader"))
    with pytest.raises(
        InvalidInput,
        match="^"
        + re.escape(
            "不能移除 规划办经办人 的全部角色：人员至少需要一个角色（要停用人员请用 zhenggai person deactivate）"
        ),
    ):
        edit(remove_roles=("leader",))
    assert person(seeded, HANDLER)["roles"] == "leader"
    assert [e.data["changes"] for e in _entries(seeded, "person_edit")] == [
        {"roles": ["handler", "approver,handler,leader"]},
        {"roles": ["approver,handler,leader", "leader"]},
    ]
    deep_ok(seeded)


def test_a_post_department_and_address_at_their_longest_are_stored(seeded: sa.Engine, tick: Clock) -> None:
    longest = {"department": "部" * 200, "title": "职" * 200, "email": "x" * 189 + "@example.cn"}
    with db.unit_of_work(seeded) as conn:
        people.edit_person(conn, OFFICE, tick(), name=LEADER, **longest)  # type: ignore[arg-type]
    after = person(seeded, LEADER)
    assert {k: after[k] for k in longest} == longest


def test_another_office_worker_may_take_the_office_role_from_a_colleague(
    seeded: sa.Engine, tick: Clock
) -> None:
    with db.unit_of_work(seeded) as conn:
        people.add_person(conn, OFFICE, tick(), name="第二整改办", roles="office")
        changes = people.edit_person(
            conn, "第二整改办", tick(), name=OFFICE, add_roles=("leader",), remove_roles=("office",)
        )
    assert changes == {"roles": ["office", "leader"]}
    with db.unit_of_work(seeded) as conn:  # keeping their own office role, one may change their roles
        assert people.edit_person(conn, "第二整改办", tick(), name="第二整改办", add_roles=("approver",)) == {
            "roles": ["office", "approver,office"]
        }


def _finance(engine: sa.Engine, tick: Clock) -> None:
    """A second unit in the seed round, with its own office worker and clerk."""
    with db.unit_of_work(engine) as conn:
        units.unit_named(conn, 1, FINANCE, OFFICE, tick())
        people.add_person(conn, OFFICE, tick(), name=FINANCE_OFFICE, roles="office", unit=FINANCE)
        people.add_person(conn, FINANCE_OFFICE, tick(), name=FINANCE_CLERK, roles="handler")


def test_a_units_office_manages_its_own_units_people_and_no_one_else(seeded: sa.Engine, tick: Clock) -> None:
    _finance(seeded, tick)
    assert person(seeded, FINANCE_CLERK)["unit"] == FINANCE  # added by the unit's office: of its unit
    with db.unit_of_work(seeded) as conn:
        assert people.edit_person(conn, FINANCE_OFFICE, tick(), name=FINANCE_CLERK, title="会计") == {
            "title": [None, "会计"]
        }
        people.deactivate_person(conn, FINANCE_OFFICE, tick(), name=FINANCE_CLERK, reason="离职")
    assert [e.actor for e in _entries(seeded, "person_deactivate")] == [FINANCE_OFFICE]
    for name in (HANDLER, OFFICE):  # the county's people, to a unit's office, are nobody
        nobody = f"没有名为 {name!r} 的人员（先用 zhenggai person add 添加，或在导入文件的 people 中列出）"
        with pytest.raises(NotFound, match="^" + re.escape(nobody) + "$"), db.unit_of_work(seeded) as conn:
            people.edit_person(conn, FINANCE_OFFICE, tick(), name=name, title="主任")
        with pytest.raises(NotFound, match="^" + re.escape(nobody) + "$"), db.unit_of_work(seeded) as conn:
            people.deactivate_person(conn, FINANCE_OFFICE, tick(), name=name)
    with (
        pytest.raises(
            PermissionDenied,
            match="^"
            + re.escape(f"{FINANCE_OFFICE} 属于{FINANCE}，不能改变人员所属的被巡察单位（由县级整改办操作）"),
        ),
        db.unit_of_work(seeded) as conn,
    ):
        people.edit_person(conn, FINANCE_OFFICE, tick(), name=FINANCE_CLERK, unit="")
    with (
        pytest.raises(NotFound, match=r"^没有名为「中共太山镇委员会」的被巡察单位$"),
        db.unit_of_work(seeded) as conn,
    ):
        people.add_person(conn, FINANCE_OFFICE, tick(), name="新人", roles="handler", unit="中共太山镇委员会")
    assert person(seeded, HANDLER)["title"] == "经办人" and person(seeded, HANDLER)["active"] is True
    deep_ok(seeded)


def test_the_countys_office_moves_a_person_between_units_and_back_to_the_county(
    seeded: sa.Engine, tick: Clock
) -> None:
    _finance(seeded, tick)

    def move(unit: str) -> dict[str, list[object]]:
        with db.unit_of_work(seeded) as conn:
            return people.edit_person(conn, OFFICE, tick(), name=HANDLER, unit=unit)

    assert move(f" {FINANCE} ") == {"unit": [None, FINANCE]}
    assert move("中共太山镇委员会") == {"unit": [FINANCE, "中共太山镇委员会"]}
    assert move("") == {"unit": ["中共太山镇委员会", None]}
    with pytest.raises(
        NotFound, match="^" + re.escape("没有名为「无此镇」的被巡察单位（单位随轮次或台账导入）")
    ):
        move("无此镇")
    with pytest.raises(InvalidInput, match=r"^被巡察单位含有换行符或制表符"):
        move("财政所\n二")
    with pytest.raises(InvalidInput, match=r"^规划办经办人 没有要修改的内容"):
        move("")
    assert person(seeded, HANDLER)["unit"] is None
    assert [e.data for e in _entries(seeded, "person_edit")] == [
        {"name": HANDLER, "changes": {"unit": [None, FINANCE]}},
        {"name": HANDLER, "changes": {"unit": [FINANCE, "中共太山镇委员会"]}},
        {"name": HANDLER, "changes": {"unit": ["中共太山镇委员会", None]}},
    ]
    deep_ok(seeded)


@pytest.mark.parametrize(
    ("given", "error", "says"),
    [
        ({"roles": ""}, InvalidInput, "至少需要一个角色"),
        ({"name": "  "}, InvalidInput, "姓名不能为空"),
        ({"name": "新" * 65}, InvalidInput, "姓名过长（65 字，最多 64 字）"),
        ({"name": OFFICE}, InvalidInput, f"人员 '{OFFICE}' 已存在"),
        ({"unit": "镇" * 201}, InvalidInput, "被巡察单位过长（201 字，最多 200 字）"),
        ({"unit": "无此镇"}, NotFound, "没有名为「无此镇」的被巡察单位（单位随轮次或台账导入）"),
        ({"department": "部" * 201}, InvalidInput, "部门过长（201 字，最多 200 字）"),
        ({"title": "职" * 201}, InvalidInput, "职务过长（201 字，最多 200 字）"),
        ({"email": "a" * 190 + "@example.cn"}, InvalidInput, "邮箱过长（201 字，最多 200 字）"),
    ],
)
def test_a_new_person_is_refused_naming_the_field_and_rule(
    seeded: sa.Engine, tick: Clock, given: dict[str, str], error: type[Exception], says: str
) -> None:
    values = {"name": "新人", "roles": "leader", **given}
    with seeded.connect() as conn:
        before = conn.execute(sa.select(PERSON)).all()
    with pytest.raises(error, match="^" + re.escape(says) + "$"), db.unit_of_work(seeded) as conn:
        people.add_person(conn, OFFICE, tick(), **values)  # type: ignore[arg-type]
    with seeded.connect() as conn:
        assert conn.execute(sa.select(PERSON)).all() == before


def test_a_new_person_with_every_field_at_its_longest_is_added_and_logged_by_the_office(
    seeded: sa.Engine, tick: Clock
) -> None:
    """The control of the refusals above, and the entry: who added whom, with what."""
    with db.unit_of_work(seeded) as conn:
        people.add_person(
            conn,
            OFFICE,
            tick(),
            name="新" * 64,
            roles="office,approver",
            department="部" * 200,
            title="职" * 200,
            email="a" * 189 + "@example.cn",
        )
    added = person(seeded, "新" * 64)
    assert added["email"] == "a" * 189 + "@example.cn"
    assert (added["roles"], added["department"], added["title"]) == (
        "approver,office",
        "部" * 200,
        "职" * 200,
    )
    (entry,) = _entries(seeded, "person_add")[-1:]
    assert (entry.actor, entry.data["name"], entry.data["roles"]) == (OFFICE, "新" * 64, "approver,office")
