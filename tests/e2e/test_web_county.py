"""The county in the web (issue 10 §3 through issue 11's pages and API): a round of two towns in one
database; a town's clerk sees and acts on their own town only — the other town's item, its forms and
its API answer 404 exactly as an unknown id, and nothing is written — while the county office sees both
towns, filters the 台账 by unit and reads the roll-up by unit (page, downloads and API)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from openpyxl import load_workbook

from cli import cli
from tests.backends import fresh_url
from tests.conftest import Clock
from tests.e2e.test_county_cli import COUNTY, ROUND, TOWN_A, TOWN_B_HANDLER, _ledger
from tests.web_fixtures import PASSWORD, Server, csrf_of, login, start, stop
from workflow import clock, db
from workflow.accounts import passwords
from workflow.db.tables.core import AUDIT
from workflow.read.directory import people

TOWN_A_ITEMS, TOWN_B_ITEMS = {"1", "2", "3"}, {"4", "5"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("web-county")
    url = fresh_url(folder, "county.db")
    runner = CliRunner()

    def ok(*args: str) -> None:
        result = runner.invoke(cli, ["--db", url, "--now", "2024-10-20T10:00", "--as", COUNTY, *args])
        assert result.exit_code == 0, result.output

    ok("init", "--admin", COUNTY)
    new_round = ("--round", ROUND, "--group", "区委第二巡察组", "--feedback-date", "2024-10-14")
    ok("ledger", "import", str(_ledger(folder / "county.xlsx")), *new_round)
    ok("person", "add", TOWN_A, "--role", "office", "--unit", "城关镇")
    engine = db.make_engine(url)
    with db.unit_of_work(engine) as conn:
        for p in people(conn):
            passwords.set_password(
                conn, p["name"], PASSWORD, clock.parse_moment("2024-10-20T11:00"), must_change=False
            )
    tick = Clock("2025-02-14T10:00")
    base, running = start(url, tick)
    s = Server(base, url, tick, engine)
    try:
        yield s
    finally:
        s.close_clients()
        stop(running)
        running.app.state.web.engine.dispose()
        engine.dispose()


@pytest.fixture(autouse=True)
def _close_clients(server: Server) -> Iterator[None]:
    yield
    server.close_clients()


def _ids(html: str) -> set[str]:
    return set(re.findall(r'<a href="/items/(\d+)">', html))


def _trail(server: Server) -> int:
    with server.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(AUDIT)).scalar_one())


def _token(c: httpx.Client) -> str:
    made = c.post("/account/tokens", data={"csrf": csrf_of(c.get("/account").text), "label": "脚本"})
    found = re.search(r'<code id="new-token">([^<]+)</code>', made.text)
    assert found is not None, made.text[:500]
    return found.group(1)


def test_a_towns_clerk_gets_404_for_the_other_towns_item_its_forms_and_files(server: Server) -> None:
    c = login(server, TOWN_A)
    unknown = c.get("/items/999")
    assert unknown.status_code == 404
    other = c.get("/items/4")
    assert other.status_code == 404 and other.text == unknown.text.replace("999", "4")
    assert c.get("/items/1").status_code == 200
    for path in ("/items/4/signoff", "/items/4/evidence/1", "/audit?item=4"):
        assert c.get(path).status_code == 404, path
    csrf = csrf_of(c.get("/items/1").text)
    before = _trail(server)
    forms = {
        "/items/4/do/assign": {},
        "/items/4/progress": {"text": "越权填报"},
        "/items/4/extend": {"to": "2025-12-31", "reason": "越权延期"},
    }
    for path, fields in forms.items():
        # a stale version too: the answer is 404, never a 409 that would tell the item exists
        for version in ("1", "99"):
            r = c.post(path, data={"csrf": csrf, "version": version, **fields})
            assert r.status_code == 404, (path, version, r.text[:300])
    assert _trail(server) == before


def test_the_api_answers_a_towns_clerk_404_for_the_other_town(server: Server) -> None:
    raw = _token(login(server, TOWN_A))
    api = server.client()
    api.base_url = httpx.URL(server.url + "/api/v1")
    api.headers["Authorization"] = f"Bearer {raw}"
    before = _trail(server)
    unknown, other = api.get("/items/999"), api.get("/items/4")
    assert other.status_code == unknown.status_code == 404
    assert other.json()["detail"] == unknown.json()["detail"].replace("999", "4")
    for version in ("1", "99"):
        r = api.post("/items/4/progress", json={"text": "越权"}, headers={"If-Match": version})
        assert r.status_code == 404, r.text
    assert _trail(server) == before
    assert {str(r["id"]) for r in api.get("/items").json()} == TOWN_A_ITEMS
    assert api.get("/items", params={"unit": "河口镇"}).json() == []
    assert {p["unit"] for p in api.get("/people").json()} <= {None, "城关镇"}
    rollup = api.get("/reports/rollup", params={"as_of": "2025-02-14"}).json()
    assert [r["unit"] for r in rollup["rows"]] == ["城关镇"] and rollup["totals"]["problems"] == 3
    assert api.get("/reports/public", params={"unit": "河口镇"}).status_code == 404
    documented = api.get("/openapi.json").json()["paths"]["/reports/rollup"]["get"]["parameters"]
    assert {p["name"] for p in documented} == {"as_of", "round"}


def test_a_towns_clerk_sees_only_their_town_in_the_ledger_todo_and_people(server: Server) -> None:
    c = login(server, TOWN_A)
    assert _ids(c.get("/ledger").text) == TOWN_A_ITEMS
    assert _ids(c.get("/ledger", params={"unit": "河口镇"}).text) == set()
    todo = _ids(c.get("/").text)
    assert todo and todo <= TOWN_A_ITEMS
    admin = c.get("/admin").text
    assert TOWN_B_HANDLER not in admin and "城关经办人" in admin
    assert "河口镇" not in c.get("/board").text
    log = c.get("/audit").text
    assert "/items/4" not in log and "/items/5" not in log


def test_the_county_office_sees_both_towns_and_filters_by_unit(server: Server) -> None:
    c = login(server, COUNTY)
    assert _ids(c.get("/ledger").text) == TOWN_A_ITEMS | TOWN_B_ITEMS
    page = c.get("/ledger", params={"unit": "河口镇"}).text
    assert _ids(page) == TOWN_B_ITEMS and '<option value="河口镇" selected>' in page
    assert _ids(c.get("/").text) & TOWN_B_ITEMS
    assert c.get("/items/4").status_code == 200
    sheet = c.get("/ledger.xlsx", params={"unit": "河口镇"})
    cells = str(
        [list(r) for r in load_workbook(io.BytesIO(sheet.content)).worksheets[0].iter_rows(values_only=True)]
    )
    assert "河口镇长" in cells and "城关镇长" not in cells
    report = c.get("/reports", params={"kind": "public", "unit": "河口镇", "as_of": "2025-02-14"})
    assert report.status_code == 200 and "河口镇" in report.text


def test_the_rollup_page_by_unit_and_its_downloads(server: Server, tmp_path: Path) -> None:
    from workflow.reports.document import docx_text

    c = login(server, COUNTY)
    page = c.get("/rollup", params={"as_of": "2025-02-14"})
    assert page.status_code == 200
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td>", page.text)
    assert sorted(rows) == [("城关镇", "3"), ("河口镇", "2")]
    md = c.get("/rollup.md", params={"as_of": "2025-02-14", "round": ROUND})
    assert md.status_code == 200 and "| 合计 | 5 |" in md.text.replace("  ", " ")
    docx = c.get("/rollup.docx", params={"as_of": "2025-02-14"})
    (tmp_path / "r.docx").write_bytes(docx.content)
    assert "本轮共巡察2个单位，反馈问题5个" in "".join(docx_text(tmp_path / "r.docx"))
    xlsx = load_workbook(io.BytesIO(c.get("/rollup.xlsx", params={"as_of": "2025-02-14"}).content))
    assert "城关镇" in str([list(r) for r in xlsx.worksheets[0].iter_rows(values_only=True)])
    town = login(server, TOWN_A).get("/rollup", params={"as_of": "2025-02-14"}).text
    assert "城关镇" in town and "河口镇" not in town


def test_the_office_sees_each_persons_unit_and_only_the_county_moves_people(server: Server) -> None:
    county = login(server, COUNTY)
    page = county.get("/admin").text
    assert re.search(rf"<td>{TOWN_A}</td>(<td>[^<]*</td>){{4}}<td>城关镇</td>", page)
    assert re.search(rf"<td>{COUNTY}</td>(<td>[^<]*</td>){{4}}<td>县级</td>", page)
    units = re.findall(rf"<tr><td>{ROUND}</td><td>([^<]+)</td></tr>", page)
    assert sorted(units) == ["城关镇", "河口镇"]
    r = county.post("/admin/people", data={"csrf": csrf_of(page), "name": "借调人员", "roles": "handler"})
    assert r.status_code == 303
    r = county.post("/admin/people/edit", data={"csrf": csrf_of(page), "name": "借调人员", "unit": "=河口镇"})
    assert r.status_code == 303
    assert re.search(r"<td>借调人员</td>(<td>[^<]*</td>){4}<td>河口镇</td>", county.get("/admin").text)
    town = login(server, TOWN_A)
    page = town.get("/admin").text
    assert "只有县级整改办可以改变人员所属的被巡察单位" in page
    before = _trail(server)
    r = town.post("/admin/people/edit", data={"csrf": csrf_of(page), "name": "城关经办人", "unit": "=河口镇"})
    assert r.status_code == 403 and "不能改变人员所属的被巡察单位" in r.text
    assert _trail(server) == before
    assert re.search(r"<td>城关经办人</td>(<td>[^<]*</td>){4}<td>城关镇</td>", town.get("/admin").text)
