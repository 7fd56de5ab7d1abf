"""Many people at once through HTTP: 8 API clients act on the seed's shared items through two
`zhenggai serve` processes on one database. Each action sends the version it last saw (If-Match) and
retries on 409. Nothing may be lost and nothing may fork: every 200 is one progress row and one
audit entry, every committed version of an item is unique and they run 2, 3, 4 … without a gap, and
the deep verify passes.

Size: 8 clients × ZHENGGAI_WEB_LOAD_ACTIONS actions on the run's backend (ZHENGGAI_TEST_BACKEND:
PostgreSQL in the second half of `make test`). `make test` runs 8 × 40: three hot items and eight
clients make most attempts a 409 and a retry, and 8 × 100 took 3 minutes on PostgreSQL on two
shared cores; the issue's 8 × 300 is ZHENGGAI_WEB_LOAD_ACTIONS=300."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests import backends
from tests.conftest import HANDLER, OFFICE
from tests.web_fixtures import seed
from workflow import clock, db
from workflow.accounts import sessions
from workflow.audit import verify
from workflow.db.tables.core import AUDIT, ITEM, PROGRESS
from workflow.items import actions

pytestmark = [pytest.mark.load, pytest.mark.slow]

CLIENTS = 8
ACTIONS = int(os.environ.get("ZHENGGAI_WEB_LOAD_ACTIONS", "40"))
NOW = "2024-11-01T10:00"
ZHENGGAI = str(Path(sys.executable).with_name("zhenggai"))


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server(url: str, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _port()
    with (folder / f"serve-{port}.log").open("wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            [ZHENGGAI, "--db", url, "--now", NOW, "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=folder,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError((folder / f"serve-{port}.log").read_text(errors="replace")[-3000:])
        time.sleep(0.2)


def _client(bases: list[str], raw: str, n: int, out: list[tuple[int, int]], errors: list[str]) -> None:
    rng = random.Random(n)
    auth = {"Authorization": f"Bearer {raw}"}
    with httpx.Client(timeout=60) as c:
        for k in range(ACTIONS):
            item = rng.randint(1, 3)
            for _attempt in range(200):
                base = bases[rng.randrange(len(bases))] + "/api/v1"
                seen = c.get(f"{base}/items/{item}", headers=auth).headers["etag"]
                r = c.post(
                    f"{base}/items/{item}/progress",
                    json={"text": f"客户端{n}第{k}次"},
                    headers={**auth, "If-Match": seen},
                )
                if r.status_code == 200:
                    out.append((item, r.json()["version"]))
                    break
                if r.status_code != 409:
                    errors.append(f"{r.status_code} {r.text[:300]}")
                    return
            else:
                errors.append(f"client {n}: item {item} never got through")
                return


def test_eight_clients_through_two_servers_lose_nothing_and_fork_nothing(tmp_path: Path) -> None:
    url = backends.fresh_url(tmp_path)
    engine = seed(url)
    at = clock.parse_moment("2024-10-21T09:00")
    with db.unit_of_work(engine) as conn:
        for item in (1, 2, 3):
            actions.fire(conn, item, "assign", OFFICE, at)
            actions.fire(conn, item, "start", HANDLER, at)
        raws = [sessions.new_token(conn, (HANDLER, OFFICE)[n % 2], f"load {n}", at) for n in range(CLIENTS)]
    with db.reading(engine) as conn:
        head = conn.execute(sa.select(sa.func.max(AUDIT.c.seq))).scalar_one()
        start_versions = dict(conn.execute(sa.select(ITEM.c.id, ITEM.c.version)).all())
    servers = [_server(url, tmp_path) for _ in range(2)]
    try:
        bases = [b for _, b in servers]
        committed: list[tuple[int, int]] = []
        errors: list[str] = []
        threads = [
            threading.Thread(target=_client, args=(bases, raws[n], n, committed, errors))
            for n in range(CLIENTS)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(timeout=30)
    assert errors == []
    assert len(committed) == CLIENTS * ACTIONS
    by_item: dict[int, list[int]] = defaultdict(list)
    for item, version in committed:
        by_item[item].append(version)
    with db.reading(engine) as conn:
        for item, versions in by_item.items():
            first = start_versions[item] + 1
            assert sorted(versions) == list(range(first, first + len(versions)))  # no fork, no gap
        progress = conn.execute(sa.select(sa.func.count()).select_from(PROGRESS)).scalar_one()
        entries = conn.execute(sa.select(sa.func.count()).where(AUDIT.c.seq > head)).scalar_one()
        assert progress == entries == len(committed)
        assert verify.verify(conn, deep=True).ok
    engine.dispose()
