"""Schema migrations (Alembic, batch mode on SQLite), driven from code so that `zhenggai init` and
`zhenggai db upgrade` need no alembic.ini."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

LOCATION = Path(__file__).parent / "migrations"


def config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(LOCATION))
    cfg.attributes["connection"] = conn
    return cfg


def head() -> str:
    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None
    return revision


def current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(conn: Connection, revision: str = "head") -> None:
    command.upgrade(config(conn), revision)


def stamp(conn: Connection, revision: str = "head") -> None:
    command.stamp(config(conn), revision)


def has_version_table(conn: Connection) -> bool:
    return sa.inspect(conn).has_table("alembic_version")
