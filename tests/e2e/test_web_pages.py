"""Every page over real HTTP, as the person it is for: 台账 (filters, paging, .xlsx), 报告 (preview,
.md and .docx), 台账导入 (dry run with its cell errors, then confirm), 审计 (log, verify, sign-off
sheet), 管理 (add a person, reset a password: a change is forced at the next login), the web inbox
of reminders, and the office-only pages refused to others."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.conftest import APPROVER, AUDITOR, HANDLER, OFFICE
from tests.ledger_fixtures import row, write_csv
from tests.web_fixtures import PASSWORD, Server, csrf_of, login, serve
from workflow import clock, config, db
from workflow.db.tables.core import ITEM
from workflow.items import actions
from workflow.reminders import run as reminders
from workflow.reminders import settings as reminder_settings
from workflow.reports.document import docx_text


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("web-pages")
    toml = folder / "zhenggai.toml"
    toml.write_text("[web]\nidle_minutes = 100000\n\n[channels.web]\nenabled = true\n", encoding="utf-8")
    for s in serve(folder, toml):
        with db.unit_of_work(s.engine) as conn:
            actions.fire(conn, 1, "assign", OFFICE, clock.parse_moment("2024-10-21T09:00"))
        s.tick.set("2024-10-21T10:00")
        yield s


@pytest.fixture(autouse=True)
def _close_clients(server: Server) -> Iterator[None]:
    yield
    server.close_clients()


def _ids(html: str) -> list[str]:
    return re.findall(r'<a href="/items/(\d+)">', html)


def test_the_ledger_filters_sorts_pages_and_exports(server: Server) -> None:
    c = login(server, AUDITOR)
    assert len(_ids(c.get("/ledger").text)) == 3
    assert _ids(c.get("/ledger", params={"state": "assigned"}).text) == ["1"]
    assert _ids(c.get("/ledger", params={"q": "撂荒"}).text) == ["2"]
    assert _ids(
        c.get(
            "/ledger",
            params={"dept": "村镇规划建设办公室", "leader": "徐波", "sort": "number", "desc": "true"},
        ).text
    ) == ["3", "2", "1"]
    assert _ids(c.get("/ledger", params={"within": "80"}).text) == ["1", "2"]  # due 2024-12-31, not 02-14
    assert _ids(c.get("/ledger", params={"overdue": "true"}).text) == []
    assert _ids(c.get("/ledger", params={"colour": "red"}).text) == []
    assert len(_ids(c.get("/ledger", params={"category": "一"}).text)) == 3
    unknown = c.get("/ledger", params={"category": "无此类别"})
    assert unknown.status_code == 422 and "没有编号或标题为" in unknown.text
    assert "第 1 / 1 页" in c.get("/ledger").text
    sheet = c.get("/ledger.xlsx", params={"as_of": "2024-10-21"})
    assert sheet.status_code == 200
    book = load_workbook(io.BytesIO(sheet.content))
    assert "新增违法占地禁而不绝" in str([list(r) for r in book.worksheets[0].iter_rows(values_only=True)])


def test_reports_preview_and_download(server: Server, tmp_path: Path) -> None:
    c = login(server, APPROVER)
    page = c.get("/reports", params={"kind": "weekly", "as_of": "2024-10-25"})
    assert page.status_code == 200 and 'id="report"' in page.text
    md = c.get("/reports/public.md", params={"as_of": "2024-10-25"})
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    docx = c.get("/reports/monthly.docx", params={"as_of": "2024-10-31"})
    (tmp_path / "r.docx").write_bytes(docx.content)
    assert docx_text(tmp_path / "r.docx")


def test_a_ledger_import_shows_every_cell_error_then_imports_all_or_nothing(
    server: Server, tmp_path: Path
) -> None:
    c = login(server, OFFICE)
    bad = write_csv(tmp_path / "台账.csv", [row(21), row(22, 整改时限="明天吧")])
    r = c.post(
        "/import",
        data={"csrf": csrf_of(c.get("/import").text)},
        files={"file": ("台账.csv", bad.read_bytes())},
    )
    assert r.status_code == 200 and 'id="problems"' in r.text and "明天吧" in r.text
    assert 'action="/import/confirm"' not in r.text
    good = write_csv(tmp_path / "好台账.csv", [row(21), row(22)])
    r = c.post("/import", data={"csrf": csrf_of(r.text)}, files={"file": ("好台账.csv", good.read_bytes())})
    assert 'id="dry-run"' in r.text and "将新增 2 项" in r.text
    with db.reading(server.engine) as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar_one()
    token = re.search(r'name="token" value="([0-9a-f]{64})"', r.text)
    assert token is not None
    done = c.post("/import/confirm", data={"csrf": csrf_of(r.text), "token": token.group(1)})
    assert 'id="imported"' in done.text
    with db.reading(server.engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar_one() == before + 2
    assert login(server, HANDLER).get("/import").status_code == 403


def test_the_audit_page_verifies_and_the_sign_off_sheet_prints(server: Server) -> None:
    c = login(server, AUDITOR)
    page = c.get("/audit", params={"verify": "true"})
    assert 'id="verdict" class="ok"' in page.text and "审计链完整" in page.text
    assert "assign" in c.get("/audit", params={"item": "1"}).text
    assert c.get("/items/2/signoff").status_code == 404  # not signed off


def test_the_office_adds_a_person_and_a_reset_forces_a_change(server: Server) -> None:
    office = login(server, OFFICE)
    admin = office.get("/admin").text
    added = office.post(
        "/admin/people",
        data={"csrf": csrf_of(admin), "name": "新经办人", "roles": "handler", "dept": "镇政府"},
    )
    assert added.status_code == 303
    reset = office.post(
        "/admin/people/password", data={"csrf": csrf_of(admin), "name": "新经办人", "password": "temporary-1"}
    )
    assert reset.status_code == 303
    newcomer = login(server, "新经办人", "temporary-1")
    assert newcomer.get("/").headers["location"] == "/password"  # nothing else until it is changed
    form = newcomer.get("/password").text
    assert "已由整改办重置" in form
    changed = newcomer.post(
        "/password",
        data={"csrf": csrf_of(form), "old": "temporary-1", "new": "my-own-pass-9", "again": "my-own-pass-9"},
    )
    assert changed.status_code == 303
    newcomer.cookies.clear()
    newcomer.cookies.set("zg_session", str(changed.cookies.get("zg_session")))
    assert newcomer.get("/").status_code == 200
    assert login(server, "新经办人", "my-own-pass-9").get("/").status_code == 200
    assert login(server, HANDLER).get("/admin").status_code == 403
    refused = login(server, HANDLER)
    r = refused.post(
        "/admin/people/password",
        data={"csrf": csrf_of(refused.get("/").text), "name": OFFICE, "password": "hijacked-1"},
    )
    assert r.status_code == 403 and "重置口令" in r.text
    assert login(server, OFFICE, PASSWORD).get("/").status_code == 200
    # Edited, then deactivated: the open session ends and no login works any more.
    admin = office.get("/admin").text
    edit = {"csrf": csrf_of(admin), "name": "新经办人", "roles": ["handler", "leader"], "title": "副主任"}
    assert office.post("/admin/people/edit", data=edit).status_code == 303
    assert "handler,leader" in office.get("/admin").text or "leader,handler" in office.get("/admin").text
    assert newcomer.get("/").status_code == 200
    off = office.post(
        "/admin/people/deactivate", data={"csrf": csrf_of(admin), "name": "新经办人", "reason": "调离"}
    )
    assert off.status_code == 303 and "已停用" in office.get("/admin").text
    assert newcomer.get("/").headers["location"] == "/login"
    again = server.client()
    page = again.get("/login")
    r = again.post(
        "/login", data={"name": "新经办人", "password": "my-own-pass-9", "csrf": csrf_of(page.text)}
    )
    assert r.status_code == 401  # as a wrong password: nothing said about who exists


def test_reminders_land_in_the_web_inbox_until_read(server: Server) -> None:
    settings = reminder_settings.load(
        config.load(None) | {"channels": {"web": {"enabled": True}, "file": {"enabled": False}}}
    )
    with db.unit_of_work(server.engine) as conn:
        result = reminders.run(conn, settings, clock.parse_moment("2024-12-30T09:00"))
    assert any(m.recipient == HANDLER for m in result.messages)
    c = login(server, HANDLER)
    page = c.get("/").text
    keys = re.findall(r'action="/inbox/([0-9a-f]+)/read"', page)
    assert keys and "未读提醒" in page
    for key in keys:
        assert c.post(f"/inbox/{key}/read", data={"csrf": csrf_of(page)}).status_code == 303
    assert "未读提醒" not in c.get("/").text
