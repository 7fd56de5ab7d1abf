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

from workflow.db.tables.core import META
from workflow.errors import NotInitialised

# The migration revision this code works with; tests/integration/test_migrations.py checks that it
# is the head of workflow/migrations (kept as a constant so that commands need not import Alembic).
SCHEMA_HEAD = "0009"  # 0009_web, after 0007 (which follows 0008): see 0007_units.py
# The PostgreSQL advisory lock that serialises writers (and so appends to the audit chain).
CHAIN_LOCK = 0x5A47_4149  # "ZGAI"
DEFAULT_DB_FILE = "zhenggai.db"


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
    """Create the schema, or bring an existing one up to date, through the migrations; idempotent.
    Returns True when the database was empty."""
    from workflow.db import migrate  # Alembic only where the schema is made or changed

    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # SQLite rebuilds a table to change it (batch mode); its procedure for that runs with
            # foreign keys off — set outside the transaction, where the pragma takes effect — and
            # checks them before committing (migration 0007 does).
            _foreign_keys(conn, "OFF")
        try:
            with conn.begin():
                fresh = not sa.inspect(conn).has_table("meta")
                if not fresh and not migrate.has_version_table(conn):
                    # Made before migrations existed (development builds): that schema is revision 0001.
                    migrate.stamp(conn, "0001")
                migrate.upgrade(conn)
        finally:
            if sqlite:
                _foreign_keys(conn, "ON")
    return fresh


def _foreign_keys(conn: Connection, value: str) -> None:
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.execute(f"PRAGMA foreign_keys={value}")
    finally:
        cursor.close()


def require_file(engine: Engine) -> None:
    """Refuse to work on a SQLite file that does not exist (connecting would create an empty one)."""
    database = engine.url.database
    is_file = engine.url.get_backend_name() == "sqlite" and database not in (None, "", ":memory:")
    if is_file and not Path(str(database)).exists():
        raise NotInitialised(f"数据库文件 {database} 不存在：请先运行 zhenggai init（或用 --db 指定数据库）")


_VERSION = sa.table("alembic_version", sa.column("version_num"))


def check_schema(conn: Connection) -> None:
    """The database has our schema at the revision this code expects (SCHEMA_HEAD)."""
    try:
        conn.execute(sa.select(META.c.value).where(META.c.key == "schema_version")).scalar_one()
        revision = conn.execute(sa.select(_VERSION.c.version_num)).scalar()
    except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.NoResultFound) as exc:
        raise NotInitialised("数据库尚未初始化：请先运行 zhenggai init") from exc
    if revision != SCHEMA_HEAD:
        raise NotInitialised(
            f"数据库结构版本为 {revision or '（无）'}，本程序需要 {SCHEMA_HEAD}：请运行 zhenggai db upgrade"
        )


@contextmanager
def unit_of_work(engine: Engine, *, write: bool = True) -> Iterator[Connection]:
    """One transaction: commits when the block finishes, rolls back on any exception.

    A reader sees one snapshot throughout: SQLite's WAL gives that to any transaction, PostgreSQL only
    at REPEATABLE READ (at READ COMMITTED each statement would see the writes committed before it,
    and a report or a verify would mix two moments)."""
    with engine.connect() as conn:
        conn = conn.execution_options(zhenggai_write=write)
        if not write and conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction (no write lock on SQLite); checks the schema exists."""
    require_file(engine)
    with unit_of_work(engine, write=False) as conn:
        check_schema(conn)
        yield conn
