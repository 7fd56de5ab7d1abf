"""登录, 退出, 修改口令, and the person's own API tokens."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from workflow.accounts import login, passwords, sessions
from workflow.errors import PermissionDenied
from workflow.inputs import clean_line
from workflow.web import guard
from workflow.web.guard import Me
from workflow.web.view import render

router = APIRouter()
Who = Annotated[Me, Depends(guard.me)]
Csrf = Annotated[str, Form()]


def _login_page(request: Request, status: int = 200, error: str | None = None) -> HTMLResponse:
    token = request.cookies.get(guard.PRE_COOKIE) or secrets.token_urlsafe(32)
    response = render(request, "login.html", None, status, pre=token, error=error)
    guard.set_cookie(request, response, guard.PRE_COOKIE, token)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
def login_post(
    request: Request,
    name: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=passwords.MAX_LENGTH)] = "",
    csrf: Csrf = "",
) -> Response:
    expected = request.cookies.get(guard.PRE_COOKIE, "")
    if not expected or not secrets.compare_digest(csrf, expected):
        raise PermissionDenied("表单已失效或来源不明（CSRF 校验失败）：请刷新页面后重试")
    w = guard.web(request)
    where = guard.address(request)
    name = name.strip()
    with w.write() as conn:  # the attempt is logged whatever its outcome
        outcome = login.attempt(conn, name, password, where, w.now(), w.settings)
    if outcome == "throttled":
        return _login_page(request, 429, login.paused(w.settings))
    if outcome == "wrong":
        return _login_page(request, 401, login.WRONG)
    person = name
    with w.write() as conn:
        old = request.cookies.get(guard.COOKIE)
        if old:
            sessions.end(conn, old)  # never promote an id the browser had before logging in
        new = sessions.start(conn, person, w.now(), where)
        forced = passwords.must_change(conn, person)
    response = guard.redirect("/password" if forced else "/")
    guard.set_cookie(request, response, guard.COOKIE, new.raw)
    response.delete_cookie(guard.PRE_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, who: Who, csrf: Csrf = "") -> Response:
    guard.check_csrf(request, who, csrf)
    with guard.web(request).write() as conn:
        sessions.end(conn, who.session)
    response = guard.redirect("/login")
    response.delete_cookie(guard.COOKIE, path="/")
    return response


@router.post("/logout-everywhere")
def logout_everywhere(request: Request, who: Who, csrf: Csrf = "") -> Response:
    guard.check_csrf(request, who, csrf)
    with guard.web(request).write() as conn:
        sessions.end_all(conn, who.name)
    response = guard.redirect("/login")
    response.delete_cookie(guard.COOKIE, path="/")
    return response


@router.get("/password", response_class=HTMLResponse)
def password_form(request: Request, who: Who) -> Response:
    with guard.web(request).read() as conn:
        forced = passwords.must_change(conn, who.name)
    return render(request, "password.html", who, forced=forced)


@router.post("/password")
def password_post(
    request: Request,
    who: Who,
    old: Annotated[str, Form(max_length=passwords.MAX_LENGTH)] = "",
    new: Annotated[str, Form(max_length=passwords.MAX_LENGTH)] = "",
    again: Annotated[str, Form(max_length=passwords.MAX_LENGTH)] = "",
    csrf: Csrf = "",
) -> Response:
    guard.check_csrf(request, who, csrf)
    w = guard.web(request)
    if new != again:
        return render(request, "password.html", who, 422, error="两次输入的新口令不一致")
    with w.write() as conn:
        passwords.change(conn, who.name, old, new, w.now())
        sessions.end_all(conn, who.name)  # every other browser logged out; this one starts afresh
        fresh = sessions.start(conn, who.name, w.now(), guard.address(request))
    response = guard.redirect("/?changed=1")
    guard.set_cookie(request, response, guard.COOKIE, fresh.raw)
    return response


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, who: Who) -> Response:
    with guard.web(request).read() as conn:
        mine = sessions.tokens(conn, who.name)
    return render(request, "account.html", who, tokens=mine, new_token=None)


@router.post("/account/tokens", response_class=HTMLResponse)
def token_new(request: Request, who: Who, label: Annotated[str, Form()] = "", csrf: Csrf = "") -> Response:
    guard.check_csrf(request, who, csrf)
    w = guard.web(request)
    name = clean_line(label or "API", "令牌名称", 100, required=True)
    with w.write() as conn:
        raw = sessions.new_token(conn, who.name, name, w.now())
        mine = sessions.tokens(conn, who.name)
    # Shown once, on this response only (not a redirect: the token must not sit in a URL).
    return render(request, "account.html", who, tokens=mine, new_token=raw)


@router.post("/account/tokens/{token_id}/revoke")
def token_revoke(request: Request, who: Who, token_id: guard.Id, csrf: Csrf = "") -> Response:
    guard.check_csrf(request, who, csrf)
    w = guard.web(request)
    with w.write() as conn:
        sessions.revoke_token(conn, who.name, token_id, w.now())
    return guard.redirect("/account")
