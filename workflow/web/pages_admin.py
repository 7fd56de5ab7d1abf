"""管理 (the office): people (add, reset password), rounds, rules made and accountability records."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from states.guards import not_permitted
from states.lifecycle import Role
from workflow.accounts import passwords, sessions
from workflow.dates import parse_date
from workflow.db.tables.core import ROUND
from workflow.errors import PermissionDenied
from workflow.items import people, round_records
from workflow.read import directory, rounds, units
from workflow.read.scope import Scope
from workflow.web import guard
from workflow.web.guard import Me
from workflow.web.view import render

router = APIRouter()
Who = Annotated[Me, Depends(guard.me)]
Csrf = Annotated[str, Form()]
Line = Annotated[str, Form(max_length=500)]


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, who: Who) -> Response:
    if refused := not_permitted(who.actor, "person_add"):
        raise PermissionDenied(refused)
    with guard.web(request).read() as conn:
        everyone = directory.people(conn, Scope.of(who.actor).unit)
        round_rows = [dict(r._mapping) for r in conn.execute(sa.select(ROUND).order_by(ROUND.c.id))]
        rules = rounds.list_rules(conn)
        accountability = rounds.list_accountability(conn)
        scope = Scope.of(who.actor)
        round_units = [(r, units.units_of(conn, r["id"], scope)) for r in round_rows]
    return render(
        request, "admin.html", who, people=everyone, rounds=round_rows, rules=rules,
        accountability=accountability, roles=list(Role), round_units=round_units,
        unit_names=sorted({u.name for _, us in round_units for u in us}),
        may_move=who.actor.sees_every_unit,
    )  # fmt: skip


@router.post("/admin/people")
def person_add(
    request: Request, who: Who, csrf: Csrf = "", name: Line = "", roles: Annotated[list[str], Form()] = [],  # noqa: B006
    dept: Line = "", title: Line = "", email: Line = "",
) -> Response:  # fmt: skip
    guard.check_csrf(request, who, csrf)
    w = guard.web(request)
    with w.write() as conn:
        people.add_person(
            conn, who.name, w.now(), name=name, roles=",".join(roles), department=dept or None,
            title=title or None, email=email or None,
        )  # fmt: skip
    return guard.redirect("/admin")


@router.post("/admin/people/password")
def person_password(
    request: Request, who: Who, csrf: Csrf = "", name: Line = "",
    password: Annotated[str, Form(max_length=passwords.MAX_LENGTH)] = "",
) -> Response:  # fmt: skip
    guard.check_csrf(request, who, csrf)
    w = guard.web(request)
    with w.write() as conn:
        passwords.reset(conn, who.name, name, password, w.now())
        sessions.end_all(conn, name)  # whoever held the old password is out
    return guard.redirect("/admin?reset=1")


@router.post("/admin/people/edit")
def person_edit(
    request: Request, who: Who, csrf: Csrf = "", name: Line = "", roles: Annotated[list[str], Form()] = [],  # noqa: B006
    dept: Line = "", title: Line = "", email: Line = "", reactivate: Annotated[bool, Form()] = False,
    unit: Line = "",
) -> Response:  # fmt: skip
    """Roles as ticked (the difference from now is added and removed); a blank field stays as it is.
    The unit comes as "" (unchanged) or "=" followed by the unit's name ("=" alone: the county level),
    so that no unit's name can be mistaken for "unchanged"."""
    guard.check_csrf(request, who, csrf)
    w = guard.web(request)
    with w.write() as conn:
        current = {r for p in directory.people(conn) if p["name"] == name for r in p["roles"].split(",")}
        wanted = set(roles) if roles else current
        people.edit_person(
            conn, who.name, w.now(), name=name, add_roles=tuple(sorted(wanted - current)),
            remove_roles=tuple(sorted(current - wanted)), department=dept or None, title=title or None,
            email=email or None, reactivate=reactivate, unit=unit[1:] if unit.startswith("=") else None,
        )  # fmt: skip
    return guard.redirect("/admin")


@router.post("/admin/people/deactivate")
def person_deactivate(
    request: Request, who: Who, csrf: Csrf = "", name: Line = "", reason: Line = ""
) -> Response:
    guard.check_csrf(request, who, csrf)
    w = guard.web(request)
    with w.write() as conn:
        people.deactivate_person(conn, who.name, w.now(), name=name, reason=reason or None)
        sessions.end_all(conn, name)  # logged out everywhere at once
    return guard.redirect("/admin")


@router.post("/admin/rules")
def rule_add(
    request: Request, who: Who, csrf: Csrf = "", title: Line = "", kind: Line = "made",
    issued_on: Line = "", doc_ref: Line = "", note: Line = "",
) -> Response:  # fmt: skip
    guard.check_csrf(request, who, csrf)
    w = guard.web(request)
    with w.write() as conn:
        round_records.add_rule(
            conn, who.name, w.now(), title=title, kind=kind, issued_on=parse_date(issued_on),
            doc_ref=doc_ref or None, note=note or None,
        )  # fmt: skip
    return guard.redirect("/admin")


@router.post("/admin/accountability")
def accountability_add(
    request: Request, who: Who, csrf: Csrf = "", person: Line = "", measure: Line = "",
    decided_on: Line = "", post: Line = "", reason: Line = "",
) -> Response:  # fmt: skip
    guard.check_csrf(request, who, csrf)
    w = guard.web(request)
    with w.write() as conn:
        round_records.add_accountability(
            conn, who.name, w.now(), person=person, measure=measure, decided_on=parse_date(decided_on),
            post=post or None, reason=reason or None,
        )  # fmt: skip
    return guard.redirect("/admin")
