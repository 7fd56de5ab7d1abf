"""The application: pages at /, the JSON API at /api/v1, static assets, /healthz; errors mapped once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib import resources

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from workflow import db
from workflow.errors import Conflict, ZhenggaiError
from workflow.web import guard
from workflow.web.state import Web
from workflow.web.view import render


def create_app(
    url: str,
    config_path: str | None = None,
    now: Callable[[], datetime] | None = None,
    max_upload: int | None = None,
) -> FastAPI:
    from workflow.web import api, pages_admin, pages_auth, pages_items, pages_reports

    app = FastAPI(title="zhenggai", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = Web(url, config_path, now, max_upload)
    app.middleware("http")(guard.security_headers)
    app.mount("/static", StaticFiles(packages=[("workflow.web", "static")]), name="static")
    board_assets = str(resources.files("workflow.reports").joinpath("assets"))
    app.mount("/board-assets", StaticFiles(directory=board_assets), name="board-assets")
    for module in (pages_auth, pages_items, pages_reports, pages_admin):
        app.include_router(module.router)
    app.mount("/api/v1", api.create(app.state.web))

    @app.get("/healthz", include_in_schema=False)
    def healthz(request: Request) -> Response:
        try:
            with db.reading(guard.web(request).engine) as conn:  # the schema checked every time
                conn.execute(sa.text("SELECT 1"))
        except Exception as exc:  # any failure of the database is "not healthy", with its kind
            return JSONResponse({"ok": False, "error": type(exc).__name__}, status_code=503)
        return JSONResponse({"ok": True})

    @app.exception_handler(guard.LoginNeeded)
    def _login(request: Request, exc: guard.LoginNeeded) -> Response:
        return guard.redirect("/login")

    @app.exception_handler(guard.ChangePassword)
    def _change(request: Request, exc: guard.ChangePassword) -> Response:
        return guard.redirect("/password")

    @app.exception_handler(ZhenggaiError)
    def _refused(request: Request, exc: ZhenggaiError) -> Response:
        page = "conflict.html" if isinstance(exc, Conflict) else "error.html"
        who = getattr(request.state, "me", None)
        return render(request, page, who, guard.status_of(exc), message=str(exc))

    @app.exception_handler(ValueError)
    def _bad_value(request: Request, exc: ValueError) -> Response:  # a bad date typed in a form
        return render(request, "error.html", getattr(request.state, "me", None), 422, message=str(exc))

    return app
