"""The person commands: add, edit, deactivate, map a PostgreSQL login, list. Roles may be typed in
English or Chinese (office / 整改办, handler / 责任人 …: states.lifecycle.ROLE_NAMES)."""

from __future__ import annotations

import click

from workflow.cli.app import ROLE, App, emit, json_option, pass_app

_ROLES_HELP = "office|leader|handler|approver|auditor, or 整改办|责任领导|责任人|销号审核人|审计"


@click.group()
def person() -> None:
    """People and their roles (office, leader, handler, approver, auditor)."""


@person.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=ROLE, help=f"Repeatable: {_ROLES_HELP}.")
@click.option("--dept", help="Department (部门).")
@click.option("--title", help="Post (职务).")
@click.option("--email", help="For reminders.")
@click.option("--unit", help="The inspected unit (被巡察单位) they work in; omitted: the county level.")
@pass_app
def person_add(
    app: App,
    name: str,
    roles: tuple[str, ...],
    dept: str | None,
    title: str | None,
    email: str | None,
    unit: str | None,
) -> None:
    """Add a person (office only). A person of a unit sees and acts on that unit's items only.

    \b
    Example:
        zhenggai --as 镇整改办 person add 县委巡察办 --role approver --dept 县委巡察办
        zhenggai --as 镇整改办 person add 李四 --role 责任人 --dept 财政所
        zhenggai --as 县委巡察办 person add 城关镇整改办 --role office --unit 城关镇
    """
    from workflow.items import people

    with app.write() as conn:
        people.add_person(
            conn,
            app.actor,
            app.now(),
            name=name,
            roles=",".join(roles),
            department=dept,
            title=title,
            email=email,
            unit=unit,
        )
    click.echo(f"已添加：{name}（{', '.join(roles)}）" + (f"，属于{unit}" if unit else ""))


_FIELD_LABELS = {
    "roles": "角色",
    "department": "部门",
    "title": "职务",
    "email": "邮箱",
    "unit": "被巡察单位",
    "active": "状态",
}


def _shown(key: str, value: object) -> str:
    from states.lifecycle import Role

    if key == "active":
        return "在用" if value else "已停用"
    if key == "roles" and isinstance(value, str):
        held = value.split(",")
        return "、".join(r.label for r in Role if r.value in held)  # in the table's order
    return str(value) if value not in (None, "") else "（空）"


@person.command("edit")
@click.argument("name")
@click.option("--add-role", "add_roles", multiple=True, type=ROLE, help=f"Repeatable: {_ROLES_HELP}.")
@click.option("--remove-role", "remove_roles", multiple=True, type=ROLE, help="Repeatable.")
@click.option("--dept", help='Department (部门); "" clears it.')
@click.option("--title", help='Post (职务); "" clears it.')
@click.option("--email", help='For reminders; "" clears it.')
@click.option("--unit", help='The inspected unit they work in (county office only); "" = the county level.')
@click.option("--reactivate", is_flag=True, help="Undo a deactivation.")
@pass_app
def person_edit(
    app: App,
    name: str,
    add_roles: tuple[str, ...],
    remove_roles: tuple[str, ...],
    dept: str | None,
    title: str | None,
    email: str | None,
    unit: str | None,
    reactivate: bool,
) -> None:
    """Change a person's roles, department, post, e-mail or unit (office only, audited).

    \b
    Example:
        zhenggai --as 镇整改办 person edit 徐波 --add-role 销号审核人 --email xubo@example.cn
    """
    from workflow.items import people

    with app.write() as conn:
        changes = people.edit_person(
            conn,
            app.actor,
            app.now(),
            name=name,
            add_roles=add_roles,
            remove_roles=remove_roles,
            department=dept,
            title=title,
            email=email,
            unit=unit,
            reactivate=reactivate,
        )
    shown = "；".join(
        f"{_FIELD_LABELS[k]} {_shown(k, old)} → {_shown(k, new)}" for k, (old, new) in changes.items()
    )
    click.echo(f"已修改 {name}：{shown}")


@person.command("deactivate")
@click.argument("name")
@click.option("--reason", help="Why (调离、退休 …).")
@pass_app
def person_deactivate(app: App, name: str, reason: str | None) -> None:
    """Deactivate a person (office only, audited): the history keeps their name; they may no longer
    act or be made responsible, and get no reminders. `person edit NAME --reactivate` undoes it.

    \b
    Example:
        zhenggai --as 镇整改办 person deactivate 规划办经办人 --reason 工作调动
    """
    from workflow.items import people

    with app.write() as conn:
        people.deactivate_person(conn, app.actor, app.now(), name=name, reason=reason)
    click.echo(f"已停用：{name}（历史记录保留，不再能操作，也不再收到提醒）")


@person.command("login")
@click.argument("name")
@click.argument("login")
@pass_app
def person_login(app: App, name: str, login: str) -> None:
    """Map a person to their PostgreSQL login (run by the database owner). From then on, whoever
    connects with that login acts as that person, whatever --as says.

    \b
    Example:
        zhenggai person login 徐波 xubo
    """
    from workflow.items import people

    with app.write() as conn:
        people.set_login(conn, app.actor, app.now(), name=name, login=login)
    click.echo(f"已设置：{name} 使用数据库登录 {login}")


@person.command("list")
@json_option
@pass_app
def person_list(app: App, as_json: bool) -> None:
    """List people (deactivated ones too, marked as such).

    \b
    Example:
        zhenggai person list --json
    """
    from workflow.cli import render
    from workflow.read.people import list_people
    from workflow.read.scope import scope_of

    with app.read() as conn:
        rows = list_people(conn, scope_of(conn, app.actor).unit)
    for r in rows:
        r["active"] = bool(r["active"])
    cols = [
        ("name", "姓名"),
        ("roles", "角色"),
        ("department", "部门"),
        ("title", "职务"),
        ("status", "状态"),
    ]
    if any(r["unit"] for r in rows):
        cols.insert(4, ("unit", "被巡察单位"))
    shown = [{**r, "status": "在用" if r["active"] else "已停用"} for r in rows]
    emit(rows, as_json, lambda: render.table(shown, cols))
