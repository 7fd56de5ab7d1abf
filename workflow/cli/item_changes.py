"""`item add` (a single new problem, without a YAML or ledger import) and `item edit` (its descriptive
text). The state, the deadline and the people are the lifecycle's: `item edit` accepts those options
only to refuse them with the command that changes them (workflow.items.editing)."""

from __future__ import annotations

import click

from workflow.cli.app import ID, App, pass_app, round_option


@click.command("add")
@click.argument("title")
@click.option(
    "--aspect", required=True, help="The aspect (方面) it belongs to: its number (一) or its title."
)
@click.option("--leader", help="Responsible leader (责任领导): a person.")
@click.option("--department", "--dept", "department", help="Responsible department (责任部门).")
@click.option("--handler", help="Responsible person (责任人): a person.")
@click.option("--deadline", metavar="DATE|立行立改|长期坚持", help="完成时限.")
@click.option("--description", help="The problem as the feedback states it (问题描述).")
@click.option("--instance", help="Typical instance (典型表现).")
@click.option("--cooperating", help="Cooperating units, separated by 、")
@click.option("--measure", "measures", multiple=True, help="A rectification measure; repeatable.")
@round_option
@click.option("--unit", help="The inspected unit (被巡察单位) (default: the round's only one, or one's own).")
@pass_app
def item_add(
    app: App,
    title: str,
    aspect: str,
    leader: str | None,
    department: str | None,
    handler: str | None,
    deadline: str | None,
    description: str | None,
    instance: str | None,
    cooperating: str | None,
    measures: tuple[str, ...],
    round_name: str | None,
    unit: str | None,
) -> None:
    """Add one problem (新增问题) in 已登记, numbered after the last of its aspect (office only).

    \b
    Example:
        zhenggai --as 镇整改办 item add --aspect 一 "村级财务公开不及时" --leader 徐波 \\
            --department 财政所 --deadline 2025-06-30 --measure "按季度公开村级财务"
    """
    from workflow.items import editing

    with app.write() as conn:
        item_id, number = editing.add_item(
            conn,
            app.actor,
            app.now(),
            aspect=aspect,
            title=title,
            round_name=round_name,
            description=description,
            instance=instance,
            leader=leader,
            department=department,
            handler=handler,
            cooperating=cooperating,
            deadline=deadline,
            measures=measures,
            unit=unit,
        )
    click.echo(f"已新增事项 {item_id}（{number}），状态：已登记")


@click.command("edit")
@click.argument("item_id", type=ID)
@click.option("--title", help="问题标题.")
@click.option("--description", help="问题描述.")
@click.option("--instance", help="典型表现.")
@click.option("--state", help="Refused: the lifecycle commands (assign, start, submit …) move the state.")
@click.option("--deadline", help="Refused: `item extend` changes the deadline.")
@click.option("--leader", help="Refused: `item reassign` changes the people.")
@click.option("--dept", "department", help="Refused: `item reassign` changes the department.")
@click.option("--handler", help="Refused: `item reassign` changes the people.")
@click.option(
    "--expect-version", type=ID, help="Refuse with a conflict if the item changed since you saw it."
)
@pass_app
def item_edit(app: App, item_id: int, expect_version: int | None, **fields: str | None) -> None:
    """Correct an item's title, description or typical instance (office only, audited). The state
    moves by the lifecycle commands, the deadline by `item extend`, the people by `item reassign`.

    \b
    Example:
        zhenggai --as 镇整改办 item edit 1 --title "违规占用耕地建设养殖场"
    """
    from workflow.cli.render import outcome_text
    from workflow.items import editing

    with app.write() as conn:
        outcome = editing.edit_item(
            conn, item_id, app.actor, app.now(), fields=fields, expect_version=expect_version
        )
    click.echo(outcome_text(outcome))
