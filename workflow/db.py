"""Database setup: engines for SQLite (default) and PostgreSQL, schema creation, the unit of work.

SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
BEGIN IMMEDIATE: a deferred transaction that reads and then writes can still fail with SQLITE_BUSY
under WAL + busy_timeout, while an immediate one waits for the write lock up front.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from workflow.errors import NotInitialised
from workflow.models import META, SQLModel

SCHEMA_VERSION = "1"
# The PostgreSQL advisory lock that serialises writers (and so appends to the audit chain).
CHAIN_LOCK = 0x5A47_4149  # "ZGAI"
DEFAULT_DB_FILE = "zhenggai.db"

# The open-items/overdue query: a partial index over the states that still have a deadline to meet.
# The literal list must match OPEN_STATES (a bound parameter in the query would defeat it on SQLite).
_INDEXES = [
    """CREATE INDEX IF NOT EXISTS ix_item_open_deadline ON item (deadline)
       WHERE state IN ('reported','assigned','in_progress','submitted')""",
]

_APPEND_ONLY_SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
]

_APPEND_ONLY_POSTGRES = [
    """CREATE OR REPLACE FUNCTION zhenggai_audit_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS audit_no_change ON audit",
    """CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
       FOR EACH ROW EXECUTE FUNCTION zhenggai_audit_append_only()""",
    # ON DELETE triggers do not fire for TRUNCATE; it needs a statement-level trigger of its own.
    "DROP TRIGGER IF EXISTS audit_no_truncate ON audit",
    """CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
       FOR EACH STATEMENT EXECUTE FUNCTION zhenggai_audit_append_only()""",
]


def default_url() -> str:
    return os.environ.get("ZHENGGAI_DB") or f"sqlite:///{DEFAULT_DB_FILE}"


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path)}"


def make_engine(url: str, *, synchronous: str | None = None) -> Engine:
    """An engine with our connection set-up. `synchronous` overrides SQLite's FULL (durable) default."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        sync = (synchronous or os.environ.get("ZHENGGAI_SQLITE_SYNCHRONOUS") or "FULL").upper()
        if sync not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError(f"invalid SQLite synchronous mode {sync!r}")

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's begin event, not the driver, decide how transactions start.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA synchronous={sync}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            write = conn.get_execution_options().get("zhenggai_write", True)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine

    engine = sa.create_engine(url, pool_pre_ping=True)

    @event.listens_for(engine, "begin")
    def _on_pg_begin(conn: Connection) -> None:
        # Writers take the chain lock first, as SQLite's BEGIN IMMEDIATE does: every action appends to
        # the one audit chain anyway, and taking it before any row lock rules out lock-order deadlocks
        # between a batch and a single action.
        if conn.get_execution_options().get("zhenggai_write", True):
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({CHAIN_LOCK})")

    return engine


def create_schema(engine: Engine) -> bool:
    """Create tables and the append-only triggers; idempotent. Returns True when newly created."""
    # Every table module, only here: other commands need only the tables they touch, and each
    # SQLModel class costs start-up time.
    from workflow import schema  # noqa: F401

    with engine.begin() as conn:
        fresh = not sa.inspect(conn).has_table("meta")
        SQLModel.metadata.create_all(conn)
        append_only = _APPEND_ONLY_POSTGRES if conn.dialect.name == "postgresql" else _APPEND_ONLY_SQLITE
        for ddl in _INDEXES + append_only:
            conn.exec_driver_sql(ddl)
        if fresh:
            conn.execute(META.insert().values(key="schema_version", value=SCHEMA_VERSION))
    return fresh


def require_file(engine: Engine) -> None:
    """Refuse to work on a SQLite file that does not exist (connecting would create an empty one)."""
    database = engine.url.database
    is_file = engine.url.get_backend_name() == "sqlite" and database not in (None, "", ":memory:")
    if is_file and not Path(str(database)).exists():
        raise NotInitialised(f"数据库文件 {database} 不存在：请先运行 zhenggai init（或用 --db 指定数据库）")


def check_schema(conn: Connection) -> None:
    try:
        conn.execute(sa.select(META.c.value).where(META.c.key == "schema_version")).scalar_one()
    except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.NoResultFound) as exc:
        raise NotInitialised("数据库尚未初始化：请先运行 zhenggai init") from exc


@contextmanager
def unit_of_work(engine: Engine, *, write: bool = True) -> Iterator[Connection]:
    """One transaction: commits when the block finishes, rolls back on any exception."""
    with engine.connect() as conn:
        conn = conn.execution_options(zhenggai_write=write)
        with conn.begin():
            yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction (no write lock on SQLite); checks the schema exists."""
    require_file(engine)
    with unit_of_work(engine, write=False) as conn:
        check_schema(conn)
        yield conn
