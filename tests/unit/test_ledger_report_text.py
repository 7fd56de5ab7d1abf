"""Report settings and wording without a database: the seed's sentence, the rate, the documents."""

from __future__ import annotations

from datetime import date

import pytest

from states.lifecycle import State
from tests.ledger_fixtures import demo_settings
from workflow.errors import InvalidInput
from workflow.intake.ledger.export import ledger_numbers
from workflow.read.snapshot import ItemAt, cutoff
from workflow.reports import periodic, public
from workflow.reports import settings as report_settings
from workflow.reports.document import Document, to_markdown


def test_settings_have_documented_defaults_and_refuse_unknown_keys_and_wrong_types() -> None:
    assert report_settings.load({}) == report_settings.Settings()
    assert report_settings.load({"report": {"rate_precision": 2}}).rate_precision == 2
    assert report_settings.load({"report": {"next_steps": "一段"}}).next_steps == ("一段",)
    with pytest.raises(InvalidInput, match="未知的键：contact"):
        report_settings.load({"report": {"contact": "x"}})
    with pytest.raises(InvalidInput, match="rate_precision 应为 0 到 4 之间的整数"):
        report_settings.load({"report": {"rate_precision": 7}})
    with pytest.raises(InvalidInput, match="contact_phone 应为字符串"):
        report_settings.load({"report": {"contact_phone": 3734961003}})
    with pytest.raises(InvalidInput, match="应为字符串或字符串列表"):
        report_settings.load({"report": {"work_summary": [1]}})


def test_the_statistics_sentence_is_the_seeds_figure_for_figure() -> None:
    stats = {
        "as_of": "2025-02-14",
        "aspects": 1,
        "problems": 3,
        "measures": 3,
        "completed": 2,
        "in_progress": 1,
        "by_category": {"completed": 2, "basic": 0, "in_progress": 1, "not_done": 0, "ongoing": 0},
        "completion_rate": "67%",
        "rules_made": 0,
        "rules_revised": 1,
        "accountability": 0,
    }
    assert public.statistics_sentence(stats, "获嘉县上下联动乡村振兴专项巡察组", "太山镇党委") == (
        "根据获嘉县上下联动乡村振兴专项巡察组共反馈太山镇党委1个方面3个问题，太山镇党委认真研究制定整改措施3项。"
        "截至2025年2月14日，巡察反馈的3个具体问题，已完成整改2个，未整改（正在整改）1项，整改完成率为67%，"
        "修订完善各类规章制度1项。"
    )
    both = {**stats, "rules_made": 2, "accountability": 3}
    assert "制定修订各类规章制度3项（新制定2项、修订完善1项），追责问责3人次。" in public.statistics_sentence(
        both, "组", "党委"
    )


def test_the_demo_settings_carry_the_seeds_contact_line() -> None:
    config = demo_settings()
    assert config.short_name == "太山镇党委" and config.rate_precision == 0
    assert public._contact(config).endswith("联系方式：0373-4961003；电子邮箱tsxzf4695849@163.com。")
    assert (
        public._contact(report_settings.Settings())
        == "欢迎广大干部群众对巡察整改落实情况进行监督。如有意见和建议，请及时向我们反映。"
    )


def test_dated_actions_read_like_the_seed_with_the_year_only_when_it_changes() -> None:
    entries = [(date(2024, 10, 15), None, "实地走访。"), (date(2025, 1, 24), None, "提交备案材料")]
    assert public._actions(entries, 2024) == "一是10月15日，实地走访；二是2025年1月24日，提交备案材料。"
    assert public._actions([(date(2024, 11, 5), "11月初", "集中整改")], 2024) == "一是11月初，集中整改。"


def test_markdown_keeps_headings_paragraphs_tables_and_the_signature() -> None:
    doc = Document()
    doc.title("通报")
    doc.heading("一、整改工作情况")
    doc.heading("（一）已完成", 2)
    doc.para("正文")
    doc.table(("编号", "问题"), [("一/1", "a|b")])
    doc.sign("中共太山镇委员会", "2025年3月6日")
    assert to_markdown(doc) == (
        "# 通报\n\n## 一、整改工作情况\n\n### （一）已完成\n\n正文\n\n| 编号 | 问题 |\n|---|---|\n| 一/1 | a\\|b |"
        "\n\n中共太山镇委员会\n\n2025年3月6日\n"
    )


def test_periods_and_the_end_of_day_cut_in_shanghai_time() -> None:
    assert periodic.period("weekly", date(2024, 11, 29)) == (date(2024, 11, 23), date(2024, 11, 29))
    assert periodic.period("monthly", date(2025, 2, 14)) == (date(2025, 2, 1), date(2025, 2, 14))
    assert cutoff(date(2025, 2, 14)) == "2025-02-14T16:00:00.000000Z"  # midnight in Shanghai


def _item(i: int, number: str) -> ItemAt:
    return ItemAt(i, 1, 1, 1, number, "t", "", "", None, None, "", None, None, None, None, State.reported)


def test_export_numbers_are_ledger_keys_else_unique_short_numbers() -> None:
    items = [_item(1, "一/1"), _item(2, "二/1"), _item(3, "一/2"), _item(4, "一/2/(1)")]
    assert ledger_numbers(items, {3: "7"}) == {1: "一-1", 2: "二-1", 3: "7", 4: "(1)"}
