"""The seed case replayed day by day through its concentrated rectification period (2024-10-21 to
2025-02-14): each day the events that happened by 09:00 are applied, then the rules run at 09:00.
Every dispatch, warning and monthly report must come out on its day, exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from tests.reminders_fixtures import (
    DEPT,
    HANDLER,
    LEADER,
    OFFICE,
    at,
    days,
    firings,
    import_seed,
    local_nine,
    make_settings,
    message_count,
    new_engine,
    run,
    seed_events,
)
from workflow import clock, demo
from workflow.reminders import outbox
from workflow.reminders.settings import Settings

FIRST, LAST = date(2024, 10, 21), date(2025, 2, 14)
MONDAYS = [d for d in days(FIRST, LAST) if d.weekday() == 0]


def replay(engine: sa.Engine, settings: Settings, first: date = FIRST, last: date = LAST) -> int:
    events = seed_events()
    done = 0
    runs = 0
    for day in days(first, last):
        moment = local_nine(day)
        due = [e for e in events[done:] if clock.parse_moment(str(e["at"])) <= moment]
        demo.replay(engine, due)
        done += len(due)
        run(engine, settings, moment)
        runs += 1
    return runs


def expected() -> Counter[tuple[str, str, str, str, str]]:
    """(rule, recipient, scope, period, day fired) of everything the period should produce."""
    want: Counter[tuple[str, str, str, str, str]] = Counter()
    for monday in MONDAYS:
        year, week, _ = monday.isocalendar()
        period, day = f"{year}-W{week:02d}", monday.isoformat()
        want[("weekly_dispatch", HANDLER, f"dept:{DEPT}", period, day)] += 1
        want[("weekly_dispatch", LEADER, f"leader:{LEADER}", period, day)] += 1
        want[("weekly_bulletin", OFFICE, "all", period, day)] += 1
    # 一/2 (deadline 2024-12-31) is still being worked on when it reaches 20 and 10 days left;
    # 一/1 was signed off on 11-29, before any warning; 一/3 (2025-02-14) gets both in 2025.
    want[("deadline_notice", HANDLER, "item:2", "2024-12-31", "2024-12-11")] += 1
    want[("deadline_warning", HANDLER, "item:2", "2024-12-31", "2024-12-21")] += 1
    want[("deadline_warning", LEADER, "item:2", "2024-12-31", "2024-12-21")] += 1
    want[("deadline_notice", HANDLER, "item:3", "2025-02-14", "2025-01-25")] += 1
    want[("deadline_warning", HANDLER, "item:3", "2025-02-14", "2025-02-04")] += 1
    want[("deadline_warning", LEADER, "item:3", "2025-02-14", "2025-02-04")] += 1
    # The first working day of each month (01-01 is a holiday by default); October's was before
    # the feedback was recorded, so there is nothing to catch up.
    for day in ("2024-11-01", "2024-12-02", "2025-01-02", "2025-02-03"):
        for leader in (LEADER, "杨公平"):
            want[("monthly_report", leader, f"leader:{leader}", day[:7], day)] += 1
    return want


def test_the_seed_period_yields_each_dispatch_warning_and_report_exactly_once(tmp_path: Path) -> None:
    engine = new_engine(tmp_path / "zhenggai.db")
    import_seed(engine)
    settings = make_settings(tmp_path / "out")

    assert replay(engine, settings) == 117
    got = Counter((f["rule"], f["recipient"], f["scope"], f["period"], f["day"]) for f in firings(engine))

    assert got == expected()
    assert sum(got.values()) == 17 * 3 + 6 + 8
    # Nothing overdue, nothing escalated, no revisit yet (一/1 is due for one on 2025-02-27).
    assert not {k[0] for k in got} & {"overdue", "escalation", "revisit_due", "ongoing_review"}


def test_running_the_period_again_sends_nothing_twice(tmp_path: Path) -> None:
    engine = new_engine(tmp_path / "zhenggai.db")
    import_seed(engine)
    settings = make_settings(tmp_path / "out")
    replay(engine, settings)
    before = firings(engine)

    for day in days(FIRST, LAST):  # a second scheduler, or a replay by mistake
        assert run(engine, settings, local_nine(day)).firings == []
    assert firings(engine) == before

    delivered = outbox.deliver(engine, settings, at("2025-02-14T10:00"))
    files = sorted((tmp_path / "out").rglob("*.md"))
    # One message per recipient, rule and run, so one file each; none repeated.
    messages = {(f["day"], f["recipient"], f["rule"]) for f in before}
    assert len(files) == len(delivered.sent) == len(messages) == message_count(engine)


def test_the_period_continues_with_overdue_escalation_and_revisits(tmp_path: Path) -> None:
    engine = new_engine(tmp_path / "zhenggai.db")
    import_seed(engine)
    settings = make_settings(tmp_path / "out")
    replay(engine, settings, FIRST, date(2025, 4, 30))
    got = {(f["rule"], f["recipient"], f["scope"], f["day"]) for f in firings(engine)}

    # 一/3 stays open: red the day after its deadline, escalated 30 days later.
    for who in (HANDLER, LEADER, OFFICE):
        assert ("overdue", who, "item:3", "2025-02-15") in got
        assert ("escalation", who, "item:3", "2025-03-16") in got
    # 一/1 signed off 2024-11-29 and 一/2 on 2024-12-27: revisits 90 days on.
    assert ("revisit_due", OFFICE, "item:1", "2025-02-27") in got
    assert ("revisit_due", OFFICE, "item:2", "2025-03-27") in got
    counted = Counter(f["rule"] for f in firings(engine))
    assert counted["overdue"] == 3 and counted["escalation"] == 3 and counted["revisit_due"] == 2
