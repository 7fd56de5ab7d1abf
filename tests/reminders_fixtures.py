"""Fixtures and helpers for the reminder tests (kept apart from tests/conftest.py, which the core owns).

Test modules import what they use: `from tests.reminders_fixtures import rem_engine, ...`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from tests import backends
from tests.backends import fresh_url
from workflow import clock, db, demo
from workflow.db.tables.reminders import FIRING, MESSAGE, OUTBOX
from workflow.intake import round_yaml
from workflow.items import actions
from workflow.reminders import run as reminders_run
from workflow.reminders import settings as reminder_settings

OFFICE, LEADER, HANDLER, APPROVER = "镇整改办", "徐波", "规划办经办人", "县委巡察办"
DEPT = "村镇规划建设办公室"
IMPORTED_AT = "2024-10-14T16:00"


def at(text: str) -> datetime:
    """A local (Asia/Shanghai) moment as aware UTC."""
    return clock.parse_moment(text)


def local_nine(day: date) -> datetime:
    return clock.parse_moment(f"{day.isoformat()}T09:00")


def days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


# Only the deadline ladder, so a test sees just the reminders it is about.
QUIET: dict[str, Any] = {
    "weekly": {"enabled": False},
    "monthly": {"enabled": False},
    "revisit": {"enabled": False},
}


def make_settings(out: Path, **sections: Any) -> reminder_settings.Settings:
    """Settings with the file channel in `out`; `sections` are [reminders.X] tables, or `top` (keys of
    [reminders] itself), `channels`, `lights` or `report` (those tables)."""
    channels = {"file": {"dir": str(out)}, **sections.pop("channels", {})}
    top = sections.pop("top", {})
    others: dict[str, Any] = {name: sections.pop(name) for name in ("lights", "report") if name in sections}
    return reminder_settings.load({"reminders": {**top, **sections}, "channels": channels, **others})


def new_engine(path: Path) -> sa.Engine:
    engine = db.make_engine(fresh_url(path.parent, path.name), synchronous="OFF")
    backends.create_schema(engine)
    return engine


def import_seed(engine: sa.Engine) -> None:
    data = round_yaml.load_file(demo.example_path("taishan.yaml"))
    with db.unit_of_work(engine) as conn:
        round_yaml.import_round(conn, data, OFFICE, at(IMPORTED_AT))


def seed_events() -> list[dict[str, Any]]:
    text = demo.example_path("taishan_events.yaml").read_text(encoding="utf-8")
    events: list[dict[str, Any]] = yaml.safe_load(text)["events"]
    return events


def import_items(
    engine: sa.Engine, items: list[dict[str, Any]], *, name: str = "测试轮次", people: Any = None
) -> None:
    """A round of extra items (YAML shape), e.g. with chosen deadlines, recorded at IMPORTED_AT."""
    raw = {
        "round": {"name": name, "group": "测试巡察组", "unit": "测试单位", "feedback_date": "2024-10-14"},
        "people": people or [],
        "aspects": [{"number": "一", "title": "测试方面", "items": items}],
    }
    data = round_yaml.RoundFile.model_validate(raw)
    with db.unit_of_work(engine) as conn:
        round_yaml.import_round(conn, data, OFFICE, at(IMPORTED_AT))


def item_spec(number: str, deadline: str, **extra: Any) -> dict[str, Any]:
    return {
        "number": number,
        "title": f"测试问题{number}",
        "leader": LEADER,
        "department": DEPT,
        "handler": HANDLER,
        "deadline": deadline,
        "measures": [{"text": "整改措施"}],
        **extra,
    }


def fire(engine: sa.Engine, item_id: int, trigger: str, who: str, when: str, **kw: Any) -> None:
    with db.unit_of_work(engine) as conn:
        actions.fire(conn, item_id, trigger, who, at(when), **kw)


def start(engine: sa.Engine, item_id: int, when: str = "2024-10-21T10:00") -> None:
    fire(engine, item_id, "assign", OFFICE, when)
    fire(engine, item_id, "start", HANDLER, when)


def run(
    engine: sa.Engine, settings: reminder_settings.Settings, when: datetime | str
) -> reminders_run.RunResult:
    moment = at(when) if isinstance(when, str) else when
    with db.unit_of_work(engine) as conn:
        return reminders_run.run(conn, settings, moment)


def firings(engine: sa.Engine) -> list[dict[str, Any]]:
    with db.reading(engine) as conn:
        rows = conn.execute(sa.select(FIRING).order_by(FIRING.c.id)).all()
    return [
        {
            "rule": r.rule,
            "recipient": r.recipient,
            "scope": r.scope,
            "period": r.period,
            "day": clock.local_today(r.fired_at).isoformat(),
        }
        for r in rows
    ]


def keys(engine: sa.Engine) -> list[tuple[str, str, str, str]]:
    return [(f["rule"], f["recipient"], f["scope"], f["period"]) for f in firings(engine)]


def table_count(engine: sa.Engine, table: sa.Table) -> int:
    with db.reading(engine) as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def message_count(engine: sa.Engine) -> int:
    return table_count(engine, MESSAGE)


def outbox_rows(engine: sa.Engine) -> list[Any]:
    with db.reading(engine) as conn:
        return list(conn.execute(sa.select(OUTBOX).order_by(OUTBOX.c.id)).all())


@pytest.fixture
def rem_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    """An empty database with the whole schema."""
    engine = new_engine(tmp_path / "zhenggai.db")
    yield engine
    engine.dispose()


@pytest.fixture
def rem_seeded(rem_engine: sa.Engine) -> sa.Engine:
    """The seed round imported (three items, 已登记), nothing else done."""
    import_seed(rem_engine)
    return rem_engine


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "out"
