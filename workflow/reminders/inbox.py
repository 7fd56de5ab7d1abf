"""The web inbox: reminders delivered through the `web` channel to a person, and which they have read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.db.tables.reminders import MESSAGE, OUTBOX
from workflow.db.tables.web import INBOX_READ


def unread(conn: Connection, person: str, limit: int = 50) -> list[dict[str, Any]]:
    read = sa.select(INBOX_READ.c.message_key).where(INBOX_READ.c.person == person)
    q = (
        sa.select(MESSAGE.c.key, MESSAGE.c.subject, MESSAGE.c.body, MESSAGE.c.created_at)
        .join(OUTBOX, OUTBOX.c.message_key == MESSAGE.c.key)
        .where(OUTBOX.c.channel == "web", OUTBOX.c.address == person, MESSAGE.c.key.not_in(read))
        .order_by(MESSAGE.c.created_at.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in conn.execute(q)]


def mark_read(conn: Connection, person: str, key: str, now: datetime) -> None:
    known = conn.execute(
        sa.select(OUTBOX.c.id).where(
            OUTBOX.c.message_key == key, OUTBOX.c.channel == "web", OUTBOX.c.address == person
        )
    ).first()
    seen = conn.execute(
        sa.select(INBOX_READ.c.person).where(INBOX_READ.c.message_key == key, INBOX_READ.c.person == person)
    ).first()
    if known is not None and seen is None:
        conn.execute(INBOX_READ.insert().values(message_key=key, person=person, read_at=now))
