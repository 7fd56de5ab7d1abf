"""The JSON API under /api/v1 (OpenAPI at /api/v1/openapi.json): a personal token in
`Authorization: Bearer …`, the same use cases and the same Chinese reasons as the command line.
Every action needs the version the client last saw in `If-Match` (409 when the item changed since)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, Form, Header, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from states.guards import Actor
from states.lifecycle import BY_TRIGGER, State
from workflow.accounts import sessions
from workflow.errors import Conflict, InvalidInput, NotFound, PermissionDenied, ZhenggaiError
from workflow.inputs import size_text
from workflow.items import actions
from workflow.read import directory, work
from workflow.read.facts import item_row
from workflow.read.items import show_item
from workflow.read.people import load_actor
from workflow.read.scope import Scope
from workflow.web import guard, uploads
from workflow.web.state import Web


class Problem(BaseModel):
    detail: str = Field(description="why, in the words the command line uses")


class Unauthorised(Exception):
    pass


class ActionBody(BaseModel):
    reason: str | None = Field(None, max_length=20000)
    summary: str | None = Field(None, max_length=20000)
    finding: str | None = Field(None, max_length=20000)
    text: str | None = Field(None, max_length=20000, description="progress text")
    on: date | None = Field(None, description="date of a progress entry or of a measure's completion")
    when: str | None = Field(None, max_length=40)
    seq: int | None = Field(None, ge=1, le=2**31 - 1, description="measure number (measure_done)")
    to: date | None = Field(None, description="new deadline (extend)")
    approved_by: str | None = Field(None, max_length=64)


class Outcome(BaseModel):
    item_id: guard.Id
    number: str
    from_state: str
    to_state: str
    version: int


class ItemRow(BaseModel):
    id: int
    number: str
    title: str
    state: str
    state_label: str
    leader: str | None
    department: str | None
    handler: str | None
    deadline: str | None
    overdue: bool
    colour: str
    version: int


class Person(BaseModel):
    name: str
    roles: str
    department: str | None
    title: str | None
    email: str | None
    active: bool
    unit: str | None = Field(None, description="被巡察单位; none: the county level")


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem} for code in (401, 403, 404, 409, 413, 422, 428)
}
# What a name in a query may hold: what the server takes at all (guard.security_headers refuses NUL,
# lone surrogates and U+FFFD with 422), said in the document so that a client knows it beforehand.
TYPABLE = r"^[^\x00\ufffd]*$"  # (lone surrogates cannot be percent-encoded UTF-8 at all)
ACTIONS = (*BY_TRIGGER, "progress", "measure_done", "extend")


def _who(request: Request) -> Actor:
    header = request.headers.get("authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthorised()
    w: Web = request.app.state.web
    with w.read() as conn:
        person = sessions.token_person(conn, raw.strip())
        if person is None:
            raise Unauthorised()
        return load_actor(conn, person)


Who = Annotated[Actor, Depends(_who)]


def _items(
    request: Request,
    who: Who,
    state: State | None = None,
    department: Annotated[str | None, Query(max_length=200, pattern=TYPABLE)] = None,
    leader: Annotated[str | None, Query(max_length=64, pattern=TYPABLE)] = None,
    overdue: bool = False,
    unit: Annotated[
        str | None, Query(max_length=200, pattern=TYPABLE, description="被巡察单位 (within one's own)")
    ] = None,
) -> list[ItemRow]:
    """The items the token's person may see: of their own inspected unit when they belong to one."""
    w: Web = request.app.state.web
    query = work.LedgerQuery(
        state=state.value if state else None,
        department=department,
        leader=leader,
        overdue=overdue,
        unit=unit or None,
        size=10**9,
    )
    with w.read() as conn:
        rows, _ = work.ledger_page(conn, w.today(), query, w.yellow_days, w.scheme, Scope.of(who))
    return [ItemRow(**r) for r in rows]


def _item(request: Request, who: Who, item_id: guard.Id) -> Response:
    w: Web = request.app.state.web
    with w.read() as conn:
        data = show_item(conn, item_id, who, w.today(), w.yellow_days)
    return JSONResponse(data, headers={"ETag": str(data["version"])})


