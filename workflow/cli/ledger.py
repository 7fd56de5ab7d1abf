"""The ledger commands (整改台账): import a workbook or CSV, export the ledger as of a date."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from workflow.cli.app import App, as_of_option, date_arg, emit, json_option, pass_app, round_option

if TYPE_CHECKING:
    from workflow.intake.ledger.apply import Summary
    from workflow.intake.ledger.plan import Plan, RoundTarget
    from workflow.intake.ledger.workbook import Table

PROGRESS_MIN_ROWS = 1000  # smaller ledgers import in well under a second: no bar


@contextmanager
def _bar(label: str, length: int, show: bool) -> Iterator[Callable[[int], None] | None]:
    if not show:
        yield None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr, show_pos=True) as bar:
        yield bar.update


def _dry_run_text(table: Any, data: dict[str, Any]) -> str:
    """What a dry run found: where the header is, how each column is read (and why, when a name could
    mean progress or status), the section and footer rows, what the import would do."""
    from workflow.escape import terminal

    rows = f"{table.header_top}" + (f"—{table.header_row}" if table.header_row != table.header_top else "")
    lines = [f"表头在第 {rows} 行；各列读作：", *(f"  {terminal(c)}" for c in data["columns"])]
    if data["sections"]:
        lines.append(
            f"分类行 {len(data['sections'])} 个：" + "；".join(terminal(s) for s in data["sections"])
        )
    if data["footer_rows"]:
        lines.append(f"表尾行（不导入）：第 {'、'.join(map(str, data['footer_rows']))} 行")
    lines.append(
        f"校验通过（未写入）：将新增 {data['create']} 项，更新 {data['update']} 项，"
        f"{data['unchanged']} 项无变化，新增人员 {data['people']} 名"
    )
    return "\n".join(lines)


@click.group("ledger")
def ledger() -> None:
    """The rectification ledger (整改台账) in Excel or CSV: import and export."""


@ledger.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--encoding", help="Encoding of a CSV file, e.g. gbk (default: utf-8).")
@round_option
@click.option("--sheet", help="Worksheet to read (default: the first with a ledger header).")
@click.option("--group", "group_name", help="Inspection group, when the round is new.")
@click.option(
    "--unit",
    help="Inspected unit (被巡察单位) the rows belong to (a new one is added to the round); "
    "a 被巡察单位 column sets it per row.",
)
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
    完成情况 (已完成, 基本完成, 正在推进, 未启动 …) sets a new item's starting state: past 已登记
    it is a ledger baseline the acting person (office role) vouches for. Importing again
    changes what describes an item, never its state nor its handed-out deadline (use the
    item commands: submit, approve, extend …).

    \b
    Example:
        zhenggai --as 镇整改办 ledger import 整改台账.xlsx
        zhenggai --as 镇整改办 ledger import 台账.csv --encoding gbk --round 县委第三轮巡察
    """
    from workflow import config
    from workflow.intake.ledger import apply, by_unit, plan, workbook

    period_days = config.period_days(app.config)
    table = workbook.load(file, encoding=encoding, sheet=sheet, ignore_unknown=ignore_unknown)
    parts, problems = by_unit.split(table)
    if problems:
        raise plan.LedgerInvalid(table.file_name, problems)
    if len(parts) > 1 or parts[0][0] is not None:
        _import_units(app, parts, round_name, group_name, unit, feedback_date, dry_run, as_json, period_days)
        return
    big = len(table.rows) >= PROGRESS_MIN_ROWS
    with app.read() if dry_run else app.write() as conn:
        target = plan.target_round(
            conn, table.meta, round_name, group_name=group_name, unit=unit, feedback_date=feedback_date
        )
        with _bar("校验台账", len(table.rows), big) as tick:
            planned = plan.prepare(
                conn, table, target, app.actor, today=app.today(), tick=tick, period_days=period_days
            )
        if dry_run:
            data = _dry_run_data(table, target, planned)
            emit(data, as_json, lambda: _dry_run_text(table, data))
            return
        with _bar("写入数据库", len(planned.creates) + len(planned.updates), big) as tick:
            summary = apply.apply(conn, planned, app.now(), tick=tick)
    emit(summary.__dict__, as_json, lambda: _imported_text(summary))
    if not as_json:
        _say_ambiguous(table)


