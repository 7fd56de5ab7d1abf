"""Shared fixtures: a real SQLite file per test, the seed round imported, a settable clock."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests import backends
from workflow import clock, db
from workflow.audit import verify
from workflow.demo import example_path
from workflow.intake import round_yaml

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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, leave out what is about SQLite files themselves (marked sqlite_only)."""
    if backends.BACKEND == "sqlite":
        return
    keep = [item for item in items if item.get_closest_marker("sqlite_only") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


@pytest.fixture(autouse=True)
def _dispose_engines(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close every engine a test made (directly, through a fixture or the in-process CLI): a
    PostgreSQL connection left to the garbage collector warns in whichever test runs next."""
    made: list[sa.Engine] = []
    original = db.make_engine

    def tracked(*args: Any, **kwargs: Any) -> sa.Engine:
        engine = original(*args, **kwargs)
        made.append(engine)
        return engine

    monkeypatch.setattr(db, "make_engine", tracked)
    yield
    for engine in made:
        engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_database() -> Iterator[None]:
    yield
    backends.drop_session_database()


@pytest.fixture
def tick() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "zhenggai.db"


@pytest.fixture
def engine(db_path: Path) -> Iterator[sa.Engine]:
    eng = db.make_engine(backends.fresh_url(db_path.parent, db_path.name), synchronous="NORMAL")
    backends.create_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def seeded(engine: sa.Engine) -> sa.Engine:
    """The seed round imported (three items in 已登记), nothing else done."""
    data = round_yaml.load_file(example_path("taishan.yaml"))
    with db.unit_of_work(engine) as conn:
        round_yaml.import_round(conn, data, OFFICE, clock.parse_moment("2024-10-14T16:00"))
    return engine


@pytest.fixture(params=["processes", "threads"])
def parallel_verify(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """`verify_engine` takes its parallel path whatever the log's size: in forked processes, as it
    runs, and in threads of the test's own process — the same ranges and parts, where a mutation tool
    (which plants its mutant in the test process only) can see the workers' code."""
    monkeypatch.setattr(verify, "PARALLEL_MIN", 1)
    if request.param == "threads":
        monkeypatch.setattr(verify, "_pool", ThreadPoolExecutor)
    return str(request.param)
