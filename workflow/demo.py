"""The seed case end to end: import 太山镇's round, replay its dated events with the clock set to each
date, and report as of 2025-02-14 (3 problems, 3 measures, 2 completed, 1 in progress, 67%, 1 rule
revised). The report settings (contact line, signing unit) go to zhenggai.toml beside the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from states.lifecycle import BY_TRIGGER, INPUTS
from workflow import clock, db
from workflow.dates import parse_date
from workflow.db.tables.core import ITEM
from workflow.errors import InvalidInput
from workflow.intake import round_yaml
from workflow.items import actions, round_records

AS_OF = date(2025, 2, 14)


def example_path(name: str) -> Path:
    return Path(str(resources.files("workflow.examples").joinpath(name)))


def replay(engine: sa.Engine, events: list[dict[str, Any]]) -> int:
    """Apply events in order, each in its own transaction at its own moment. Returns how many.

    An event's `do` is a trigger of the transition table (its inputs are the event's keys of the same
    names), an action of the table with a replayer in REPLAYERS, or a record (rule, accountability)."""
    with db.reading(engine) as conn:
        ids = dict(conn.execute(sa.select(ITEM.c.number, ITEM.c.id)).all())
    for n, ev in enumerate(events):
        at = clock.parse_moment(str(ev["at"]))
        who, action = ev["as"], ev["do"]
        if action in RECORDS:  # records that may stand without an item
            with db.unit_of_work(engine) as conn:
                RECORDS[action](conn, ev, who, at, _item(ids, ev, n) if "item" in ev else None)
            continue
        item_id = _item(ids, ev, n)
        with db.unit_of_work(engine) as conn:
            if action in BY_TRIGGER:
                actions.fire(conn, item_id, action, who, at, **{i.name: ev.get(i.name) for i in INPUTS})
            elif action in REPLAYERS:
                REPLAYERS[action](conn, item_id, ev, who, at)
            else:
                raise InvalidInput(f"events[{n}].do: 未知事件 {action!r}")
    return len(events)


Replayer = Callable[[sa.Connection, int, dict[str, Any], str, datetime], object]


def _progress(conn: sa.Connection, item_id: int, ev: dict[str, Any], who: str, at: datetime) -> object:
    return actions.add_progress(
        conn, item_id, who, at, on=parse_date(ev["on"]), text=ev["text"], when_text=ev.get("when")
    )


def _evidence(conn: sa.Connection, item_id: int, ev: dict[str, Any], who: str, at: datetime) -> object:
    return actions.attach_evidence(
        conn, item_id, who, at, kind=ev["kind"], ref=ev.get("ref"), note=ev.get("note")
    )


def _measure_done(conn: sa.Connection, item_id: int, ev: dict[str, Any], who: str, at: datetime) -> object:
    return actions.complete_measure(conn, item_id, int(ev["measure"]), who, at, on=clock.local_today(at))


# The table's actions (states.lifecycle.ACTIONS) an event file may name: their own use cases.
REPLAYERS: dict[str, Replayer] = {"progress": _progress, "evidence": _evidence, "measure_done": _measure_done}


def _item(ids: dict[str, int], ev: dict[str, Any], n: int) -> int:
    try:
        return ids[str(ev["item"])]
    except KeyError:
        raise InvalidInput(f"events[{n}].item: 没有编号为 {ev.get('item')!r} 的事项") from None


def _rule(conn: sa.Connection, ev: dict[str, Any], who: str, at: datetime, item_id: int | None) -> object:
    return round_records.add_rule(
        conn,
        who,
        at,
        title=ev["title"],
        kind=ev["kind"],
        issued_on=parse_date(ev["on"]),
        item_id=item_id,
        doc_ref=ev.get("doc"),
    )


def _accountability(
    conn: sa.Connection, ev: dict[str, Any], who: str, at: datetime, item_id: int | None
) -> object:
    return round_records.add_accountability(
        conn,
        who,
        at,
        person=ev["person"],
        measure=ev["measure"],
        decided_on=parse_date(ev["on"]),
        post=ev.get("post"),
        item_id=item_id,
        reason=ev.get("reason"),
    )


RECORDS: dict[str, Callable[[sa.Connection, dict[str, Any], str, datetime, int | None], object]] = {
    "rule": _rule,
    "accountability": _accountability,
}


def build(directory: Path, url: str | None = None) -> tuple[str, int]:
    """The demo in `directory`: a fresh SQLite file there, or the empty database at `url`.
    Returns the URL and the number of events replayed."""
    directory.mkdir(parents=True, exist_ok=True)
    if url is None:
        path = directory / "zhenggai.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = db.sqlite_url(path)
    engine = db.make_engine(url)
    db.create_schema(engine)
    data = round_yaml.load_file(example_path("taishan.yaml"))
    with db.unit_of_work(engine) as conn:
        round_yaml.import_round(conn, data, "镇整改办", clock.parse_moment("2024-10-14T16:00"))
    events = round_yaml.load_yaml(example_path("taishan_events.yaml").read_text(encoding="utf-8"))["events"]
    count = replay(engine, events)
    engine.dispose()
    # Running zhenggai inside `directory` picks up both the database and the report settings.
    (directory / "zhenggai.toml").write_text(
        example_path("taishan.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return url, count
