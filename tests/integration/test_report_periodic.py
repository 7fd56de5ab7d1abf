"""The weekly bulletin, the monthly report and the board's figures, as of any date, from the audit trail."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tests.ledger_fixtures import demo_dir, demo_engine, demo_settings
from workflow import clock, db
from workflow.items import actions
from workflow.reports import board, periodic
from workflow.reports.document import to_markdown

__all__ = ["demo_dir", "demo_engine"]


def _periodic(engine: sa.Engine, kind: str, day: date) -> tuple[str, dict[str, object]]:
    with db.reading(engine) as conn:
        doc, data = periodic.periodic(conn, kind, day, demo_settings())
    return to_markdown(doc), data


def test_the_weekly_bulletin_lists_the_weeks_moves_and_progress(demo_engine: sa.Engine) -> None:
    text, data = _periodic(demo_engine, "weekly", date(2024, 11, 29))
    assert text.startswith("# 太山镇党委巡察整改工作周通报\n\n*（2024年11月23日至2024年11月29日）*")
    assert (data["newly_completed"], data["state_changes"], data["completed"]) == (1, 2, 1)
    assert "| 2024-11-25 10:00 | 一/1 | 新增违法占地禁而不绝 | 整改中 → 待销号审核 | 规划办经办人 |" in text
    assert "| 2024-11-29 10:00 | 一/1 | 新增违法占地禁而不绝 | 待销号审核 → 已销号 | 县委巡察办 |" in text
    assert "本周新完成整改1个，记录整改进展0条；逾期未完成0个" in text
    week, _ = _periodic(demo_engine, "weekly", date(2024, 11, 22))
    assert "| 2024-11-22 | 一/1 | 新增违法占地禁而不绝 | 利用“相约周五”专题学习日" in week


def test_the_weekly_bulletin_names_the_overdue_items_and_their_units(demo_engine: sa.Engine) -> None:
    text, data = _periodic(demo_engine, "weekly", date(2025, 2, 20))
    assert data["overdue_items"] == ["一/3"] and data["overdue"] == 1
    assert "请村镇规划建设办公室抓紧整改，按期销号" in text
    assert "| 一/3 | 违规改变用地用途 | 村镇规划建设办公室 | 徐波 | 2025-02-14 | 6 |" in text
    _, data = _periodic(demo_engine, "weekly", date(2025, 2, 10))
    assert (data["overdue_items"], data["near_deadline_items"]) == ([], ["一/3"])


def test_the_monthly_report_adds_each_leaders_items(demo_engine: sa.Engine) -> None:
    text, data = _periodic(demo_engine, "monthly", date(2024, 12, 31))
    assert text.startswith("# 太山镇党委巡察整改工作月度汇报\n\n*（2024年12月，截至12月31日）*")
    assert data["newly_completed"] == 1 and data["from"] == "2024-12-01"
    assert "## 五、各责任领导分管事项进展" in text
    assert "| 徐波 | 3 | 2 | 1 | 0 | 67% |" in text
    assert "| 村镇规划建设办公室 | 3 | 2 | 1 | 0 | 67% |" in text


def test_the_board_rebuilds_open_closed_and_overdue_over_time(demo_engine: sa.Engine) -> None:
    with db.reading(demo_engine) as conn:
        data = board.data(conn, date(2025, 2, 20))
    assert data["totals"] | {} == {
        "problems": 3,
        "completed": 2,
        "open": 1,
        "overdue": 1,
        "completion_rate": "67%",
        "green": 2,
        "yellow": 0,
        "red": 1,
        "blue": 0,
        "by_category": {"completed": 2, "basic": 0, "in_progress": 1, "not_done": 0, "ongoing": 0},
        "categories": [
            {"key": "completed", "label": "已完成", "n": 2},
            {"key": "in_progress", "label": "正在整改", "n": 1},
        ],
    }
    points = {p["date"]: p for p in data["timeline"]}
    assert (
        data["timeline"][0]["date"] == "2024-10-14"
        and len(points) == (date(2025, 2, 20) - date(2024, 10, 14)).days + 1
    )
    assert points["2024-10-14"] == {"date": "2024-10-14", "open": 3, "closed": 0, "overdue": 0}
    assert points["2024-12-01"] | {} == {"date": "2024-12-01", "open": 2, "closed": 1, "overdue": 0}
    assert points["2025-02-14"]["overdue"] == 0 and points["2025-02-15"]["overdue"] == 1
    assert [a["number"] for a in data["attention"]] == ["一/3"]
    assert data["groups"] == [
        {
            "department": "村镇规划建设办公室",
            "leader": "徐波",
            "total": 3,
            "completed": 2,
            "open": 1,
            "overdue": 1,
            "by_category": {"completed": 2, "basic": 0, "in_progress": 1, "not_done": 0, "ongoing": 0},
            "rate": "67%",
            "green": 2,
            "yellow": 0,
            "red": 1,
            "blue": 0,
        }
    ]


def test_an_extension_moves_the_overdue_line_from_the_day_it_was_granted(demo_engine: sa.Engine) -> None:
    with db.unit_of_work(demo_engine) as conn:
        actions.extend(
            conn,
            3,
            "规划办经办人",
            clock.parse_moment("2025-02-18T10:00"),
            new_deadline=date(2025, 3, 31),
            reason="备案手续办理中",
            approved_by="徐波",
        )
    with db.reading(demo_engine) as conn:
        points = {p["date"]: p["overdue"] for p in board.data(conn, date(2025, 2, 20))["timeline"]}
    assert (points["2025-02-17"], points["2025-02-18"], points["2025-02-20"]) == (1, 0, 0)
