"""A database made by the code before the restructure (tests/fixtures/legacy, see its scenario.py)
upgrades (`zhenggai db upgrade`), verifies and reads exactly as the old code read it; and today's code,
running the same steps, writes exactly the same rows — every audit payload byte for byte. (Entries now
also record when they were written, `recorded_at`, which is hashed: their hashes are new, the old
entries' hashes are unchanged.)

On PostgreSQL the old database is the plain-SQL dump the old code's database gave, loaded into a fresh
schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.backends import fresh_url
from tests.fixtures.legacy import legacy_url, scenario

OUTPUTS = Path(scenario.__file__).parent / "outputs"


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The old database (read only by these tests) and a folder to run in."""
    folder = tmp_path_factory.mktemp("legacy")
    url = legacy_url(folder)
    assert scenario.run(url, scenario.NOW, "-", ["db", "upgrade"], folder).startswith("数据库结构已是最新")
    return url, folder


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


def _written(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """An audit row without what depends on the hashes: the links, and the chain head a sign-off cites."""
    payload = json.loads(row[8])
    if "chain_head" in payload:
        payload["chain_head"] = payload["chain_head"][0]
    return (*row[:8], payload)


def test_todays_code_writes_the_same_rows_and_audit_entries(tmp_path: Path, in_empty_folder: Path) -> None:
    old = _tables(legacy_url(tmp_path))
    (tmp_path / "new").mkdir()
    url = fresh_url(tmp_path / "new")
    scenario.build(url, tmp_path / "new")
    new = _tables(url)
    assert sorted(new) == sorted(old)
    assert len(old["audit"]) == 86 and {r[4] for r in old["audit"]} >= {"ledger_batch", "reopen", "extend"}
    for name in old:
        if name == "audit":  # seq … payload as the old code wrote them; the links and hashes are new
            assert [_written(r) for r in new[name]] == [_written(r) for r in old[name]]
        elif name != "alembic_version":
            assert new[name] == old[name], name
    assert scenario.run(url, scenario.NOW, "-", ["audit", "verify"], tmp_path).startswith("审计链完整：86 条")
