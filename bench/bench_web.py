"""Web benchmark (issue 11): the pages and the API under 16 concurrent clients, beside a floor.

PostgreSQL (a database made for the run, dropped at the end), --items items with full history built
through the use cases (70% taken through the whole lifecycle, 10 entries each; 30% left in progress),
served by uvicorn with --workers 2 as `zhenggai serve` runs it, plus one bare endpoint of the same app
that reads one item by primary key and returns minimal HTML: the floor. 16 clients on loopback (one
asyncio process, httpx) run for --seconds a mix of 我的待办, the item page, the ledger page with a filter,
the board, and progress actions through the API; then the item page alone, then the floor alone, each
for the same time (the item page's target is against the floor, both alone).

Reported per page: requests, requests/s, p50/p95/p99 latency, errors; and each worker's resident memory
(RSS, from /proc) at the end. Targets (the issue's): item page throughput ≥ 1/3 of the floor; p95 under
100 ms for to-do, item and ledger pages and under 500 ms for the board; zero errors; each worker under
250 MB.

Run:  .venv/bin/python bench/bench_web.py [--items 100000] [--seconds 30] [--clients 16] [--pg URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_verify import APPROVER, HANDLER, OFFICE, round_file

from workflow import clock, db
from workflow.accounts import passwords, sessions
from workflow.intake import round_yaml
from workflow.items import actions

PASSWORD = "bench-password-1"
BATCH = 500
NOW = "2025-03-01T10:00"


def say(text: str = "") -> None:
    print(text, flush=True)


def build(url: str, items: int) -> str:
    """The database through the use cases; returns an API token of the handler."""
    engine = db.make_engine(url)
    db.create_schema(engine)
    at = clock.parse_moment("2024-10-14T16:00")
    with db.unit_of_work(engine) as conn:
        round_yaml.import_round(conn, round_file(items), OFFICE, at)
        for name in (OFFICE, HANDLER, APPROVER):
            passwords.set_password(conn, name, PASSWORD, at, must_change=False)
        token = sessions.new_token(conn, HANDLER, "bench", at)
    day = date(2024, 10, 15)
    for start in range(1, items + 1, BATCH):
        now = clock.local_noon(day)
        with db.unit_of_work(engine) as conn:
            for i in range(start, min(start + BATCH, items + 1)):
                actions.fire(conn, i, "assign", OFFICE, now)
                actions.fire(conn, i, "start", HANDLER, now)
                actions.add_progress(conn, i, HANDLER, now, on=day, text="召开专题会议，部署整改")
                if i % 10 < 7:
                    actions.complete_measure(conn, i, 1, HANDLER, now)
                    actions.attach_evidence(conn, i, HANDLER, now, kind="会议纪要", ref=f"纪要{i}")
                    actions.fire(conn, i, "submit", HANDLER, now, summary="已整改到位")
                    actions.fire(conn, i, "approve", APPROVER, now)
                    actions.fire(conn, i, "revisit", OFFICE, now)
                    actions.fire(conn, i, "confirm", OFFICE, now, finding="成果巩固")
        day += timedelta(days=1)
        if start % (BATCH * 20) == 1:
            say(f"    {min(start + BATCH - 1, items):,} / {items:,} items built")
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return token


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _port()
    env = {
        **os.environ,
        "ZHENGGAI_DB": url,
        "ZHENGGAI_NOW": NOW,
        "PYTHONPATH": str(Path(__file__).parent),
    }
    env["ZHENGGAI_CONFIG"] = str(folder / "zhenggai.toml")
    (folder / "zhenggai.toml").write_text("[web]\nidle_minutes = 100000\n", encoding="utf-8")
    command = [sys.executable, "-m", "uvicorn", "web_floor:app_with_floor", "--factory"]
    command += ["--port", str(port), "--workers", "2", "--log-level", "warning"]
    with (folder / "server.log").open("wb") as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError((folder / "server.log").read_text(errors="replace")[-2000:])


def rss_of_workers(master: int) -> list[float]:
    out = []
    for child in Path("/proc").iterdir():
        if not child.name.isdigit():
            continue
        try:
            status = (child / "status").read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master}$", status, re.M):
            rss = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
            if rss:
                out.append(int(rss.group(1)) / 1024)
    return out


async def login(c: httpx.AsyncClient, name: str) -> None:
    page = await c.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    r = await c.post("/login", data={"name": name, "password": PASSWORD, "csrf": csrf.group(1)})
    assert r.status_code == 303, r.text[:300]


async def client(base: str, n: int, items: int, token: str, until: float, mode: str, out: dict) -> None:
    rng = random.Random(n)
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        if mode != "floor":
            await login(c, HANDLER)
        auth = {"Authorization": f"Bearer {token}"}
        while time.monotonic() < until:
            item = rng.randint(1, items)
            if mode == "floor":
                kind, request = "floor", c.get(f"/bench/floor/{item}")
            elif mode == "item":
                kind, request = "item", c.get(f"/items/{item}")
            else:
                kind = rng.choices(["todo", "item", "ledger", "board", "progress"], [2, 4, 2, 1, 2])[0]
                if kind == "todo":
                    request = c.get("/")
                elif kind == "item":
                    request = c.get(f"/items/{item}")
                elif kind == "ledger":
                    request = c.get("/ledger", params={"state": "in_progress", "page": rng.randint(1, 5)})
                elif kind == "board":
                    request = c.get("/board")
                else:
                    open_item = item - item % 10 + 8 if item - item % 10 + 8 <= items else 8
                    seen = await c.get(f"/api/v1/items/{open_item}", headers=auth)
                    request = c.post(
                        f"/api/v1/items/{open_item}/progress",
                        json={"text": "进展"},
                        headers={**auth, "If-Match": seen.headers.get("etag", "0")},
                    )
            t0 = time.perf_counter()
            r = await request
            ms = (time.perf_counter() - t0) * 1000
            ok = r.status_code < 400 or (kind == "progress" and r.status_code == 409)
            out[kind].append((ms, ok))


def run_mix(base: str, clients: int, items: int, token: str, seconds: float, mode: str) -> dict:
    out: dict = defaultdict(list)
    until = time.monotonic() + seconds

    async def main() -> None:
        await asyncio.gather(*(client(base, n, items, token, until, mode, out) for n in range(clients)))

    asyncio.run(main())
    return out


def table(results: dict, seconds: float) -> dict[str, tuple[float, float, int]]:
    """Prints the table; returns (req/s, p95, errors) per page."""
    out: dict[str, tuple[float, float, int]] = {}
    say(f"{'page':<10}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for kind, rows in sorted(results.items()):
        ms = sorted(m for m, _ in rows)
        q = statistics.quantiles(ms, n=100) if len(ms) > 1 else [ms[0]] * 99
        errors = sum(1 for _, ok in rows if not ok)
        say(
            f"{kind:<10}{len(ms):>10}{len(ms) / seconds:>9.1f}{q[49]:>9.1f}{q[94]:>9.1f}{q[98]:>9.1f}{errors:>8}"
        )
        out[kind] = (len(ms) / seconds, q[94], errors)
    return out


def misses(mix: dict, alone: dict, floor: dict, rss: list[float]) -> list[str]:
    """The issue's targets that were missed (empty: all met)."""
    found = []
    if alone["item"][0] < floor["floor"][0] / 3:
        found.append(f"item page {alone['item'][0]:.1f} req/s < 1/3 of the floor's {floor['floor'][0]:.1f}")
    for page, limit in (("todo", 100), ("item", 100), ("ledger", 100), ("board", 500)):
        if page in mix and mix[page][1] >= limit:
            found.append(f"{page} p95 {mix[page][1]:.0f} ms >= {limit} ms")
    if any(v[2] for v in (*mix.values(), *alone.values(), *floor.values())):
        found.append("errors")
    found += [f"a worker at {m:.0f} MB >= 250 MB" for m in rss if m >= 250]
    return found


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--items", type=int, default=100_000)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument(
        "--pg",
        default=os.environ.get("ZHENGGAI_BENCH_PG")
        or os.environ.get("ZHENGGAI_TEST_PG")
        or "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    )
    args = p.parse_args(argv)
    name = f"zg_bench_web_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(args.pg, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(args.pg).set(database=name).render_as_string(hide_password=False)
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / name
    folder.mkdir()
    missed: list[str] = ["not run"]
    try:
        t0 = time.perf_counter()
        token = build(url, args.items)
        say(f"built {args.items:,} items in {time.perf_counter() - t0:.0f} s")
        proc, base = start_server(url, folder)
        try:
            say(f"\nmix: {args.clients} clients for {args.seconds:g} s (uvicorn --workers 2, PostgreSQL)")
            mix = table(run_mix(base, args.clients, args.items, token, args.seconds, "mix"), args.seconds)
            say(f"\nitem page alone: {args.clients} clients for {args.seconds:g} s")
            alone = table(run_mix(base, args.clients, args.items, token, args.seconds, "item"), args.seconds)
            say(
                f"\nfloor: {args.clients} clients for {args.seconds:g} s (one item by primary key, minimal HTML)"
            )
            floor = table(run_mix(base, args.clients, args.items, token, args.seconds, "floor"), args.seconds)
            rss = rss_of_workers(proc.pid)
            say(f"\nworker RSS (MB): {', '.join(f'{m:.0f}' for m in rss)}")
            missed = misses(mix, alone, floor, rss)
            for m in missed:
                say(f"MISS: {m}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    return 1 if missed else 0  # `make bench` fails on a miss


if __name__ == "__main__":
    raise SystemExit(main())
