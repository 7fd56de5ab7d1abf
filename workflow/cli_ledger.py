"""Commands for the ledger, the reports, the board, rules made (建章立制) and accountability (问责).

Imports only click and cli_common at module level; the engine loads inside each command.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from workflow.cli_common import ID, App, date_arg, emit, json_option, pass_app

PROGRESS_MIN_ROWS = 1000  # smaller ledgers import in well under a second: no bar


@contextmanager
def _bar(label: str, length: int, show: bool) -> Iterator[Callable[[int], None] | None]:
    if not show:
        yield None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr, show_pos=True) as bar:
        yield bar.update


def _round_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--round", "round_name", metavar="NAME", help="The inspection round (default: the only one)."
    )(f)


def _as_of_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--as-of",
        "as_of",
        metavar="DATE",
        help="As the records stood at the end of this day (default: today).",
    )(f)


# --- ledger -----------------------------------------------------------------------------------------


@click.group("ledger")
def ledger() -> None:
    """The rectification ledger (整改台账) in Excel or CSV: import and export."""


@ledger.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--encoding", help="Encoding of a CSV file, e.g. gbk (default: utf-8).")
@_round_option
@click.option("--sheet", help="Worksheet to read (default: the first with a ledger header).")
@click.option("--group", "group_name", help="Inspection group, when the round is new.")
@click.option("--unit", help="Inspected unit, when the round is new.")
@click.option("--feedback-date", metavar="DATE", help="Feedback date, when the round is new.")
@click.option("--ignore-unknown", is_flag=True, help="Skip columns with unknown headers instead of refusing.")
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
@json_option
@pass_app
def ledger_import(
    app: App,
    file: Path,
    encoding: str | None,
    round_name: str | None,
    sheet: str | None,
    group_name: str | None,
    unit: str | None,
    feedback_date: str | None,
    ignore_unknown: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Import a ledger (.xlsx or .csv): all or nothing; importing it again updates by 序号.

    Every bad cell is reported as sheet / row / column / reason and nothing is written.
    完成情况 (已完成, 基本完成, 正在推进, 未启动 …) sets each item's state, recorded in the
    audit trail as a ledger import by the acting person (office role).

    \b
    Example:
        zhenggai --as 镇整改办 ledger import 整改台账.xlsx
        zhenggai --as 镇整改办 ledger import 台账.csv --encoding gbk --round 县委第三轮巡察
    """
    from workflow import ledger as engine
    from workflow import ledger_files

    table = ledger_files.load(file, encoding=encoding, sheet=sheet, ignore_unknown=ignore_unknown)
    big = len(table.rows) >= PROGRESS_MIN_ROWS
    with app.read() if dry_run else app.write() as conn:
        target = engine.target_round(
            conn, table.meta, round_name, group_name=group_name, unit=unit, feedback_date=feedback_date
        )
        with _bar("校验台账", len(table.rows), big) as tick:
            plan = engine.prepare(conn, table, target, app.actor, today=app.today(), tick=tick)
        if dry_run:
            data: dict[str, Any] = {
                "round": target.name,
                "sheet": table.sheet,
                "create": len(plan.creates),
                "update": len(plan.updates),
                "unchanged": plan.unchanged,
                "people": len(plan.people),
            }
            emit(
                data,
                as_json,
                lambda: (
                    f"校验通过（未写入）：将新增 {data['create']} 项，更新 {data['update']} 项，"
                    f"{data['unchanged']} 项无变化，新增人员 {data['people']} 名"
                ),
            )
            return
        with _bar("写入数据库", len(plan.creates) + len(plan.updates), big) as tick:
            summary = engine.apply(conn, plan, app.now(), tick=tick)
    emit(
        summary.__dict__,
        as_json,
        lambda: (
            f"已导入「{summary.sheet}」到巡察轮次「{summary.round}」：{summary.rows} 行，"
            f"新增 {summary.created} 项，更新 {summary.updated} 项，{summary.unchanged} 项无变化，"
            f"状态变化 {summary.state_changes} 项，新增人员 {summary.people} 名（导入批次 {summary.batch_id}）"
        ),
    )


@ledger.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_as_of_option
@_round_option
@pass_app
def ledger_export(app: App, file: Path, as_of: str | None, round_name: str | None) -> None:
    """Export the ledger as of a date to .xlsx: state, colour fill, progress, evidence; print-ready.

    \b
    Example:
        zhenggai ledger export 整改台账.xlsx --as-of 2025-02-14
    """
    from workflow import ledger_export as engine
    from workflow import reports

    if file.suffix.lower() != ".xlsx":
        raise click.BadParameter("只能导出为 .xlsx 文件", param_hint="FILE")
    config = reports.settings(app.config)
    day = date_arg(as_of) or app.today()
    with app.read() as conn:
        count = engine.export(conn, file, day, round_name=round_name, yellow_days=config.yellow_days)
    click.echo(f"已导出 {count} 项（截至 {day}）到 {file}")


# --- reports ---------------------------------------------------------------------------------------------


@click.group("report")
def report() -> None:
    """Reports as of any date: public (整改情况通报), weekly (周通报), monthly (月度汇报)."""


