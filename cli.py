"""zhenggai — the command line. A thin shell: parse options, call one use case, render the result.

Only click is imported at start-up; the engine (SQLAlchemy, SQLModel) loads inside the commands that
need it, so `zhenggai --help` stays fast.
"""

from __future__ import annotations

import click

from workflow.cli import audit, items, ledger, people, reminders, reports, round_records, setup, web
from workflow.cli.app import App, Group


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "url",
    envvar="ZHENGGAI_DB",
    metavar="URL",
    help="Database URL (env ZHENGGAI_DB). Default: sqlite:///zhenggai.db in the current directory.",
)
@click.option(
    "--as", "actor", envvar="ZHENGGAI_USER", metavar="NAME", help="Who is acting (env ZHENGGAI_USER)."
)
@click.option(
    "--now",
    envvar="ZHENGGAI_NOW",
    metavar="DATETIME",
    help="Act as if it were this moment, Asia/Shanghai (env ZHENGGAI_NOW): replays and catch-up.",
)
@click.option(
    "--config",
    "config",
    envvar="ZHENGGAI_CONFIG",
    metavar="FILE",
    help="TOML configuration (env ZHENGGAI_CONFIG). Default: ./zhenggai.toml if present.",
)
@click.version_option("0.1.0", prog_name="zhenggai")
@click.pass_context
def cli(ctx: click.Context, url: str | None, actor: str | None, now: str | None, config: str | None) -> None:
    """zhenggai 整改 — rectification items from the inspection feedback to the public report.

    \b
    Example:
        zhenggai init --admin 镇整改办
        zhenggai --as 镇整改办 import round.yaml
        zhenggai --as 镇整改办 item assign 1
        zhenggai audit verify
    """
    ctx.obj = App(url, actor, now, config)
    ctx.call_on_close(ctx.obj.close)


# Each module holds one concern's commands; they import only click at module level.
for _command in (
    setup.init,
    setup.db_group,
    setup.import_,
    people.person,
    setup.demo,
    setup.graph,
    items.item,
    audit.audit_group,
    reports.summary,
    reports.report,
    reports.board_command,
    ledger.ledger,
    round_records.rule,
    round_records.accountability,
    reminders.remind_group,
    reminders.outbox_group,
    reminders.scheduler_group,
    web.serve,
    web.backup,
):
    cli.add_command(_command)
people.person.add_command(web.person_password)


def main() -> None:
    cli(prog_name="zhenggai")


if __name__ == "__main__":
    main()
