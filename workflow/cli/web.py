"""The web server and what goes with it: serve, passwords, backups."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from workflow.cli.app import App, pass_app


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Processes (PostgreSQL only)."
)
@click.option(
    "--scheduler", "with_scheduler", is_flag=True, help="Also run the reminder scheduler in this server."
)
@pass_app
def serve(app: App, host: str, port: int, workers: int, with_scheduler: bool) -> None:
    """Serve the web application (pages and the JSON API at /api/v1) until stopped.

    One worker on SQLite; on PostgreSQL several workers, and several servers behind a reverse proxy.
    Run the scheduler in at most one place (`--scheduler` here, or `zhenggai scheduler run`); a second
    one by mistake still sends nothing twice.

    \b
    Example:
        zhenggai --db postgresql+psycopg://zhenggai@/zhenggai serve --host 127.0.0.1 --port 8000 --workers 4
    """
    import uvicorn

    from workflow import db

    url = app.url or db.default_url()
    with app.read() as conn:
        db.check_schema(conn)
    if workers > 1 and app.engine.dialect.name == "sqlite":
        raise click.ClickException("SQLite 只能用一个工作进程（--workers 1）；多个工作进程请使用 PostgreSQL")
    os.environ["ZHENGGAI_DB"] = url
    if app._config_path:
        os.environ["ZHENGGAI_CONFIG"] = app._config_path
    if app._now:
        os.environ["ZHENGGAI_NOW"] = app._now
    if with_scheduler:
        _scheduler_thread(app)
    click.echo(f"网页服务：http://{host}:{port}/ （按 Ctrl-C 停止）", err=True)
    uvicorn.run(
        "workflow.web.serve:from_env", factory=True, host=host, port=port, workers=workers,
        proxy_headers=False, server_header=False, log_level="warning",
    )  # fmt: skip


def _scheduler_thread(app: App) -> None:
    import threading

    from workflow.reminders import due, scheduler
    from workflow.reminders import settings as reminder_settings

    settings = reminder_settings.load(app.config)
    with app.read() as conn:
        due.check_tables(conn)
    sched = scheduler.build(app.engine, settings, app.now, lambda text: click.echo(text, err=True))
    threading.Thread(target=sched.start, name="scheduler", daemon=True).start()


@click.command("password")
@click.argument("name")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password from standard input (scripts).")
@click.option("--must-change", is_flag=True, help="The person must change it at the next login.")
@pass_app
def person_password(app: App, name: str, from_stdin: bool, must_change: bool) -> None:
    """Set a person's web password (run by the server's operator; the office resets in the page).

    \b
    Example:
        zhenggai person password 规划办经办人
        printf '%s\\n' "$PASSWORD" | zhenggai person password 规划办经办人 --stdin
    """
    from workflow.accounts import passwords, sessions

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("新口令", hide_input=True, confirmation_prompt="再次输入")
    with app.write() as conn:
        passwords.set_password(conn, name, password, app.now(), must_change=must_change)
        sessions.end_all(conn, name)
    click.echo(f"已设置 {name} 的口令")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def backup(app: App, file: Path) -> None:
    """Copy the database to FILE while the server runs (SQLite's online backup).

    On PostgreSQL use pg_dump instead: pg_dump --format=custom --file=FILE DBNAME (and pg_restore).

    \b
    Example:
        zhenggai --db sqlite:////srv/zhenggai/zhenggai.db backup /srv/backup/zhenggai-$(date +%F).db
    """
    import sqlite3

    from workflow import db

    engine = app.engine
    if engine.dialect.name != "sqlite":
        raise click.ClickException(
            "PostgreSQL 请用 pg_dump 备份：pg_dump --format=custom --file=备份文件 数据库名（恢复用 pg_restore）"
        )
    db.require_file(engine)
    if file.exists():
        raise click.ClickException(f"{file} 已存在，不覆盖")
    source = sqlite3.connect(str(engine.url.database))
    target = sqlite3.connect(str(file))
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()
    click.echo(f"已备份到 {file}")
