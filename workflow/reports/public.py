"""The public report (整改情况通报) in the seed's structure, as of any date, built from a `snapshot` of
the audit trail. Settings come from the [report] section (see `settings`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from types import SimpleNamespace
from typing import Any

from sqlalchemy.engine import Connection

from states.categories import LABELS, Category
from states.lifecycle import State
from workflow.chinese import chinese_number, cn_date
from workflow.read import snapshot
from workflow.read.rounds import resolve_round
from workflow.read.scope import EVERYTHING, Scope
from workflow.read.statistics import figures, shown_categories
from workflow.read.units import resolve_unit
from workflow.reports.document import Document
from workflow.reports.settings import Settings

STATE_PHRASE = {
    State.reported: "已登记，待交办",
    State.assigned: "已交办，尚未开始整改",
    State.in_progress: "正在推进中",
    State.submitted: "已提请销号，待验收",
    State.closed: "已完成",
    State.revisited: "已完成",
}


def _rules_phrase(made: int, revised: int) -> str:
    if made and revised:
        return f"，制定修订各类规章制度{made + revised}项（新制定{made}项、修订完善{revised}项）"
    if revised:
        return f"，修订完善各类规章制度{revised}项"
    if made:
        return f"，新制定各类规章制度{made}项"
    return ""


def _counts_phrase(stats: dict[str, Any], labels: dict[Category, str]) -> str:
    """'已完成整改2个，未整改（正在整改）1项' as the seed says it; 基本完成, 未完成, 长期坚持 when there are any."""
    parts = []
    for c, n in shown_categories(stats):
        if c is Category.completed:
            parts.append(f"{labels[c]}整改{n}个")
        elif c is Category.in_progress:
            parts.append(f"未整改（{labels[c]}）{n}项")
        else:
            parts.append(f"{labels[c]}{n}个")
    return "，".join(parts)


def statistics_sentence(
    stats: dict[str, Any], group: str, short: str, labels: dict[Category, str] | None = None
) -> str:
    """The seed's sentence, figure for figure."""
    day = date.fromisoformat(stats["as_of"])
    acc = f"，追责问责{stats['accountability']}人次" if stats["accountability"] else ""
    return (
        f"根据{group}共反馈{short}{stats['aspects']}个方面{stats['problems']}个问题，"
        f"{short}认真研究制定整改措施{stats['measures']}项。"
        f"截至{cn_date(day)}，巡察反馈的{stats['problems']}个具体问题，"
        f"{_counts_phrase(stats, labels or dict(LABELS))}，整改完成率为{stats['completion_rate']}"
        f"{_rules_phrase(stats['rules_made'], stats['rules_revised'])}{acc}。"
    )


def _nothing_yet(day: date, first: date | None) -> str:
    """What a report as of a day before any problem was recorded says, instead of empty figures."""
    later = f"本轮最早的问题记录于{cn_date(first)}，" if first is not None and first > day else ""
    return f"截至{cn_date(day)}，系统中尚无本轮巡察反馈问题的记录，{later}暂无整改情况可以统计。"


# --- the public report ----------------------------------------------------------------------------


def _inner_quotes(text: str) -> str:
    """Quotes inside “…” become ‘…’, as Chinese typesetting nests them."""
    out, opened = [], False
    for ch in text:
        if ch in '"“”':
            out.append("’" if opened else "‘")
            opened = not opened
        else:
            out.append(ch)
    return "".join(out)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in "。！？!?；;" else text + "。"


def _actions(entries: Sequence[tuple[date, str | None, str]], home_year: int) -> str:
    """Dated actions as the seed prints them: '一是10月15日，…；二是11月13日，…。'"""
    parts = []
    for n, (on, when, text) in enumerate(entries, 1):
        written = when or cn_date(on, year=on.year != home_year)
        parts.append(f"{chinese_number(n)}是{written}，{text.strip().rstrip('。；;')}")
    return "；".join(parts) + "。" if parts else ""


def _problem_block(
    doc: Document, n: int, item: snapshot.ItemAt, text_after: str, baseline: bool, labels: dict[Category, str]
) -> None:
    head = f"问题{n}：{_sentence(item.title)}{_sentence(item.description)}"
    if item.instance:
        head += f"如，{_sentence(item.instance)}"
    doc.para(head)
    doc.para(f"责任领导：{item.leader or '—'}")
    doc.para(f"责任部门：{item.department or '—'}")
    if item.cooperating:
        doc.para(f"配合单位：{item.cooperating}")
    # A state the ledger gave at import (a baseline) says so: the report does not pass it off as a
    # sign-off the system recorded.
    said = f"{snapshot.BASELINE_PHRASE[item.state]}。" if baseline else ""
    # Open work the office judged 基本完成 / 未完成 / 长期坚持 says that; the rest, its state.
    kind = item.completion
    plain = kind in (Category.completed, Category.in_progress)
    phrase = STATE_PHRASE[item.state] if plain else labels[kind]
    doc.para(f"整改情况：{phrase}。{said}{text_after}")


