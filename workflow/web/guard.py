"""Who is asking and may they: the session cookie, the CSRF token of every form, the client's address
and scheme (believed from X-Forwarded-* only from a trusted proxy), the security headers of every
response, and the engine's errors as HTTP statuses."""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import unquote

from fastapi import Path, Request, Response
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse

from states.guards import Actor
from workflow.accounts import passwords, sessions
from workflow.errors import Conflict, InvalidInput, NotFound, NotInitialised, PermissionDenied, ZhenggaiError
from workflow.inputs import size_text
from workflow.read.people import find_person, load_actor
from workflow.web.state import Web

COOKIE = "zg_session"
# An id in a URL: what the id columns hold on both databases (PostgreSQL's integer is 32-bit); larger
# ones are refused as 422, not a 500.
ID_MAX = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=ID_MAX)]
PRE_COOKIE = "zg_pre"  # the CSRF token of the login form, before there is a session
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """The headers of every response; and a body larger than any form needs is refused unread (413)."""
    declared = request.headers.get("content-length", "")
    if _UNUSABLE.search(unquote(request.url.query)) or _UNUSABLE.search(request.url.path):
        # NUL (and what is not UTF-8) can be neither looked up nor stored in either database.
        message = "请求中含有 NUL 或无效的字符"
        if request.url.path.startswith("/api/"):
            response: Response = JSONResponse({"detail": message}, status_code=422)
        else:
            response = PlainTextResponse(message, status_code=422)
    elif declared.isdigit() and int(declared) > web(request).max_upload + _FORM_ROOM:
        message = f"请求太大（超过 {size_text(web(request).max_upload)} 的上传限制）"
        if request.url.path.startswith("/api/"):
            response = JSONResponse({"detail": message}, status_code=413)
        else:
            response = PlainTextResponse(message, status_code=413)
    else:
        response = await call_next(request)
    for key, value in HEADERS.items():
        response.headers.setdefault(key, value)
    return response


_FORM_ROOM = 1024 * 1024  # the form fields around an upload
# NUL, lone surrogates, and U+FFFD (what percent-decoding makes of bytes that were not UTF-8).
_UNUSABLE = re.compile("[\x00\ud800-\udfff\ufffd]")


def web(request: Request) -> Web:
    w: Web = request.app.state.web
    return w


def address(request: Request) -> str:
    """The client's address; behind a trusted proxy, the last address its X-Forwarded-For names."""
    peer = request.client.host if request.client else "unknown"
    if peer in web(request).settings.trusted_proxies:
        forwarded = request.headers.get("x-forwarded-for", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last[:64]
    return peer


def over_tls(request: Request) -> bool:
    s = web(request).settings
    if s.secure_cookies is not None:
        return s.secure_cookies
    peer = request.client.host if request.client else ""
    if peer in s.trusted_proxies:
        return request.headers.get("x-forwarded-proto", "").lower() == "https"
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="lax", secure=over_tls(request), path="/", max_age=None
    )


class LoginNeeded(Exception):
    """No live session: pages send the browser to the login page."""


class ChangePassword(Exception):
    """The password was reset by the office: nothing but changing it until it is changed."""


@dataclass(frozen=True)
class Me:
    """The logged-in person: the actor of every action of the request."""

    actor: Actor
    csrf: str
    session: str

    @property
    def name(self) -> str:
        return self.actor.name


def me(request: Request) -> Me:
    """The page's person, or LoginNeeded. Also enforces a forced password change."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        raise LoginNeeded()
    w = web(request)
    now = w.now()
    with w.read() as conn:
        found, due = sessions.find(conn, raw, now, w.settings.idle_minutes)
        if found is not None:
            person = find_person(conn, found.person)
            if not person.active:  # deactivated since logging in: out, as if the session had ended
                found = None
            else:
                actor = load_actor(conn, found.person)
                forced = passwords.must_change(conn, found.person)
    if due:
        with w.bookkeeping() as conn:
            sessions.touch(conn, raw, now, w.settings.idle_minutes)
    if found is None:
        raise LoginNeeded()
    if forced and request.url.path not in ("/password", "/logout"):
        raise ChangePassword()
    request.state.me = Me(actor, found.csrf, raw)
    return request.state.me


def check_csrf(request: Request, who: Me, token: str) -> None:
    if not token or not secrets.compare_digest(token, who.csrf):
        raise PermissionDenied("表单已失效或来源不明（CSRF 校验失败）：请刷新页面后重试")


STATUS: list[tuple[type[ZhenggaiError], int]] = [
    (NotFound, 404),
    (Conflict, 409),
    (PermissionDenied, 403),
    (InvalidInput, 422),
    (NotInitialised, 503),
    (ZhenggaiError, 422),  # Refused and the rest: the action is understood and refused
]


def status_of(exc: ZhenggaiError) -> int:
    return next(code for kind, code in STATUS if isinstance(exc, kind))


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)  # POST-redirect-GET
