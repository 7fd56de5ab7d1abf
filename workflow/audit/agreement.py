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
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.audit.replay import ABSENT, ITEM_COLUMNS, PRESENT, Disagreement, Expected, day, moment
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
_MOMENTS = frozenset({"closed_at", "created_at", "updated_at"})


def _plain(column: str, value: Any) -> Any:
    if column in _DAYS:
        return day(value)
    if column in _MOMENTS:
        return moment(value)
    return value


def _rows(conn: Connection, query: sa.Select[Any]) -> Iterator[Mapping[str, Any]]:
    for row in conn.execute(query):
        yield dict(row._mapping)


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


def compare(conn: Connection, exp: Expected) -> Disagreement | None:
    """The first difference between the live tables and the replayed trail, or None."""
    checks = (
        lambda: _people(conn, exp),
        lambda: _by_key("round", exp.rounds, _keyed(conn, ROUND, "id"), _columns(exp.rounds)),
        lambda: _aspects(conn, exp),
        lambda: _by_key("item", exp.items, _keyed(conn, ITEM, "id"), ITEM_COLUMNS),
        lambda: _measures(conn, exp),
        lambda: _listed(
            "progress",
            exp.progress,
            _rows(conn, sa.select(PROGRESS).order_by(PROGRESS.c.id)),
            ("on", "when_text", "text", "actor", "created_at"),
        ),
        lambda: _listed(
            "evidence",
            exp.evidence,
            _rows(conn, sa.select(EVIDENCE).order_by(EVIDENCE.c.id)),
            ("id", "kind", "ref", "file_sha256", "file_name", "size", "note", "actor", "created_at", "hash"),
        ),
        lambda: _blobs(conn, exp),
        lambda: _by_key("rule", exp.rules, _keyed(conn, RULE, "id"), _columns(exp.rules)),
        lambda: _by_key(
            "accountability",
            exp.accountability,
            _keyed(conn, ACCOUNTABILITY, "id"),
            _columns(exp.accountability),
        ),
        lambda: _by_key("ledger_batch", exp.batches, _keyed(conn, LEDGER_BATCH, "id"), _columns(exp.batches)),
        lambda: _by_key(
            "ledger_key", exp.keys, _keyed(conn, LEDGER_KEY, "item_id"), ("round_id", "ledger_no", "batch_id")
        ),
    )
    for check in checks:
        found = check()
        if found is not None:
            return found
    return None


def _keyed(conn: Connection, table: sa.Table, key: str) -> Iterator[tuple[Any, Mapping[str, Any]]]:
    for row in _rows(conn, sa.select(table)):
        yield row[key], row


def _columns(rows: Mapping[Any, Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(next(iter(rows.values()), {}))


def _people(conn: Connection, exp: Expected) -> Disagreement | None:
    live = ((r["name"], r) for r in _rows(conn, sa.select(PERSON)))
    return _by_key("person", exp.people, live, ("roles", "department", "title", "email", "db_login"))


def _aspects(conn: Connection, exp: Expected) -> Disagreement | None:
    # Only the aspects with an entry of their own (ledger imports); a YAML import wrote none.
    audited = set(exp.aspects)
    live = ((k, r) for k, r in _keyed(conn, ASPECT, "id") if k in audited)
    return _by_key("aspect", exp.aspects, live, ("round_id", "number", "title", "position"))


def _measures(conn: Connection, exp: Expected) -> Disagreement | None:
    live = (((r["item_id"], r["seq"]), r) for r in _rows(conn, sa.select(MEASURE)))
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
    for sha, size, data in conn.execute(
        sa.select(BLOB.c.sha256, BLOB.c.size, BLOB.c.data).order_by(BLOB.c.sha256)
    ):
        if sha in cited:
            digest = hashlib.sha256(data).hexdigest()
            if digest != sha or len(data) != size:
                return Disagreement("blob", sha[:12] + "…", "data", sha, digest)
            del cited[sha]
    for sha in sorted(cited):
        return Disagreement("blob", sha[:12] + "…", "", PRESENT, ABSENT)
    return None