def public(
    conn: Connection,
    day: date,
    config: Settings,
    *,
    round_name: str | None = None,
    unit_name: str | None = None,
    published: date | None = None,
    scope: Scope = EVERYTHING,
) -> tuple[Document, dict[str, Any]]:
    """The public report of one inspected unit (the round's only one, or `unit_name`) as of `day`, and
    its figures, in the seed's structure: each unit publishes its own."""
    rnd = resolve_round(conn, round_name)
    unit = resolve_unit(conn, rnd, unit_name, scope)
    rnd = SimpleNamespace(**{**rnd._mapping, "unit": unit.name})  # the report speaks of this unit
    snap = snapshot.take(conn, day, rnd.id, unit.id)
    stats = figures(conn, snap, config.rate)
    short = config.short_name or rnd.unit
    doc = Document()
    doc.title(config.title or f"{short}关于{rnd.name}整改情况的通报")
    doc.para(config.intro or _intro(rnd))
    doc.heading("一、整改工作情况")
    # The figures close the last paragraph of the section, as in the seed.
    paragraphs = [_fill(text, short, rnd) for text in config.work_summary] or [""]
    if not snap.items:  # before any problem was recorded: say so, with no figures to contradict it
        paragraphs[-1] += _nothing_yet(day, snapshot.first_day(conn, rnd.id))
    else:
        paragraphs[-1] += statistics_sentence(stats, rnd.group_name, short, config.labels)
    for text in paragraphs:
        doc.para(text)
    doc.heading("二、巡察反馈问题整改落实情况")
    if not snap.items:
        doc.para(f"截至{cn_date(day)}，尚无巡察反馈问题的记录。")
    else:
        _items(conn, doc, snap, stats, short, config.labels, home=rnd.feedback_date.year)
    doc.heading("三、下一步整改工作安排")
    for text in config.next_steps:
        doc.para(_fill(text, short, rnd))
    doc.para(_contact(config))
    doc.sign(config.signing_unit or rnd.unit, cn_date(published or day))
    return doc, {**stats, "round": rnd.name, "unit": rnd.unit, "group": rnd.group_name}


def _items(
    conn: Connection,
    doc: Document,
    snap: snapshot.Snapshot,
    stats: dict[str, Any],
    short: str,
    labels: dict[Category, str],
    *,
    home: int,
) -> None:
    """二、: the completed problems, then those still being worked on, item by item."""
    progress = snapshot.progress(conn, snap)
    baselines = snapshot.baselines(conn, snap)
    done = [i for i in snap.items if i.completed]
    open_ = [i for i in snap.items if not i.completed]
    doc.heading("（一）集中整改期内已经完成的整改事项", 2)
    aspects = "、".join(_inner_quotes(t) for _, t in snap.aspects.values())
    doc.para(
        f"{short}将巡察组反馈的关于“{aspects}”{stats['aspects']}个方面的主要问题，"
        f"细化为{stats['problems']}项具体整改任务，制定了{stats['measures']}条整改措施，"
        "并结合领导分工及部门职责，逐项划分责任，逐项整改落实。"
    )
    if not done:
        doc.para("截至目前，尚无已完成整改的问题。")
    for n, item in enumerate(done, 1):
        _problem_block(doc, n, item, _actions(progress.get(item.id, []), home), item.id in baselines, labels)
    doc.heading("（二）正在推进整改的问题", 2)
    if open_:
        doc.para(f"截至目前，共计{len(open_)}个问题正在整改过程中，仍需深化整改。")
    else:
        doc.para("截至目前，巡察反馈问题已全部完成整改。")
    for n, item in enumerate(open_, 1):
        _problem_block(doc, n, item, _actions(progress.get(item.id, []), home), item.id in baselines, labels)


def _fill(text: str, short: str, rnd: Any) -> str:
    # Plain replacement, not str.format: configured prose may contain braces.
    return text.replace("{short}", short).replace("{unit}", rnd.unit).replace("{group}", rnd.group_name)


def _intro(rnd: Any) -> str:
    visit = ""
    if rnd.visit_start and rnd.visit_end:
        same = rnd.visit_start.year == rnd.visit_end.year
        visit = f"{cn_date(rnd.visit_start)}至{cn_date(rnd.visit_end, year=not same)}，"
    months = ""
    if rnd.rectification_end:
        n = round((rnd.rectification_end - rnd.feedback_date).days / 30.4)
        if n > 0:
            months = f"通过{chinese_number(n)}个月的集中整改，巡察反馈问题的整改取得阶段性成效。"
    return (
        f"{visit}{rnd.group_name}对{rnd.unit}开展了{rnd.name}，{cn_date(rnd.feedback_date)}反馈了巡察意见。"
        f"{months}按照《中国共产党巡视工作条例》等有关规定，现将巡察整改情况予以公布："
    )


def _contact(config: Settings) -> str:
    text = "欢迎广大干部群众对巡察整改落实情况进行监督。如有意见和建议，请及时向我们反映。"
    ways = [f"联系方式：{config.contact_phone}"] if config.contact_phone else []
    if config.contact_email:
        ways.append(f"电子邮箱{config.contact_email}")
    return text + ("；".join(ways) + "。" if ways else "")
