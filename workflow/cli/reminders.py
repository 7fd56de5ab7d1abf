"""Commands for reminders: `remind` (run the rules once), `outbox` (the delivery queue) and `scheduler`.

Imports only click, workflow.cli.app and the rule catalogue (plain data) at module level; the engine and
APScheduler load inside the command bodies, so `zhenggai --help` stays fast.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click

from workflow.cli.app import COUNT, ID, App, emit, json_option, pass_app
from workflow.reminders.catalogue import RULES  # plain data, no engine: `--rule` offers its names

if TYPE_CHECKING:
    from workflow.reminders.run import RunResult
    from workflow.reminders.settings import Settings


def _settings(app: App) -> Settings:
    from workflow.reminders import settings

    return settings.load(app.config)


def _moment(app: App, text: str | None) -> Any:
    from workflow import clock

    return clock.parse_moment(text) if text else app.now()


# --- remind -----------------------------------------------------------------------------------------


@click.group("remind")
def remind_group() -> None:
    """Reminder rules: weekly dispatch, deadline warnings, revisits, the monthly report."""


@remind_group.command("run")
@click.option(
    "--now", "at", metavar="DATETIME", help="Evaluate as of this moment, Asia/Shanghai (default: now)."
)
@click.option("--dry-run", is_flag=True, help="Show what is due without recording or sending anything.")
@click.option("--no-deliver", is_flag=True, help="Queue the messages but leave delivery to `outbox deliver`.")
@json_option
@pass_app
def remind_run(app: App, at: str | None, dry_run: bool, no_deliver: bool, as_json: bool) -> None:
    """Evaluate every rule once and queue what is due — each reminder at most once, ever.

    For cron users and for catching up by hand; `scheduler run` does the same on a schedule.
    Running it again finds nothing new.

    \b
    Example:
        zhenggai remind run --now 2025-02-17T09:00 --dry-run
        zhenggai remind run
    """
    from workflow import db
    from workflow.reminders import outbox, run

    settings = _settings(app)
    now = _moment(app, at)
    if dry_run:
        with db.reading(app.engine) as conn:
            result = run.run(conn, settings, now, dry_run=True)
    else:
        with app.write() as conn:
            result = run.run(conn, settings, now)
    delivered = None
    if not dry_run and not no_deliver:
        delivered = outbox.deliver(app.engine, settings, now)
    data = _run_data(result)
    if delivered is not None:
        data["delivery"] = {
            "sent": len(delivered.sent),
            "failed": [{"id": i, "error": e} for i, e, _ in delivered.failed],
        }
    emit(data, as_json, lambda: _run_text(result, delivered))


def _run_data(result: RunResult) -> dict[str, Any]:
    from workflow import clock

    return {
        "now": clock.show(result.now),
        "dry_run": result.dry_run,
        "firings": len(result.firings),
        "messages": [
            {
                "rule": m.rule,
                "recipient": m.recipient,
                "subject": m.subject,
                "late": m.late,
                "channels": [c for c, _ in m.channels],
                "scopes": [{"scope": f.scope, "period": f.period} for f in m.firings],
                "key": None if result.dry_run else m.key,
            }
            for m in result.messages
        ],
        "notes": result.notes,
    }


def _run_text(result: RunResult, delivered: Any) -> str:
    from workflow import clock
    from workflow.cli import render
    from workflow.reminders.text import who

    rows = [
        {
            "rule": RULES[m.rule].label,
            "to": who(m.recipient),
            "subject": m.subject + ("（补发）" if m.late else ""),
            "channels": "、".join(c for c, _ in m.channels) or "—",
            "n": len(m.firings),
        }
        for m in result.messages
    ]
    head = f"{clock.show(result.now)}：" + (
        f"（演练，不记录不发送）将产生提醒 {len(result.firings)} 条，消息 {len(result.messages)} 条"
        if result.dry_run
        else f"新增提醒 {len(result.firings)} 条，消息 {len(result.messages)} 条"
    )
    lines = [head]
    if rows:
        cols = [("rule", "规则"), ("to", "收件人"), ("subject", "主题"), ("channels", "渠道"), ("n", "条数")]
        lines.append(render.table(rows, cols, max_width=60))
    else:
        lines.append("（没有到期的提醒；已发过的不会重发）")
    lines += [f"注意：{n}" for n in result.notes]
    if delivered is not None:
        lines.append(delivered.summary())
        lines += [f"  #{i} {e}" for i, e, _ in delivered.failed[:10]]
    return "\n".join(lines)


@remind_group.command("rules")
@click.option("--now", "at", metavar="DATETIME", help="Show the last due moments as of this moment.")
@json_option
@pass_app
def remind_rules(app: App, at: str | None, as_json: bool) -> None:
    """Show each rule with its schedule and recipients, as configured ([reminders] in zhenggai.toml).

    \b
    Example:
        zhenggai --config zhenggai.toml remind rules
    """
    from workflow.cli import render
    from workflow.reminders import run

    rows = run.describe(_settings(app), _moment(app, at))
    cols = [
        ("rule", "规则"),
        ("label", "名称"),
        ("on", "启用"),
        ("when", "时间"),
        ("to", "收件人"),
        ("last_due", "最近应发"),
    ]
    emit(
        rows,
        as_json,
        lambda: render.table([{**r, "on": "是" if r["enabled"] else "否"} for r in rows], cols, 60),
    )


@remind_group.command("history")
@click.option("--item", "item_id", type=ID, help="Only reminders about this item.")
@click.option(
    "--rule",
    type=click.Choice([*RULES, *(r.label for r in RULES.values())]),
    help="Only this rule: its name or its Chinese label (黄灯预警 …).",
)
@click.option("--limit", type=COUNT, default=100, show_default=True)
@json_option
@pass_app
def remind_history(app: App, item_id: int | None, rule: str | None, limit: int, as_json: bool) -> None:
    """Which reminders fired, for whom, about what, for which period (newest first).

    \b
    Example:
        zhenggai remind history --item 3
    """
    from workflow.cli import render
    from workflow.reminders import run

    by_label = {r.label: name for name, r in RULES.items()}
    with app.read() as conn:
        rows = run.history(conn, item_id=item_id, rule=by_label.get(rule or "", rule), limit=limit)
    cols = [
        ("fired_at", "时间"),
        ("rule_label", "规则"),
        ("recipient", "收件人"),
        ("scope", "范围"),
        ("period", "期次"),
        ("late", "补发"),
    ]
    emit(rows, as_json, lambda: render.table(rows, cols) if rows else "（还没有发过提醒）")


# --- outbox -----------------------------------------------------------------------------------------


@click.group("outbox")
def outbox_group() -> None:
    """The delivery queue: every reminder message per channel (file, smtp, webhook) and its status."""


@outbox_group.command("list")
@click.option(
    "--status",
    type=click.Choice(["pending", "sending", "sent", "failed"]),
    help="Only deliveries in this status.",
)
@click.option("--limit", type=COUNT, default=50, show_default=True)
@json_option
@pass_app
def outbox_list(app: App, status: str | None, limit: int, as_json: bool) -> None:
    """List deliveries, newest first, with attempts, next attempt and the last error.

    \b
    Example:
        zhenggai outbox list --status pending
    """
    from workflow.cli import render
    from workflow.reminders import due, outbox

    with app.read() as conn:
        due.check_tables(conn)
        rows = outbox.listing(conn, status=status, limit=limit)
        counts = outbox.counts(conn)
    cols = [
        ("id", "#"),
        ("created_at", "时间"),
        ("recipient", "收件人"),
        ("channel", "渠道"),
        ("subject", "主题"),
        ("status_label", "状态"),
        ("attempts", "次数"),
        ("next_attempt_at", "下次尝试"),
        ("last_error", "错误"),
    ]
    tally = "，".join(f"{outbox.STATUS_LABELS[s]} {n}" for s, n in counts.items())
    emit(
        {"counts": counts, "deliveries": rows},
        as_json,
        lambda: (render.table(rows, cols) if rows else "（发件箱为空）") + f"\n合计：{tally}",
    )


@outbox_group.command("show")
@click.argument("ref")
@json_option
@pass_app
def outbox_show(app: App, ref: str, as_json: bool) -> None:
    """Show one message (by outbox # or message key) with its body and deliveries.

    \b
    Example:
        zhenggai outbox show 12
    """
    from workflow.reminders import outbox

    with app.read() as conn:
        m = outbox.message(conn, ref)

    def text() -> str:
        lines = [
            f"消息 {m['key']}  {m['created_at']}  收件人：{m['recipient']}"
            + ("（补发）" if m["late"] else "")
        ]
        lines += [
            f"  #{d['id']} {d['channel']} {outbox.STATUS_LABELS.get(d['status'], d['status'])}，"
            f"尝试 {d['attempts']} 次" + (f"，错误：{d['last_error']}" if d["last_error"] else "")
            for d in m["deliveries"]
        ]
        return "\n".join([*lines, "", m["body"]])

    emit(m, as_json, text)


@outbox_group.command("deliver")
@click.option("--limit", type=COUNT, help="Try at most this many deliveries.")
@click.option("--retry-failed", is_flag=True, help="First put given-up deliveries back in the queue.")
@click.option("--now", "at", metavar="DATETIME", help="Deliver as of this moment (default: now).")
@json_option
@pass_app
def outbox_deliver(app: App, limit: int | None, retry_failed: bool, at: str | None, as_json: bool) -> None:
    """Push due deliveries now; failures stay queued with the error and retry with backoff.

    \b
    Example:
        zhenggai outbox deliver
        zhenggai outbox deliver --retry-failed
    """
    from workflow.reminders import due, outbox

    settings = _settings(app)
    now = _moment(app, at)
    with app.read() as conn:
        due.check_tables(conn)
    requeued = 0
    if retry_failed:
        with app.write() as conn:
            requeued = outbox.retry_failed(conn, now)
    result = outbox.deliver(app.engine, settings, now, limit=limit)
    data = {
        "requeued": requeued,
        "sent": len(result.sent),
        "failed": [{"id": i, "error": e, "retry_at": r and r.isoformat()} for i, e, r in result.failed],
    }

    def text() -> str:
        lines = [f"已重新排队 {requeued} 条"] if retry_failed else []
        lines.append(result.summary())
        lines += [f"  #{i} {e}" for i, e, _ in result.failed[:20]]
        return "\n".join(lines)

    emit(data, as_json, text)


# --- scheduler --------------------------------------------------------------------------------------


@click.group("scheduler")
def scheduler_group() -> None:
    """The reminder scheduler (APScheduler), for systemd or a terminal."""


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def _duration(text: str) -> timedelta:
    match = _DURATION.match(text)
    if not match:
        raise click.BadParameter("应为数字加单位 s/m/h/d，如 1d、6h", param_hint="--sim-step")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
    return timedelta(**{unit: float(match.group(1))})


@scheduler_group.command("run")
@click.option("--tick", type=click.FloatRange(min=0.01), hidden=True, help="Test only: run every N seconds.")
@click.option("--sim-start", metavar="DATETIME", hidden=True, help="Test only: first simulated moment.")
@click.option("--sim-step", default="1d", hidden=True, help="Test only: simulated time per tick (1d, 6h …).")
@click.option("--sim-until", metavar="DATETIME", hidden=True, help="Test only: stop after this moment.")
@pass_app
def scheduler_run(
    app: App, tick: float | None, sim_start: str | None, sim_step: str, sim_until: str | None
) -> None:
    """Run the reminder rules on schedule in the foreground until stopped (SIGTERM / Ctrl-C).

    Catches up at start-up on anything missed while it was down, then runs each rule at its time
    from the configuration and delivers the outbox every minute. Running two by mistake sends
    nothing twice.

    \b
    Example:
        zhenggai --db sqlite:////srv/zhenggai/zhenggai.db --config /etc/zhenggai.toml scheduler run
    """
    from workflow import clock
    from workflow.reminders import due, scheduler

    settings = _settings(app)
    with app.read() as conn:
        due.check_tables(conn)

    def log(text: str) -> None:
        click.echo(text)

    stepping = None
    if tick is not None:
        if not sim_start:
            raise click.UsageError("--tick 需要同时给出 --sim-start")
        stepping = scheduler.SteppingClock(
            clock.parse_moment(sim_start),
            _duration(sim_step),
            clock.parse_moment(sim_until) if sim_until else None,
        )
    sched = scheduler.build(app.engine, settings, app.now, log, tick=tick, stepping=stepping)
    where = app.engine.url.render_as_string(hide_password=True)
    if tick is None:
        log(f"调度器已启动：{where}；{'；'.join(scheduler.describe(settings))}。按 Ctrl-C 退出。")
    else:
        log(f"调度器（测试模式）已启动：{where}，每 {tick:g} 秒推进 {sim_step}")
    scheduler.serve(sched, log)
    app.engine.dispose()
