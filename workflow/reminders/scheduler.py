"""The foreground scheduler: APScheduler 3 wakes the rules on time; our firing table decides what is sent.

Jobs are built from the configuration at start-up in a memory job store (no pickled references to
break on a rename), the scheduler runs in UTC with each cron trigger in Asia/Shanghai, one instance of
a job at a time, coalesced, with a generous misfire grace. Start-up runs the rules once at once, which
is the catch-up after downtime: every rule looks back to the latest moment it was due.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from sqlalchemy.engine import Engine

from workflow import clock, db
from workflow.reminders import outbox, run
from workflow.reminders.settings import WEEKDAY_LABELS, WEEKDAYS, Settings

Log = Callable[[str], None]


def run_once(engine: Engine, settings: Settings, now: datetime, log: Log) -> run.RunResult:
    """Evaluate every rule at `now` (one transaction), then deliver what is due."""
    with db.unit_of_work(engine) as conn:
        result = run.run(conn, settings, now)
    sent = outbox.deliver(engine, settings, now)
    if result.firings or sent.sent or sent.failed:
        log(
            f"{clock.show(now)} 新增提醒 {len(result.firings)} 条（消息 {len(result.messages)} 条）；{sent.summary()}"
        )
    for note in result.notes:
        log(f"注意：{note}")
    return result


@dataclass
class SteppingClock:
    """Test-only time: each call returns the next moment start, start+step, … (None after `until`)."""

    start: datetime
    step: timedelta
    until: datetime | None = None
    calls: int = 0

    def __call__(self) -> datetime | None:
        moment = self.start + self.calls * self.step
        if self.until is not None and moment > self.until:
            return None
        self.calls += 1
        return moment


def describe(settings: Settings) -> list[str]:
    """When the scheduler wakes, as its start-up line says it."""
    w, d, r, m = settings.weekly, settings.deadline, settings.revisit, settings.monthly
    parts = []
    if w.enabled:
        parts.append(f"周调度/周通报 每{WEEKDAY_LABELS[w.weekday]} {w.at:%H:%M}")
    if d.enabled:
        parts.append(f"到期预警 每天 {d.at:%H:%M}")
    if r.enabled:
        parts.append(f"回头看 每天 {r.at:%H:%M}")
    if m.enabled:
        parts.append(f"每月汇报 每月第一个工作日 {m.at:%H:%M}")
    parts.append(f"发件箱每 {settings.scheduler.deliver_every_seconds} 秒投递一次")
    return parts


def triggers(settings: Settings) -> list[Any]:
    """One cron trigger per configured rule time, in local time (the rules find their own period)."""
    from apscheduler.triggers.cron import CronTrigger

    tz = clock.LOCAL
    out = []
    w, d, r, m = settings.weekly, settings.deadline, settings.revisit, settings.monthly
    if w.enabled:
        out.append(
            CronTrigger(day_of_week=WEEKDAYS[w.weekday], hour=w.at.hour, minute=w.at.minute, timezone=tz)
        )
    for enabled, at in ((d.enabled, d.at), (r.enabled, r.at)):
        if enabled:
            out.append(CronTrigger(hour=at.hour, minute=at.minute, timezone=tz))
    if m.enabled:
        # Cron cannot say "first working day"; wake daily early in the month and let the rule decide.
        out.append(CronTrigger(day="1-15", hour=m.at.hour, minute=m.at.minute, timezone=tz))
    return out


def _guarded(job: Callable[[], object], log: Log) -> Callable[[], None]:
    def wrapper() -> None:
        try:
            job()
        except Exception as exc:  # a locked database or a bad config must not stop the scheduler
            log(f"提醒运行失败（下次运行时重试）：{type(exc).__name__}: {exc}")

    return wrapper


def build(
    engine: Engine,
    settings: Settings,
    now: Callable[[], datetime],
    log: Log,
    *,
    tick: float | None = None,
    stepping: SteppingClock | None = None,
) -> Any:
    """A BlockingScheduler with our jobs; `tick`/`stepping` are the test-only fast mode."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.combining import OrTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    sched = BlockingScheduler(
        timezone=UTC,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.scheduler.misfire_grace_seconds,
        },
    )
    start = datetime.now(UTC)
    if tick is not None:
        assert stepping is not None
        _add_stepping(sched, engine, settings, log, tick, stepping)
        return sched

    rules_triggers = triggers(settings)
    if rules_triggers:
        sched.add_job(
            _guarded(lambda: run_once(engine, settings, now(), log), log),
            OrTrigger(rules_triggers),
            id="rules",
            name="提醒规则",
            next_run_time=start,  # catch up at once on start-up
        )

    def deliver() -> None:
        moment = now()
        result = outbox.deliver(engine, settings, moment)
        if result.sent or result.failed:
            log(f"{clock.show(moment)} {result.summary()}")

    sched.add_job(
        _guarded(deliver, log),
        IntervalTrigger(seconds=settings.scheduler.deliver_every_seconds),
        id="deliver",
        name="投递发件箱",
    )
    return sched


def _add_stepping(
    sched: Any, engine: Engine, settings: Settings, log: Log, tick: float, stepping: SteppingClock
) -> None:
    """Test only: every `tick` seconds, run the rules and deliver at the next simulated moment."""
    from apscheduler.triggers.interval import IntervalTrigger

    def step() -> None:
        moment = stepping()
        if moment is None:
            log("模拟时钟已到终点，调度器退出")
            sched.shutdown(wait=False)
            return
        run_once(engine, settings, moment, log)

    sched.add_job(
        _guarded(step, log), IntervalTrigger(seconds=tick), id="tick", next_run_time=datetime.now(UTC)
    )


def serve(sched: Any, log: Log) -> None:
    """Run in the foreground until SIGTERM or SIGINT (systemd's stop, or Ctrl-C)."""
    logging.getLogger("apscheduler").setLevel(logging.ERROR)

    def stop(signum: int, _frame: FrameType | None) -> None:
        log(f"收到信号 {signal.Signals(signum).name}，调度器退出")
        sched.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sched.start()
