"""Shared fixtures: a real SQLite file per test, the seed round imported, a settable clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from workflow import clock, db, importer
from workflow.demo import example_path

OFFICE, LEADER, HANDLER, APPROVER, AUDITOR = "镇整改办", "徐波", "规划办经办人", "县委巡察办", "审计员"


class Clock:
    """A clock the test moves by hand; every use case takes its `now`."""

    def __init__(self, start: str = "2024-10-21T09:00") -> None:
        self.moment = clock.parse_moment(start)

    def __call__(self) -> datetime:
        return self.moment

    def set(self, text: str) -> datetime:
        self.moment = clock.parse_moment(text)
        return self.moment


@pytest.fixture
def tick() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "zhenggai.db"


@pytest.fixture
def engine(db_path: Path) -> Iterator[sa.Engine]:
    eng = db.make_engine(db.sqlite_url(db_path), synchronous="NORMAL")
    db.create_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def seeded(engine: sa.Engine) -> sa.Engine:
    """The seed round imported (three items in 已登记), nothing else done."""
    data = importer.load_file(example_path("taishan.yaml"))
    with db.unit_of_work(engine) as conn:
        importer.import_round(conn, data, OFFICE, clock.parse_moment("2024-10-14T16:00"))
    return engine
