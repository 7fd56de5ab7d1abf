"""The audit commands: the log, verifying the chain, the sign-off sheet of a closed item."""

from __future__ import annotations

import sys

import click

from workflow.cli.app import COUNT, ID, App, emit, json_option, pass_app


@click.group("audit")
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
    from workflow import clock
    from workflow.cli import render
    from workflow.read.items import history
    from workflow.read.scope import scope_of

    with app.read() as conn:
        entries = history(conn, item_id, limit, scope_of(conn, app.actor))
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
            "recorded_at_utc": e.recorded_at,
            "recorded": clock.show(e.recorded_at) + ("（补录）" if e.back_dated else ""),
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
        ("recorded", "记录于"),
    ]
    emit(rows, as_json, lambda: render.table([{**r, "short": str(r["hash"])[:12]} for r in rows], cols))


@audit_group.command("verify")
@click.option(
    "--head", metavar="SEQ:HASH", help="A chain head recorded earlier (e.g. from a sign-off sheet)."
)
@click.option(
    "--chain-only",
    is_flag=True,
    help="Only the hash chain and its time order; skip comparing the live tables with the trail.",
)
@json_option
@pass_app
def audit_verify(app: App, head: str | None, chain_only: bool, as_json: bool) -> None:
    """Recompute the hash chain, then replay the trail and compare it with the live tables (items,
    measures, progress, evidence and files, people, rounds, rules, accountability, ledger imports);
    exit 1 naming the first bad entry or the first row, column and value that disagree.

    \b
    Example:
        zhenggai audit verify --head 42:3f5a…
    """
    import json
    from dataclasses import asdict

    from workflow.audit import verify

    expect = None
    if head:
        seq, _, digest = head.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise click.BadParameter("应为 SEQ:HASH（64 位十六进制）", param_hint="--head")
        expect = (int(seq), digest)
    with app.read():  # checks the schema
        pass
    verdict = verify.verify_engine(app.engine, expect, deep=not chain_only)
    if as_json:
        click.echo(json.dumps(asdict(verdict), ensure_ascii=False))
    elif verdict.ok:
        tables = "；各表与日志一致" if verdict.deep else ""
        click.echo(f"审计链完整：{verdict.count} 条，链头 #{verdict.head_seq} {verdict.head_hash}{tables}")
    if not verdict.ok:
        if verdict.table is not None:
            click.echo(
                f"库表与审计日志不符：{verdict.problem}（审计链本身完整，共 {verdict.count} 条）", err=True
            )
        else:
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
    from workflow.cli.render import signoff_text
    from workflow.read.items import signoff_sheet
    from workflow.read.scope import scope_of

    with app.read() as conn:
        s = signoff_sheet(conn, item_id, scope_of(conn, app.actor))
    emit(s, as_json, lambda: signoff_text(s))
