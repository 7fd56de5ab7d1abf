"""Commands for the records of a round: rules made or revised (建章立制), accountability (问责)."""

from __future__ import annotations

import click

from workflow.cli.app import ID, App, date_arg, emit, json_option, pass_app, round_option


@click.group("rule")
def rule() -> None:
    """Rules made or revised (建章立制) as part of the rectification."""


@rule.command("add")
@click.argument("title")
@click.option(
    "--kind",
    type=click.Choice(["made", "revised", "制定", "修订"]),
    required=True,
    help="made 制定 / revised 修订 (either word).",
)
@click.option("--on", "on", metavar="DATE", required=True, help="Date issued.")
@click.option("--item", "item_id", type=ID, help="The item it answers, if one.")
@click.option("--doc", "doc_ref", help="Document number (文号).")
@click.option("--note")
@round_option
@json_option
@pass_app
def rule_add(
    app: App,
    title: str,
    kind: str,
    on: str,
    item_id: int | None,
    doc_ref: str | None,
    note: str | None,
    round_name: str | None,
    as_json: bool,
) -> None:
    """Record a rule made or revised (office only); the public report counts it.

    \b
    Example:
        zhenggai --as 镇整改办 rule add 太山镇耕地保护网格化巡查制度 --kind revised --on 2024-11-22 --item 1
    """
    from workflow.items import round_records

    issued = date_arg(on)
    assert issued is not None
    with app.write() as conn:
        record = round_records.add_rule(
            conn,
            app.actor,
            app.now(),
            title=title,
            kind=kind,
            issued_on=issued,
            round_name=round_name,
            item_id=item_id,
            doc_ref=doc_ref,
            note=note,
        )
    emit(
        record,
        as_json,
        lambda: f"已记录{round_records.RULE_KINDS[record['kind']]}制度：{record['title']}（{issued}）",
    )


@rule.command("list")
@round_option
@json_option
@pass_app
def rule_list(app: App, round_name: str | None, as_json: bool) -> None:
    """List rules made or revised.

    \b
    Example:
        zhenggai rule list
    """
    from workflow.cli import render
    from workflow.read import rounds
    from workflow.read.scope import scope_of

    with app.read() as conn:
        rows = rounds.list_rules(conn, round_name, scope_of(conn, app.actor))
    cols = [
        ("id", "ID"),
        ("issued_on", "日期"),
        ("kind_label", "类型"),
        ("title", "制度"),
        ("doc_ref", "文号"),
    ]
    emit(rows, as_json, lambda: render.table(rows, cols) if rows else "（没有记录）")


@click.group("accountability")
def accountability() -> None:
    """Accountability actions (问责): who, by what measure, when and why."""


@accountability.command("add")
@click.argument("person")
@click.option(
    "--measure", required=True, metavar="KIND", help="诫勉谈话, 批评教育, 提醒谈话, 通报批评, 党纪处分 …"
)
@click.option("--on", "on", metavar="DATE", required=True, help="Date decided.")
@click.option("--post", help="Unit and post of the person (单位及职务).")
@click.option("--item", "item_id", type=ID, help="The item it concerns, if one.")
@click.option("--reason")
@round_option
@json_option
@pass_app
def accountability_add(
    app: App,
    person: str,
    measure: str,
    on: str,
    post: str | None,
    item_id: int | None,
    reason: str | None,
    round_name: str | None,
    as_json: bool,
) -> None:
    """Record an accountability action (office only); the reports count it.

    \b
    Example:
        zhenggai --as 镇整改办 accountability add 张某 --measure 诫勉谈话 --on 2025-01-10 --item 3
    """
    from workflow.items import round_records

    decided = date_arg(on)
    assert decided is not None
    with app.write() as conn:
        record = round_records.add_accountability(
            conn,
            app.actor,
            app.now(),
            person=person,
            measure=measure,
            decided_on=decided,
            post=post,
            round_name=round_name,
            item_id=item_id,
            reason=reason,
        )
    emit(record, as_json, lambda: f"已记录问责：{record['person']}，{record['measure']}（{decided}）")


@accountability.command("list")
@round_option
@json_option
@pass_app
def accountability_list(app: App, round_name: str | None, as_json: bool) -> None:
    """List accountability actions.

    \b
    Example:
        zhenggai accountability list --json
    """
    from workflow.cli import render
    from workflow.read import rounds
    from workflow.read.scope import scope_of

    with app.read() as conn:
        rows = rounds.list_accountability(conn, round_name, scope_of(conn, app.actor))
    cols = [
        ("id", "ID"),
        ("decided_on", "日期"),
        ("person", "被问责人"),
        ("post", "单位及职务"),
        ("measure", "方式"),
    ]
    emit(rows, as_json, lambda: render.table(rows, cols) if rows else "（没有记录）")
