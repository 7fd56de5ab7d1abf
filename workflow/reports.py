"""The reports: the public report (整改情况通报) in the seed's structure, the weekly bulletin (周通报)
and the monthly report (每月汇报), each as of any date and built from a `snapshot` of the audit trail.

Settings come from the [report] section of the configuration (see `settings`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from states.colours import YELLOW_DAYS, Colour
from states.lifecycle import State
from workflow import config as config_module
from workflow import snapshot
from workflow.document import Document
from workflow.errors import InvalidInput
from workflow.ledger import chinese_number
from workflow.models import AUDIT, ITEM
from workflow.queries import format_rate
from workflow.records import resolve_round

DEFAULT_WORK = (
    "{short}按照巡察整改工作要求，坚持立行立改、限时整改，照单全收、逐项落实。通过明确整改任务、整改措施、"
    "责任领导、责任单位和完成时限，建立整改台账，实行销号管理，确保整改工作有序推进、取得实效。",
)
DEFAULT_NEXT_STEPS = (
    "一是巩固整改成果，开展举一反三工作。对已完成的整改任务全面开展“回头看”，重点检查整改措施是否落实到位、"
    "整改成效是否持续巩固，防止问题反弹回潮。",
    "二是强化制度建设，推动长效管理。针对巡察反馈的问题，进一步完善制度建设，通过制度固化整改成果。",
    "三是加强督导问责，确保整改实效。对正在推进的整改事项持续跟踪督办，对整改不彻底、落实不到位的部门和责任人，"
    "严肃追责问责。",
)
STATE_PHRASE = {
    State.reported: "已登记，待交办",
    State.assigned: "已交办，尚未开始整改",
    State.in_progress: "正在推进中",
    State.submitted: "已提请销号，待验收",
    State.closed: "已完成",
    State.revisited: "已完成",
}


@dataclass(frozen=True)
class Settings:
    """[report] settings; every key is optional (defaults as below)."""

    rate_precision: int = 0  # decimals of the completion rate: 0 → 67%, 2 → 98.71%
    contact_phone: str = ""
    contact_email: str = ""
    signing_unit: str = ""  # default: the round's inspected unit
    short_name: str = ""  # how the report names the unit (太山镇党委); default: the inspected unit
    title: str = ""  # default: "{short}关于{round}整改情况的通报"
    intro: str = ""  # opening paragraph; default: generated from the round
    work_summary: tuple[str, ...] = DEFAULT_WORK  # 一、整改工作情况, before the statistics
    next_steps: tuple[str, ...] = DEFAULT_NEXT_STEPS  # 三、下一步整改工作安排
    yellow_days: int = YELLOW_DAYS  # days before a deadline when an item turns yellow


def settings(config: dict[str, Any]) -> Settings:
    """Validate the [report] section: unknown keys and wrong types are errors that name the key."""
    raw = config_module.section(config, "report")
    known = {f.name: f for f in fields(Settings)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise InvalidInput(f"配置 [report] 中有未知的键：{'、'.join(unknown)}（可用：{'、'.join(known)}）")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        default = getattr(Settings, key) if key not in ("work_summary", "next_steps") else ()
        if isinstance(default, int):
            limits = (0, 4) if key == "rate_precision" else (0, 365)
            if not isinstance(value, int) or isinstance(value, bool) or not limits[0] <= value <= limits[1]:
                raise InvalidInput(f"配置 [report] {key} 应为 {limits[0]} 到 {limits[1]} 之间的整数")
        elif isinstance(default, str):
            if not isinstance(value, str):
                raise InvalidInput(f"配置 [report] {key} 应为字符串")
        else:
            value = [value] if isinstance(value, str) else value
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InvalidInput(f"配置 [report] {key} 应为字符串或字符串列表（每段一项）")
            value = tuple(value)
        values[key] = value
    return Settings(**values)


# --- figures ------------------------------------------------------------------------------------------


def _cn_date(day: date, year: bool = True) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if year else f"{day.month}月{day.day}日"


def statistics(conn: Connection, snap: snapshot.Snapshot, precision: int = 0) -> dict[str, Any]:
    """The headline figures as of the snapshot: problems, measures, completed, rate, rules, accountability."""
    items = snap.items
    completed = sum(i.completed for i in items)
    rules = snapshot.rules(conn, snap)
    acc = snapshot.accountability(conn, snap)
    by_state = Counter(i.state for i in items)
    return {
        "as_of": snap.day.isoformat(),
        "aspects": len({i.aspect_id for i in items}),
        "problems": len(items),
        "measures": sum(snapshot.measure_counts(conn, snap).values()),
        "completed": completed,
        "in_progress": len(items) - completed,
        "overdue": sum(i.overdue(snap.day) for i in items),
        "completion_rate": format_rate(completed, len(items), precision),
        "rules_made": sum(r["kind"] == "made" for r in rules),
        "rules_revised": sum(r["kind"] == "revised" for r in rules),
        "accountability": len(acc),
        "accountability_by_measure": dict(Counter(a["measure"] for a in acc)),
        "by_state": {s.label: by_state.get(s, 0) for s in State},
    }


def _rules_phrase(made: int, revised: int) -> str:
    if made and revised:
        return f"，制定修订各类规章制度{made + revised}项（新制定{made}项、修订完善{revised}项）"
    if revised:
        return f"，修订完善各类规章制度{revised}项"
    if made:
        return f"，新制定各类规章制度{made}项"
    return ""


def statistics_sentence(stats: dict[str, Any], group: str, short: str) -> str:
    """The seed's sentence, figure for figure."""
    day = date.fromisoformat(stats["as_of"])
    acc = f"，追责问责{stats['accountability']}人次" if stats["accountability"] else ""
    return (
        f"根据{group}共反馈{short}{stats['aspects']}个方面{stats['problems']}个问题，"
        f"{short}认真研究制定整改措施{stats['measures']}项。"
        f"截至{_cn_date(day)}，巡察反馈的{stats['problems']}个具体问题，已完成整改{stats['completed']}个，"
        f"未整改（正在整改）{stats['in_progress']}项，整改完成率为{stats['completion_rate']}"
        f"{_rules_phrase(stats['rules_made'], stats['rules_revised'])}{acc}。"
    )


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
        written = when or _cn_date(on, year=on.year != home_year)
        parts.append(f"{chinese_number(n)}是{written}，{text.strip().rstrip('。；;')}")
    return "；".join(parts) + "。" if parts else ""