def _run(
    conn: Any, w: Web, who: Actor, item_id: guard.Id, action: str, body: ActionBody, version: int
) -> Any:
    now = w.now()
    item_row(conn, item_id, Scope.of(who))  # out of scope: 404 before any version is compared
    if action in BY_TRIGGER:
        return actions.fire(
            conn, item_id, action, who.name, now, reason=body.reason, summary=body.summary,
            finding=body.finding, expect_version=version,
        )  # fmt: skip
    _same_version(conn, item_id, version)
    if action == "progress":
        return actions.add_progress(
            conn, item_id, who.name, now, on=body.on or w.today(), text=body.text or "", when_text=body.when
        )
    if action == "measure_done":
        if body.seq is None:
            raise InvalidInput("需要整改措施序号（seq）")
        return actions.complete_measure(conn, item_id, body.seq, who.name, now, on=body.on)
    if body.to is None:
        raise InvalidInput("需要新的完成时限（to）")
    return actions.extend(
        conn, item_id, who.name, now, new_deadline=body.to, reason=body.reason, approved_by=body.approved_by
    )


def _same_version(conn: Any, item_id: int, version: int) -> None:
    current = actions.store.current(conn, item_id).version
    if current != version:
        raise Conflict(
            f"事项 {item_id} 已被他人改动（当前版本 {current}，你看到的是 {version}），请刷新后重试"
        )


def _version(if_match: str | None) -> int:
    tag = (if_match or "").strip().strip('"').removeprefix('W/"').strip('"')
    if not tag.isdigit() or len(tag) > 10:
        raise Precondition()
    return int(tag)


def _act(
    request: Request, who: Who, item_id: guard.Id, action: str, body: ActionBody,
    if_match: Annotated[str | None, Header(max_length=20)] = None,
) -> Outcome:  # fmt: skip
    if action not in ACTIONS:
        raise NotFound(f"未知操作 {action!r}（可用：{', '.join(ACTIONS)}）")
    version = _version(if_match)
    w: Web = request.app.state.web
    with w.write() as conn:
        out = _run(conn, w, who, item_id, action, body, version)
    return _outcome(out)


def _evidence(
    request: Request, who: Who, item_id: guard.Id, kind: Annotated[str, Form(min_length=1, max_length=40)],
    ref: Annotated[str, Form(max_length=200)] = "", note: Annotated[str, Form(max_length=20000)] = "",
    file: Annotated[UploadFile | None, File(description="证明材料（大小与类型同网页上传）")] = None,
    if_match: Annotated[str | None, Header(max_length=20)] = None,
) -> Outcome:  # fmt: skip
    """Attach evidence (a file and/or a reference), as the item page's upload form: the same size and
    type checks (the content must match the name's extension), 413 for a file over the limit."""
    version = _version(if_match)
    w: Web = request.app.state.web
    given = file is not None and bool(file.filename)
    if given and file is not None and file.size is not None and file.size > w.max_upload:
        raise TooLarge(f"{file.filename} 太大（超过 {size_text(w.max_upload)}）")
    with w.write() as conn:
        item_row(conn, item_id, Scope.of(who))  # out of scope: 404 before any version is compared
        _same_version(conn, item_id, version)
        if not given or file is None:
            out = actions.attach_evidence(
                conn, item_id, who.name, w.now(), kind=kind, ref=ref or None, note=note or None
            )
        else:
            with uploads.saved(file, w.max_upload) as path:
                out = actions.attach_evidence(
                    conn, item_id, who.name, w.now(), kind=kind, ref=ref or None, file=path, note=note or None
                )  # fmt: skip
    return _outcome(out)


def _outcome(out: Any) -> Outcome:
    return Outcome(
        item_id=out.item_id, number=out.number, from_state=out.from_state.value,
        to_state=out.to_state.value, version=out.version,
    )  # fmt: skip


class Precondition(Exception):
    pass


class TooLarge(Exception):
    pass


