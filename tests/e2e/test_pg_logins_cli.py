"""Everything a person does in a PostgreSQL deployment still works through their own login after the
hardening (issue 9 §4), and the scheduler does its work through a login of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.backends import BACKEND
from tests.conftest import APPROVER, HANDLER, LEADER, OFFICE
from tests.ledger_fixtures import row, write_csv
from tests.pg_deployment import Deployment, deployment
from workflow import db
from workflow.audit import chain

__all__ = ["deployment"]

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="database logins are a PostgreSQL matter")

ROUND_YAML = """\
round: {name: 第二轮, group: 县委第二巡察组, unit: 太山镇, feedback_date: 2024-10-14}
people:
  - {name: 新经办人, roles: [handler], department: 镇政府}
aspects:
  - number: 一
    title: 作风建设
    items:
      - {number: "1", title: 会议过多, leader: 杨公平, department: 镇政府, handler: 新经办人,
         deadline: 2024-12-31, measures: [{text: 精简会议}]}
"""
NEW_ROUND = ("--group", "县委第三巡察组", "--unit", "太山镇", "--feedback-date", "2024-10-14")


def ok(d: Deployment, person: str, *args: str) -> str:
    code, out = d.cli(d.of(person), *args)
    assert code == 0, f"{person}: {' '.join(args)}\n{out}"
    return out


def test_every_command_of_the_lifecycle_works_through_each_persons_own_login(
    deployment: Deployment, tmp_path: Path
) -> None:
    d = deployment
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 photo of the site")
    ok(d, OFFICE, "item", "assign", "1")
    ok(d, OFFICE, "item", "assign", "2")
    ok(d, HANDLER, "item", "start", "1")
    ok(d, HANDLER, "item", "measure-done", "1", "1")
    ok(d, HANDLER, "item", "evidence", "1", "--kind", "批文", "--ref", "获政土〔2024〕27号")
    ok(d, HANDLER, "item", "evidence", "1", "--kind", "照片", "--file", str(photo))
    ok(d, HANDLER, "item", "progress", "1", "完成排查")
    ok(d, HANDLER, "item", "submit", "1", "--summary", "已办结")
    ok(d, APPROVER, "item", "approve", "1")
    ok(d, OFFICE, "item", "revisit", "1")
    ok(d, OFFICE, "item", "confirm", "1", "--finding", "未反弹")
    ok(d, LEADER, "item", "measure-add", "2", "建立长效机制")
    ok(d, APPROVER, "item", "categorize", "2", "基本完成", "--reason", "阶段目标已完成")
    ok(
        d,
        LEADER,
        "item",
        "extend",
        "2",
        "--to",
        "2025-03-31",
        "--reason",
        "季节原因",
        "--approved-by",
        APPROVER,
    )
    ok(d, OFFICE, "item", "reassign", "2", "--reason", "增加配合单位", "--cooperating", "镇政府")
    ok(d, OFFICE, "rule", "add", "耕地保护巡查制度", "--kind", "made", "--on", "2024-10-22", "--item", "1")
    ok(d, OFFICE, "accountability", "add", "张某", "--measure", "约谈", "--on", "2024-10-22", "--item", "2")
    ok(d, OFFICE, "person", "add", "新审核人", "--role", "approver")
    (tmp_path / "round.yaml").write_text(ROUND_YAML, encoding="utf-8")
    ok(d, OFFICE, "import", str(tmp_path / "round.yaml"))
    ledger = write_csv(tmp_path / "台账.csv", [row(1, 责任人="台账经办人"), row(2, 完成情况="未启动")])
    ok(d, OFFICE, "ledger", "import", str(ledger), "--round", "第三轮", *NEW_ROUND)
    again = write_csv(
        tmp_path / "台账2.csv", [row(1, 问题描述="问题1。改写的描述。", 整改进展="2024年10月20日，完成排查")]
    )
    assert "更新 1" in ok(d, OFFICE, "ledger", "import", str(again), "--round", "第三轮")
    for person in (OFFICE, HANDLER, LEADER, APPROVER):  # reading needs nothing more
        ok(d, person, "item", "show", "1")
        ok(d, person, "report", "public", "--round", "第二轮", "--as-of", "2024-10-22")
    assert ok(d, APPROVER, "audit", "verify").startswith("审计链完整")
    engine = db.make_engine(d.admin_url)
    with db.reading(engine) as conn:
        actors = {e.actor for e in chain.entries(conn) if e.at >= "2024-10-22"}
    assert actors == {OFFICE, HANDLER, LEADER, APPROVER}


def test_the_scheduler_sends_reminders_through_its_own_login_and_people_cannot(
    deployment: Deployment, tmp_path: Path
) -> None:
    d = deployment
    config = tmp_path / "zhenggai.toml"
    config.write_text(f'[channels.file]\ndir = "{tmp_path / "out"}"\n', encoding="utf-8")
    ok(d, OFFICE, "item", "assign", "1")
    code, out = d.cli(d.url(d.scheduler), "--config", str(config), "remind", "run", now="2025-01-06T09:00")
    assert code == 0, out
    assert "投递成功" in out and list((tmp_path / "out").rglob("*.md"))
    code, out = d.cli(d.url(d.scheduler), "outbox", "deliver", "--retry-failed", now="2025-01-06T09:10")
    assert code == 0, out
    code, out = d.cli(d.of(OFFICE), "--config", str(config), "remind", "run", now="2025-01-13T09:00")
    assert code == 1 and "permission denied for table reminder_firing" in out
    # The scheduler's login is mapped to nobody: it may not act on items.
    code, out = d.cli(d.url(d.scheduler), "--as", OFFICE, "item", "assign", "2")
    assert code == 1 and "尚未对应任何人员" in out
