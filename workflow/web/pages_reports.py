"""挂图作战, 报告 (preview and download), 台账导入 (upload, dry run, confirm), 审计 (log, verify,
sign-off sheet)."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from states.guards import Actor
from workflow.dates import parse_date
from workflow.errors import InvalidInput, PermissionDenied
from workflow.read.scope import Scope
from workflow.read.units import unit_names
from workflow.web import guard
from workflow.web.guard import Me
from workflow.web.view import render

router = APIRouter()
Who = Annotated[Me, Depends(guard.me)]
Unit = Annotated[str | None, Query(max_length=200)]
KINDS = {"public": "整改进展情况通报（公开）", "weekly": "周通报", "monthly": "月通报"}
_IMPORTS = Path(tempfile.gettempdir()) / "zhenggai-imports"


def _day(request: Request, as_of: str | None) -> Any:
    return parse_date(as_of) if as_of else guard.web(request).today()


@router.get("/board", response_class=HTMLResponse)
def board_page(request: Request, who: Who, as_of: str | None = None) -> Response:
    from workflow.reports import board, board_page, settings

    w = guard.web(request)
    day = _day(request, as_of)
    config = settings.load(w.config)
    with w.read() as conn:
        data = board.data(
            conn,
            day,
            yellow_days=config.yellow_days,
            rate=config.rate,
            labels=config.labels,
            scheme=config.lights,
            scope=Scope.of(who.actor),
        )
    return HTMLResponse(board_page.page(data, assets="/board-assets"))


def _document(request: Request, who: Me, kind: str, day: Any, unit: str | None) -> Any:
    from workflow.reports import periodic, public, settings

    if kind not in KINDS:
        raise InvalidInput(f"未知报告 {kind!r}（可用：{'、'.join(KINDS)}）")
    w = guard.web(request)
    config = settings.load(w.config)
    scope, unit = Scope.of(who.actor), (unit or "").strip()[:200] or None
    with w.read() as conn:
        if kind == "public":
            return public.public(conn, day, config, unit_name=unit, scope=scope)[0]
        return periodic.periodic(conn, kind, day, config, unit_name=unit, scope=scope)[0]


@router.get("/reports", response_class=HTMLResponse)
def reports(
    request: Request, who: Who, kind: str = "public", as_of: str | None = None, unit: Unit = None
) -> Response:
    from workflow.reports import document

    day = _day(request, as_of)
    with guard.web(request).read() as conn:
        units = unit_names(conn, Scope.of(who.actor))
    unit = unit or (units[0] if len(units) > 1 else None)  # a county's report is one unit's at a time
    text = document.to_markdown(_document(request, who, kind, day, unit))
    return render(
        request, "reports.html", who, kinds=KINDS, kind=kind, day=day, text=text, units=units, unit=unit
    )


@router.get("/reports/{kind}.{fmt}")
def report_file(
    request: Request, who: Who, kind: str, fmt: str, as_of: str | None = None, unit: Unit = None
) -> Response:
    from workflow.reports import document

    day = _day(request, as_of)
    built = _document(request, who, kind, day, unit)
    name = quote(f"{KINDS[kind]}-{day}.{fmt}")
    disposition = {"Content-Disposition": f"attachment; filename*=UTF-8''{name}"}
    if fmt == "md":
        return Response(
            document.to_markdown(built), media_type="text/markdown; charset=utf-8", headers=disposition
        )
    if fmt != "docx":
        raise InvalidInput("格式应为 md 或 docx")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.docx"
        document.to_docx(built, out)
        data = out.read_bytes()
    mime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return Response(data, media_type=mime, headers=disposition)


# --- 汇总 (the county roll-up by unit) ----------------------------------------------------------------


def rollup_data(w: Any, who: Actor, day: Any, round_name: str | None) -> dict[str, Any]:
    """`report rollup` as the person sees it: their own unit's row when they belong to one."""
    from workflow.reports import rollup, settings

    rate = settings.load(w.config).rate
    with w.read() as conn:
        return rollup.data(
            conn, day, round_name=(round_name or "").strip()[:200] or None, rate=rate,
            scope=Scope.of(who),
        )  # fmt: skip


@router.get("/rollup", response_class=HTMLResponse)
def rollup_page(request: Request, who: Who, as_of: str | None = None, round: Unit = None) -> Response:
    from workflow.reports import rollup

    day = _day(request, as_of)
    data = rollup_data(guard.web(request), who.actor, day, round)
    return render(request, "rollup.html", who, data=data, day=day, columns=rollup.COLUMNS, round=round)


