"""Do the live tables say what the trail says? The rows the replay expects (`replay.Expected`) against
the rows in the database, table by table, key by key, column by column; the first difference is named.

Not compared, and why: the reminder tables and the outbox (operational, not in the trail; reminders
re-derive from the items), aspects made by a YAML round import (that import never wrote entries for
them), person and row ids the trail does not record (people are matched by name, progress and ledger
evidence by their order within the item).

Rows are read on the driver's cursor as tuples of exactly the compared columns and compared whole; only
a row that differs is looked at column by column (a county's verify compares millions of values).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.audit.replay import ABSENT, ITEM_COLUMNS, PRESENT, Disagreement, Expected, day
from workflow.db.tables.core import (
    ACCOUNTABILITY,
    ASPECT,
    BLOB,
    EVIDENCE,
    ITEM,
    MEASURE,
    PERSON,
    PROGRESS,
    ROUND,
    RULE,
    UNIT,
)
from workflow.db.tables.ledger import LEDGER_BATCH, LEDGER_KEY

_DAYS = frozenset(
    {
        "deadline",
        "original_deadline",
        "due",
        "done_on",
        "on",
        "issued_on",
        "decided_on",
        "visit_start",
        "visit_end",
        "feedback_date",
        "rectification_end",
    }
)
PROGRESS_COLUMNS = ("on", "when_text", "text", "actor", "created_at")
EVIDENCE_COLUMNS = (
    "id",
    "kind",
    "ref",
    "file_sha256",
    "file_name",
    "size",
    "note",
    "actor",
    "created_at",
    "hash",
)
MEASURE_COLUMNS = ("text", "owner", "due", "done_on", "done_by")


@dataclass(frozen=True)
class Part:
    """The items this comparison covers: those whose id leaves `k` when divided by `n` (all: 0 of 1).
    Part 0 also covers what belongs to no item (people, rounds, rules …)."""

    k: int = 0
    n: int = 1

    def sql(self, column: str) -> str:
        return "" if self.n == 1 else f" WHERE {column} % {self.n} = {self.k}"

    def holds(self, item_id: int) -> bool:
        return item_id % self.n == self.k


ALL = Part()


def _rows(
    conn: Connection, table: sa.Table, columns: Sequence[str], order: str | None = None, where: str = ""
) -> Iterator[tuple[Any, ...]]:
    """`columns` of every row of `table`, as the driver gives them: moments are the stored text already;
    a date may come as a date (PostgreSQL) and is made ISO text like the replay's."""
    quote = conn.dialect.identifier_preparer.quote
    sql = f"SELECT {', '.join(quote(n) for n in columns)} FROM {quote(table.name)}{where}"
    if order is not None:
        sql += f" ORDER BY {quote(order)}"
    days = [j for j, name in enumerate(columns) if name in _DAYS]
    # The driver's cursor, without parameters: psycopg then leaves the `%` of a modulo alone.
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(20000):
            for values in batch:
                if days and any(values[j] is not None and not isinstance(values[j], str) for j in days):
                    values = tuple(day(v) if j in days else v for j, v in enumerate(values))
                yield tuple(values)
    finally:
        cursor.close()


def _differs(
    table: str, where: str, columns: Sequence[str], want: Sequence[Any], have: Sequence[Any]
) -> Disagreement | None:
    if tuple(want) == tuple(have):
        return None
    column, a, b = next((c, a, b) for c, a, b in zip(columns, want, have, strict=True) if a != b)
    return Disagreement(table, where, column, a, b)


def _missing(table: str, where: str, want: object, have: object) -> Disagreement:
    return Disagreement(
        table, where, "", ABSENT if want is None else PRESENT, ABSENT if have is None else PRESENT
    )


def _by_key(
    table: str,
    expected: Mapping[Any, Mapping[str, Any]],
    live: Iterator[tuple[Any, ...]],
    columns: Sequence[str],
    shown: Callable[[Any], str] = str,
) -> Disagreement | None:
    """Compare rows keyed alike (live rows are (key, *columns)); keys in ascending order, so the first
    difference named is the earliest."""
    found = {row[0]: row[1:] for row in live}
    for key in sorted(set(expected) | set(found), key=lambda k: (str(type(k)), k)):
        want, have = expected.get(key), found.get(key)
        if want is None or have is None:
            return _missing(table, shown(key), want, have)
        differs = _differs(table, shown(key), columns, [want.get(c) for c in columns], have)
        if differs is not None:
            return differs
    return None


def _listed(
    table: str,
    expected: Mapping[int, Sequence[Mapping[str, Any]]],
    live: Iterator[tuple[Any, ...]],
    columns: Sequence[str],
) -> Disagreement | None:
    """Rows of an item in the order they were written (progress, evidence); live rows are
    (item_id, *columns) in id order."""
    found: dict[int, list[tuple[Any, ...]]] = {}
    for row in live:
        found.setdefault(row[0], []).append(row[1:])
    for item_id in sorted(set(expected) | set(found)):
        want, have = list(expected.get(item_id, ())), found.get(item_id, [])
        for n in range(max(len(want), len(have))):
            where = f"事项 {item_id} 的第 {n + 1} 条"
            if n >= len(want) or n >= len(have):
                return _missing(
                    table, where, want[n] if n < len(want) else None, have[n] if n < len(have) else None
                )
            # Ledger evidence: the entry does not name the row's id; take the row's own.
            values = [
                have[n][j] if c == "id" and want[n].get(c) is None else want[n].get(c)
                for j, c in enumerate(columns)
            ]
            differs = _differs(table, where, columns, values, have[n])
            if differs is not None:
                return differs
    return None


