"""People as the use cases see them: who is acting, with which roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.guards import Actor
from states.lifecycle import Role
from workflow.db.prepared import Prepared
from workflow.db.tables.core import PERSON
from workflow.errors import InvalidInput, NotFound
from workflow.inputs import clean_text

_PERSON = Prepared(
    lambda: sa.select(PERSON.c.name, PERSON.c.roles, PERSON.c.department, PERSON.c.unit).where(
        PERSON.c.name == sa.bindparam("p_name")
    )
)


def parse_roles(text: str) -> frozenset[Role]:
    roles = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            roles.add(Role(part))
        except ValueError:
            names = ", ".join(r.value for r in Role)
            raise InvalidInput(f"未知角色 {part!r}（可用：{names}）") from None
    return frozenset(roles)


def load_actor(conn: Connection, name: str | None) -> Actor:
    if not name:
        raise InvalidInput("请用 --as NAME 或环境变量 ZHENGGAI_USER 指明操作人")
    name = clean_text(name, "人员姓名", 64, required=True)
    row = _PERSON.run(conn, {"p_name": name}).fetchone()
    if row is None:
        raise NotFound(
            f"没有名为 {name!r} 的人员（先用 zhenggai person add 添加，或在导入文件的 people 中列出）"
        )
    return Actor(row[0], parse_roles(row[1]), row[2], row[3])


def list_people(conn: Connection, unit: str | None = None) -> list[dict[str, Any]]:
    """Every person; for a reader confined to `unit`, the people of that unit and of the county level
    (those they work with), not those of other units."""
    q = sa.select(PERSON).order_by(PERSON.c.id)
    if unit is not None:
        q = q.where(sa.or_(PERSON.c.unit.is_(None), PERSON.c.unit == unit))
    return [dict(r._mapping) for r in conn.execute(q)]


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
