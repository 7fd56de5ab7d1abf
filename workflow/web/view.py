"""Pages rendered from the package's templates (Jinja2, autoescaped), with the person and the day."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from workflow.web import guard


def render(
    request: Request, template: str, who: guard.Me | None, status: int = 200, **context: Any
) -> HTMLResponse:
    w = guard.web(request)
    return w.templates.TemplateResponse(
        request, template, {"me": who, "today": w.today(), **context}, status_code=status
    )
