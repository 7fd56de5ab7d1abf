"""A database made by the code before the restructure (tests/fixtures/legacy, see its scenario.py) still
opens, verifies and reads exactly as the old code read it; and today's code, running the same steps,
writes exactly the same rows — every audit payload byte for byte, so every hash the same.

On PostgreSQL the old database is the plain-SQL dump the old code's database gave, loaded into a fresh
schema."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.backends import BACKEND, fresh_url
from tests.fixtures.legacy import scenario

FIXTURE = Path(scenario.__file__).parent
OUTPUTS = FIXTURE / "outputs"


def _load_dump(url: str) -> None:
    """Load the old code's PostgreSQL dump into the (empty) schema that `url` searches."""
    options = sa.make_url(url).query["options"]
    assert isinstance(options, str)
    schema = options.removeprefix("-csearch_path=")
    text = (FIXTURE / "legacy-postgresql.sql").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("\\")]  # psql meta-commands
    text = "\n".join(lines).replace("CREATE SCHEMA legacy;", "")
    text = re.sub(r"\blegacy\.", f'"{schema}".', text)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute(text)  # type: ignore[union-attr]  # no parameters: '%' is text
        raw.commit()
    finally:
        raw.close()
    engine.dispose()


def _legacy_url(folder: Path) -> str:
    if BACKEND == "sqlite":
        shutil.copy(FIXTURE / "legacy.db", folder / "legacy.db")
        return f"sqlite:///{folder / 'legacy.db'}"
    url = fresh_url(folder)
    _load_dump(url)
    return url


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The old database (read only by these tests) and a folder to run in."""
    folder = tmp_path_factory.mktemp("legacy")
    return _legacy_url(folder), folder


@pytest.fixture
def in_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no zhenggai.toml of the caller's
    return tmp_path


def test_the_old_database_verifies(legacy: tuple[str, Path], in_empty_folder: Path) -> None:
    url, folder = legacy
    out = scenario.run(url, scenario.NOW, "-", ["audit", "verify"], folder)
    assert out.startswith("审计链完整：86 条")


@pytest.mark.parametrize("line", scenario.READS, ids=[line.split()[0] for line in scenario.READS])
def test_todays_code_reads_the_old_database_as_the_old_code_did(
    legacy: tuple[str, Path], in_empty_folder: Path, line: str
) -> None:
    url, folder = legacy
    name, output = scenario.read_one(url, line, folder)
    assert output == (OUTPUTS / name).read_text(encoding="utf-8")


def _tables(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    metadata = sa.MetaData()
    with engine.connect() as conn:
        metadata.reflect(conn)
        out = {
            name: [
                tuple(row)
                for row in conn.execute(
                    sa.select(table).order_by(*(table.primary_key.columns or table.columns))
                )
            ]
            for name, table in metadata.tables.items()
        }
    engine.dispose()
    return out


def test_todays_code_writes_the_same_rows_and_audit_entries(tmp_path: Path, in_empty_folder: Path) -> None:
    old = _tables(_legacy_url(tmp_path))
    (tmp_path / "new").mkdir()
    url = fresh_url(tmp_path / "new")
    scenario.build(url, tmp_path / "new")
    new = _tables(url)
    assert sorted(new) == sorted(old)
    assert len(old["audit"]) == 86 and {r[4] for r in old["audit"]} >= {"ledger_batch", "reopen", "extend"}
    for name in old:
        assert new[name] == old[name], name
