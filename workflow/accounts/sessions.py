"""Sessions kept in the database: revocable one by one or all at once, over after `idle_minutes`
without a request (judged by the server's clock). The browser holds a random id; the table holds its
SHA-256, so a copy of the table logs nobody in."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.db.tables.web import SESSION, TOKEN

# A session's last_seen is written at most this often: a page view need not be a write each time.
_TOUCH_EVERY = timedelta(minutes=1)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    raw: str  # what the cookie carries
    person: str
    csrf: str


def start(conn: Connection, person: str, now: datetime, address: str | None) -> Session:
    """A new session (a new id every login: an id planted before the login is never promoted)."""
    raw, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    conn.execute(
        SESSION.insert().values(
            id_hash=digest(raw), person=person, csrf=csrf, created_at=now, last_seen=now, address=address
        )
    )
    return Session(raw, person, csrf)


def find(conn: Connection, raw: str, now: datetime, idle_minutes: int) -> tuple[Session | None, bool]:
    """The live session with this id (None once it idled out), and whether its last_seen is due to be
    written (`touch`). A read: a page view is not a write, except once a minute per session."""
    row = conn.execute(
        sa.select(SESSION.c.person, SESSION.c.csrf, SESSION.c.last_seen).where(
            SESSION.c.id_hash == digest(raw)
        )
    ).first()
    if row is None or now - row.last_seen > timedelta(minutes=idle_minutes):
        return None, row is not None
    return Session(raw, row.person, row.csrf), now - row.last_seen >= _TOUCH_EVERY


def touch(conn: Connection, raw: str, now: datetime, idle_minutes: int) -> None:
    """Write last_seen (or, for a session that idled out, remove it)."""
    key = digest(raw)
    expired = SESSION.c.last_seen < now - timedelta(minutes=idle_minutes)
    conn.execute(SESSION.delete().where(SESSION.c.id_hash == key, expired))
    conn.execute(SESSION.update().where(SESSION.c.id_hash == key).values(last_seen=now))


def end(conn: Connection, raw: str) -> None:
    conn.execute(SESSION.delete().where(SESSION.c.id_hash == digest(raw)))


def end_all(conn: Connection, person: str) -> int:
    """Log a person out everywhere (after a password change or reset, or at their request)."""
    return conn.execute(SESSION.delete().where(SESSION.c.person == person)).rowcount


# --- personal API tokens ------------------------------------------------------------------------------

TOKEN_PREFIX = "zg_"


def new_token(conn: Connection, person: str, label: str, now: datetime) -> str:
    """A new token for `person`; the only time its text is known (the table keeps its SHA-256)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    conn.execute(TOKEN.insert().values(person=person, label=label, token_hash=digest(raw), created_at=now))
    return raw


def revoke_token(conn: Connection, person: str, token_id: int, now: datetime) -> bool:
    done = conn.execute(
        TOKEN.update()
        .where(TOKEN.c.id == token_id, TOKEN.c.person == person, TOKEN.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return done.rowcount > 0


def token_person(conn: Connection, raw: str) -> str | None:
    """Whose live token this is, or None."""
    return conn.execute(
        sa.select(TOKEN.c.person).where(TOKEN.c.token_hash == digest(raw), TOKEN.c.revoked_at.is_(None))
    ).scalar()


def tokens(conn: Connection, person: str) -> list[dict[str, object]]:
    q = sa.select(TOKEN).where(TOKEN.c.person == person).order_by(TOKEN.c.id)
    return [
        {"id": t.id, "label": t.label, "created_at": t.created_at, "revoked_at": t.revoked_at}
        for t in conn.execute(q)
    ]
