"""Fixtures and builders for the ledger and report tests: the seed case built once, a blank database
with an office user, and ledgers written on the fly (the broken-ledger corpus is generated, not stored).

Test modules import what they use: `from tests.ledger_fixtures import demo_engine, ...`.
"""

from __future__ import annotations

import csv
import shutil
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests import backends
from tests.backends import BACKEND, fresh_url
from workflow import clock, db, demo
from workflow.intake.ledger import apply, plan, workbook
from workflow.items import people
from workflow.reports import settings as report_settings

OFFICE = "镇整改办"
ADMIN = "办公室"  # the office user of a blank database
HEADER = (
    "序号",
    "问题类别",
    "问题描述",
    "典型表现",
    "整改措施",
    "责任领导",
    "责任部门",
    "配合单位",
    "责任人",
    "整改时限",
    "整改进展",
    "完成情况",
)


def engine_for(path: Path) -> sa.Engine:
    """An engine on the SQLite file `path`, or on a fresh PostgreSQL schema when testing PostgreSQL."""
    url = db.sqlite_url(path) if BACKEND == "sqlite" else fresh_url(path.parent, path.name)
    return db.make_engine(url, synchronous="OFF")


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed case (demo) built once per session; copy it before changing anything."""
    directory = tmp_path_factory.mktemp("demo")
    demo.build(directory)
    return directory


@pytest.fixture
def demo_engine(demo_dir: Path, tmp_path: Path) -> Iterator[sa.Engine]:
    """A private copy of the seed case database."""
    if BACKEND != "sqlite":  # no file to copy: build it again in a schema of its own
        url = fresh_url(tmp_path)
        demo.build(tmp_path / "demo", url)
        engine = db.make_engine(url, synchronous="OFF")
        yield engine
        engine.dispose()
        return
    for suffix in ("", "-wal"):  # the -wal file exists only if the builder left one
        if (demo_dir / f"zhenggai.db{suffix}").exists():
            shutil.copy(demo_dir / f"zhenggai.db{suffix}", tmp_path / f"demo.db{suffix}")
    engine = engine_for(tmp_path / "demo.db")
    yield engine
    engine.dispose()


@pytest.fixture
def blank_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    """An empty database with one office user, ADMIN."""
    engine = engine_for(tmp_path / "blank.db")
    backends.create_schema(engine)
    with db.unit_of_work(engine) as conn:
        people.add_person(
            conn, None, clock.parse_moment("2024-10-14T09:00"), name=ADMIN, roles="office", bootstrap=True
        )
    yield engine
    engine.dispose()


def demo_settings() -> report_settings.Settings:
    """The seed's [report] settings, as the demo writes them."""
    return report_settings.load(tomllib.loads(demo.example_path("taishan.toml").read_text(encoding="utf-8")))


def row(n: int, **cells: Any) -> dict[str, Any]:
    """One plausible ledger row keyed by header; override any cell by its header."""
    values: dict[str, Any] = {
        "序号": n,
        "问题类别": "一、违法违规占用耕地",
        "问题描述": f"问题{n}概括。问题{n}的具体描述。",
        "典型表现": f"典型表现{n}",
        "整改措施": "1. 立即整改\n2. 全面排查",
        "责任领导": "徐波",
        "责任部门": "村镇规划建设办公室",
        "配合单位": "",
        "责任人": "规划办经办人",
        "整改时限": "2024-12-31",
        "整改进展": "",
        "完成情况": "正在推进",
    }
    values.update(cells)
    return values


def write_xlsx(
    path: Path,
    rows: Sequence[dict[str, Any]],
    header: Sequence[str] = HEADER,
    *,
    title: str | None = "整改台账",
    merges: Sequence[str] = (),
    fast: bool = False,
) -> Path:
    """A ledger workbook: an optional merged title row, the header, the rows; `fast` for big sheets."""
    from openpyxl import Workbook

    book = Workbook(write_only=fast)
    sheet = book.create_sheet("台账") if fast else book.active
    assert sheet is not None
    if not fast:
        sheet.title = "台账"
    if title:
        sheet.append([title])
    sheet.append(list(header))
    for r in rows:
        sheet.append([r.get(h) for h in header])
    for ref in merges:
        sheet.merge_cells(ref)
    book.save(path)
    return path


def write_csv(
    path: Path, rows: Sequence[dict[str, Any]], header: Sequence[str] = HEADER, encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        out = csv.writer(f)
        out.writerow(header)
        out.writerows([[r.get(h, "") for h in header] for r in rows])
    return path


def audit_count(engine: sa.Engine) -> int:
    with db.reading(engine) as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM audit")).scalar_one())


NEW_ROUND = {"group_name": "县委第一巡察组", "unit": "中共某镇委员会", "feedback_date": "2024-10-14"}


def import_ledger(
    engine: sa.Engine,
    path: Path,
    *,
    who: str = ADMIN,
    at: str = "2025-01-10T10:00",
    encoding: str | None = None,
    round_name: str | None = "测试轮次",
    new_round: dict[str, str] | None = None,
) -> apply.Summary:
    """The CLI's import path without the CLI: load, check against the database, write."""
    now = clock.parse_moment(at)
    table = workbook.load(path, encoding=encoding)
    with db.unit_of_work(engine) as conn:
        target = plan.target_round(
            conn, table.meta, round_name, **(NEW_ROUND if new_round is None else new_round)
        )
        planned = plan.prepare(conn, table, target, who, today=clock.local_today(now))
        return apply.apply(conn, planned, now)
