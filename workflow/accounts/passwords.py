"""Passwords: Argon2id hashes (argon2-cffi's defaults, RFC 9106's second recommendation), set by the
person, by the server's operator (`zhenggai person password`) or reset by the office (which forces
a change at the next login)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from states.guards import not_permitted
from workflow.db.tables.web import ACCOUNT
from workflow.errors import InvalidInput, PermissionDenied
from workflow.read.people import load_actor

_HASHER = PasswordHasher()  # Argon2id
MIN_LENGTH = 8
MAX_LENGTH = 200
# Checked against when the name is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY = _HASHER.hash("zhenggai-no-such-account")


def check_new(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"口令至少 {MIN_LENGTH} 个字符")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"口令最多 {MAX_LENGTH} 个字符")
    if "\x00" in password:
        raise InvalidInput("口令不能含有 NUL 字符")
    return password


def set_password(conn: Connection, name: str, password: str, now: datetime, *, must_change: bool) -> None:
    """Store a new password for `name` (who must exist); no check of who asks (see the callers)."""
    person = load_actor(conn, name)
    digest = _HASHER.hash(check_new(password))
    values = {"password_hash": digest, "must_change": must_change, "changed_at": now}
    done = conn.execute(ACCOUNT.update().where(ACCOUNT.c.person == person.name).values(**values))
    if done.rowcount == 0:
        conn.execute(ACCOUNT.insert().values(person=person.name, **values))


def reset(conn: Connection, actor_name: str, name: str, password: str, now: datetime) -> None:
    """The office sets a temporary password; the person must change it at the next login."""
    if refused := not_permitted(load_actor(conn, actor_name), "password_reset"):
        raise PermissionDenied(refused)
    set_password(conn, name, password, now, must_change=True)


def change(conn: Connection, name: str, old: str, new: str, now: datetime) -> None:
    """The person changes their own password, knowing the current one."""
    if not matches(conn, name, old):
        raise PermissionDenied("当前口令不正确")
    if old == new:
        raise InvalidInput("新口令不能与当前口令相同")
    set_password(conn, name, new, now, must_change=False)


def matches(conn: Connection, name: str, password: str) -> bool:
    """Whether `password` is `name`'s; as slow for an unknown name as for a known one."""
    digest = conn.execute(sa.select(ACCOUNT.c.password_hash).where(ACCOUNT.c.person == name)).scalar()
    try:
        return _HASHER.verify(digest or _DUMMY, password) and digest is not None
    except (VerificationError, InvalidHashError):
        return False


def must_change(conn: Connection, name: str) -> bool:
    return bool(conn.execute(sa.select(ACCOUNT.c.must_change).where(ACCOUNT.c.person == name)).scalar())
