"""The seed lifecycle in real browsers (Debian's Chromium through Playwright): the office assigns, the
handler starts, records progress, uploads a photo, completes the measure and submits — the handler is
offered no approve and a forged one is refused — the county office approves, the office revisits and
confirms. Three people, three browser contexts, one server. Screenshots of the to-do, item and board
pages at desktop width and at 375 px go to build/artefacts/ (or $ZHENGGAI_ARTEFACTS)."""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import APPROVER, HANDLER, OFFICE
from tests.web_fixtures import PASSWORD, Server, csrf_of, launch, serve
from workflow import db
from workflow.audit import verify
from workflow.db.tables.core import EVIDENCE, ITEM

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = Path(os.environ.get("ZHENGGAI_ARTEFACTS") or ROOT / "build" / "artefacts")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("web-browser")
    config = folder / "zhenggai.toml"
    # The test moves the server's clock by days between steps; sessions must outlive that here.
    config.write_text("[web]\nidle_minutes = 100000\n", encoding="utf-8")
    yield from serve(folder, config)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def png(width: int = 4, height: int = 3) -> bytes:
    """A real (tiny) PNG photo."""
    raw = b"".join(b"\x00" + b"\xc0\x30\x30" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def person(browser: Browser, server: Server, name: str) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.on("dialog", lambda d: pytest.fail(f"a dialog opened: {d.message}"))
    page.goto(server.url + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_url(server.url + "/")
    return page


def shoot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"web-{name}-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=str(ARTEFACTS / f"web-{name}-375.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375 + 1, f"{name} scrolls sideways at 375 px ({width})"  # usable on a phone
    page.set_viewport_size({"width": 1280, "height": 900})


def state(server: Server, item_id: int) -> str:
    with db.reading(server.engine) as conn:
        return str(conn.execute(sa.select(ITEM.c.state).where(ITEM.c.id == item_id)).scalar_one())


def test_the_seed_lifecycle_in_three_browsers(server: Server, browser: Browser, tmp_path: Path) -> None:
    clerk, handler, county = (person(browser, server, n) for n in (OFFICE, HANDLER, APPROVER))

    server.tick.set("2024-10-21T09:00")
    clerk.goto(server.url + "/items/1")
    clerk.click("#assign button")
    assert state(server, 1) == "assigned"

    server.tick.set("2024-10-22T10:00")
    handler.goto(server.url + "/")
    handler.click("a.button:has-text('开始整改')")
    handler.click("#start button")
    handler.fill("#progress textarea[name=text]", "已约谈当事人，制定整改方案")
    handler.click("#progress button")
    photo = tmp_path / "现场照片.png"
    photo.write_bytes(png())
    handler.select_option("#evidence select[name=kind]", "照片")
    handler.set_input_files("#evidence input[type=file]", str(photo))
    handler.click("#evidence button")
    assert handler.locator("img.thumb").count() == 1
    handler.click("#measure_done button")
    handler.fill("#submit textarea[name=summary]", "违法建筑已拆除，复垦完成")
    handler.click("#submit button")
    assert state(server, 1) == "submitted"

    # Approve is not offered to the handler, and a forged approve is refused with its reason.
    handler.goto(server.url + "/items/1")
    assert handler.locator("#approve").count() == 0
    blocked = handler.locator("#blocked").text_content() or ""
    assert "销号：" in blocked and "需要角色" in blocked  # the refusal, with its reason
    forged = handler.request.post(
        server.url + "/items/1/do/approve",
        form={
            "csrf": csrf_of(handler.content()),
            "version": handler.locator("input[name=version]").first.get_attribute("value") or "",
        },
        max_redirects=0,
    )
    assert forged.status == 403 and "销号" in forged.text()
    assert state(server, 1) == "submitted"

    server.tick.set("2024-10-25T15:00")
    county.goto(server.url + "/")
    shoot(county, "todo")
    county.goto(server.url + "/items/1")
    county.click("#approve button")
    assert state(server, 1) == "closed"

    server.tick.set("2024-12-10T09:00")  # within the sessions' idle time of this module
    clerk.goto(server.url + "/items/1")
    clerk.click("#revisit button")
    clerk.fill("#confirm textarea[name=finding]", "回头看：未发现反弹")
    clerk.click("#confirm button")
    assert state(server, 1) == "closed"
    shoot(clerk, "item")
    clerk.goto(server.url + "/board")
    clerk.wait_for_selector("body[data-rendered='1']")
    shoot(clerk, "board")

    with db.reading(server.engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(EVIDENCE)).scalar_one() == 1
        assert verify.verify(conn, deep=True).ok
    # Every action is in the trail in the name of the person logged in, at the server's clock.
    history = clerk.goto(server.url + "/items/1")
    assert history is not None
    text = clerk.locator("table").last.inner_text()
    for who in (OFFICE, HANDLER, APPROVER):
        assert who in text
