"""The web server's defences, over real HTTP (and, for hostile text, in Chromium's DOM): CSRF, scope
and refusals, hostile text shown as text, sessions (fixation, logout, idle timeout), throttling,
cookie flags, security headers, and uploads that lie, are empty or too big."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import sync_playwright

from tests.conftest import HANDLER, OFFICE
from tests.e2e.test_web_browser import png
from tests.web_fixtures import PASSWORD, Server, csrf_of, launch, login, serve
from workflow import clock, db
from workflow.accounts import passwords
from workflow.db.tables.core import AUDIT, BLOB, EVIDENCE, ITEM
from workflow.db.tables.web import SESSION
from workflow.items import actions, people

LIMIT = 64 * 1024  # the upload limit of this module's server (the command line's is 100 MB)
HOSTILE = (
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=2">',
    "{{7*7}}",
    "**粗体** [链接](javascript:alert(1))",
)
OTHER = "人大经办人"  # a handler of another department


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("web-security")
    config = folder / "zhenggai.toml"
    # Requests from the test carry X-Forwarded-For: each test throttles its own "addresses".
    config.write_text('[web]\ntrusted_proxies = ["127.0.0.1"]\n', encoding="utf-8")
    for s in serve(folder, config, max_upload=LIMIT):
        at = clock.parse_moment("2024-10-14T17:00")
        with db.unit_of_work(s.engine) as conn:
            people.add_person(conn, OFFICE, at, name=OTHER, roles="handler", department="镇人大")
            passwords.set_password(conn, OTHER, PASSWORD, at, must_change=False)
            actions.fire(conn, 1, "assign", OFFICE, clock.parse_moment("2024-10-21T09:00"))
            actions.fire(conn, 1, "start", HANDLER, clock.parse_moment("2024-10-21T09:00"))
        s.tick.set("2024-10-21T10:00")
        yield s


@pytest.fixture(autouse=True)
def _close_clients(server: Server) -> Iterator[None]:
    yield
    server.close_clients()


def _count(server: Server, table: sa.Table) -> int:
    with db.reading(server.engine) as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _state(server: Server, item_id: int) -> tuple[str, int]:
    with db.reading(server.engine) as conn:
        row = conn.execute(sa.select(ITEM.c.state, ITEM.c.version).where(ITEM.c.id == item_id)).one()
    return row.state, row.version


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused_and_writes_nothing(server: Server) -> None:
    c = login(server, OFFICE)
    before = (_count(server, AUDIT), _state(server, 2))
    for data in ({"version": "1"}, {"version": "1", "csrf": "forged"}):
        r = c.post("/items/2/do/assign", data=data)
        assert r.status_code == 403 and "CSRF" in r.text
    assert (_count(server, AUDIT), _state(server, 2)) == before


def test_an_unknown_item_is_404_and_another_departments_item_refused_with_its_reason(server: Server) -> None:
    c = login(server, OTHER)
    assert c.get("/items/999999").status_code == 404
    page = c.get("/items/1")
    assert ('id="progress"' not in page.text and "不是该事项的责任" in page.text) or "责任" in page.text
    before = _count(server, AUDIT)
    r = c.post("/items/1/progress", data={"csrf": csrf_of(page.text), "text": "越权记录"})
    assert r.status_code in (403, 422)
    assert re.search(r"无法对事项 1（一/1）记录整改进展：.+", r.text)
    assert _count(server, AUDIT) == before


def test_hostile_text_is_shown_as_text_on_every_page(server: Server) -> None:
    office, handler = login(server, OFFICE), login(server, HANDLER)
    text = "\n".join(HOSTILE)
    page = office.get("/items/1").text
    r = office.post("/items/1/measure-add", data={"csrf": csrf_of(page), "text": text, "owner": HOSTILE[1]})
    assert r.status_code == 303
    page = handler.get("/items/1").text
    assert (
        handler.post(
            "/items/1/progress", data={"csrf": csrf_of(page), "text": text, "when": "{{7*7}}"}
        ).status_code
        == 303
    )
    ev = {"csrf": csrf_of(page), "kind": "文件", "ref": HOSTILE[0][:100], "note": text}
    assert handler.post("/items/1/evidence", data=ev).status_code == 303
    admin = office.get("/admin").text
    hostile_person = {
        "csrf": csrf_of(admin),
        "name": "<b>x</b>{{7*7}}",
        "roles": "handler",
        "dept": HOSTILE[1],
    }
    assert office.post("/admin/people", data=hostile_person).status_code == 303
    cookie = office.cookies.get("zg_session")
    assert cookie is not None
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context()
        context.add_cookies([{"name": "zg_session", "value": cookie, "url": server.url}])
        tab = context.new_page()
        tab.on("dialog", lambda d: pytest.fail(f"a script ran: {d.message}"))
        for path in (
            "/items/1",
            "/",
            "/ledger",
            "/admin",
            "/audit?item=1",
            "/reports?kind=weekly&as_of=2024-10-25",
        ):
            tab.goto(server.url + path)
            assert tab.evaluate("window.__pwned") is None, path
            assert tab.locator("img[src=x]").count() == 0, path
            assert tab.locator("main script").count() == 0, path
        tab.goto(server.url + "/items/1")
        shown = tab.locator("main").text_content() or ""
        for h in HOSTILE:
            assert h in shown  # as typed, character for character
        assert "49" not in shown.replace("2024", "")
        assert tab.locator("strong:has-text('粗体')").count() == 0  # Markdown stays text
        tab.goto(server.url + "/admin")
        assert "<b>x</b>{{7*7}}" in (tab.locator("#people").text_content() or "")
        browser.close()


def test_the_session_id_changes_at_login_and_logout_ends_it_on_the_server(server: Server) -> None:
    c = server.client()
    c.cookies.set("zg_session", "planted-by-an-attacker")
    page = c.get("/login")
    r = c.post("/login", data={"name": HANDLER, "password": PASSWORD, "csrf": csrf_of(page.text)})
    new = r.cookies.get("zg_session")
    assert r.status_code == 303 and new not in (None, "planted-by-an-attacker")
    c.cookies.clear()
    c.cookies.set("zg_session", str(new))
    copy = server.client()
    copy.cookies.set("zg_session", str(new))
    assert copy.get("/").status_code == 200
    before = _count(server, SESSION)
    assert c.post("/logout", data={"csrf": csrf_of(c.get("/").text)}).status_code == 303
    assert _count(server, SESSION) == before - 1
    assert copy.get("/").headers["location"] == "/login"  # the stolen copy is dead too


def test_a_session_idle_longer_than_the_timeout_is_over(server: Server) -> None:
    server.tick.set("2024-10-22T09:00")
    c = login(server, HANDLER)
    server.tick.set("2024-10-22T09:29")
    assert c.get("/").status_code == 200  # used: the idle time starts again
    server.tick.set("2024-10-22T09:58")
    assert c.get("/").status_code == 200
    server.tick.set("2024-10-22T10:29")
    assert c.get("/").headers["location"] == "/login"


def _try(server: Server, name: str, password: str, address: str) -> httpx.Response:
    c = server.client()
    c.headers["X-Forwarded-For"] = address
    page = c.get("/login")
    return c.post("/login", data={"name": name, "password": password, "csrf": csrf_of(page.text)})


def test_repeated_failures_pause_logins_per_account_and_per_address(server: Server) -> None:
    server.tick.set("2024-10-23T09:00")
    for n in range(5):
        assert _try(server, HANDLER, "wrong", f"10.0.0.{n}").status_code == 401
    r = _try(server, HANDLER, PASSWORD, "10.0.1.1")  # the right password, from elsewhere: still paused
    assert r.status_code == 429 and "15 分钟后再试" in r.text
    for n in range(5):
        assert _try(server, f"不存在{n}", "wrong", "10.9.9.9").status_code == 401
    assert _try(server, OFFICE, PASSWORD, "10.9.9.9").status_code == 429  # that address is paused
    assert _try(server, OFFICE, PASSWORD, "10.9.9.8").status_code == 303
    server.tick.set("2024-10-23T09:16")
    assert _try(server, HANDLER, PASSWORD, "10.0.1.1").status_code == 303
    with db.reading(server.engine) as conn:
        logged = conn.execute(sa.text("SELECT ok, note FROM web_login WHERE name = :n"), {"n": HANDLER}).all()
    assert ("throttled" in {r.note for r in logged}) and any(r.ok for r in logged)


def test_cookies_are_httponly_lax_and_secure_behind_tls(server: Server) -> None:
    plain = server.client()
    page = plain.get("/login")
    r = plain.post("/login", data={"name": OFFICE, "password": PASSWORD, "csrf": csrf_of(page.text)})
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("zg_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    tls = server.client()
    tls.headers["X-Forwarded-Proto"] = "https"
    page = tls.get("/login")
    tls.cookies.set("zg_pre", csrf_of(page.text))  # a Secure cookie: plain HTTP would not send it back
    r = tls.post("/login", data={"name": OFFICE, "password": PASSWORD, "csrf": csrf_of(page.text)})
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("zg_session="))
    assert "Secure" in cookie


def test_nul_and_broken_utf8_in_a_url_are_refused_not_a_server_error(server: Server) -> None:
    c = login(server, OFFICE)
    for query in ("dept=%00", "q=%ff%fe", "leader=a%00b"):
        assert c.get(f"/ledger?{query}").status_code == 422
    assert c.get("/api/v1/items?department=%00").status_code == 422
    page = c.get("/login")
    r = server.client().post(
        "/login", data={"name": "镇\x00整改办", "password": PASSWORD, "csrf": csrf_of(page.text)}
    )
    assert r.status_code in (401, 403)


def test_every_response_carries_the_security_headers(server: Server) -> None:
    c = login(server, OFFICE)
    for path in ("/login", "/", "/items/1", "/items/999999", "/healthz", "/static/app.css", "/api/v1/items"):
        h = c.get(path).headers
        csp = h["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp, path
        assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"] == "same-origin", path


def test_uploads_that_lie_are_empty_or_too_big_are_refused_and_nothing_is_stored(server: Server) -> None:
    c = login(server, HANDLER)
    before = (_count(server, EVIDENCE), _count(server, BLOB), _count(server, AUDIT))
    cases = [
        ("照片.jpg", png(), "内容与扩展名 .jpg 不符"),
        ("报告.pdf", b"<html><script>alert(1)</script></html>", "内容与扩展名 .pdf 不符"),
        ("图.svg", b"<svg onload=alert(1)></svg>", "不接受 .svg"),
        ("空.png", b"", "是空文件"),
        ("大.png", png() + b"\0" * LIMIT, "太大"),
    ]
    for name, data, reason in cases:
        page = c.get("/items/1").text
        files = {"file": (name, data, "image/png")}
        r = c.post("/items/1/evidence", data={"csrf": csrf_of(page), "kind": "照片"}, files=files)
        assert r.status_code == 422 and reason in r.text, (name, r.text[-600:])
    huge = c.post(
        "/items/1/evidence",
        data={"csrf": csrf_of(c.get("/items/1").text), "kind": "照片"},
        files={"file": ("大.png", png() + b"\0" * (LIMIT + 2 * 1024 * 1024), "image/png")},
    )
    assert huge.status_code == 413 and "上传限制" in huge.text  # refused before the body is read
    assert (_count(server, EVIDENCE), _count(server, BLOB), _count(server, AUDIT)) == before
    page = c.get("/items/1").text
    ok = c.post(
        "/items/1/evidence",
        data={"csrf": csrf_of(page), "kind": "照片"},
        files={"file": ("现场.png", png(), "image/png")},
    )
    assert ok.status_code == 303
    shown = c.get("/items/1").text
    link = re.search(r'src="(/items/1/evidence/\d+)"', shown)
    assert link is not None
    image = c.get(link.group(1))
    assert image.headers["content-type"] == "image/png" and image.content == png()


def test_a_stale_form_gives_the_conflict_page_and_changes_nothing(server: Server) -> None:
    c = login(server, HANDLER)
    page = c.get("/items/1").text
    _, version = _state(server, 1)
    assert (
        c.post(
            "/items/1/progress", data={"csrf": csrf_of(page), "version": str(version), "text": "第一次"}
        ).status_code
        == 303
    )
    before = _count(server, AUDIT)
    r = c.post(
        "/items/1/progress", data={"csrf": csrf_of(page), "version": str(version), "text": "过时的表单"}
    )
    assert r.status_code == 409 and "已被他人改动" in r.text and "没有保存" in r.text
    assert _count(server, AUDIT) == before


def test_evidence_through_the_api_is_checked_as_the_page_and_needs_the_current_version(
    server: Server,
) -> None:
    c = login(server, HANDLER)
    made = c.post("/account/tokens", data={"csrf": csrf_of(c.get("/account").text), "label": "脚本"})
    found = re.search(r'<code id="new-token">([^<]+)</code>', made.text)
    assert found is not None
    api = server.client()
    api.base_url = httpx.URL(server.url + "/api/v1")
    api.headers["Authorization"] = f"Bearer {found.group(1)}"

    def upload(version: int | None, name: str, data: bytes) -> httpx.Response:
        return api.post(
            "/items/1/evidence",
            data={"kind": "照片", "note": "现场照片"},
            files={"file": (name, data, "image/png")},
            headers={"If-Match": str(version)} if version is not None else {},
        )

    _, version = _state(server, 1)
    before = (_count(server, EVIDENCE), _count(server, BLOB), _count(server, AUDIT))
    assert upload(None, "现场.png", png()).status_code == 428
    stale = upload(version - 1, "现场.png", png())
    assert stale.status_code == 409 and "已被他人改动" in stale.json()["detail"]
    lying = upload(version, "照片.jpg", png())
    assert lying.status_code == 422 and "内容与扩展名 .jpg 不符" in lying.json()["detail"]
    big = upload(version, "大.png", png() + b"\0" * LIMIT)
    assert big.status_code == 413 and "太大" in big.json()["detail"]
    assert (_count(server, EVIDENCE), _count(server, BLOB), _count(server, AUDIT)) == before
    ok = upload(version, "现场.png", png())
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == version + 1 and _count(server, EVIDENCE) == before[0] + 1
    documented = api.get("/openapi.json").json()["paths"]["/items/{item_id}/evidence"]["post"]
    assert "multipart/form-data" in documented["requestBody"]["content"]
