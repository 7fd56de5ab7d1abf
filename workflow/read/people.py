"""People as the use cases see them: who is acting, with which roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.guards import Actor
from states.lifecycle import Role, parse_role
from workflow.db.prepared import Prepared
from workflow.db.tables.core import PERSON
from workflow.errors import InvalidInput, NotFound, PermissionDenied
from workflow.inputs import clean_text

_PERSON = Prepared(
    lambda: sa.select(
        PERSON.c.name,
        PERSON.c.roles,
        PERSON.c.department,
        PERSON.c.title,
        PERSON.c.email,
        PERSON.c.active,
        PERSON.c.unit,
    ).where(PERSON.c.name == sa.bindparam("p_name"))
)


def parse_roles(text: str) -> frozenset[Role]:
    """Roles as stored (`handler,leader`) or as typed (`责任人,leader`; see states.lifecycle.ROLE_NAMES)."""
    roles = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            roles.add(parse_role(part))
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
    return frozenset(roles)


@dataclass(frozen=True)
class PersonRow:
    """A person as stored, deactivated or not (for the office's own changes to them)."""

    name: str
    roles: str
    department: str | None
    title: str | None
    email: str | None
    active: bool
    unit: str | None = None  # the inspected unit they work in; None: the county level


def find_person(conn: Connection, name: str | None) -> PersonRow:
    """The person called `name`, whether active or not; NotFound with what to do otherwise."""
    if not name:
        raise InvalidInput("请用 --as NAME 或环境变量 ZHENGGAI_USER 指明操作人")
    name = clean_text(name, "人员姓名", 64, required=True)
    row = _PERSON.run(conn, {"p_name": name}).fetchone()
    if row is None:
        raise NotFound(
            f"没有名为 {name!r} 的人员（先用 zhenggai person add 添加，或在导入文件的 people 中列出）"
        )
    return PersonRow(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6])


def list_people(conn: Connection, unit: str | None = None) -> list[dict[str, Any]]:
    """Every person; for a reader confined to `unit`, the people of that unit and of the county level
    (those they work with), not those of other units."""
    q = sa.select(PERSON).order_by(PERSON.c.id)
    if unit is not None:
        q = q.where(sa.or_(PERSON.c.unit.is_(None), PERSON.c.unit == unit))
    return [dict(r._mapping) for r in conn.execute(q)]


def load_actor(conn: Connection, name: str | None) -> Actor:
    """An active person, as the guards see them: whoever acts, approves or is made responsible. A
    deactivated person is refused here, so every use case refuses them alike."""
    person = find_person(conn, name)
    if not person.active:
        raise PermissionDenied(
            f"人员 {person.name} 已停用：不能再以其身份操作，也不能指派其承担事项或批准延期"
            "（历史记录保留；如需恢复，请整改办运行 zhenggai person edit 姓名 --reactivate）"
        )
    return Actor(person.name, parse_roles(person.roles), person.department, person.unit)


@dataclass(frozen=True)
class Login:
    """A PostgreSQL session's login as the database's actor rule sees it (migration 0003): mapped to
    a person, who is then the only name it writes in; or the owner of the tables (`init`, `db
    upgrade`, catching up as anyone), who may name any actor; or neither, and may do nothing."""

    name: str
    person: str | None
    owner: bool


def session_login(conn: Connection) -> Login | None:
    """The login of this connection, or None where logins play no part (SQLite; no schema yet)."""
    if conn.dialect.name != "postgresql":
        return None
    person = sa.select(PERSON.c.name).where(PERSON.c.db_login == sa.func.session_user()).scalar_subquery()
    try:
        with conn.begin_nested() if conn.in_transaction() else conn.begin():
            name, mapped = conn.execute(sa.select(sa.func.session_user(), person)).one()
    except sa.exc.ProgrammingError:  # no schema yet, or one before db_login (0001): nobody is mapped
        return None
    try:
        # The database's own test, so that the CLI and the triggers never disagree on who is the owner.
        with conn.begin_nested() if conn.in_transaction() else conn.begin():
            owner = bool(conn.execute(sa.select(sa.func.zhenggai_login_is_owner())).scalar())
    except sa.exc.ProgrammingError:  # a schema before 0003 has no such rule (and refuses to be written)
        owner = True
    return Login(str(name), mapped, owner)


def login_person(conn: Connection) -> str | None:
    """The person whose database login this connection uses (PostgreSQL deployments), if any."""
    login = session_login(conn)
    return None if login is None else login.person
