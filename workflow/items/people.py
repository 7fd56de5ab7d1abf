"""Use cases on people: add a person, map a PostgreSQL login to them. Office only, audited."""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.guards import not_permitted
from workflow.audit import chain
from workflow.audit.payloads import LoginSet, PersonAdded
from workflow.db.tables.core import PERSON, UNIT
from workflow.errors import InvalidInput, NotFound, PermissionDenied
from workflow.inputs import clean_email, clean_line, clean_line_optional
from workflow.read.people import load_actor, parse_roles

_LOGIN = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def set_login(conn: Connection, actor_name: str | None, now: datetime, *, name: str, login: str) -> None:
    """Map a person to a PostgreSQL login (office staff, run as the database owner)."""
    actor = load_actor(conn, actor_name)
    if refused := not_permitted(actor, "person_login"):
        raise PermissionDenied(refused)
    if not _LOGIN.fullmatch(login):
        raise InvalidInput(f"无效的数据库登录名 {login!r}（小写字母、数字和下划线，最多 63 个字符）")
    load_actor(conn, name)
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
