"""The database: engines and the unit of work (`connection`), the tables, prepared statements,
migrations and the PostgreSQL grants. `from workflow import db` gives the unit-of-work API."""

from __future__ import annotations

from workflow.db.connection import (
    CHAIN_LOCK,
    DEFAULT_DB_FILE,
    SCHEMA_HEAD,
    check_schema,
    create_schema,
    default_url,
    make_engine,
    reading,
    require_file,
    sqlite_url,
    unit_of_work,
)

__all__ = [
    "CHAIN_LOCK",
    "DEFAULT_DB_FILE",
    "SCHEMA_HEAD",
    "check_schema",
    "create_schema",
    "default_url",
    "make_engine",
    "reading",
    "require_file",
    "sqlite_url",
    "unit_of_work",
]
