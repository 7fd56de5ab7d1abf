"""Use cases on people: add a person, change their roles, post and address, deactivate them, map a
PostgreSQL login to them. Office only, audited."""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.guards import Actor, not_permitted
from workflow.audit import chain
from workflow.audit.payloads import LoginSet, PersonAdded, PersonDeactivated, PersonEdited
from workflow.db.tables.core import PERSON, UNIT
from workflow.errors import InvalidInput, NotFound, PermissionDenied
from workflow.inputs import clean_email, clean_line, clean_line_optional, clean_text
from workflow.read.people import PersonRow, find_person, load_actor, parse_roles

_LOGIN = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def set_login(conn: Connection, actor_name: str | None, now: datetime, *, name: str, login: str) -> None:
    """Map a person to a PostgreSQL login (office staff, run as the database owner)."""
    actor = load_actor(conn, actor_name)
    if refused := not_permitted(actor, "person_login"):
        raise PermissionDenied(refused)
    if not _LOGIN.fullmatch(login):
        raise InvalidInput(f"无效的数据库登录名 {login!r}（小写字母、数字和下划线，最多 63 个字符）")
    find_person(conn, name)
    other = conn.execute(sa.select(PERSON.c.name).where(PERSON.c.db_login == login)).scalar()
    if other is not None and other != name:
        raise InvalidInput(f"数据库登录 {login} 已属于 {other}")
    conn.execute(PERSON.update().where(PERSON.c.name == name).values(db_login=login))
    chain.append(
        conn, at=now, actor=actor.name, action="person_login", payload=LoginSet(name=name, login=login)
    )


def add_person(
    conn: Connection,
    actor_name: str | None,
    now: datetime,
    *,
    name: str,
    roles: str,
    department: str | None = None,
    title: str | None = None,
    email: str | None = None,
    unit: str | None = None,
    bootstrap: bool = False,
) -> None:
    """Add a person. Only the office may; `bootstrap` lets `init --admin` create the first one. A unit's
    office adds people of its own unit only (by default, of its unit)."""
    role_set = parse_roles(roles)
    if not role_set:
        raise InvalidInput("至少需要一个角色")
    name = clean_line(name, "姓名", 64, required=True)
    unit = clean_line_optional(unit, "被巡察单位", 200)
    if bootstrap:
        actor_name = name
    else:
        actor = load_actor(conn, actor_name)
        if refused := not_permitted(actor, "person_add"):
            raise PermissionDenied(refused)
        if not actor.sees_every_unit:
            unit = unit or actor.unit
            if unit != actor.unit:
                raise NotFound(f"没有名为「{unit}」的被巡察单位")
    if unit is not None and conn.execute(sa.select(UNIT.c.id).where(UNIT.c.name == unit)).first() is None:
        raise NotFound(f"没有名为「{unit}」的被巡察单位（单位随轮次或台账导入）")
    if conn.execute(sa.select(PERSON.c.id).where(PERSON.c.name == name)).first():
        raise InvalidInput(f"人员 {name!r} 已存在")
    person = PersonAdded(
        name=name,
        roles=",".join(sorted(r.value for r in role_set)),
        department=clean_line_optional(department, "部门", 200),
        title=clean_line_optional(title, "职务", 200),
        email=clean_email(email, "邮箱", 200),
        unit=unit,
    )
    conn.execute(PERSON.insert().values(**person.to_dict()))
    chain.append(conn, at=now, actor=actor_name or name, action="person_add", payload=person)


def _office(conn: Connection, actor_name: str | None, operation: str) -> Actor:
    actor = load_actor(conn, actor_name)
    if refused := not_permitted(actor, operation):
        raise PermissionDenied(refused)
    return actor


def _person_in_scope(conn: Connection, actor: Actor, name: str) -> PersonRow:
    """The person, if the actor may manage them: a unit's office its own unit's people only (anyone
    else is, to them, nobody: the same message as an unknown name)."""
    person = find_person(conn, name)
    if not actor.sees_every_unit and person.unit != actor.unit:
        raise NotFound(
            f"没有名为 {person.name!r} 的人员（先用 zhenggai person add 添加，或在导入文件的 people 中列出）"
        )
    return person


