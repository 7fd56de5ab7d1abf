"""The report commands: the headline summary, the public, weekly and monthly reports as of any date,
and the board (挂图作战)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from workflow.cli.app import App, as_of_option, date_arg, emit, json_option, pass_app, round_option

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from workflow.reports.document import Document
    from workflow.reports.settings import Settings


@click.command()
@click.option(
    "--precision",
    type=click.IntRange(0, 4),
    help="Decimals of the completion rate (67% vs 98.71%); default: [report] rate_precision, else 0.",
)
@json_option
@pass_app
def summary(app: App, precision: int | None, as_json: bool) -> None:
    """The headline statistics of the public report, as of today (or --now).

    \b
    Example:
        zhenggai --now 2025-02-14 summary
    """
    from dataclasses import replace

    from workflow.read import statistics
    from workflow.read.scope import scope_of

    rate = app.rate if precision is None else replace(app.rate, precision=precision)
    with app.read() as conn:
        data = statistics.summary(conn, app.today(), rate=rate, scope=scope_of(conn, app.actor))
    emit(data, as_json, lambda: statistics.summary_sentence(data, app.labels))


@click.group("report")
def report() -> None:
    """Reports as of any date: public (整改情况通报), weekly (周通报), monthly (月度汇报)."""


def _report_command(kind: str, doc: str) -> click.Command:
    @click.option("--format", "fmt", type=click.Choice(["md", "docx"]), help="Default: from --out, else md.")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
    @as_of_option
    @round_option
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
        from workflow.reports import settings

        config = settings.load(app.config)
        day = date_arg(as_of) or app.today()
        with app.read() as conn:
            built, data = _build(conn, app, kind, day, config, round_name, extra)
        if as_json:
            emit(data, True, str)
            return
        _write(built, fmt, out)

    command.__doc__ = doc
    command = click.option(
        "--unit",
        "unit_name",
        metavar="UNIT",
        help="The inspected unit (public: default the round's only one).",
    )(command)
    if kind == "public":
        command = click.option(
            "--date", "published", metavar="DATE", help="Date printed under the signature (default: today)."
        )(command)
    return click.command(kind, help=doc)(command)


def _build(
    conn: Connection,
    app: App,
    kind: str,
    day: date,
    config: Settings,
    round_name: str | None,
    extra: dict[str, Any],
) -> tuple[Document, dict[str, Any]]:
    """The report of this kind as of the day, in the acting person's scope: the document and its data."""
    from workflow.read.scope import scope_of
    from workflow.reports import periodic, public

    if kind == "public":
        return public.public(
            conn,
            day,
            config,
            round_name=round_name,
            unit_name=extra.get("unit_name"),
            published=date_arg(extra.get("published")),
            scope=scope_of(conn, app.actor),
        )
    return periodic.periodic(
        conn,
        kind,
        day,
        config,
        round_name=round_name,
        unit_name=extra.get("unit_name"),
        scope=scope_of(conn, app.actor),
    )


def _write(built: Document, fmt: str | None, out: Path | None) -> None:
    """The document as .docx or Markdown, to the file (said) or to stdout; the format from --out if not given."""
    from workflow.reports import document

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


for _kind, _doc in (
    (
        "public",
        """The public report (整改情况通报) as of a date, rebuilt from the audit trail, in Markdown or .docx.

    \b
    Example:
        zhenggai report public --as-of 2025-02-14
        zhenggai report public --as-of 2025-02-14 --date 2025-03-06 --out 通报.docx
        zhenggai report public --round 十二届区委第二轮巡察 --unit 城关镇 --as-of 2025-02-14
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


@report.command("rollup")
@click.option("--format", "fmt", type=click.Choice(["md", "docx", "xlsx"]), help="Default: from --out.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
@as_of_option
@round_option
@json_option
@pass_app
def rollup_command(
    app: App, fmt: str | None, out: Path | None, as_of: str | None, round_name: str | None, as_json: bool
) -> None:
    """The county roll-up (整改进度汇总): one row per inspected unit, slowest first, with totals.

    \b
    Example:
        zhenggai report rollup --round 十二届区委第二轮巡察 --as-of 2025-02-14
        zhenggai report rollup --round 十二届区委第二轮巡察 --out 汇总.xlsx
    """
    from workflow.read.scope import scope_of
    from workflow.reports import document, rollup

    day = date_arg(as_of) or app.today()
    with app.read() as conn:
        data = rollup.data(conn, day, round_name=round_name, rate=app.rate, scope=scope_of(conn, app.actor))
    if as_json:
        emit(data, True, str)
        return
    fmt = fmt or (out.suffix.lower().lstrip(".") if out is not None else None)
    if fmt in ("docx", "xlsx") and out is None:
        raise click.UsageError(f"--format {fmt} 需要 --out FILE.{fmt}")
    if out is None:
        click.echo(document.to_markdown(rollup.document(data)) if fmt == "md" else rollup.text(data))
        return
    if fmt == "docx":
        document.to_docx(rollup.document(data), out)
    elif fmt == "xlsx":
        rollup.to_xlsx(data, out)
    else:
        out.write_text(document.to_markdown(rollup.document(data)), encoding="utf-8")
    click.echo(f"已写入 {out}")


# --- board -----------------------------------------------------------------------------------------------------


@click.command("board")
@click.option(
    "--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), help="Write a web page."
)
@as_of_option
@round_option
@json_option
@pass_app
def board_command(
    app: App, html_file: Path | None, as_of: str | None, round_name: str | None, as_json: bool
) -> None:
    """The board (挂图作战): lights by department and leader; --html writes a self-contained page.

    \b
    Example:
        zhenggai board
        zhenggai board --html 挂图作战.html --as-of 2025-02-14
    """
    from workflow.cli.render import board_text
    from workflow.read.rounds import resolve_round
    from workflow.read.scope import scope_of
    from workflow.reports import board, board_page, settings

    config = settings.load(app.config)
    day = date_arg(as_of) or app.today()
    with app.read() as conn:
        round_id = resolve_round(conn, round_name).id if round_name else None
        data = board.data(
            conn,
            day,
            round_id=round_id,
            yellow_days=config.yellow_days,
            rate=config.rate,
            labels=config.labels,
            scope=scope_of(conn, app.actor),
            scheme=config.lights,
        )
    if html_file is not None:
        html_file.write_text(board_page.page(data), encoding="utf-8")
        click.echo(f"已写入 {html_file}（截至 {day}，{data['totals']['problems']} 个问题）")
        return
    emit(data, as_json, lambda: board_text(data))
