"""Logging in: the password checked, throttled per account and per address, every attempt logged.

Throttling counts failures within the last `pause_minutes`: after `max_failures` of them for a name
(since its last successful login) or from an address, further attempts are refused — without even
checking the password — until the window has passed. The refusal is logged too."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.accounts import passwords
from workflow.accounts.settings import WebSettings
from workflow.db.tables.core import PERSON
from workflow.db.tables.web import LOGIN

WRONG = "用户名或口令不正确"


def _failures(conn: Connection, column: sa.ColumnElement[str], value: str, since: datetime) -> int:
    last_ok = (
        sa.select(sa.func.max(LOGIN.c.at)).where(column == value, LOGIN.c.ok.is_(True)).scalar_subquery()
    )
    q = sa.select(sa.func.count()).where(
        column == value,
        LOGIN.c.ok.is_(False),
        LOGIN.c.at > since,
        sa.or_(last_ok.is_(None), LOGIN.c.at > last_ok),
    )
    return int(conn.execute(q).scalar_one())


def throttled(conn: Connection, name: str, address: str, now: datetime, s: WebSettings) -> bool:
    since = now - timedelta(minutes=s.pause_minutes)
    return (
        _failures(conn, LOGIN.c.name, name, since) >= s.max_failures
        or _failures(conn, LOGIN.c.address, address, since) >= s.max_failures
    )


def record(conn: Connection, name: str, address: str, now: datetime, ok: bool, note: str) -> None:
    conn.execute(LOGIN.insert().values(at=now, name=name[:64], address=address[:64], ok=ok, note=note))


def attempt(conn: Connection, name: str, password: str, address: str, now: datetime, s: WebSettings) -> str:
    """ "ok", "wrong" or "throttled" (the password not even checked). Logs the attempt in the caller's
    transaction, which must commit whatever the outcome (the caller raises after it)."""
    if not name or "\x00" in name or "\x00" in password:  # no such name can exist; PostgreSQL refuses NUL
        name = name.replace("\x00", "\ufffd") or "（空）"
        record(conn, name, address, now, False, "wrong")
        return "wrong"
    if throttled(conn, name, address, now, s):
        record(conn, name, address, now, False, "throttled")
        return "throttled"
    ok = passwords.matches(conn, name, password)
    if ok and not _active(conn, name):  # deactivated: the same answer as a wrong password, logged
        record(conn, name, address, now, False, "deactivated")
        return "wrong"
    record(conn, name, address, now, ok, "" if ok else "wrong")
    return "ok" if ok else "wrong"


def _active(conn: Connection, name: str) -> bool:
    return bool(conn.execute(sa.select(PERSON.c.active).where(PERSON.c.name == name)).scalar())


def paused(s: WebSettings) -> str:
    return f"登录失败次数过多，请 {s.pause_minutes} 分钟后再试"


def recent(conn: Connection, limit: int = 200) -> list[dict[str, object]]:
    q = sa.select(LOGIN).order_by(LOGIN.c.id.desc()).limit(limit)
    return [
        {"at": r.at, "name": r.name, "address": r.address, "ok": r.ok, "note": r.note}
        for r in conn.execute(q)
    ]
