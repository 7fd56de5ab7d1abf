"""The reminder tables: what fired (exactly once per key), the messages it produced, and the outbox.

A firing and its message and deliveries are written in one transaction, so a crash leaves either all
of them or none; the unique key on the firing is what makes re-runs, catch-ups and a second scheduler
harmless.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflow.db.tables.core import moment_field


class ReminderFiring(SQLModel, table=True):
    """One rule fired for one recipient about one scope (an item, a department …) in one period."""

    __tablename__ = "reminder_firing"
    __table_args__ = (
        sa.UniqueConstraint("rule", "scope", "period", "recipient", name="uq_reminder_firing_key"),
        # "has this stage of this item fired already?" — asked for every candidate in one query.
        sa.Index("ix_reminder_firing_item", "item_id", "rule", "period"),
    )
    id: int | None = Field(default=None, primary_key=True)
    rule: str = Field(max_length=40)
    recipient: str = Field(max_length=200, description="person name, dept:NAME or webhook")
    scope: str = Field(max_length=260, description="item:ID, dept:NAME, leader:NAME or all")
    period: str = Field(max_length=40, description="2024-W43, 2024-11, the deadline, the sign-off date …")
    item_id: int | None = Field(default=None)
    message_key: str = Field(max_length=32, index=True)
    due_at: datetime = moment_field()
    fired_at: datetime = moment_field()


class ReminderMessage(SQLModel, table=True):
    """What one recipient is told in one run about one rule (a digest of that run's firings)."""

    __tablename__ = "reminder_message"
    key: str = Field(primary_key=True, max_length=32)
    rule: str = Field(max_length=40)
    recipient: str = Field(max_length=200)
    subject: str = Field(max_length=500)
    body: str = Field(sa_type=sa.Text, description="Markdown")
    data: str = Field(default="{}", sa_type=sa.Text, description="JSON for webhooks and scripts")
    late: bool = Field(default=False, description="sent after its due moment (catch-up)")
    created_at: datetime = moment_field(index=True)


class Outbox(SQLModel, table=True):
    """One delivery of a message through one channel; retried with backoff until it is sent."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The deliverer's query: due rows of one status, oldest first.
        sa.Index("ix_outbox_due", "status", "next_attempt_at"),
        sa.UniqueConstraint("message_key", "channel", name="uq_outbox_message_channel"),
    )
    id: int | None = Field(default=None, primary_key=True)
    message_key: str = Field(max_length=32, foreign_key="reminder_message.key")
    channel: str = Field(max_length=20, description="file | web | smtp | webhook")
    address: str = Field(max_length=500, description="folder, e-mail address or URL")
    status: str = Field(default="pending", max_length=10, description="pending | sending | sent | failed")
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    next_attempt_at: datetime = moment_field()
    claimed_by: str | None = Field(default=None, max_length=40)
    claimed_until: datetime | None = moment_field(nullable=True)
    sent_at: datetime | None = moment_field(nullable=True)
    created_at: datetime = moment_field()


# The Core handles of the tables, for queries written in SQLAlchemy Core.
_tables = SQLModel.metadata.tables
FIRING = _tables["reminder_firing"]
MESSAGE = _tables["reminder_message"]
OUTBOX = _tables["outbox"]
