"""The outbox: queued deliveries of reminder messages, with leases, retries and backoff.

A delivery is claimed (a lease, so two deliverers never take the same row), sent outside any
transaction, then marked sent — or left pending with the error, the attempt count and the next
attempt time. A process killed between sending and marking leaves the lease to run out and the
message is sent again: delivery is at-least-once, so every channel carries the message's key
(the file name, the Message-ID header, the Idempotency-Key header) for the receiver to spot a repeat.
Files are written atomically under that key, so the file channel never shows a message twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from workflow import clock, db
from workflow.db.tables.reminders import MESSAGE, OUTBOX
from workflow.inputs import MAX_INT
from workflow.reminders.channels import Delivery, DeliveryError, send
from workflow.reminders.settings import Settings
from workflow.reminders.text import who

STATUSES = ("pending", "sending", "sent", "failed")
STATUS_LABELS = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "已放弃"}


@dataclass
class DeliverResult:
    sent: list[int] = field(default_factory=list)
    failed: list[tuple[int, str, datetime | None]] = field(default_factory=list)  # id, error, retry at

    def summary(self) -> str:
        text = f"投递成功 {len(self.sent)} 条"
        if self.failed:
            retry = [r for _, _, r in self.failed if r is not None]
            text += f"，失败 {len(self.failed)} 条"
            if retry:
                text += f"（最早于 {clock.show(min(retry))} 重试）"
        return text


def backoff(attempts: int, settings: Settings) -> timedelta:
    """Wait before attempt number attempts+1: base, 2×base, 4×base … capped."""
    o = settings.outbox
    return timedelta(seconds=min(o.backoff_seconds * 2 ** max(attempts - 1, 0), o.backoff_max_seconds))


# --- the queue ----------------------------------------------------------------------------------


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(OUTBOX.c.status == "pending", OUTBOX.c.next_attempt_at <= now),
        sa.and_(OUTBOX.c.status == "sending", OUTBOX.c.claimed_until < now),  # a deliverer died
    )


def claim(conn: Connection, now: datetime, settings: Settings, token: str, limit: int) -> list[Delivery]:
    """Take up to `limit` due deliveries for this deliverer (inside the caller's write transaction)."""
    ids = (
        sa.select(OUTBOX.c.id)
        .where(_claimable(now))
        .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
        .limit(limit)
    )
    # The condition is repeated outside the sub-select so that PostgreSQL re-checks it on rows
    # another deliverer claimed while this statement waited for their lock.
    conn.execute(
        OUTBOX.update()
        .where(OUTBOX.c.id.in_(ids.scalar_subquery()), _claimable(now))
        .values(
            status="sending",
            claimed_by=token,
            claimed_until=now + timedelta(seconds=settings.outbox.lease_seconds),
        )
    )
    rows = conn.execute(
        sa.select(
            OUTBOX.c.id,
            OUTBOX.c.message_key,
            OUTBOX.c.channel,
            OUTBOX.c.address,
            OUTBOX.c.attempts,
            MESSAGE.c.rule,
            MESSAGE.c.recipient,
            MESSAGE.c.subject,
            MESSAGE.c.body,
            MESSAGE.c.data,
            MESSAGE.c.created_at,
        )
        .join(MESSAGE, MESSAGE.c.key == OUTBOX.c.message_key)
        .where(OUTBOX.c.claimed_by == token, OUTBOX.c.status == "sending")
        .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
    )
    return [Delivery(*row) for row in rows]


def _mark(
    conn: Connection, settings: Settings, token: str, now: datetime, d: Delivery, error: str | None
) -> datetime | None:
    mine = sa.and_(OUTBOX.c.id == d.id, OUTBOX.c.claimed_by == token)
    attempts = d.attempts + 1
    if error is None:
        conn.execute(
            OUTBOX.update()
            .where(mine)
            .values(
                status="sent",
                sent_at=now,
                attempts=attempts,
                last_error=None,
                claimed_by=None,
                claimed_until=None,
            )
        )
        return None
    give_up = attempts >= settings.outbox.max_attempts
    retry_at = None if give_up else now + backoff(attempts, settings)
    conn.execute(
        OUTBOX.update()
        .where(mine)
        .values(
            status="failed" if give_up else "pending",
            attempts=attempts,
            last_error=error[:2000],
            next_attempt_at=retry_at or now,
            claimed_by=None,
            claimed_until=None,
        )
    )
    return retry_at


def deliver(engine: Engine, settings: Settings, now: datetime, *, limit: int | None = None) -> DeliverResult:
    """Send what is due at `now`, batch by batch, until nothing is due (or `limit` were tried)."""
    token = uuid.uuid4().hex[:16]
    result = DeliverResult()
    tried = 0
    while limit is None or tried < limit:
        size = settings.outbox.batch if limit is None else min(settings.outbox.batch, limit - tried)
        with db.unit_of_work(engine) as conn:
            batch = claim(conn, now, settings, token, size)
        if not batch:
            break
        tried += len(batch)
        pending: list[tuple[Delivery, str | None]] = []
        for d in batch:
            error = attempt(settings, d)
            pending.append((d, error))
            # Files are idempotent, so their marks can wait for the batch; anything that reached
            # another system is marked at once, to keep the window for a repeat small.
            if d.channel != "file":
                _flush(engine, settings, token, now, pending, result)
        _flush(engine, settings, token, now, pending, result)
    return result


def attempt(settings: Settings, d: Delivery) -> str | None:
    """Send one delivery: None, or why it failed. Whatever sending it raises is that delivery's
    failure (retried with backoff, then given up), never the queue's: one bad message must not stop
    the reminders of everyone else."""
    try:
        send(settings, d)
    except DeliveryError as exc:
        return str(exc)
    except Exception as exc:  # a library's surprise (a header it refuses, a reply it cannot parse …)
        return f"投递时出错（{type(exc).__name__}：{exc}），该消息将按退避重试，多次失败后放弃"
    return None


def _flush(
    engine: Engine,
    settings: Settings,
    token: str,
    now: datetime,
    pending: list[tuple[Delivery, str | None]],
    result: DeliverResult,
) -> None:
    if not pending:
        return
    with db.unit_of_work(engine) as conn:
        for d, error in pending:
            retry_at = _mark(conn, settings, token, now, d, error)
            if error is None:
                result.sent.append(d.id)
            else:
                result.failed.append((d.id, error, retry_at))
    pending.clear()


def retry_failed(conn: Connection, now: datetime) -> int:
    """Put given-up deliveries back in the queue, due now (after the cause was fixed)."""
    done = conn.execute(
        OUTBOX.update().where(OUTBOX.c.status == "failed").values(status="pending", next_attempt_at=now)
    )
    return int(done.rowcount or 0)


def listing(conn: Connection, *, status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    q = (
        sa.select(OUTBOX, MESSAGE.c.rule, MESSAGE.c.recipient, MESSAGE.c.subject)
        .join(MESSAGE, MESSAGE.c.key == OUTBOX.c.message_key)
        .order_by(OUTBOX.c.id.desc())
        .limit(limit)
    )
    if status is not None:
        q = q.where(OUTBOX.c.status == status)
    return [
        {
            "id": r.id,
            "message": r.message_key,
            "created_at": clock.show(r.created_at),
            "rule": r.rule,
            "recipient": who(r.recipient),
            "channel": r.channel,
            "address": who(r.address) if r.channel == "file" else r.address,
            "subject": r.subject,
            "status": r.status,
            "status_label": STATUS_LABELS.get(r.status, r.status),
            "attempts": r.attempts,
            "next_attempt_at": clock.show(r.next_attempt_at) if r.status == "pending" else "",
            "sent_at": clock.show(r.sent_at),
            "last_error": r.last_error,
        }
        for r in conn.execute(q)
    ]


def counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(sa.select(OUTBOX.c.status, sa.func.count()).group_by(OUTBOX.c.status))
    found = {r[0]: int(r[1]) for r in rows}
    return {s: found.get(s, 0) for s in STATUSES}


def message(conn: Connection, ref: str) -> dict[str, Any]:
    """One message by its key (or a unique prefix, or an outbox id), with its deliveries."""
    from workflow.errors import NotFound

    key = ref
    if ref.isascii() and ref.isdigit() and len(ref) < 20 and int(ref) <= MAX_INT:
        found = conn.execute(sa.select(OUTBOX.c.message_key).where(OUTBOX.c.id == int(ref))).scalar()
        key = found or ref
    rows = conn.execute(
        sa.select(MESSAGE).where(MESSAGE.c.key.startswith(key, autoescape=True)).limit(2)
    ).all()
    if len(rows) != 1:
        raise NotFound(
            f"没有编号或键为 {ref!r} 的消息" if not rows else f"{ref!r} 对应多条消息，请给出更长的键"
        )
    m = rows[0]
    return {
        "key": m.key,
        "rule": m.rule,
        "recipient": who(m.recipient),
        "subject": m.subject,
        "created_at": clock.show(m.created_at),
        "late": bool(m.late),
        "body": m.body,
        "deliveries": listing_for(conn, m.key),
    }


def listing_for(conn: Connection, key: str) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "channel": r.channel,
            "status": r.status,
            "attempts": r.attempts,
            "last_error": r.last_error,
            "sent_at": clock.show(r.sent_at),
        }
        for r in conn.execute(sa.select(OUTBOX).where(OUTBOX.c.message_key == key).order_by(OUTBOX.c.id))
    ]
