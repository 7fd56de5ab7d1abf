"""zhenggai — the command line. A thin shell: parse options, call one use case, render the result.

Only click is imported at start-up; the engine (SQLAlchemy, SQLModel) loads inside the commands that
need it, so `zhenggai --help` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from states.lifecycle import TRANSITIONS, State
from workflow.cli_common import COUNT, ID, App, Group, date_arg, emit, json_option, pass_app

ITEM_COLUMNS = [
    ("light", "亮灯"),
    ("id", "ID"),
    ("number", "编号"),
    ("title", "问题"),
    ("state_label", "状态"),
    ("leader", "责任领导"),
    ("department", "责任部门"),
    ("deadline", "完成时限"),
    ("overdue", "逾期"),
]


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


# --- set-up ---------------------------------------------------------------------------------------


@cli.command()
@click.option("--admin", metavar="NAME", help="Also create the first office (整改办) user.")
@click.option("--dept", help="The admin's department.")
@pass_app
def init(app: App, admin: str | None, dept: str | None) -> None:
    """Create the database schema (idempotent).

    \b
    Example:
        zhenggai init --admin 镇整改办
    """
    from workflow import db, services

    if admin:  # refuse a bad name before creating anything
        admin = services.clean_text(admin, "姓名", 64, required=True)
        services.clean_optional(dept, "部门", 200)
    fresh = db.create_schema(app.engine)
    click.echo(
        f"{'已创建' if fresh else '已存在'}数据库：{app.engine.url.render_as_string(hide_password=True)}"
    )
    if admin:
        with app.write() as conn:
            services.add_person(
                conn, None, app.now(), name=admin, roles="office", department=dept, bootstrap=True
            )
        click.echo(f"已添加整改办人员：{admin}")


@cli.group("db")
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
    from workflow import db, migrate

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
    from workflow import db, migrate

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
@click.option("--schema", default="public", show_default=True, help="The schema holding the tables.")
@pass_app
def db_grants(app: App, role: str, schema: str) -> None:
    """Print the SQL that gives the application role what it needs on PostgreSQL, and no more: it may
    INSERT into the audit table but never UPDATE, DELETE or TRUNCATE it.

    \b
    Example:
        zhenggai db grants | psql -U admin zhenggai
    """
    from workflow import grants

    click.echo(grants.sql(role, schema), nl=False)


@cli.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@pass_app
def import_(app: App, file: Path) -> None:
    """Import a round (people, aspects, items, measures) from YAML — all or nothing.

    \b
    Example:
        zhenggai --as 镇整改办 import round.yaml
    """
    from workflow import importer

    data = importer.load_file(file)
    with app.write() as conn:
        counts = importer.import_round(conn, data, app.actor, app.now())
    click.echo(
        f"已导入：{counts['aspects']} 个方面，{counts['items']} 个问题，{counts['measures']} 项措施，"
        f"{counts['people']} 名新人员"
    )


@cli.group()
def person() -> None:
    """People and their roles (office, leader, handler, approver, auditor)."""


@person.command("add")
@click.argument("name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(["office", "leader", "handler", "approver", "auditor"]),
    help="Repeatable.",
)
@click.option("--dept", help="Department (部门).")
@click.option("--title", help="Post (职务).")
@click.option("--email", help="For reminders.")
@pass_app
def person_add(
    app: App, name: str, roles: tuple[str, ...], dept: str | None, title: str | None, email: str | None
) -> None:
    """Add a person (office only).

    \b
    Example:
        zhenggai --as 镇整改办 person add 县委巡察办 --role approver --dept 县委巡察办
    """
    from workflow import services

    with app.write() as conn:
        services.add_person(
            conn,
            app.actor,
            app.now(),
            name=name,
            roles=",".join(roles),
            department=dept,
            title=title,
            email=email,
        )
    click.echo(f"已添加：{name}（{', '.join(roles)}）")


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
    from workflow import services

    with app.write() as conn:
        services.set_login(conn, app.actor, app.now(), name=name, login=login)
    click.echo(f"已设置：{name} 使用数据库登录 {login}")


@person.command("list")
@json_option
@pass_app
def person_list(app: App, as_json: bool) -> None:
    """List people.

    \b
    Example:
        zhenggai person list --json
    """
    import sqlalchemy as sa

    from workflow import render
    from workflow.models import PERSON

    with app.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(PERSON).order_by(PERSON.c.id))]
    cols = [("name", "姓名"), ("roles", "角色"), ("department", "部门"), ("title", "职务")]
    emit(rows, as_json, lambda: render.table(rows, cols))


# --- items ----------------------------------------------------------------------------------------


@cli.group()
def item() -> None:
    """Rectification items: list, show, and every action on them."""


@item.command("list")
@click.option("--state", type=click.Choice([s.value for s in State]), help="Only items in this state.")
@click.option("--dept", help="Only this responsible department.")
@click.option("--leader", help="Only this responsible leader.")
@click.option("--overdue", is_flag=True, help="Only open items past their deadline.")
@json_option
@pass_app
def item_list(
    app: App, state: str | None, dept: str | None, leader: str | None, overdue: bool, as_json: bool
) -> None:
    """List items (the ledger view).

    \b
    Example:
        zhenggai item list --state in_progress --dept 村镇规划建设办公室
    """
    from workflow import queries

    with app.read() as conn:
        rows = queries.list_items(
            conn, app.today(), state=state, department=dept, leader=leader, overdue=overdue
        )
    emit(rows, as_json, lambda: _board(rows) if rows else "（没有符合条件的事项）")


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
    from workflow import queries, services

    with app.read() as conn:
        actor = services.load_actor(conn, app.actor) if app.actor else None
        data = queries.show_item(conn, item_id, actor, app.today())
    emit(data, as_json, lambda: _item_text(data))


def _board(rows: list[dict[str, Any]]) -> str:
    from states.colours import Colour
    from workflow import render

    return render.table([{**r, "light": Colour(r["colour"]).label} for r in rows], ITEM_COLUMNS)


def _item_text(d: dict[str, Any]) -> str:
    lines = [
        f"事项 {d['id']}  {d['number']}  {d['title']}",
        f"状态：{d['state_label']}（{d['state']}，版本 {d['version']}）  {_light(d['colour'])}"
        + ("  【已逾期】" if d["overdue"] else ""),
        f"方面：{d['aspect']}",
        f"责任领导：{d['leader'] or '—'}  责任部门：{d['department'] or '—'}  责任人：{d['handler'] or '—'}"
        + (f"  配合单位：{d['cooperating']}" if d["cooperating"] else ""),
        f"完成时限：{d['deadline'] or '—'}"
        + (f"（原定 {d['original_deadline']}）" if d["original_deadline"] else ""),
    ]
    if d["description"]:
        lines.append(f"问题描述：{d['description']}")
    if d["instance"]:
        lines.append(f"典型表现：{d['instance']}")
    lines.append("整改措施：")
    lines += [
        f"  ({m['seq']}) {m['text']}" + (f"  ✓ {m['done_on']}" if m["done_on"] else "  — 未完成")
        for m in d["measures"]
    ] or ["  （无）"]
    if d["progress"]:
        lines.append("整改进展：")
        lines += [f"  {p['when'] or p['on']}  {p['text']}" for p in d["progress"]]
    if d["evidence"]:
        lines.append("佐证材料：")
        lines += [
            f"  [{e['id']}] {e['kind']} {e['ref'] or ''} {e['file'] or ''}  sha256:{e['hash'][:12]}…"
            for e in d["evidence"]
        ]
    if d["summary"]:
        lines.append(f"整改完成情况：{d['summary']}")
    if "available" in d:
        lines.append(f"{d['actor']} 现在可以：" + ("、".join(d["available"]) or "（无）"))
        lines += [f"  不可 {name}：{why}" for name, why in d["blocked"].items()]
    else:
        lines.append("（用 --as NAME 查看可执行的操作）")
    lines.append("历史：")
    lines += [
        f"  #{h['seq']} {h['at']} {h['actor']} {h['action']}"
        + (f" {h['from'] or ''}→{h['to']}" if h["from"] != h["to"] else "")
        + (f"  理由：{h['reason']}" if h["reason"] else "")
        for h in d["history"]
    ]
    return "\n".join(lines)


def _light(value: str) -> str:
    from states.colours import Colour

    return Colour(value).label


def _outcome(o: Any) -> None:
    from states.lifecycle import BY_ACTION

    if o.from_state != o.to_state:
        move = f"{o.from_state.label} → {o.to_state.label}"
    else:
        move = f"{BY_ACTION[o.entry.action].label}，仍为{o.to_state.label}"
    click.echo(f"事项 {o.item_id}（{o.number}）：{move}（版本 {o.version}，审计 #{o.entry.seq}）")


def _trigger_command(t: Any) -> click.Command:
    needs = {"reject": "--reason", "reopen": "--reason", "submit": "--summary", "confirm": "--finding"}
    example = f"zhenggai --as NAME item {t.trigger} 1" + (
        f" {needs[t.trigger]} …" if t.trigger in needs else ""
    )

    @click.argument("item_id", type=ID)
    @click.option("--reason", help="Why (required for reject and reopen).")
    @click.option("--summary", help="Completion summary (required for submit).")
    @click.option("--finding", help="Revisit finding (required for confirm).")
    @click.option(
        "--expect-version", type=ID, help="Refuse with a conflict if the item changed since you saw it."
    )
    @pass_app
    def command(
        app: App,
        item_id: int,
        reason: str | None,
        summary: str | None,
        finding: str | None,
        expect_version: int | None,
    ) -> None:
        from workflow import services

        with app.write() as conn:
            outcome = services.fire(
                conn,
                item_id,
                t.trigger,
                app.actor,
                app.now(),
                reason=reason,
                summary=summary,
                finding=finding,
                expect_version=expect_version,
            )
        _outcome(outcome)

    sources = "、".join(s.label for s in t.source)
    command.__doc__ = f"{t.label}: {sources} → {t.dest.label}.\n\n\b\nExample:\n    {example}"
    return click.command(t.trigger, help=command.__doc__)(command)


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
    from workflow import services

    new = date_arg(to)
    assert new is not None
    with app.write() as conn:
        _outcome(
            services.extend(
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
    from workflow import services

    with app.write() as conn:
        _outcome(
            services.reassign(
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
    from workflow import services

    with app.write() as conn:
        _outcome(
            services.add_measure(
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
    from workflow import services

    with app.write() as conn:
        _outcome(services.complete_measure(conn, item_id, seq, app.actor, app.now(), on=date_arg(on)))


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
    from workflow import services

    with app.write() as conn:
        _outcome(
            services.add_progress(
                conn, item_id, app.actor, app.now(), on=date_arg(on) or app.today(), text=text, when_text=when
            )
        )


@item.command("evidence")
@click.argument("item_id", type=ID)
@click.option("--kind", required=True, type=click.Choice(["批文", "会议纪要", "照片", "文件", "其他"]))
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
    from workflow import services

    with app.write() as conn:
        _outcome(
            services.attach_evidence(
                conn, item_id, app.actor, app.now(), kind=kind, ref=ref, file=file, note=note
            )
        )


# --- reports --------------------------------------------------------------------------------------


@cli.command()
@click.option(
    "--precision",
    type=click.IntRange(0, 4),
    default=0,
    show_default=True,
    help="Decimals of the completion rate (67% vs 98.71%).",
)
@json_option
@pass_app
def summary(app: App, precision: int, as_json: bool) -> None:
    """The headline statistics of the public report, as of today (or --now).

    \b
    Example:
        zhenggai --now 2025-02-14 summary
    """
    from workflow import queries

    with app.read() as conn:
        data = queries.summary(conn, app.today(), precision=precision)
    emit(data, as_json, lambda: queries.summary_sentence(data))


@cli.command()
def graph() -> None:
    """Print the lifecycle as a Mermaid state diagram (generated from the engine's own table).

    \b
    Example:
        zhenggai graph > lifecycle.mmd
    """
    from states.machine import mermaid

    click.echo(mermaid(), nl=False)


@cli.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("zhenggai-demo"),
    show_default=True,
    help="Where to build the demo database (replaced if present).",
)
@pass_app
def demo(app: App, directory: Path) -> None:
    """Build the seed case (太山镇党委, 2024-2025) in a fresh SQLite file and report as of 2025-02-14.

    \b
    Example:
        zhenggai demo --dir /tmp/taishan
    """
    from workflow import audit, db, queries
    from workflow import demo as seed

    url, count = seed.build(directory)
    click.echo(f"已建立示例数据库 {url}，回放 {count} 个事件（2024-10-14 至 2025-01-24）。\n")
    engine = db.make_engine(url)
    with db.reading(engine) as conn:
        rows = queries.list_items(conn, seed.AS_OF)
        data = queries.summary(conn, seed.AS_OF)
        verdict = audit.verify(conn)
    engine.dispose()
    click.echo(f"整改台账（截至 {seed.AS_OF}）：")
    click.echo(_board(rows))
    click.echo("")
    click.echo(queries.summary_sentence(data))
    click.echo(f"审计链：{verdict.count} 条，校验{'通过' if verdict.ok else '失败'}。")
    click.echo(f"\n继续查看：zhenggai --db {url} --as 县委巡察办 item show 1")


# --- audit ----------------------------------------------------------------------------------------


@cli.group("audit")
def audit_group() -> None:
    """The hash-chained audit trail: history, verification, sign-off sheets."""


@audit_group.command("log")
@click.argument("item_id", type=ID, required=False)
@click.option("--limit", type=COUNT, help="Only the newest N entries.")
@json_option
@pass_app
def audit_log(app: App, item_id: int | None, limit: int | None, as_json: bool) -> None:
    """Show the audit history, of one item or of everything.

    \b
    Example:
        zhenggai audit log 1
    """
    from workflow import audit, clock, render

    with app.read() as conn:
        entries = audit.entries(conn, item_id, limit)
    rows = [
        {
            "seq": e.seq,
            "at": clock.show(e.at),
            "at_utc": e.at,
            "actor": e.actor,
            "item": e.item_id,
            "action": e.action,
            "from": e.from_state,
            "to": e.to_state,
            "reason": e.reason,
            "payload": e.data,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        }
        for e in entries
    ]
    cols = [
        ("seq", "#"),
        ("at", "时间"),
        ("actor", "操作人"),
        ("item", "事项"),
        ("action", "操作"),
        ("from", "原状态"),
        ("to", "新状态"),
        ("reason", "理由"),
        ("short", "哈希"),
    ]
    emit(rows, as_json, lambda: render.table([{**r, "short": str(r["hash"])[:12]} for r in rows], cols))


@audit_group.command("verify")
@click.option(
    "--head", metavar="SEQ:HASH", help="A chain head recorded earlier (e.g. from a sign-off sheet)."
)
@json_option
@pass_app
def audit_verify(app: App, head: str | None, as_json: bool) -> None:
    """Recompute the hash chain; exit 1 naming the first bad entry.

    \b
    Example:
        zhenggai audit verify --head 42:3f5a…
    """
    import json
    from dataclasses import asdict

    from workflow import audit

    expect = None
    if head:
        seq, _, digest = head.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise click.BadParameter("应为 SEQ:HASH（64 位十六进制）", param_hint="--head")
        expect = (int(seq), digest)
    with app.read():  # checks the schema
        pass
    verdict = audit.verify_engine(app.engine, expect)
    if as_json:
        click.echo(json.dumps(asdict(verdict), ensure_ascii=False))
    elif verdict.ok:
        click.echo(f"审计链完整：{verdict.count} 条，链头 #{verdict.head_seq} {verdict.head_hash}")
    if not verdict.ok:
        click.echo(f"审计链校验失败：{verdict.problem}（前 {verdict.count} 条完好）", err=True)
        sys.exit(1)


@audit_group.command("signoff")
@click.argument("item_id", type=ID)
@json_option
@pass_app
def audit_signoff(app: App, item_id: int, as_json: bool) -> None:
    """Print the sign-off sheet (销号单) of a closed item, checked against the log.

    \b
    Example:
        zhenggai audit signoff 1
    """
    from workflow import queries

    with app.read() as conn:
        s = queries.signoff_sheet(conn, item_id)
    emit(s, as_json, lambda: _signoff_text(s))


def _signoff_text(s: dict[str, Any]) -> str:
    ok = "一致" if s["entry_matches_log"] else "不一致！"
    lines = [
        "销号单",
        f"事项：{s['item_id']}  {s['number']}  {s['title']}",
        f"责任领导：{s['leader'] or '—'}  责任部门：{s['department'] or '—'}  责任人：{s['handler'] or '—'}",
        f"提请人：{s['submitted_by'] or '—'}",
        f"整改完成情况：{s['summary'] or '—'}",
        f"销号人：{s['approved_by']}  时间：{s['approved_at']}",
        "佐证材料：",
    ]
    lines += [
        f"  [{e['id']}] {e['kind']} {e['ref'] or ''}  sha256:{e['hash']}"
        + ("" if e["matches_record"] else "  （与现存记录不符！）")
        for e in s["evidence"]
    ]
    lines += [
        f"销号时链头：#{s['chain_head_before']['seq']} {s['chain_head_before']['hash']}",
        f"销号条目：#{s['entry']['seq']} {s['entry']['hash']}（与日志{ok}）",
        f"核验：zhenggai audit verify --head {s['entry']['seq']}:{s['entry']['hash']}",
    ]
    return "\n".join(lines)


# --- command groups of other modules (each imports only click at module level) -------------------
# (one line each: `from workflow.cli_X import group` and `cli.add_command(group)`)
from workflow.cli_ledger import accountability, board, ledger, report, rule  # noqa: E402
from workflow.cli_reminders import outbox_group, remind_group, scheduler_group  # noqa: E402

cli.add_command(remind_group)
cli.add_command(outbox_group)
cli.add_command(scheduler_group)
cli.add_command(ledger)
cli.add_command(report)
cli.add_command(board)
cli.add_command(rule)
cli.add_command(accountability)


def main() -> None:
    cli(prog_name="zhenggai")


if __name__ == "__main__":
    main()
