"""The item commands: list, show, the lifecycle triggers (one per row of the transition table) and
the audited actions that keep the state."""

from __future__ import annotations

from pathlib import Path

import click

from states.lifecycle import BY_INPUT, EVIDENCE_KINDS, INPUTS, TRANSITIONS, State, Transition, needed_by
from workflow.cli.app import COUNT_OR_ZERO, ID, STATE, App, date_arg, emit, json_option, pass_app
from workflow.cli.item_changes import item_add, item_edit


@click.group()
def item() -> None:
    """Rectification items: list, show, add, edit, and every action on them."""


item.add_command(item_add)
item.add_command(item_edit)


@item.command("list")
@click.option(
    "--state",
    type=STATE,
    help="Only items in this state: " + ", ".join(f"{s.value}/{s.label}" for s in State),
)
@click.option("--dept", help="Only this responsible department.")
@click.option("--leader", help="Only this responsible leader.")
@click.option("--overdue", is_flag=True, help="Only open items past their deadline.")
@click.option("--unit", help="Only this inspected unit (被巡察单位).")
@click.option(
    "--due-within",
    type=COUNT_OR_ZERO,
    metavar="DAYS",
    help="Only open items due from today to DAYS days ahead.",
)
@click.option("--category", help="Only this problem category (方面): its number, e.g. 一, or its title.")
@json_option
@pass_app
def item_list(
    app: App,
    state: str | None,
    dept: str | None,
    leader: str | None,
    overdue: bool,
    unit: str | None,
    due_within: int | None,
    category: str | None,
    as_json: bool,
) -> None:
    """List items (the ledger view).

    \b
    Example:
        zhenggai item list --state 整改中 --dept 村镇规划建设办公室
        zhenggai item list --due-within 7
    """
    from workflow.cli.render import item_rows
    from workflow.read.items import list_items
    from workflow.read.scope import scope_of

    with app.read() as conn:
        rows = list_items(
            conn,
            app.today(),
            state=state,
            department=dept,
            leader=leader,
            overdue=overdue,
            unit=unit,
            scope=scope_of(conn, app.actor),
            due_within=due_within,
            category=category,
            yellow_days=app.yellow_days,
            scheme=app.light_scheme,
        )
    emit(rows, as_json, lambda: item_rows(rows) if rows else "（没有符合条件的事项）")


@item.command("show")
@click.argument("item_id", type=ID)
@json_option
@pass_app
def item_show(app: App, item_id: int, as_json: bool) -> None:
    """Show one item: plan, measures, progress, evidence, history, and what you can do now.

    \b
    Example:
        zhenggai --as 规划办经办人 item show 1
    """
    from workflow.cli.render import item_text
    from workflow.read.items import show_item
    from workflow.read.people import load_actor

    with app.read() as conn:
        actor = load_actor(conn, app.actor) if app.actor else None
        data = show_item(conn, item_id, actor, app.today(), app.yellow_days, app.light_scheme)
    emit(data, as_json, lambda: item_text(data, app.labels))


def _input_help(name: str) -> str:
    """An input's help, naming the triggers that need it: "Why (required for reject and reopen)."."""
    triggers = needed_by(name)
    if not triggers:
        return f"{BY_INPUT[name].help}."
    listed = triggers[0] if len(triggers) == 1 else f"{', '.join(triggers[:-1])} and {triggers[-1]}"
    return f"{BY_INPUT[name].help} (required for {listed})."


def _trigger_command(t: Transition) -> click.Command:
    """The command of one row of the transition table: every input as an option, the row's in the example."""
    example = " ".join(
        [f"zhenggai --as NAME item {t.trigger} 1", *(f"{BY_INPUT[n].option} …" for n in t.needs)]
    )

    @pass_app
    def command(app: App, item_id: int, expect_version: int | None, **inputs: str | None) -> None:
        from workflow.items import actions

        with app.write() as conn:
            outcome = actions.fire(
                conn, item_id, t.trigger, app.actor, app.now(), expect_version=expect_version, **inputs
            )
        _echo_outcome(outcome)

    command = click.option(
        "--expect-version", type=ID, help="Refuse with a conflict if the item changed since you saw it."
    )(command)
    for i in reversed(INPUTS):
        command = click.option(i.option, i.name, help=_input_help(i.name))(command)
    command = click.argument("item_id", type=ID)(command)
    sources = "、".join(s.label for s in t.source)
    doc = f"{t.label}: {sources} → {t.dest.label}.\n\n\b\nExample:\n    {example}"
    return click.command(t.trigger, help=doc)(command)


for _t in TRANSITIONS:
    item.add_command(_trigger_command(_t))


@item.command("extend")
@click.argument("item_id", type=ID)
@click.option("--to", "to", required=True, metavar="DATE", help="The new deadline.")
@click.option("--reason", required=True, help="Why the extension is needed.")
@click.option("--approved-by", required=True, metavar="NAME", help="The leader or approver who agreed.")
@click.option("--expect-version", type=ID)
@pass_app
def item_extend(
    app: App, item_id: int, to: str, reason: str, approved_by: str, expect_version: int | None
) -> None:
    """Extend the deadline (申请延期), with a reason and an approver.

    \b
    Example:
        zhenggai --as 规划办经办人 item extend 3 --to 2025-03-31 --reason 备案手续办理中 --approved-by 徐波
    """
    from workflow.items import actions

    new = date_arg(to)
    assert new is not None
    with app.write() as conn:
        _echo_outcome(
            actions.extend(
                conn,
                item_id,
                app.actor,
                app.now(),
                new_deadline=new,
                reason=reason,
                approved_by=approved_by,
                expect_version=expect_version,
            )
        )