def _problem_block(doc: Document, n: int, item: snapshot.ItemAt, text_after: str) -> None:
    head = f"问题{n}：{_sentence(item.title)}{_sentence(item.description)}"
    if item.instance:
        head += f"如，{_sentence(item.instance)}"
    doc.para(head)
    doc.para(f"责任领导：{item.leader or '—'}")
    doc.para(f"责任部门：{item.department or '—'}")
    if item.cooperating:
        doc.para(f"配合单位：{item.cooperating}")
    doc.para(f"整改情况：{STATE_PHRASE[item.state]}。{text_after}")


def public(
    conn: Connection,
    day: date,
    config: Settings,
    *,
    round_name: str | None = None,
    published: date | None = None,
) -> tuple[Document, dict[str, Any]]:
    """The public report as of `day` (and its figures), in the seed's structure."""
    rnd = resolve_round(conn, round_name)
    snap = snapshot.take(conn, day, rnd.id)
    stats = statistics(conn, snap, config.rate_precision)
    short = config.short_name or rnd.unit
    progress = snapshot.progress(conn, snap)
    home = rnd.feedback_date.year
    doc = Document()
    doc.title(config.title or f"{short}关于{rnd.name}整改情况的通报")
    doc.para(config.intro or _intro(rnd))
    doc.heading("一、整改工作情况")
    # The figures close the last paragraph of the section, as in the seed.
    paragraphs = [_fill(text, short, rnd) for text in config.work_summary] or [""]
    paragraphs[-1] += statistics_sentence(stats, rnd.group_name, short)
    for text in paragraphs:
        doc.para(text)
    doc.heading("二、巡察反馈问题整改落实情况")
    done = [i for i in snap.items if i.completed]
    open_ = [i for i in snap.items if not i.completed]
    doc.heading("（一）集中整改期内已经完成的整改事项", 2)
    aspects = "、".join(_inner_quotes(t) for _, t in snap.aspects.values())
    if snap.items:
        doc.para(
            f"{short}将巡察组反馈的关于“{aspects}”{stats['aspects']}个方面的主要问题，"
            f"细化为{stats['problems']}项具体整改任务，制定了{stats['measures']}条整改措施，"
            "并结合领导分工及部门职责，逐项划分责任，逐项整改落实。"
        )
    if not done:
        doc.para("截至目前，尚无已完成整改的问题。")
    for n, item in enumerate(done, 1):
        _problem_block(doc, n, item, _actions(progress.get(item.id, []), home))
    doc.heading("（二）正在推进整改的问题", 2)
    if open_:
        doc.para(f"截至目前，共计{len(open_)}个问题正在整改过程中，仍需深化整改。")
    else:
        doc.para("截至目前，巡察反馈问题已全部完成整改。")
    for n, item in enumerate(open_, 1):
        _problem_block(doc, n, item, _actions(progress.get(item.id, []), home))
    doc.heading("三、下一步整改工作安排")
    for text in config.next_steps:
        doc.para(_fill(text, short, rnd))
    doc.para(_contact(config))
    doc.sign(config.signing_unit or rnd.unit, _cn_date(published or day))
    return doc, {**stats, "round": rnd.name, "unit": rnd.unit, "group": rnd.group_name}


