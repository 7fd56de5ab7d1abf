"""Which database the tests run on. `make test` runs the suite twice: on SQLite files, then with
ZHENGGAI_TEST_BACKEND=postgresql on the local server, where every database a test asks for is a fresh
schema in one database made for this test session (dropped at the end)."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

from workflow import db

BACKEND = os.environ.get("ZHENGGAI_TEST_BACKEND", "sqlite")
if BACKEND not in ("sqlite", "postgresql"):
    raise RuntimeError(f"ZHENGGAI_TEST_BACKEND must be sqlite or postgresql, not {BACKEND!r}")
PG_SERVER = os.environ.get("ZHENGGAI_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

_database: str | None = None
_counter = itertools.count(1)


def _admin() -> sa.Engine:
    return sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def session_database() -> str:
    """The URL of this session's own PostgreSQL database, created on first use."""
    global _database
    if _database is None:
        name = f"zg_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        with _admin().connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        _database = sa.make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    return _database


def drop_session_database() -> None:
    global _database
    if _database is not None:
        name = sa.make_url(_database).database
        with _admin().connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _database = None


def fresh_url(directory: Path, name: str = "zhenggai.db") -> str:
    """A new, empty database: a file in `directory` on SQLite, a new schema on PostgreSQL.

    The PostgreSQL URL carries the schema as the connection's search_path, so it works unchanged
    for subprocesses and the CLI (--db)."""
    if BACKEND == "sqlite":
        return f"sqlite:///{directory / name}"
    schema = f"t{next(_counter)}_{uuid.uuid4().hex[:6]}"
    url = session_database()
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()
    return (
        sa.make_url(url)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )


_by_folder: dict[Path, str] = {}


def url_for(folder: Path) -> str:
    """The database that belongs to `folder` (its zhenggai.db on SQLite), the same on every call."""
    if folder not in _by_folder:
        _by_folder[folder] = fresh_url(folder)
    return _by_folder[folder]


_template: Path | None = None


def create_schema(engine: sa.Engine) -> None:
    """`db.create_schema` for a test's new database. On SQLite a new file is a copy of one migrated
    once per test process: running the eight migrations took 0.15–0.35 s of every test's set-up, and
    the copy is byte for byte what they make (the migration tests themselves call `db.create_schema`)."""
    global _template
    path = engine.url.database
    if BACKEND != "sqlite" or not path or Path(path).exists():
        db.create_schema(engine)
        return
    if _template is None or not _template.exists():
        folder = Path(tempfile.mkdtemp(prefix="zhenggai-template-"))
        made = db.make_engine(f"sqlite:///{folder / 'template.db'}")
        db.create_schema(made)
        made.dispose()  # the last connection closing folds the WAL into the file
        _template = folder / "template.db"
    shutil.copyfile(_template, path)