@router.get("/rollup.{fmt}")
def rollup_file(
    request: Request, who: Who, fmt: str, as_of: str | None = None, round: Unit = None
) -> Response:
    from workflow.reports import document, rollup

    if fmt not in _FILES:
        raise InvalidInput("格式应为 md、docx 或 xlsx")
    day = _day(request, as_of)
    data = rollup_data(guard.web(request), who.actor, day, round)
    name = quote(f"{data['round']}整改进度汇总-{day}.{fmt}")
    disposition = {"Content-Disposition": f"attachment; filename*=UTF-8''{name}"}
    if fmt == "md":
        text = document.to_markdown(rollup.document(data))
        return Response(text, media_type=_FILES[fmt], headers=disposition)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"rollup.{fmt}"
        if fmt == "docx":
            document.to_docx(rollup.document(data), out)
        else:
            rollup.to_xlsx(data, out)
        return Response(out.read_bytes(), media_type=_FILES[fmt], headers=disposition)


_FILES = {
    "md": "text/markdown; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


# --- 台账导入 ------------------------------------------------------------------------------------------


def _office(who: Me) -> None:
    from states.guards import not_permitted

    if refused := not_permitted(who.actor, "ledger_import"):
        raise PermissionDenied(refused)


@router.get("/import", response_class=HTMLResponse)
def import_form(request: Request, who: Who) -> Response:
    _office(who)
    return render(request, "import.html", who, result=None)


def _stored(who: Me, token: str) -> Path:
    if not token.isalnum() or len(token) != 64:
        raise InvalidInput("导入文件已失效，请重新上传")
    folder = _IMPORTS / hashlib.sha256(who.name.encode()).hexdigest()[:16] / token
    found = [p for p in folder.glob("*") if p.is_file()] if folder.is_dir() else []
    if not found:
        raise InvalidInput("导入文件已失效，请重新上传")
    return found[0]


def _plan(request: Request, who: Me, path: Path, write: bool) -> dict[str, Any]:
    from workflow.intake.ledger import apply, plan, workbook

    w = guard.web(request)
    table = workbook.load(path)
    mapping = [(workbook.column_letter(i), c.header) for i, c in sorted(table.columns.items())]
    out: dict[str, Any] = {"file": path.name, "sheet": table.sheet, "mapping": mapping, "problems": []}
    try:
        with w.write() if write else w.read() as conn:
            target = plan.target_round(conn, table.meta, None)
            planned = plan.prepare(conn, table, target, who.name, today=w.today())
            out.update(round=target.name, create=len(planned.creates), update=len(planned.updates))
            if write:
                out["summary"] = apply.apply(conn, planned, w.now()).__dict__
    except plan.LedgerInvalid as exc:
        out["problems"] = exc.problems
    return out


@router.post("/import", response_class=HTMLResponse)
def import_upload(
    request: Request, who: Who, file: UploadFile, csrf: Annotated[str, Form()] = ""
) -> Response:
    guard.check_csrf(request, who, csrf)
    _office(who)
    from workflow.intake.ledger.workbook import MAX_FILE_BYTES as MAX_BYTES

    data = file.file.read(MAX_BYTES + 1)
    name = Path(file.filename or "").name
    if Path(name).suffix.lower() not in (".xlsx", ".csv") or not data or len(data) > MAX_BYTES:
        raise InvalidInput("请上传非空的 .xlsx 或 .csv 台账文件（不超过大小限制）")
    token = hashlib.sha256(data).hexdigest()
    folder = _IMPORTS / hashlib.sha256(who.name.encode()).hexdigest()[:16] / token
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ("ledger" + Path(name).suffix.lower())).write_bytes(data)
    result = _plan(request, who, _stored(who, token), write=False)
    return render(request, "import.html", who, result=result, token=token, name=name)


@router.post("/import/confirm", response_class=HTMLResponse)
def import_confirm(
    request: Request, who: Who, token: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = ""
) -> Response:
    guard.check_csrf(request, who, csrf)
    _office(who)
    result = _plan(request, who, _stored(who, token), write=True)
    return render(request, "import.html", who, result=result, token=None, name=result["file"])


# --- 审计 ---------------------------------------------------------------------------------------------


@router.get("/audit", response_class=HTMLResponse)
def audit_log(
    request: Request, who: Who, item: int | None = None, actor: str | None = None, verify: bool = False
) -> Response:
    from workflow.audit import verify as checks
    from workflow.read.items import history

    with guard.web(request).read() as conn:
        log = history(conn, item, None if item else 200, Scope.of(who.actor))
        if actor:
            log = [e for e in log if e.actor == actor]
        verdict = checks.verify(conn, deep=True) if verify else None
    return render(
        request, "audit.html", who, log=list(reversed(log)), verdict=verdict, item=item, actor=actor
    )


@router.get("/items/{item_id}/signoff", response_class=HTMLResponse)
def signoff(request: Request, who: Who, item_id: guard.Id) -> Response:
    from workflow.read.items import signoff_sheet

    with guard.web(request).read() as conn:
        sheet = signoff_sheet(conn, item_id, Scope.of(who.actor))
    return render(request, "signoff.html", who, sheet=sheet)