def _report_command(kind: str, doc: str) -> click.Command:
    @click.option("--format", "fmt", type=click.Choice(["md", "docx"]), help="Default: from --out, else md.")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
    @_as_of_option
    @_round_option
    @json_option
    @pass_app
    def command(
        app: App,
        fmt: str | None,
        out: Path | None,
        as_of: str | None,
        round_name: str | None,
        as_json: bool,
        **extra: Any,
    ) -> None:
        from workflow import document, reports

        config = reports.settings(app.config)
        day = date_arg(as_of) or app.today()
        with app.read() as conn:
            if kind == "public":
                built, data = reports.public(
                    conn, day, config, round_name=round_name, published=date_arg(extra.get("published"))
                )
            else:
                built, data = reports.periodic(conn, kind, day, config, round_name=round_name)
        if as_json:
            emit(data, True, str)
            return
        fmt = fmt or ("docx" if out is not None and out.suffix.lower() == ".docx" else "md")
        if fmt == "docx":
            if out is None:
                raise click.UsageError("--format docx 需要 --out FILE.docx")
            document.to_docx(built, out)
        elif out is not None:
            out.write_text(document.to_markdown(built), encoding="utf-8")
        else:
            click.echo(document.to_markdown(built), nl=False)
            return
        click.echo(f"已写入 {out}")

    command.__doc__ = doc
    if kind == "public":
        command = click.option(
            "--date", "published", metavar="DATE", help="Date printed under the signature (default: today)."
        )(command)
    return click.command(kind, help=doc)(command)


for _kind, _doc in (
    (
        "public",
        """The public report (整改情况通报) as of a date, rebuilt from the audit trail, in Markdown or .docx.

    \b
    Example:
        zhenggai report public --as-of 2025-02-14
        zhenggai report public --as-of 2025-02-14 --date 2025-03-06 --out 通报.docx
    """,
    ),
    (
        "weekly",
        """The weekly bulletin (周通报) for the seven days ending on a date.

    \b
    Example:
        zhenggai report weekly --as-of 2024-11-29 --out 周通报.docx
    """,
    ),
    (
        "monthly",
        """The monthly report (月度汇报) for the month of a date, up to that date.

    \b
    Example:
        zhenggai report monthly --as-of 2024-11-30
    """,
    ),
):
    report.add_command(_report_command(_kind, _doc))


# --- board -----------------------------------------------------------------------------------------------------


@click.command("board")
@click.option(
    "--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), help="Write a web page."
)
@_as_of_option
@_round_option
@json_option
@pass_app
def board(app: App, html_file: Path | None, as_of: str | None, round_name: str | None, as_json: bool) -> None:
    """The board (挂图作战): lights by department and leader; --html writes a self-contained page.

    \b
    Example:
        zhenggai board
        zhenggai board --html 挂图作战.html --as-of 2025-02-14
    """
    from workflow import board as engine
    from workflow import records, reports

    config = reports.settings(app.config)
    day = date_arg(as_of) or app.today()
    with app.read() as conn:
        round_id = records.resolve_round(conn, round_name).id if round_name else None
        data = engine.data(
            conn, day, round_id=round_id, yellow_days=config.yellow_days, precision=config.rate_precision
        )
    if html_file is not None:
        html_file.write_text(engine.page(data), encoding="utf-8")
        click.echo(f"已写入 {html_file}（截至 {day}，{data['totals']['problems']} 个问题）")
        return
    emit(data, as_json, lambda: engine.text(data))


# --- rules made and accountability ----------------------------------------------------------------------------


@click.group("rule")
def rule() -> None:
    """Rules made or revised (建章立制) as part of the rectification."""


@rule.command("add")
@click.argument("title")
@click.option(
    "--kind", type=click.Choice(["made", "revised"]), required=True, help="made 制定 / revised 修订."
)
@click.option("--on", "on", metavar="DATE", required=True, help="Date issued.")
@click.option("--item", "item_id", type=ID, help="The item it answers, if one.")
@click.option("--doc", "doc_ref", help="Document number (文号).")
@click.option("--note")
@_round_option
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
    from workflow import records

    issued = date_arg(on)
    assert issued is not None
    with app.write() as conn:
        record = records.add_rule(
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
    emit(record, as_json, lambda: f"已记录{records.RULE_KINDS[kind]}制度：{record['title']}（{issued}）")


@rule.command("list")
@_round_option
@json_option
@pass_app
def rule_list(app: App, round_name: str | None, as_json: bool) -> None:
    """List rules made or revised.

    \b
    Example:
        zhenggai rule list
    """
    from workflow import records, render

    with app.read() as conn:
        rows = records.list_rules(conn, round_name)
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
@_round_option
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
    from workflow import records

    decided = date_arg(on)
    assert decided is not None
    with app.write() as conn:
        record = records.add_accountability(
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
@_round_option
@json_option
@pass_app
def accountability_list(app: App, round_name: str | None, as_json: bool) -> None:
    """List accountability actions.

    \b
    Example:
        zhenggai accountability list --json
    """
    from workflow import records, render

    with app.read() as conn:
        rows = records.list_accountability(conn, round_name)
    cols = [
        ("id", "ID"),
        ("decided_on", "日期"),
        ("person", "被问责人"),
        ("post", "单位及职务"),
        ("measure", "方式"),
    ]
    emit(rows, as_json, lambda: render.table(rows, cols) if rows else "（没有记录）")