def _fill(text: str, short: str, rnd: Any) -> str:
    # Plain replacement, not str.format: configured prose may contain braces.
    return text.replace("{short}", short).replace("{unit}", rnd.unit).replace("{group}", rnd.group_name)


def _intro(rnd: Any) -> str:
    visit = ""
    if rnd.visit_start and rnd.visit_end:
        same = rnd.visit_start.year == rnd.visit_end.year
        visit = f"{_cn_date(rnd.visit_start)}至{_cn_date(rnd.visit_end, year=not same)}，"
    months = ""
    if rnd.rectification_end:
        n = round((rnd.rectification_end - rnd.feedback_date).days / 30.4)
        if n > 0:
            months = f"通过{chinese_number(n)}个月的集中整改，巡察反馈问题的整改取得阶段性成效。"
    return (
        f"{visit}{rnd.group_name}对{rnd.unit}开展了{rnd.name}，{_cn_date(rnd.feedback_date)}反馈了巡察意见。"
        f"{months}按照《中国共产党巡视工作条例》等有关规定，现将巡察整改情况予以公布："
    )


def _contact(config: Settings) -> str:
    text = "欢迎广大干部群众对巡察整改落实情况进行监督。如有意见和建议，请及时向我们反映。"
    ways = [f"联系方式：{config.contact_phone}"] if config.contact_phone else []
    if config.contact_email:
        ways.append(f"电子邮箱{config.contact_email}")
    return text + ("；".join(ways) + "。" if ways else "")


# --- weekly and monthly -------------------------------------------------------------------------------


def period(kind: str, day: date) -> tuple[date, date]:
    """weekly: the seven days ending on `day`; monthly: the month of `day` up to `day`."""
    if kind == "weekly":
        return day - timedelta(days=6), day
    if kind == "monthly":
        return day.replace(day=1), day
    raise InvalidInput(f"未知的报告类型 {kind!r}（可用：public、weekly、monthly）")


def _group_rows(items: list[snapshot.ItemAt], key: str, day: date, precision: int) -> list[list[object]]:
    groups: dict[str, list[snapshot.ItemAt]] = {}
    for i in items:
        groups.setdefault(getattr(i, key) or "（未指定）", []).append(i)
    rows = []
    for name, members in sorted(groups.items()):
        done = sum(i.completed for i in members)
        late = sum(i.overdue(day) for i in members)
        rows.append(
            [name, len(members), done, len(members) - done, late, format_rate(done, len(members), precision)]
        )
    return rows


