"""Do the live tables say what the trail says? The rows the replay expects (`replay.Expected`) against
the rows in the database, table by table, key by key, column by column; the first difference is named.

Not compared, and why: the reminder tables and the outbox (operational, not in the trail; reminders
re-derive from the items), aspects made by a YAML round import (that import never wrote entries for
them), person and row ids the trail does not record (people are matched by name, progress and ledger
evidence by their order within the item).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
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


def _plain(column: str, value: Any) -> Any:
    # Read as the driver gives them: moments are the stored text already; a date may be a date.
    if value is not None and column in _DAYS and not isinstance(value, str):
        return day(value)
    return value


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
    conn: Connection, table: sa.Table, order: str | None = None, where: str = ""
) -> Iterator[dict[str, Any]]:
    """Every row of `table` as the driver gives it (no SQLAlchemy type processing: a verify reads
    whole tables, and the stored text is what the comparison wants)."""
    quote = conn.dialect.identifier_preparer.quote
    names = [c.name for c in table.columns]
    sql = f"SELECT {', '.join(quote(n) for n in names)} FROM {quote(table.name)}{where}"
    if order is not None:
        sql += f" ORDER BY {quote(order)}"
    # The driver's cursor, without parameters: psycopg then leaves the `%` of a modulo alone.
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(20000):
            for values in batch:
                yield dict(zip(names, values, strict=True))
    finally:
        cursor.close()


def _by_key(
    table: str,
    expected: Mapping[Any, Mapping[str, Any]],
    live: Iterable[tuple[Any, Mapping[str, Any]]],
    columns: Sequence[str],
    shown: Any = str,
) -> Disagreement | None:
    """Compare rows keyed alike; keys in ascending order, so the first difference is the earliest."""
    found = dict(live)
    for key in sorted(set(expected) | set(found), key=lambda k: (str(type(k)), k)):
        want, have = expected.get(key), found.get(key)
        if want is None or have is None:
            return Disagreement(
                table,
                shown(key),
                "",
                ABSENT if want is None else PRESENT,
                ABSENT if have is None else PRESENT,
            )
        for column in columns:
            a, b = want.get(column), _plain(column, have[column])
            if a != b:
                return Disagreement(table, shown(key), column, a, b)
    return None


def _listed(
    table: str,
    expected: Mapping[int, Sequence[Mapping[str, Any]]],
    live: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
) -> Disagreement | None:
    """Rows of an item in the order they were written (progress, evidence)."""
    found: dict[int, list[Mapping[str, Any]]] = {}
    for row in live:
        found.setdefault(row["item_id"], []).append(row)
    for item_id in sorted(set(expected) | set(found)):
        want, have = list(expected.get(item_id, ())), found.get(item_id, [])
        for n in range(max(len(want), len(have))):
            where = f"事项 {item_id} 的第 {n + 1} 条"
            if n >= len(want) or n >= len(have):
                return Disagreement(
                    table,
                    where,
                    "",
                    ABSENT if n >= len(want) else PRESENT,
                    ABSENT if n >= len(have) else PRESENT,
                )
            for column in columns:
                a = want[n].get(column)
                if column == "id" and a is None:
                    continue  # ledger evidence: the entry does not name the row's id
                b = _plain(column, have[n][column])
                if a != b:
                    return Disagreement(table, where, column, a, b)
    return None


def compare(conn: Connection, exp: Expected, part: Part = ALL) -> Disagreement | None:
    """The first difference between the live tables and the replayed trail, or None: for the items of
    `part` (the whole database by default) and, in part 0, the records that belong to no item."""
    records = (
        lambda: _people(conn, exp),
        lambda: _by_key("round", exp.rounds, _keyed(conn, ROUND, "id"), _columns(exp.rounds)),
        lambda: _aspects(conn, exp),
    )
    items = (
        lambda: _by_key("item", exp.items, _keyed(conn, ITEM, "id", part.sql("id")), ITEM_COLUMNS),
        lambda: _measures(conn, exp, part),
        lambda: _listed(
            "progress",
            exp.progress,
            _rows(conn, PROGRESS, "id", part.sql("item_id")),
            ("on", "when_text", "text", "actor", "created_at"),
        ),
        lambda: _listed(
            "evidence",
            exp.evidence,
            _rows(conn, EVIDENCE, "id", part.sql("item_id")),
            ("id", "kind", "ref", "file_sha256", "file_name", "size", "note", "actor", "created_at", "hash"),
        ),
        lambda: _blobs(conn, exp),
    )
    more = (
        lambda: _by_key("rule", exp.rules, _keyed(conn, RULE, "id"), _columns(exp.rules)),
        lambda: _by_key(
            "accountability",
            exp.accountability,
            _keyed(conn, ACCOUNTABILITY, "id"),
            _columns(exp.accountability),
        ),
        lambda: _by_key("ledger_batch", exp.batches, _keyed(conn, LEDGER_BATCH, "id"), _columns(exp.batches)),
    )
    keys = {i: k for i, k in exp.keys.items() if part.holds(i)}  # adopted keys come with every batch
    last = (
        lambda: _by_key(
            "ledger_key",
            keys,
            _keyed(conn, LEDGER_KEY, "item_id", part.sql("item_id")),
            ("round_id", "ledger_no", "batch_id"),
        ),
    )
    checks = (*records, *items, *more, *last) if part.k == 0 else (*items, *last)
    for check in checks:
        found = check()
        if found is not None:
            return found
    return None


def _keyed(
    conn: Connection, table: sa.Table, key: str, where: str = ""
) -> Iterator[tuple[Any, Mapping[str, Any]]]:
    for row in _rows(conn, table, where=where):
        yield row[key], row


def _columns(rows: Mapping[Any, Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(next(iter(rows.values()), {}))


def _people(conn: Connection, exp: Expected) -> Disagreement | None:
    live = ((r["name"], r) for r in _rows(conn, PERSON))
    return _by_key("person", exp.people, live, ("roles", "department", "title", "email", "db_login"))


def _aspects(conn: Connection, exp: Expected) -> Disagreement | None:
    # Only the aspects with an entry of their own (ledger imports); a YAML import wrote none.
    audited = set(exp.aspects)
    live = ((k, r) for k, r in _keyed(conn, ASPECT, "id") if k in audited)
    return _by_key("aspect", exp.aspects, live, ("round_id", "number", "title", "position"))


def _measures(conn: Connection, exp: Expected, part: Part) -> Disagreement | None:
    live = (((r["item_id"], r["seq"]), r) for r in _rows(conn, MEASURE, where=part.sql("item_id")))
    return _by_key(
        "measure",
        exp.measures,
        live,
        ("text", "owner", "due", "done_on", "done_by"),
        lambda k: f"事项 {k[0]} 第 {k[1]} 项",
    )


def _blobs(conn: Connection, exp: Expected) -> Disagreement | None:
    """Every file an evidence row cites is stored, and its bytes still hash to its name."""
    cited = {e["file_sha256"]: e["size"] for rows in exp.evidence.values() for e in rows if e["file_sha256"]}
    if not cited:
        return None
    query = sa.select(BLOB.c.sha256, BLOB.c.size, BLOB.c.data).where(BLOB.c.sha256.in_(cited))
    for sha, size, data in conn.execute(query.order_by(BLOB.c.sha256)):
        if sha in cited:
            digest = hashlib.sha256(data).hexdigest()
            if digest != sha or len(data) != size:
                return Disagreement("blob", sha[:12] + "…", "data", sha, digest)
            del cited[sha]
    for sha in sorted(cited):
        return Disagreement("blob", sha[:12] + "…", "", PRESENT, ABSENT)
    return None