def _dry_run_data(table: Table, target: RoundTarget, planned: Plan) -> dict[str, Any]:
    """What `--dry-run` reports: the counts the import would write and how the columns were read."""
    from workflow.intake.ledger import workbook

    return {
        "round": target.name,
        "unit": target.unit,
        "sheet": table.sheet,
        "create": len(planned.creates),
        "update": len(planned.updates),
        "unchanged": planned.unchanged,
        "people": len(planned.people),
        "columns": workbook.mapping(table),
        "sections": [text for _line, text in table.sections],
        "footer_rows": table.footers,
    }


def _imported_text(summary: Summary) -> str:
    return (
        f"已导入「{summary.sheet}」到巡察轮次「{summary.round}」：{summary.rows} 行，"
        f"新增 {summary.created} 项（其中台账基线 {summary.state_changes} 项），更新 {summary.updated} 项，"
        f"{summary.unchanged} 项无变化，新增人员 {summary.people} 名（导入批次 {summary.batch_id}）"
    )


def _say_ambiguous(table: Table) -> None:
    """A column read by its content rather than its name is said, on stderr."""
    from workflow.escape import terminal
    from workflow.intake.ledger import workbook

    for line in workbook.mapping(table):
        if "：" in line.partition("→")[2]:
            click.echo(f"注意：{terminal(line)}", err=True)


def _import_units(
    app: App,
    parts: list[tuple[str | None, Any]],
    round_name: str | None,
    group_name: str | None,
    unit: str | None,
    feedback_date: str | None,
    dry_run: bool,
    as_json: bool,
    period_days: int,
) -> None:
    """A ledger with a 被巡察单位 column: each unit's rows planned and written as that unit's own
    import, all in one transaction (all or nothing)."""
    from workflow.intake.ledger import apply, plan

    done: list[dict[str, Any]] = []
    with app.read() if dry_run else app.write() as conn:
        for name, part in parts:
            first = unit or name  # names the round's own unit when the ledger makes the round
            target = plan.target_round(
                conn, part.meta, round_name, group_name=group_name, unit=first, feedback_date=feedback_date
            )
            if target.id is not None:
                target = plan.target_round(conn, part.meta, target.name, unit=name)
            else:
                target.unit = str(name)
            planned = plan.prepare(conn, part, target, app.actor, today=app.today(), period_days=period_days)
            if not dry_run:
                summary = apply.apply(conn, planned, app.now())
                round_name = summary.round  # the round the first unit's rows made, for the next units
            done.append(
                {
                    "unit": name,
                    "create": len(planned.creates),
                    "update": len(planned.updates),
                    "unchanged": planned.unchanged,
                }
            )
    head = "校验通过（未写入）" if dry_run else "已导入"
    emit(
        done,
        as_json,
        lambda: "\n".join(
            f"{head}：{d['unit']} 新增 {d['create']} 项，更新 {d['update']} 项，{d['unchanged']} 项无变化"
            for d in done
        ),
    )


@ledger.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@as_of_option
@round_option
@click.option("--unit", "unit_name", help="The inspected unit (default: the round's only one).")
@pass_app
def ledger_export(
    app: App, file: Path, as_of: str | None, round_name: str | None, unit_name: str | None
) -> None:
    """Export the ledger as of a date to .xlsx: state, colour fill, progress, evidence; print-ready.

    \b
    Example:
        zhenggai ledger export 整改台账.xlsx --as-of 2025-02-14
    """
    from workflow.intake.ledger import export
    from workflow.read.scope import scope_of
    from workflow.reports import settings

    if file.suffix.lower() != ".xlsx":
        raise click.BadParameter("只能导出为 .xlsx 文件", param_hint="FILE")
    config = settings.load(app.config)
    day = date_arg(as_of) or app.today()
    with app.read() as conn:
        count = export.export(
            conn,
            file,
            day,
            round_name=round_name,
            unit_name=unit_name,
            scope=scope_of(conn, app.actor),
            yellow_days=config.yellow_days,
            scheme=config.lights,
            labels=config.labels,
        )
    click.echo(f"已导出 {count} 项（截至 {day}）到 {file}")
