"""Tables of the ledger import: import batches and the 序号 keys that make a re-import update.

Every row here is written together with an audit entry, like the core tables.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflow.db.tables.core import moment_field


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
    __table_args__ = (sa.UniqueConstraint("unit_id", "ledger_no"),)
    item_id: int = Field(primary_key=True, foreign_key="item.id", sa_column_kwargs={"autoincrement": False})
    round_id: int = Field(foreign_key="round.id")
    unit_id: int = Field(foreign_key="unit.id")  # 序号 count within a unit: each unit has its own ledger
    ledger_no: str = Field(max_length=60)
    batch_id: int = Field(foreign_key="ledger_batch.id")


# The Core handles of the tables, for queries written in SQLAlchemy Core.
_tables = SQLModel.metadata.tables
LEDGER_BATCH = _tables["ledger_batch"]
LEDGER_KEY = _tables["ledger_key"]