@item.command("reassign")
@click.argument("item_id", type=ID)
@click.option("--reason", required=True)
@click.option("--leader")
@click.option("--dept")
@click.option("--handler")
@click.option("--cooperating", help="Cooperating units, separated by 、")
@pass_app
def item_reassign(
    app: App,
    item_id: int,
    reason: str,
    leader: str | None,
    dept: str | None,
    handler: str | None,
    cooperating: str | None,
) -> None:
    """Change who is responsible (office only), with a reason.

    \b
    Example:
        zhenggai --as 镇整改办 item reassign 2 --leader 杨公平 --reason 分工调整
    """
    from workflow.items import actions

    with app.write() as conn:
        _echo_outcome(
            actions.reassign(
                conn,
                item_id,
                app.actor,
                app.now(),
                reason=reason,
                leader=leader,
                department=dept,
                handler=handler,
                cooperating=cooperating,
            )
        )


@item.command("categorize")
@click.argument("item_id", type=ID)
@click.argument("category", metavar="CATEGORY")
@click.option("--reason", help="Why (kept on the audit entry).")
@click.option("--expect-version", type=ID)
@pass_app
def item_categorize(
    app: App, item_id: int, category: str, reason: str | None, expect_version: int | None
) -> None:
    """Set the completion category of open work (认定完成类别): 基本完成, 正在整改, 未完成 or 长期坚持
    (or the wording set in [categories]); 已完成 comes only with the sign-off.

    \b
    Example:
        zhenggai --as 县委巡察办 item categorize 3 基本完成 --reason 阶段性目标已完成，持续推进
    """
    from states.categories import Category
    from workflow.items import actions

    words = {**{c.value: c for c in Category}, **{w: c for c, w in app.labels.items()}}
    words.update({c.label: c for c in Category})
    chosen = words.get(category.strip())
    if chosen is None:
        known = "、".join(app.labels[c] for c in Category)
        raise click.BadParameter(f"未知的完成类别（可用：{known}）", param_hint="CATEGORY")
    with app.write() as conn:
        _echo_outcome(
            actions.categorize(
                conn,
                item_id,
                app.actor,
                app.now(),
                category=chosen,
                reason=reason,
                expect_version=expect_version,
            )
        )


@item.command("measure-add")
@click.argument("item_id", type=ID)
@click.argument("text")
@click.option("--owner", help="Department or person carrying it out.")
@click.option("--due", metavar="DATE")
@pass_app
def measure_add(app: App, item_id: int, text: str, owner: str | None, due: str | None) -> None:
    """Add a rectification measure (整改措施).

    \b
    Example:
        zhenggai --as 镇整改办 item measure-add 1 "开展全镇违法占地排查" --due 2024-12-31
    """
    from workflow.items import actions

    with app.write() as conn:
        _echo_outcome(
            actions.add_measure(
                conn, item_id, app.actor, app.now(), text=text, owner=owner, due=date_arg(due)
            )
        )


@item.command("measure-done")
@click.argument("item_id", type=ID)
@click.argument("seq", type=ID)
@click.option("--on", "on", metavar="DATE", help="Completion date (default: today).")
@pass_app
def measure_done(app: App, item_id: int, seq: int, on: str | None) -> None:
    """Mark measure SEQ of an item as done.

    \b
    Example:
        zhenggai --as 规划办经办人 item measure-done 1 1 --on 2024-11-22
    """
    from workflow.items import actions

    with app.write() as conn:
        _echo_outcome(actions.complete_measure(conn, item_id, seq, app.actor, app.now(), on=date_arg(on)))


@item.command("progress")
@click.argument("item_id", type=ID)
@click.argument("text")
@click.option("--on", "on", metavar="DATE", help="Date of the action (default: today).")
@click.option("--when", "when", help="The date as the report should print it, e.g. 11月初.")
@pass_app
def progress(app: App, item_id: int, text: str, on: str | None, when: str | None) -> None:
    """Record a dated progress entry (整改进展).

    \b
    Example:
        zhenggai --as 规划办经办人 item progress 3 "提交设施农用地备案材料" --on 2025-01-24
    """
    from workflow.items import actions

    with app.write() as conn:
        _echo_outcome(
            actions.add_progress(
                conn, item_id, app.actor, app.now(), on=date_arg(on) or app.today(), text=text, when_text=when
            )
        )


@item.command("evidence")
@click.argument("item_id", type=ID)
@click.option("--kind", required=True, type=click.Choice(EVIDENCE_KINDS))
@click.option("--ref", help="Document number, e.g. 获政土〔2024〕27号.")
@click.option(
    "--file",
    "file",
    type=click.Path(path_type=Path),
    help="A file, stored in the database by its SHA-256.",
)
@click.option("--note")
@pass_app
def evidence(app: App, item_id: int, kind: str, ref: str | None, file: Path | None, note: str | None) -> None:
    """Attach evidence (佐证材料): a reference number, a file, or both.

    \b
    Example:
        zhenggai --as 规划办经办人 item evidence 1 --kind 批文 --ref 获政土〔2024〕27号
    """
    from workflow.items import actions

    with app.write() as conn:
        _echo_outcome(
            actions.attach_evidence(
                conn, item_id, app.actor, app.now(), kind=kind, ref=ref, file=file, note=note
            )
        )


def _echo_outcome(outcome: object) -> None:
    from workflow.cli.render import outcome_text

    click.echo(outcome_text(outcome))
