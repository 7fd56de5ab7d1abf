"""Statements compiled once per dialect and run on the driver's cursor.

The write path (one select, one update, one audit insert per transition) is the engine's hot loop.
Through SQLAlchemy's Connection.execute each statement costs ~25 µs of Python around ~1 µs of SQLite,
which put us at 10× raw sqlite3; here SQLAlchemy still writes the SQL for each dialect (qmark for
SQLite, pyformat for psycopg) but execution goes straight to the DBAPI cursor, inside the same
transaction. Only plain values (int, str, None) are bound; callers convert dates and moments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable


class Prepared:
    """`build` makes the statement on first use: building SQL expressions at import would cost every
    command start-up, also those that never run it."""

    def __init__(self, build: Callable[[], Executable]) -> None:
        self._build = build
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}

    def _for(self, conn: Connection) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
        dialect = conn.dialect
        hit = self._compiled.get(dialect.name)
        if hit is None:
            compiled = self._build().compile(dialect=dialect)  # type: ignore[attr-defined]
            order = tuple(compiled.positiontup) if compiled.positional else None
            # Values the statement carries itself (LIMIT 1, "+ 1"): bound like the caller's.
            fixed = {name: b.effective_value for name, b in compiled.binds.items() if not b.required}
            hit = self._compiled[dialect.name] = (str(compiled), order, fixed)
        return hit

    def run(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Any:
        """Execute and return the DBAPI cursor (fetchone/fetchall/rowcount)."""
        sql, order, fixed = self._for(conn)
        values = {**fixed, **params} if params else fixed
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if order is None:
                cursor.execute(sql, values)
            else:
                cursor.execute(sql, tuple(values[name] for name in order))
        except conn.dialect.loaded_dbapi.Error as exc:
            # The same exception SQLAlchemy would raise, so callers handle one family of errors.
            raise DBAPIError.instance(sql, values, exc, conn.dialect.loaded_dbapi.Error) from exc
        return cursor
