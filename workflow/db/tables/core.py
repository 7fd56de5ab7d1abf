"""The tables (SQLModel). Moments are stored as canonical UTC text, so SQLite and PostgreSQL agree
byte for byte and the audit hash never depends on a driver's datetime handling."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflow import clock


class UtcMoment(sa.types.TypeDecorator[datetime]):
    """Aware datetime in Python, 'YYYY-MM-DDTHH:MM:SS.ffffffZ' text in the database."""

    impl = sa.String(27)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None or isinstance(value, str):
            return value
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return clock.to_text(value)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        return None if value is None else clock.from_text(value)


def moment_field(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UtcMoment, nullable=nullable, index=index)


class Meta(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=200)


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    roles: str = Field(max_length=200, description="comma-separated Role values")
    department: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=200)
    # The inspected unit (被巡察单位, by name) the person works in: they see and act on its items only.
    # None: the county level (the inspection office, auditors), who see every unit.
    unit: str | None = Field(default=None, max_length=200)
    # PostgreSQL deployments: the database login of this person; the actor of their actions.
    db_login: str | None = Field(default=None, max_length=63, unique=True, index=True)
    # False once deactivated (`person deactivate`): kept for the history that names them, refused as
    # an actor and left out of reminders (migration 0008).
    # A database default only, not a Python one: an INSERT that does not name it (today's code on a
    # schema before 0008, as the migration tests run it) is valid on both.
    active: bool = Field(
        default=True, sa_column=sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true())
    )


class Round(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    group_name: str = Field(max_length=200)
    unit: str = Field(max_length=200)
    visit_start: date | None = None
    visit_end: date | None = None
    feedback_date: date
    rectification_end: date | None = None
    created_at: datetime = moment_field()


class Unit(SQLModel, table=True):
    """An inspected unit (被巡察单位) of a round: a town or a bureau, with its own feedback, items and
    public report. A round made before units existed has one, with the round's id (migration 0007)."""

    __table_args__ = (sa.UniqueConstraint("round_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    name: str = Field(max_length=200)
    position: int = 0
    created_at: datetime = moment_field()


class Aspect(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("unit_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id")
    unit_id: int = Field(foreign_key="unit.id")
    number: str = Field(max_length=20)
    title: str = Field(max_length=500)
    position: int = 0


class Item(SQLModel, table=True):
    # The partial index ix_item_open_deadline (open items by deadline) is created by migration 0001
    # in plain SQL: declared here, its dialect keywords would import every dialect at start-up.
    __table_args__ = (sa.UniqueConstraint("unit_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    aspect_id: int = Field(foreign_key="aspect.id")
    parent_id: int | None = Field(default=None, foreign_key="item.id")
    number: str = Field(max_length=60, description="hierarchical: 一/1 or 一/1/(1)")
    position: int = 0
    title: str = Field(max_length=500)
    description: str = Field(default="", max_length=20000)
    instance: str = Field(default="", max_length=20000, description="典型表现")
    leader: str | None = Field(default=None, max_length=64, foreign_key="person.name")
    department: str | None = Field(default=None, max_length=200, index=True)
    cooperating: str = Field(default="", max_length=1000, description="配合单位, '、'-separated")
    handler: str | None = Field(default=None, max_length=64, foreign_key="person.name")
    deadline_kind: str | None = Field(default=None, max_length=10)  # date | immediate | ongoing
    deadline: date | None = None
    original_deadline: date | None = None
    state: str = Field(default="reported", max_length=20, index=True)
    version: int = 1
    summary: str | None = Field(default=None, max_length=20000)
    submitted_by: str | None = Field(default=None, max_length=64)
    closed_at: datetime | None = moment_field(nullable=True)
    created_at: datetime = moment_field()
    updated_at: datetime = moment_field()
    # The completion category the office set (states.categories.MARKS: basic, in_progress, not_done,
    # ongoing), audited; NULL: derived from the state and deadline (states.categories.category).
    category: str | None = Field(default=None, max_length=20)


class Measure(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("item_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    seq: int
    text: str = Field(max_length=5000)
    owner: str | None = Field(default=None, max_length=200)
    due: date | None = None
    done_on: date | None = None
    done_by: str | None = Field(default=None, max_length=64)


class Progress(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    on: date
    when_text: str | None = Field(default=None, max_length=40, description="as printed, e.g. 11月初")
    text: str = Field(max_length=20000)
    actor: str = Field(max_length=64)
    created_at: datetime = moment_field()


class Blob(SQLModel, table=True):
    """Evidence files, stored once per content hash inside the database (atomic with the record)."""

    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    data: bytes = Field(sa_type=sa.LargeBinary)


class Evidence(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    kind: str = Field(max_length=20)
    ref: str | None = Field(default=None, max_length=200, description="e.g. 获政土〔2024〕27号")
    file_sha256: str | None = Field(default=None, max_length=64, foreign_key="blob.sha256")
    file_name: str | None = Field(default=None, max_length=255)
    size: int | None = None
    note: str | None = Field(default=None, max_length=5000)
    actor: str = Field(max_length=64)
    created_at: datetime = moment_field()
    hash: str = Field(max_length=64, description="SHA-256 of the canonical record, cited at sign-off")


class Audit(SQLModel, table=True):
    """Append-only, hash-chained. Triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL)."""

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: str = Field(max_length=27, index=True, description="canonical UTC text, hashed as stored")
    actor: str = Field(max_length=64)
    item_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=40)
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str | None = Field(default=None, max_length=20)
    reason: str | None = Field(default=None, max_length=20000)
    payload: str = Field(default="{}", sa_type=sa.Text, description="canonical JSON")
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)
    # When the entry was written by the machine's clock (`at` is when it happened, which a clerk
    # catching up on paper records sets earlier); NULL in entries made before migration 0003.
    recorded_at: str | None = Field(default=None, max_length=27, description="canonical UTC text, hashed")


class Rule(SQLModel, table=True):
    """A rule made or revised (建章立制) as part of the rectification."""

    __tablename__ = "rule"
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    item_id: int | None = Field(default=None, foreign_key="item.id")
    title: str = Field(max_length=500)
    kind: str = Field(max_length=10, description="made (制定) | revised (修订)")
    issued_on: date
    doc_ref: str | None = Field(default=None, max_length=200, description="文号")
    note: str | None = Field(default=None, max_length=5000)
    actor: str = Field(max_length=64)
    created_at: datetime = moment_field()


class Accountability(SQLModel, table=True):
    """An accountability action (问责): who was held to account, by what measure, when and why."""

    __tablename__ = "accountability"
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    item_id: int | None = Field(default=None, foreign_key="item.id")
    person: str = Field(max_length=64, description="the person held to account (not necessarily a user)")
    post: str | None = Field(default=None, max_length=200, description="单位及职务")
    measure: str = Field(max_length=40, description="诫勉谈话, 批评教育, 党纪处分 …")
    decided_on: date
    reason: str | None = Field(default=None, max_length=5000)
    actor: str = Field(max_length=64)
    created_at: datetime = moment_field()


# The Core handles of the tables, for queries written in SQLAlchemy Core.
_tables = SQLModel.metadata.tables
ITEM = _tables["item"]
PERSON = _tables["person"]
MEASURE = _tables["measure"]
PROGRESS = _tables["progress"]
EVIDENCE = _tables["evidence"]
AUDIT = _tables["audit"]
ROUND = _tables["round"]
UNIT = _tables["unit"]
ASPECT = _tables["aspect"]
BLOB = _tables["blob"]
META = _tables["meta"]
RULE = _tables["rule"]
ACCOUNTABILITY = _tables["accountability"]

# Indexes for the reminder rules' queries: recent progress entries for "stalled", closings by date
# for revisits and the weekly "closed this week", and the few ongoing (长期坚持) items.
sa.Index("ix_progress_on_item", PROGRESS.c.on, PROGRESS.c.item_id)
sa.Index("ix_item_state_closed_at", ITEM.c.state, ITEM.c.closed_at)
# 长期坚持 items are few; their periodic review should not scan every item to find them.
ONGOING_SQL = "deadline_kind = 'ongoing'"
sa.Index(
    "ix_item_ongoing",
    ITEM.c.created_at,
    sqlite_where=sa.text(ONGOING_SQL),
    postgresql_where=sa.text(ONGOING_SQL),
)
