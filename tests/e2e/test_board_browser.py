"""The board page in a real headless Chromium (Debian's `chromium`): it draws, its numbers are the
database's, it needs no network, and a screenshot is kept as an artefact (build/artefacts/board.png,
or $ZHENGGAI_ARTEFACTS). Skipped where Chromium is missing, except in CI, where it must be there."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.ledger_fixtures import demo_dir, engine_for
from workflow import db
from workflow.db.tables.core import ITEM
from workflow.reports import board, board_page

pytestmark = pytest.mark.sqlite_only  # renders the session's SQLite demo

__all__ = ["demo_dir"]

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2025, 2, 20)  # after every event of the seed: one item overdue since 02-14


def _chromium() -> str:
    found = next(
        (p for n in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(n))), None
    )
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(
                "CI must have Chromium (apt-get install chromium): the board test may not be skipped there"
            )
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return found


def _browse(page: Path, profile: Path, *args: str) -> str:
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",  # root in CI
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # the page must not need the network; make sure it gets none
        "--virtual-time-budget=5000",
        *args,
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class _Dom(HTMLParser):
    """The parts of the rendered page the test reads: totals, chart lines and bars, the body flag."""

    def __init__(self) -> None:
        super().__init__()
        self.totals: dict[str, str] = {}
        self.lines: dict[str, str] = {}
        self.bars: dict[tuple[str, str], str] = {}
        self.rendered = False
        self._key: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "body":
            self.rendered = a.get("data-rendered") == "1"
        elif tag == "dd":
            self._key = a.get("data-key")
        elif tag == "path" and "data-series" in a:
            self.lines[a["data-series"]] = a["data-last"]
        elif tag == "rect" and "data-department" in a:
            self.bars[(a["data-department"], a["data-part"])] = a["data-value"]

    def handle_data(self, data: str) -> None:
        if self._key is not None:
            self.totals[self._key] = data.strip()
            self._key = None


def test_the_board_page_draws_the_databases_numbers_in_chromium(demo_dir: Path, tmp_path: Path) -> None:
    engine = engine_for(demo_dir / "zhenggai.db")
    with db.reading(engine) as conn:
        data = board.data(conn, AS_OF)
        # Independent of the board's own code: today's columns (nothing happened after AS_OF).
        rows = conn.execute(
            sa.select(ITEM.c.department, ITEM.c.state, ITEM.c.deadline_kind, ITEM.c.deadline)
        ).all()
    engine.dispose()
    page = tmp_path / "board.html"
    page.write_text(board_page.page(data), encoding="utf-8")
    html = page.read_text(encoding="utf-8")
    assert re.search(r"\b(src|href)\s*=", html) is None and "default-src 'none'" in html

    dom = _Dom()
    dom.feed(_browse(page, tmp_path / "profile", "--dump-dom"))
    assert dom.rendered, "the script did not finish drawing"
    done = [r for r in rows if r.state in ("closed", "revisited")]
    late = [r for r in rows if r not in done and r.deadline_kind == "date" and r.deadline < AS_OF]
    assert dom.totals["problems"] == str(len(rows)) == "3"
    assert (dom.totals["completed"], dom.totals["overdue"], dom.totals["completion_rate"]) == (
        str(len(done)),
        str(len(late)),
        "67%",
    )
    assert dom.lines == {
        "open": str(len(rows) - len(done)),
        "closed": str(len(done)),
        "overdue": str(len(late)),
    }
    department = rows[0].department
    assert dom.bars == {(department, "completed"): str(len(done)), (department, "late"): str(len(late))}

    artefacts = Path(os.environ.get("ZHENGGAI_ARTEFACTS", ROOT / "build" / "artefacts"))
    artefacts.mkdir(parents=True, exist_ok=True)
    shot = artefacts / "board.png"
    shot.unlink(missing_ok=True)
    _browse(
        page, tmp_path / "profile", "--hide-scrollbars", "--window-size=1280,1400", f"--screenshot={shot}"
    )
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1280, 1400)
    assert len(png) > 20_000  # a blank page compresses to a few kilobytes


HOSTILE = "<!--<script>alert(1)</script></script><img src=x onerror=alert(2)>"


def test_a_department_named_like_markup_is_drawn_as_its_text(demo_dir: Path, tmp_path: Path) -> None:
    engine = engine_for(demo_dir / "zhenggai.db")
    with db.reading(engine) as conn:
        data = board.data(conn, AS_OF)
    engine.dispose()
    for row in (*data["departments"], *data["groups"], *data["attention"]):
        row["department"] = HOSTILE
    page = tmp_path / "board.html"
    page.write_text(board_page.page(data), encoding="utf-8")
    assert "<!--" not in page.read_text(encoding="utf-8")  # nothing of it is markup in the page source
    dom = _Dom()
    dom.feed(_browse(page, tmp_path / "profile", "--dump-dom"))
    assert dom.rendered, "the embedded data broke the page's script"
    assert {department for department, _part in dom.bars} == {HOSTILE}