def _people(request: Request, who: Who) -> list[Person]:
    w: Web = request.app.state.web
    with w.read() as conn:
        return [Person(**p) for p in directory.people(conn, Scope.of(who).unit)]


def _report(
    request: Request, who: Who, kind: str, as_of: date | None = None,
    unit: Annotated[str | None, Query(max_length=200, pattern=TYPABLE, description="被巡察单位 (a county's: required)")] = None,
) -> dict[str, str]:  # fmt: skip
    from workflow.reports import document, periodic, public, settings

    if kind not in ("public", "weekly", "monthly"):
        raise NotFound(f"未知报告 {kind!r}（可用：public、weekly、monthly）")
    w: Web = request.app.state.web
    config = settings.load(w.config)
    day = as_of or w.today()
    scope = Scope.of(who)
    with w.read() as conn:
        built = (
            public.public(conn, day, config, unit_name=unit, scope=scope)[0]
            if kind == "public"
            else periodic.periodic(conn, kind, day, config, unit_name=unit, scope=scope)[0]
        )
    return {"kind": kind, "as_of": day.isoformat(), "markdown": document.to_markdown(built)}


class RollupRow(BaseModel, extra="allow"):
    unit: str = Field(description="被巡察单位")
    problems: int
    completed: int
    in_progress: int
    completion_rate: str
    overdue: int
    rules_made: int


class Rollup(BaseModel):
    round: str
    as_of: str
    units: int = Field(description="the round's inspected units the person sees")
    rows: list[RollupRow] = Field(description="one per unit, slowest (lowest completion rate) first")
    totals: dict[str, Any] = Field(description="the sums of the rows")


def _rollup(
    request: Request, who: Who, as_of: date | None = None,
    round: Annotated[str | None, Query(max_length=200, pattern=TYPABLE, description="巡察轮次 (default: the only one)")] = None,
) -> Rollup:  # fmt: skip
    """The county roll-up by inspected unit as of a date (`report rollup`): a unit's person gets their
    own unit's row only."""
    from workflow.web.pages_reports import rollup_data

    w: Web = request.app.state.web
    return Rollup(**rollup_data(w, who, as_of or w.today(), round))


def create(w: Web) -> FastAPI:
    api = FastAPI(
        title="zhenggai API", version="1", docs_url=None, redoc_url=None, openapi_url="/openapi.json"
    )
    api.state.web = w
    api.get("/items", response_model=list[ItemRow], responses=_ERRORS)(_items)
    api.get("/items/{item_id}", responses=_ERRORS)(_item)
    api.post("/items/{item_id}/evidence", response_model=Outcome, responses=_ERRORS)(_evidence)
    api.post("/items/{item_id}/{action}", response_model=Outcome, responses=_ERRORS)(_act)
    api.get("/people", response_model=list[Person], responses=_ERRORS)(_people)
    api.get("/reports/rollup", response_model=Rollup, responses=_ERRORS)(_rollup)
    api.get("/reports/{kind}", responses=_ERRORS)(_report)

    @api.exception_handler(Unauthorised)
    def _401(request: Request, exc: Unauthorised) -> Response:
        return JSONResponse({"detail": "需要有效的 API 令牌（Authorization: Bearer …）"}, 401)

    @api.exception_handler(Precondition)
    def _428(request: Request, exc: Precondition) -> Response:
        return JSONResponse({"detail": "请在 If-Match 中给出你看到的事项版本号"}, 428)

    @api.exception_handler(TooLarge)
    def _413(request: Request, exc: TooLarge) -> Response:
        return JSONResponse({"detail": str(exc)}, 413)

    @api.exception_handler(ZhenggaiError)
    def _refused(request: Request, exc: ZhenggaiError) -> Response:
        return JSONResponse({"detail": str(exc)}, guard.status_of(exc))

    @api.exception_handler(ValueError)
    def _bad(request: Request, exc: ValueError) -> Response:
        return JSONResponse({"detail": str(exc)}, 422)

    @api.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse({"detail": f"请求有误：{where} {first.get('msg', '')}".strip()}, 422)

    _ = PermissionDenied
    return api
