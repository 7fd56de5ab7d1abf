"""Set-up commands: init, the database schema and grants, importing a round, the demo, the graph."""

from __future__ import annotations

from pathlib import Path

import click

from workflow.cli.app import App, emit, json_option, pass_app


@click.command()
@click.option("--admin", metavar="NAME", help="Also create the first office (整改办) user.")
@click.option("--dept", help="The admin's department.")
@pass_app
def init(app: App, admin: str | None, dept: str | None) -> None:
    """Create the database schema (idempotent).

    \b
    Example:
        zhenggai init --admin 镇整改办
    """
    from workflow import db
    from workflow.inputs import clean_line, clean_line_optional
    from workflow.items import people

    if admin:  # refuse a bad name before creating anything (the same checks as add_person)
        admin = clean_line(admin, "姓名", 64, required=True)
        clean_line_optional(dept, "部门", 200)
    fresh = db.create_schema(app.engine)
    click.echo(
        f"{'已创建' if fresh else '已存在'}数据库：{app.engine.url.render_as_string(hide_password=True)}"
    )
    if admin:
        with app.write() as conn:
            people.add_person(
                conn, None, app.now(), name=admin, roles="office", department=dept, bootstrap=True
            )
        click.echo(f"已添加整改办人员：{admin}")


@click.group("db")
def db_group() -> None:
    """The database schema: migrations, and logins for a PostgreSQL deployment."""


@db_group.command("upgrade")
@pass_app
def db_upgrade(app: App) -> None:
    """Bring the schema up to date (Alembic migrations; creates it in an empty database).

    \b
    Example:
        zhenggai --db postgresql+psycopg://admin@db/zhenggai db upgrade
    """
    from workflow import db
    from workflow.db import migrate

    db.require_file(app.engine)
    db.create_schema(app.engine)
    with app.engine.connect() as conn:
        click.echo(f"数据库结构已是最新：{migrate.current(conn)}")


@db_group.command("current")
@json_option
@pass_app
def db_current(app: App, as_json: bool) -> None:
    """Show the schema revision of the database and the one this program needs.

    \b
    Example:
        zhenggai db current
    """
    from workflow import db
    from workflow.db import migrate

    db.require_file(app.engine)
    with app.engine.connect() as conn:
        current = migrate.current(conn)
    data = {"current": current, "head": db.SCHEMA_HEAD, "up_to_date": current == db.SCHEMA_HEAD}
    emit(
        data,
        as_json,
        lambda: (
            f"当前：{current or '（未初始化）'}  需要：{db.SCHEMA_HEAD}"
            + ("" if data["up_to_date"] else "  → 请运行 zhenggai db upgrade")
        ),
    )


@db_group.command("grants")
@click.option("--role", default="zhenggai_app", show_default=True, help="The group role of all users.")
@click.option(
    "--scheduler-role",
    default="zhenggai_scheduler",
    show_default=True,
    help="The role of the scheduler's login (remind run, outbox deliver).",
)
@click.option("--schema", default="public", show_default=True, help="The schema holding the tables.")
@pass_app
def db_grants(app: App, role: str, scheduler_role: str, schema: str) -> None:
    """Print the SQL that gives people's logins and the scheduler's what they need on PostgreSQL, and
    no more: people append to the record and change items through audited commands only; the
    scheduler writes the reminder tables; nobody may UPDATE, DELETE or TRUNCATE the audit table.
    Run it again after every `db upgrade`.

    \b
    Example:
        zhenggai db grants | psql -U admin zhenggai
    """
    from workflow.db import grants

    click.echo(grants.sql(role, schema, scheduler_role), nl=False)


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@pass_app
def import_(app: App, file: Path) -> None:
    """Import a round (people, aspects, items, measures) from YAML — all or nothing.

    \b
    Example:
        zhenggai --as 镇整改办 import round.yaml
    """
    from workflow import config
    from workflow.intake import round_yaml

    data = round_yaml.load_file(file)
    with app.write() as conn:
        counts = round_yaml.import_round(
            conn, data, app.actor, app.now(), period_days=config.period_days(app.config)
        )
    click.echo(
        f"已导入：{counts['aspects']} 个方面，{counts['items']} 个问题，{counts['measures']} 项措施，"
        f"{counts['people']} 名新人员"
    )


@click.command()
def graph() -> None:
    """Print the lifecycle as a Mermaid state diagram (generated from the engine's own table).

    \b
    Example:
        zhenggai graph > lifecycle.mmd
    """
    from states.machine import mermaid

    click.echo(mermaid(), nl=False)


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("zhenggai-demo"),
    show_default=True,
    help="Where to build the demo database (replaced if present).",
)
@click.option(
    "--password",
    default="zhenggai-demo",
    show_default=True,
    help="The one web password of every seed person.",
)
@click.option(
    "--serve", "then_serve", is_flag=True, help="Then serve the web app at 127.0.0.1:8000 until Ctrl-C."
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.pass_context
def demo(ctx: click.Context, directory: Path, password: str, then_serve: bool, port: int) -> None:
    """Build the seed case (太山镇党委, 2024-2025) in a fresh SQLite file and report as of 2025-02-14.

    \b
    Example:
        zhenggai demo --dir /tmp/taishan
    """
    from states.categories import Rate
    from workflow import clock, db
    from workflow import demo as seed
    from workflow.accounts import passwords
    from workflow.audit import verify
    from workflow.cli.render import board_text, item_rows
    from workflow.read import statistics
    from workflow.read.directory import people
    from workflow.read.items import list_items
    from workflow.reports import board

    url, count = seed.build(directory)
    click.echo(f"已建立示例数据库 {url}，回放 {count} 个事件（2024-10-14 至 2025-01-24）。\n")
    engine = db.make_engine(url)
    with db.reading(engine) as conn:
        rows = list_items(conn, seed.AS_OF)
        data = statistics.summary(conn, seed.AS_OF, rate=Rate())
        verdict = verify.verify(conn)
        shown = board.data(conn, seed.AS_OF)
    with db.unit_of_work(engine) as conn:
        names = [p["name"] for p in people(conn)]
        for name in names:
            passwords.set_password(conn, name, password, clock.now(), must_change=False)
    engine.dispose()
    click.echo(f"整改台账（截至 {seed.AS_OF}）：")
    click.echo(item_rows(rows))
    click.echo("")
    click.echo(statistics.summary_sentence(data))
    click.echo(f"审计链：{verdict.count} 条，校验{'通过' if verdict.ok else '失败'}。")
    click.echo("")
    click.echo(board_text(shown))
    click.echo(f"\n继续查看：zhenggai --db {url} --as 县委巡察办 item show 1")
    click.echo(f"网页登录账户（口令均为 {password}）：{'、'.join(names)}")
    if then_serve:
        from workflow.cli import web

        ctx.obj.url = url
        ctx.invoke(web.serve, host="127.0.0.1", port=port, workers=1, with_scheduler=False)
