"""A real server for the web tests: the app on uvicorn in a thread of the test process, over real HTTP
on a free loopback port, on a real database (SQLite file or PostgreSQL schema) with the seed round,
every seed person with the password PASSWORD, and a clock the test sets (the server's clock)."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI

from tests import backends
from tests.conftest import OFFICE, Clock
from workflow import clock, db
from workflow.accounts import passwords
from workflow.demo import example_path
from workflow.intake import round_yaml
from workflow.read.directory import people
from workflow.web.app import create_app

PASSWORD = "correct-horse-42"


@dataclass
class Server:
    url: str
    db_url: str
    tick: Clock
    engine: sa.Engine
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self) -> httpx.Client:
        c = httpx.Client(base_url=self.url, follow_redirects=False, timeout=60)
        self.clients.append(c)
        return c

    def close_clients(self) -> None:
        while self.clients:
            self.clients.pop().close()


def seed(db_url: str) -> sa.Engine:
    engine = db.make_engine(db_url, synchronous="NORMAL")
    backends.create_schema(engine)
    data = round_yaml.load_file(example_path("taishan.yaml"))
    at = clock.parse_moment("2024-10-14T16:00")
    with db.unit_of_work(engine) as conn:
        round_yaml.import_round(conn, data, OFFICE, at)
        for p in people(conn):
            passwords.set_password(conn, p["name"], PASSWORD, at, must_change=False)
    return engine


@dataclass
class Running:
    server: uvicorn.Server
    thread: threading.Thread
    app: FastAPI


def start(
    db_url: str, tick: Clock, config: Path | None = None, max_upload: int | None = None
) -> tuple[str, Running]:
    app = create_app(db_url, str(config) if config else None, tick, max_upload=max_upload)
    # The server gets the socket bound here, to port 0: a port looked up free and bound later could be
    # taken in between by another test process (pytest-xdist) or a client's connection.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", Running(server, thread, app)


def stop(running: Running) -> None:
    running.server.should_exit = True
    running.thread.join(timeout=30)


def serve(folder: Path, config: Path | None = None, max_upload: int | None = None) -> Iterator[Server]:
    """A seeded database and a server on it, for one test module."""
    db_url = backends.fresh_url(folder)
    engine = seed(db_url)
    tick = Clock("2024-10-21T09:00")
    url, running = start(db_url, tick, config, max_upload)
    server = Server(url, db_url, tick, engine)
    try:
        yield server
    finally:
        server.close_clients()
        stop(running)
        app_engine = running.app.state.web.engine
        app_engine.dispose()
        engine.dispose()


CHROMIUM = "/usr/bin/chromium"


def launch(p: Any) -> Any:
    """Debian's Chromium (no browser download is possible here); a missing one fails in CI."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium at /usr/bin/chromium")
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    return p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])


CSRF = re.compile(r'name="csrf" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, html[:2000]
    return found.group(1)


def login(server: Server, name: str, password: str = PASSWORD) -> httpx.Client:
    c = server.client()
    page = c.get("/login")
    r = c.post("/login", data={"name": name, "password": password, "csrf": csrf_of(page.text)})
    assert r.status_code == 303, r.text[:500]
    return c