def _unit_named(conn: Connection, actor: Actor, unit: str) -> str | None:
    """A unit to move a person to ("" = the county level): the county's office only, an existing unit."""
    if not actor.sees_every_unit:
        raise PermissionDenied(
            f"{actor.name} 属于{actor.unit}，不能改变人员所属的被巡察单位（由县级整改办操作）"
        )
    name = clean_line_optional(unit, "被巡察单位", 200)
    if name is not None and conn.execute(sa.select(UNIT.c.id).where(UNIT.c.name == name)).first() is None:
        raise NotFound(f"没有名为「{name}」的被巡察单位（单位随轮次或台账导入）")
    return name


def _roles_after(person: PersonRow, add: tuple[str, ...], remove: tuple[str, ...]) -> str:
    """The roles column after adding and removing (names as typed, Chinese or English)."""
    current = parse_roles(person.roles)
    added, removed = parse_roles(",".join(add)), parse_roles(",".join(remove))
    if both := added & removed:
        raise InvalidInput(f"同一角色不能既添加又移除：{'、'.join(r.label for r in sorted(both))}")
    if missing := removed - current:
        held = "、".join(r.label for r in sorted(current)) or "无"
        raise InvalidInput(
            f"{person.name} 没有角色 {'、'.join(r.label for r in sorted(missing))}（现有：{held}）"
        )
    after = (current | added) - removed
    if not after:
        raise InvalidInput(
            f"不能移除 {person.name} 的全部角色：人员至少需要一个角色（要停用人员请用 zhenggai person deactivate）"
        )
    return ",".join(sorted(r.value for r in after))


def edit_person(
    conn: Connection,
    actor_name: str | None,
    now: datetime,
    *,
    name: str,
    add_roles: tuple[str, ...] = (),
    remove_roles: tuple[str, ...] = (),
    department: str | None = None,
    title: str | None = None,
    email: str | None = None,
    unit: str | None = None,
    reactivate: bool = False,
) -> dict[str, list[object]]:
    """Change a person's roles, department, post, e-mail or unit (None: unchanged; "" clears the post,
    the department, the address, or the unit: the county level), or reactivate them. Returns the
    changes as column → [old, new]."""
    who = _office(conn, actor_name, "person_edit")
    actor = who.name
    person = _person_in_scope(conn, who, name)
    wanted: dict[str, object] = {}
    if unit is not None:
        wanted["unit"] = _unit_named(conn, who, unit)
    if add_roles or remove_roles:
        wanted["roles"] = _roles_after(person, add_roles, remove_roles)
    if department is not None:
        wanted["department"] = clean_line_optional(department, "部门", 200)
    if title is not None:
        wanted["title"] = clean_line_optional(title, "职务", 200)
    if email is not None:
        wanted["email"] = clean_email(email, "邮箱", 200)
    if reactivate:
        if person.active:
            raise InvalidInput(f"{person.name} 未被停用，无需恢复")
        wanted["active"] = True
    changes = {k: [getattr(person, k), v] for k, v in wanted.items() if getattr(person, k) != v}
    if not changes:
        raise InvalidInput(
            f"{person.name} 没有要修改的内容（--add-role/--remove-role/--dept/--title/--email/--unit/--reactivate，"
            "或所给的值与现有的相同）"
        )
    if person.name == actor and "roles" in changes and "office" not in str(changes["roles"][1]).split(","):
        raise InvalidInput(f"{actor} 不能移除自己的整改办角色：请由另一位整改办人员操作")
    conn.execute(
        PERSON.update().where(PERSON.c.name == person.name).values(**{k: v[1] for k, v in changes.items()})
    )
    payload = PersonEdited(name=person.name, changes=changes)
    chain.append(conn, at=now, actor=actor, action="person_edit", payload=payload)
    return changes


def deactivate_person(
    conn: Connection, actor_name: str | None, now: datetime, *, name: str, reason: str | None = None
) -> None:
    """停用: the person stays in the history, may no longer act, be made responsible or be reminded."""
    who = _office(conn, actor_name, "person_deactivate")
    actor = who.name
    person = _person_in_scope(conn, who, name)
    if not person.active:
        raise InvalidInput(f"{person.name} 已经停用")
    if person.name == actor:
        raise InvalidInput(f"{actor} 不能停用自己：请由另一位整改办人员操作")
    why = clean_text(reason, "理由", 2000) or None
    conn.execute(PERSON.update().where(PERSON.c.name == person.name).values(active=False))
    chain.append(
        conn,
        at=now,
        actor=actor,
        action="person_deactivate",
        reason=why,
        payload=PersonDeactivated(name=person.name),
    )
