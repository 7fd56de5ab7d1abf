"""我的待办, 台账 (with its .xlsx export), 事项 and every action on it."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from states.colours import Colour
from states.lifecycle import BY_ACTION, BY_TRIGGER, EVIDENCE_KINDS, INPUTS, State, rule
from workflow.dates import parse_date
from workflow.errors import Conflict
from workflow.items import actions, store
from workflow.read import files, work
from workflow.read.facts import item_row
from workflow.read.items import show_item
from workflow.read.people import list_people
from workflow.read.scope import Scope
from workflow.read.units import unit_names
from workflow.reminders import inbox
from workflow.web import guard, uploads
from workflow.web.guard import Me
from workflow.web.view import render

router = APIRouter()
LABELS = {name: rule(name).label for name in (*BY_TRIGGER, *BY_ACTION)}
Who = Annotated[Me, Depends(guard.me)]
Text = Annotated[str, Form(max_length=20000)]


@router.get("/", response_class=HTMLResponse)
def todo(request: Request, who: Who) -> Response:
    w = guard.web(request)
    with w.read() as conn:
        mine = work.my_work(conn, who.actor, w.today(), w.yellow_days, w.scheme)
        messages = inbox.unread(conn, who.name)
    return render(request, "todo.html", who, items=mine, messages=messages)


@router.post("/inbox/{key}/read")
def inbox_read(request: Request, who: Who, key: str, csrf: Annotated[str, Form()] = "") -> Response:
    guard.check_csrf(request, who, csrf)
    w = guard.web(request)
    with w.write() as conn:
        inbox.mark_read(conn, who.name, key[:32], w.now())
    return guard.redirect("/")


def _ledger_query(
    state: str | None, dept: str | None, leader: str | None, colour: str | None, overdue: bool,
    within: str | None, q: str | None, sort: str, desc: bool, page: int, category: str | None = None,
    unit: str | None = None,
) -> work.LedgerQuery:  # fmt: skip
    return work.LedgerQuery(
        state=state if state in {s.value for s in State} else None,
        department=dept or None,
        leader=leader or None,
        colour=colour if colour in {c.value for c in Colour} else None,
        overdue=overdue,
        due_within=int(within) if within and within.isdigit() and len(within) < 5 else None,
        text=(q or "").strip()[:100] or None,
        category=(category or "").strip()[:200] or None,
        unit=(unit or "").strip()[:200] or None,
        sort=sort if sort in work.SORTS else "number",
        descending=desc,
        page=max(1, min(page, 100_000)),
    )


@router.get("/ledger", response_class=HTMLResponse)
def ledger(
    request: Request,
    who: Who,
    state: str | None = None,
    dept: str | None = None,
    leader: str | None = None,
    colour: str | None = None,
    overdue: bool = False,
    within: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=200)] = None,
    unit: Annotated[str | None, Query(max_length=200)] = None,
    sort: str = "number",
    desc: bool = False,
    page: int = 1,
) -> Response:
    w = guard.web(request)
    query = _ledger_query(state, dept, leader, colour, overdue, within, q, sort, desc, page, category, unit)
    scope = Scope.of(who.actor)
    with w.read() as conn:
        rows, total = work.ledger_page(conn, w.today(), query, w.yellow_days, w.scheme, scope)
        units = unit_names(conn, scope)
    pages = max(1, -(-total // query.size))
    filters = {k: v for k, v in request.query_params.items() if k != "page"}
    return render(
        request, "ledger.html", who, rows=rows, total=total, query=query, pages=pages, filters=filters,
        states=list(State), colours=list(Colour), units=units,
    )  # fmt: skip


@router.get("/ledger.xlsx")
def ledger_export(
    request: Request, who: Who, as_of: str | None = None,
    unit: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:  # fmt: skip
    """One unit's ledger (the only one in the reader's scope, or `unit`), as `ledger export`."""
    from workflow.intake.ledger import export
    from workflow.reports import settings

    w = guard.web(request)
    day = parse_date(as_of) if as_of else w.today()
    config = settings.load(w.config)
    with tempfile.TemporaryDirectory() as folder, w.read() as conn:
        out = Path(folder) / "ledger.xlsx"
        export.export(
            conn, out, day, unit_name=unit or None, scope=Scope.of(who.actor),
            yellow_days=config.yellow_days, scheme=config.lights, labels=config.labels,
        )  # fmt: skip
        data = out.read_bytes()
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename=ledger-{day}.xlsx"},
    )


@router.get("/items/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, who: Who, item_id: guard.Id) -> Response:
    w = guard.web(request)
    with w.read() as conn:
        data = show_item(conn, item_id, who.actor, w.today(), w.yellow_days)
        people = [p["name"] for p in list_people(conn, Scope.of(who.actor).unit)]
    return render(
        request, "item.html", who, item=data, triggers=BY_TRIGGER, inputs=INPUTS,
        kinds=EVIDENCE_KINDS, images=uploads.IMAGES, people=people, labels=LABELS,
    )  # fmt: skip


@router.get("/items/{item_id}/evidence/{evidence_id}")
def evidence_file(request: Request, who: Who, item_id: guard.Id, evidence_id: guard.Id) -> Response:
    with guard.web(request).read() as conn:
        name, data = files.evidence_file(conn, item_id, evidence_id, Scope.of(who.actor))
    mime = uploads.media_type(name)
    inline = Path(name).suffix.lower() in uploads.IMAGES | {".pdf"}
    disposition = "inline" if inline else "attachment"
    from urllib.parse import quote

    return Response(
        data,
        media_type=mime,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}",
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
        },
    )


def _expect(conn: Any, who: Me, item_id: guard.Id, version: int | None) -> None:
    """The version the form was rendered with must still be the item's (one write transaction: no
    other writer can come between this check and the action). An item out of the person's scope is
    not found before its version is compared, so a 409 never tells that it exists."""
    item_row(conn, item_id, Scope.of(who.actor))
    if version is None:
        return
    current = store.current(conn, item_id).version
    if current != version:
        raise Conflict(
            f"事项 {item_id} 已被他人改动（当前版本 {current}，你看到的是 {version}），请刷新后重试"
        )


def _act(request: Request, who: Me, csrf: str, item_id: guard.Id, version: int | None, run: Any) -> Response:
    """Check the form's token and version, run one use case as the logged-in person at the server's
    time, then back to the item (POST-redirect-GET)."""
    guard.check_csrf(request, who, csrf)
    w = guard.web(request)
    with w.write() as conn:
        _expect(conn, who, item_id, version)
        run(conn, w.now())
    return guard.redirect(f"/items/{item_id}?done=1")


Csrf = Annotated[str, Form()]
Version = Annotated[int | None, Form(ge=1, le=2**31 - 1)]


@router.post("/items/{item_id}/do/{trigger}")
def fire(
    request: Request, who: Who, item_id: guard.Id, trigger: str, csrf: Csrf = "", version: Version = None,
    reason: Text = "", summary: Text = "", finding: Text = "",
) -> Response:  # fmt: skip
    typed = {"reason": reason, "summary": summary, "finding": finding}
    return _act(
        request, who, csrf, item_id, version,
        lambda c, now: actions.fire(c, item_id, trigger, who.name, now, expect_version=version, **typed),
    )  # fmt: skip


@router.post("/items/{item_id}/progress")
def progress(
    request: Request, who: Who, item_id: guard.Id, csrf: Csrf = "", version: Version = None,
    text: Text = "", on: Annotated[str, Form()] = "", when: Annotated[str, Form(max_length=40)] = "",
) -> Response:  # fmt: skip
    def run(c: Any, now: Any) -> object:
        day = parse_date(on) if on else guard.web(request).today()
        return actions.add_progress(c, item_id, who.name, now, on=day, text=text, when_text=when or None)

    return _act(request, who, csrf, item_id, version, run)


@router.post("/items/{item_id}/measure-done")
def measure_done(
    request: Request, who: Who, item_id: guard.Id, seq: Annotated[int, Form(ge=1, le=2**31 - 1)], csrf: Csrf = "",
    version: Version = None, on: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(
        request, who, csrf, item_id, version,
        lambda c, now: actions.complete_measure(c, item_id, seq, who.name, now, on=parse_date(on) if on else None),
    )  # fmt: skip


@router.post("/items/{item_id}/measure-add")
def measure_add(
    request: Request, who: Who, item_id: guard.Id, csrf: Csrf = "", version: Version = None, text: Text = "",
    owner: Annotated[str, Form(max_length=200)] = "", due: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _act(
        request, who, csrf, item_id, version,
        lambda c, now: actions.add_measure(
            c, item_id, who.name, now, text=text, owner=owner or None, due=parse_date(due) if due else None
        ),
    )  # fmt: skip


@router.post("/items/{item_id}/extend")
def extend(
    request: Request, who: Who, item_id: guard.Id, csrf: Csrf = "", version: Version = None,
    to: Annotated[str, Form()] = "", reason: Text = "", approved_by: Annotated[str, Form(max_length=64)] = "",
) -> Response:  # fmt: skip
    return _act(
        request, who, csrf, item_id, version,
        lambda c, now: actions.extend(
            c, item_id, who.name, now, new_deadline=parse_date(to), reason=reason,
            approved_by=approved_by or None, expect_version=version,
        ),
    )  # fmt: skip


@router.post("/items/{item_id}/reassign")
def reassign(
    request: Request, who: Who, item_id: guard.Id, csrf: Csrf = "", version: Version = None, reason: Text = "",
    leader: Annotated[str, Form(max_length=64)] = "", dept: Annotated[str, Form(max_length=200)] = "",
    handler: Annotated[str, Form(max_length=64)] = "",
) -> Response:  # fmt: skip
    return _act(
        request, who, csrf, item_id, version,
        lambda c, now: actions.reassign(
            c, item_id, who.name, now, reason=reason, leader=leader or None, department=dept or None,
            handler=handler or None, expect_version=version,
        ),
    )  # fmt: skip


@router.post("/items/{item_id}/evidence")
def evidence(
    request: Request, who: Who, item_id: guard.Id, kind: Annotated[str, Form()], csrf: Csrf = "",
    version: Version = None, ref: Annotated[str, Form(max_length=200)] = "", note: Text = "",
    file: UploadFile | None = None,
) -> Response:  # fmt: skip
    limit = guard.web(request).max_upload

    def run(c: Any, now: Any) -> object:
        if file is None or not file.filename:
            return actions.attach_evidence(
                c, item_id, who.name, now, kind=kind, ref=ref or None, note=note or None
            )
        with uploads.saved(file, limit) as path:
            return actions.attach_evidence(
                c, item_id, who.name, now, kind=kind, ref=ref or None, file=path, note=note or None
            )

    return _act(request, who, csrf, item_id, version, run)
