"""The web app with one more endpoint, for bench_web.py only: the floor — one item read by primary key
and returned as minimal HTML, through the same server, workers, engine and middleware."""

from __future__ import annotations

import html

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from workflow.db.tables.core import ITEM
from workflow.web.serve import from_env


def app_with_floor() -> FastAPI:
    app = from_env()

    @app.get("/bench/floor/{item_id}")
    def floor(request: Request, item_id: int) -> HTMLResponse:
        with request.app.state.web.read() as conn:
            row = conn.execute(sa.select(ITEM.c.number, ITEM.c.title).where(ITEM.c.id == item_id)).one()
        return HTMLResponse(f"<p>{html.escape(row.number)} {html.escape(row.title)}</p>")

    return app
