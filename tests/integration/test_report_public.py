"""The public report rebuilt from the audit trail: the seed's figures and structure as of 2025-02-14,
and what the items were on earlier days — whatever has happened since."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from states.categories import Rate
from tests.ledger_fixtures import demo_dir, demo_engine, demo_settings
from workflow import clock, db
from workflow.errors import InvalidInput, PermissionDenied
from workflow.items import actions, round_records
from workflow.reports import public
from workflow.reports import settings as report_settings
from workflow.reports.document import Document, docx_text, to_docx, to_markdown

__all__ = ["demo_dir", "demo_engine"]

SEED_SENTENCE = (
    "根据获嘉县上下联动乡村振兴专项巡察组共反馈太山镇党委1个方面3个问题，太山镇党委认真研究制定整改措施3项。"
    "截至2025年2月14日，巡察反馈的3个具体问题，已完成整改2个，未整改（正在整改）1项，整改完成率为67%，"
    "修订完善各类规章制度1项。"
)


def _public(
    engine: sa.Engine, day: date, config: report_settings.Settings | None = None
) -> tuple[str, dict[str, Any]]:
    with db.reading(engine) as conn:
        doc, data = public.public(conn, day, config or demo_settings(), published=date(2025, 3, 6))
    return to_markdown(doc), data


def _sections(markdown: str) -> dict[str, str]:
    """Heading → the text under it (up to the next heading)."""
    parts = re.split(r"^#+ (.+)$", markdown, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_as_of_the_seeds_date_the_report_has_the_seeds_figures_and_structure(demo_engine: sa.Engine) -> None:
    text, data = _public(demo_engine, date(2025, 2, 14))
    assert {k: data[k] for k in ("problems", "measures", "completed", "in_progress", "completion_rate")} == {
        "problems": 3,
        "measures": 3,
        "completed": 2,
        "in_progress": 1,
        "completion_rate": "67%",
    }
    assert (data["rules_revised"], data["rules_made"], data["accountability"]) == (1, 0, 0)
    assert SEED_SENTENCE in text
    headings = re.findall(r"^#+ (.+)$", text, flags=re.M)
    assert headings == [
        "太山镇党委关于县委上下联动乡村振兴专项巡察（太山镇）整改情况的通报",
        "一、整改工作情况",
        "二、巡察反馈问题整改落实情况",
        "（一）集中整改期内已经完成的整改事项",
        "（二）正在推进整改的问题",
        "三、下一步整改工作安排",
    ]
    sections = _sections(text)
    done, ongoing = sections["（一）集中整改期内已经完成的整改事项"], sections["（二）正在推进整改的问题"]
    assert re.findall(r"^问题(\d)：(.+?)。", done, flags=re.M) == [
        ("1", "新增违法占地禁而不绝"),
        ("2", "耕地撂荒还有存在"),
    ]
    assert re.findall(r"^问题(\d)：(.+?)。", ongoing, flags=re.M) == [("1", "违规改变用地用途")]
    assert done.count("责任领导：徐波") == 2 and done.count("责任部门：村镇规划建设办公室") == 2
    assert "细化为3项具体整改任务，制定了3条整改措施" in done
    assert "整改情况：已完成。一是10月15日，镇人大主席徐波" in done
    assert "；二是11月初，借今冬明春大会战" in done
    assert "截至目前，共计1个问题正在整改过程中，仍需深化整改。" in ongoing
    assert "整改情况：正在推进中。一是10月15日，人大主席徐波带队实地走访问题建筑；" in ongoing
    assert "；四是2025年1月24日，该建筑内航吊已拆除" in ongoing
    assert "如，太山镇秋军畜禽养殖服务专业合作社，占地8.2亩" in ongoing
    assert text.endswith(
        "联系方式：0373-4961003；电子邮箱tsxzf4695849@163.com。\n\n中共太山镇委员会\n\n2025年3月6日\n"
    )


def test_as_of_an_earlier_day_the_report_shows_the_states_items_had_then(demo_engine: sa.Engine) -> None:
    text, data = _public(demo_engine, date(2024, 12, 1))
    assert (data["completed"], data["in_progress"], data["completion_rate"], data["rules_revised"]) == (
        1,
        2,
        "33%",
        1,
    )
    assert (
        "截至2024年12月1日，巡察反馈的3个具体问题，已完成整改1个，未整改（正在整改）2项，整改完成率为33%"
        in text
    )
    sections = _sections(text)
    assert re.findall(r"^问题\d：(.+?)。", sections["（二）正在推进整改的问题"], flags=re.M) == [
        "耕地撂荒还有存在",
        "违规改变用地用途",
    ]
    assert "12月5日" not in text and "2025年1月24日" not in text  # not yet done on 2024-12-01
    text, data = _public(demo_engine, date(2024, 10, 20))
    assert data["by_state"]["已登记"] == 3 and data["completion_rate"] == "0%"
    assert text.count("整改情况：已登记，待交办。") == 3 and "规章制度" not in text
    _, data = _public(demo_engine, date(2024, 10, 13))
    assert (data["problems"], data["completion_rate"]) == (0, "—")


def test_what_happens_later_does_not_change_the_report_of_an_earlier_day(demo_engine: sa.Engine) -> None:
    at = clock.parse_moment
    with db.unit_of_work(demo_engine) as conn:
        actions.reassign(conn, 3, "镇整改办", at("2025-02-18T09:00"), reason="分工调整", leader="杨公平")
        actions.complete_measure(conn, 3, 1, "规划办经办人", at("2025-02-18T10:00"))
        actions.fire(conn, 3, "submit", "规划办经办人", at("2025-02-18T11:00"), summary="备案手续已办结")
        actions.fire(conn, 3, "approve", "县委巡察办", at("2025-02-20T11:00"))
    before, _ = _public(demo_engine, date(2025, 2, 14))
    assert SEED_SENTENCE in before
    assert "责任领导：杨公平" not in before
    after, data = _public(demo_engine, date(2025, 2, 20))
    assert (data["completed"], data["completion_rate"]) == (3, "100%")
    assert "责任领导：杨公平" in after and "截至目前，巡察反馈问题已全部完成整改。" in after


def test_the_rate_precision_is_a_setting(demo_engine: sa.Engine) -> None:
    _, data = _public(demo_engine, date(2025, 2, 14), replace(demo_settings(), rate=Rate(precision=2)))
    assert data["completion_rate"] == "66.67%"


def test_accountability_and_rules_are_records_that_the_figures_count(demo_engine: sa.Engine) -> None:
    at = clock.parse_moment("2025-01-25T10:00")  # after the seed's last event: time runs forward
    with db.unit_of_work(demo_engine) as conn:
        round_records.add_accountability(
            conn,
            "镇整改办",
            at,
            person="张某",
            measure="诫勉谈话",
            decided_on=date(2025, 1, 25),
            item_id=3,
            post="沙窝营村党支部书记",
        )
        round_records.add_rule(
            conn, "镇整改办", at, title="太山镇设施农用地监管办法", kind="made", issued_on=date(2025, 1, 24)
        )
        with pytest.raises(InvalidInput, match="晚于今天"):
            round_records.add_rule(conn, "镇整改办", at, title="x", kind="made", issued_on=date(2025, 2, 1))
        with pytest.raises(PermissionDenied, match="徐波 没有记录问责的权限"):
            round_records.add_accountability(
                conn, "徐波", at, person="李某", measure="批评教育", decided_on=date(2025, 1, 25)
            )
        with pytest.raises(InvalidInput, match="未知的问责方式"):
            round_records.add_accountability(
                conn, "镇整改办", at, person="李某", measure="罚款", decided_on=date(2025, 1, 25)
            )
    text, data = _public(demo_engine, date(2025, 2, 14))
    assert (data["accountability"], data["rules_made"], data["rules_revised"]) == (1, 1, 1)
    assert "整改完成率为67%，制定修订各类规章制度2项（新制定1项、修订完善1项），追责问责1人次。" in text
    # Issued on 2025-01-24 but recorded on 2025-01-25: the report of the 24th could not have counted it.
    _, data = _public(demo_engine, date(2025, 1, 24))
    assert (data["accountability"], data["rules_made"], data["rules_revised"]) == (0, 0, 1)
    with db.reading(demo_engine) as conn:
        actions = [
            a
            for (a,) in conn.execute(
                sa.text("SELECT action FROM audit WHERE action LIKE '%_add' AND actor = '镇整改办'")
            )
        ]
    assert actions.count("rule_add") == 2 and actions.count("accountability_add") == 1


def test_the_report_as_word_has_the_same_text_in_official_fonts(
    demo_engine: sa.Engine, tmp_path: Path
) -> None:
    with db.reading(demo_engine) as conn:
        doc, _ = public.public(conn, date(2025, 2, 14), demo_settings(), published=date(2025, 3, 6))
    to_docx(doc, tmp_path / "r.docx")
    paragraphs = docx_text(tmp_path / "r.docx")
    assert any(p.endswith(SEED_SENTENCE) for p in paragraphs)
    assert paragraphs[-2:] == ["中共太山镇委员会", "2025年3月6日"]
    from docx import Document as open_docx

    heading = open_docx(str(tmp_path / "r.docx")).paragraphs[2].runs[0]
    assert heading._element.xml.count('w:eastAsia="黑体"') == 1
    assert Document().blocks == []