def periodic(
    conn: Connection, kind: str, day: date, config: Settings, *, round_name: str | None = None
) -> tuple[Document, dict[str, Any]]:
    """The weekly bulletin (周通报) or the monthly report (月度汇报) as of `day`."""
    start, end = period(kind, day)
    rnd = resolve_round(conn, round_name)
    snap = snapshot.take(conn, end, rnd.id)
    before = snapshot.take(conn, start - timedelta(days=1), rnd.id)
    stats = statistics(conn, snap, config.rate_precision)
    short = config.short_name or rnd.unit
    word = "本周" if kind == "weekly" else "本月"
    newly_done = stats["completed"] - sum(i.completed for i in before.items)
    notes = snapshot.progress(conn, snap, since=start)
    yellow = [i for i in snap.items if i.colour(end, config.yellow_days) is Colour.yellow and not i.completed]
    late = sorted((i for i in snap.items if i.overdue(end)), key=lambda i: (i.deadline, i.number))
    doc = Document()
    if kind == "weekly":
        doc.title(f"{short}巡察整改工作周通报")
        doc.subtitle(f"（{_cn_date(start)}至{_cn_date(end)}）")
    else:
        doc.title(f"{short}巡察整改工作月度汇报")
        doc.subtitle(f"（{end.year}年{end.month}月，截至{_cn_date(end, year=False)}）")
    doc.heading("一、总体进展")
    doc.para(
        f"截至{_cn_date(end)}，{rnd.name}反馈的{stats['problems']}个问题已完成整改{stats['completed']}个，"
        f"正在整改{stats['in_progress']}个，整改完成率为{stats['completion_rate']}。"
        f"{word}新完成整改{newly_done}个，记录整改进展{sum(map(len, notes.values()))}条；"
        f"逾期未完成{len(late)}个，临近完成时限{len(yellow)}个。"
    )
    doc.heading(f"二、{word}整改动态")
    moves = _moves(conn, rnd.id, snapshot.cutoff(start - timedelta(days=1)), snap.cut)
    if moves:
        doc.table(("时间", "编号", "问题", "变化", "操作人"), moves)
    else:
        doc.para(f"{word}没有事项状态变化。")
    numbers = {i.id: i for i in snap.items}
    rows = [
        (on.isoformat(), numbers[item_id].number, numbers[item_id].title, text)
        for item_id, entries in notes.items()
        for on, _when, text in entries
    ]
    if rows:
        doc.table(("日期", "编号", "问题", "整改进展"), sorted(rows))
    doc.heading("三、提醒督办")
    if late:
        units = "、".join(dict.fromkeys(i.department or "（未指定）" for i in late))
        doc.para(f"以下事项已超过完成时限仍未完成，请{units}抓紧整改，按期销号：")
        doc.table(
            ("编号", "问题", "责任部门", "责任领导", "完成时限", "逾期天数"),
            [
                (i.number, i.title, i.department, i.leader, i.deadline, (end - i.deadline).days)
                for i in late
                if i.deadline
            ],
        )
    else:
        doc.para("没有逾期未完成的事项。")
    if yellow:
        doc.para(f"以下事项临近完成时限（{config.yellow_days}天内）或待销号验收，请抓紧推进：")
        doc.table(
            ("编号", "问题", "责任部门", "责任领导", "完成时限", "状态"),
            [(i.number, i.title, i.department, i.leader, i.deadline or "", i.state.label) for i in yellow],
        )
    head = ("责任部门", "问题数", "已完成", "正在整改", "逾期", "完成率")
    doc.heading("四、各责任部门整改进展")
    doc.table(head, _group_rows(snap.items, "department", end, config.rate_precision))
    if kind == "monthly":
        doc.heading("五、各责任领导分管事项进展")
        doc.table(("责任领导", *head[1:]), _group_rows(snap.items, "leader", end, config.rate_precision))
    data = {
        **stats,
        "kind": kind,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "newly_completed": newly_done,
        "overdue_items": [i.number for i in late],
        "near_deadline_items": [i.number for i in yellow],
        "state_changes": len(moves),
    }
    return doc, data


def _moves(conn: Connection, round_id: int, since: str, until: str) -> list[tuple[str, ...]]:
    """State changes (and items coming in) in [since, until), from the audit trail, in order."""
    from workflow import clock

    q = (
        sa.select(
            AUDIT.c.at, ITEM.c.number, ITEM.c.title, AUDIT.c.from_state, AUDIT.c.to_state, AUDIT.c.actor
        )
        .join(ITEM, ITEM.c.id == AUDIT.c.item_id)
        .where(
            ITEM.c.round_id == round_id,
            AUDIT.c.at >= since,
            AUDIT.c.at < until,
            AUDIT.c.to_state.is_not(None),
            sa.or_(AUDIT.c.from_state.is_(None), AUDIT.c.from_state != AUDIT.c.to_state),
        )
        .order_by(AUDIT.c.at, AUDIT.c.seq)  # the `at` index, not a scan of the whole log in seq order
    )
    return [
        (
            clock.show(at),
            number,
            title,
            f"{State(f).label if f else '新增'} → {State(t).label}",
            actor,
        )
        for at, number, title, f, t, actor in conn.execute(q)
    ]
