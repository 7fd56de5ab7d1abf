"""Tables of the ledger and the reports: import batches, 序号 keys, rules made (建章立制), accountability (问责).

Every row here is written together with an audit entry, like the core tables.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflow.models import moment_field


class LedgerBatch(SQLModel, table=True):
    """One ledger import: which file (by hash), into which round, by whom, and what it changed."""

    __tablename__ = "ledger_batch"
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    file_name: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    sheet: str = Field(max_length=200)
    rows: int
    created: int
    updated: int
    unchanged: int
    actor: str = Field(max_length=64)
    created_at: datetime = moment_field()


class LedgerKey(SQLModel, table=True):
    """The ledger's 序号 of an item, so that importing the same ledger again updates instead of adding."""

    __tablename__ = "ledger_key"
    __table_args__ = (sa.UniqueConstraint("round_id", "ledger_no"),)
    item_id: int = Field(primary_key=True, foreign_key="item.id", sa_column_kwargs={"autoincrement": False})
    round_id: int = Field(foreign_key="round.id")
    ledger_no: str = Field(max_length=60)
    batch_id: int = Field(foreign_key="ledger_batch.id")


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


T = SQLModel.metadata.tables
LEDGER_BATCH = T["ledger_batch"]
LEDGER_KEY = T["ledger_key"]
RULE = T["rule"]
ACCOUNTABILITY = T["accountability"]