def _keyed(
    conn: Connection, table: sa.Table, key: str, columns: Sequence[str], where: str = ""
) -> Iterator[tuple[Any, ...]]:
    return _rows(conn, table, (key, *columns), where=where)


def _columns(rows: Mapping[Any, Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(next(iter(rows.values()), {}))


def _records(conn: Connection, exp: Expected) -> Iterator[Callable[[], Disagreement | None]]:
    people = ("roles", "department", "title", "email", "unit", "db_login", "active")
    yield lambda: _by_key("person", exp.people, _keyed(conn, PERSON, "name", people), people)
    rounds = _columns(exp.rounds)
    yield lambda: _by_key("round", exp.rounds, _keyed(conn, ROUND, "id", rounds), rounds)
    units = ("round_id", "name", "position", "created_at")
    yield lambda: _by_key("unit", exp.units, _keyed(conn, UNIT, "id", units), units)
    aspects = ("round_id", "unit_id", "number", "title", "position")
    # Only the aspects with an entry of their own (ledger imports); a YAML import wrote none.
    audited = set(exp.aspects)
    yield lambda: _by_key(
        "aspect", exp.aspects, (r for r in _keyed(conn, ASPECT, "id", aspects) if r[0] in audited), aspects
    )


def _items(conn: Connection, exp: Expected, part: Part) -> Iterator[Callable[[], Disagreement | None]]:
    yield lambda: _by_key(
        "item", exp.items, _keyed(conn, ITEM, "id", ITEM_COLUMNS, part.sql("id")), ITEM_COLUMNS
    )
    rows = _rows(conn, MEASURE, ("item_id", "seq", *MEASURE_COLUMNS), where=part.sql("item_id"))
    measures = (((r[0], r[1]), *r[2:]) for r in rows)
    yield lambda: _by_key(
        "measure", exp.measures, measures, MEASURE_COLUMNS, lambda k: f"事项 {k[0]} 第 {k[1]} 项"
    )
    progress = _rows(conn, PROGRESS, ("item_id", *PROGRESS_COLUMNS), "id", part.sql("item_id"))
    yield lambda: _listed("progress", exp.progress, progress, PROGRESS_COLUMNS)
    evidence = _rows(conn, EVIDENCE, ("item_id", *EVIDENCE_COLUMNS), "id", part.sql("item_id"))
    yield lambda: _listed("evidence", exp.evidence, evidence, EVIDENCE_COLUMNS)
    yield lambda: _blobs(conn, exp)


def _more(conn: Connection, exp: Expected) -> Iterator[Callable[[], Disagreement | None]]:
    for name, table, rows in (
        ("rule", RULE, exp.rules),
        ("accountability", ACCOUNTABILITY, exp.accountability),
        ("ledger_batch", LEDGER_BATCH, exp.batches),
    ):
        columns = _columns(rows)
        yield partial(_by_key, name, rows, _keyed(conn, table, "id", columns), columns)


def compare(conn: Connection, exp: Expected, part: Part = ALL) -> Disagreement | None:
    """The first difference between the live tables and the replayed trail, or None: for the items of
    `part` (the whole database by default) and, in part 0, the records that belong to no item."""
    keys = {i: k for i, k in exp.keys.items() if part.holds(i)}  # adopted keys come with every batch
    key_columns = ("round_id", "unit_id", "ledger_no", "batch_id")

    def ledger_keys() -> Disagreement | None:
        live = _keyed(conn, LEDGER_KEY, "item_id", key_columns, part.sql("item_id"))
        return _by_key("ledger_key", keys, live, key_columns)

    checks = [*_items(conn, exp, part), ledger_keys]
    if part.k == 0:
        checks = [*_records(conn, exp), *checks[:-1], *_more(conn, exp), ledger_keys]
    for check in checks:
        found = check()
        if found is not None:
            return found
    return None


def _blobs(conn: Connection, exp: Expected) -> Disagreement | None:
    """Every file an evidence row cites is stored, and its bytes still hash to its name."""
    cited = {e["file_sha256"]: e["size"] for rows in exp.evidence.values() for e in rows if e["file_sha256"]}
    if not cited:
        return None
    query = sa.select(BLOB.c.sha256, BLOB.c.size, BLOB.c.data).where(BLOB.c.sha256.in_(cited))
    for sha, size, data in conn.execute(query.order_by(BLOB.c.sha256)):
        digest = hashlib.sha256(data).hexdigest()
        if digest != sha or len(data) != size:
            return Disagreement("blob", sha[:12] + "…", "data", sha, digest)
        del cited[sha]
    for sha in sorted(cited):
        return Disagreement("blob", sha[:12] + "…", "", PRESENT, ABSENT)
    return None
