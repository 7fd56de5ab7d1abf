"""The words of each reminder: subject, a Markdown body (lists, not tables, so that e-mail clients and
group robots show it too) and the same facts as JSON for webhooks and scripts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from states.colours import Colour
from workflow import clock
from workflow.reminders.catalogue import RULES
from workflow.reminders.settings import Settings

if TYPE_CHECKING:
    from workflow.reminders.due import Firing

_ITEM_SUBJECTS = {
    "deadline_notice": "【到期提醒】{n} 项整改事项距完成时限不足 {notice} 天",
    "deadline_warning": "【黄灯预警】{n} 项整改事项距完成时限不足 {warning} 天",
    "overdue": "【红灯逾期】{n} 项整改事项已超过完成时限",
    "escalation": "【逾期督办】{n} 项整改事项逾期超过 {escalate} 天，提请督办",
    "revisit_due": "【回头看提醒】{n} 项已销号事项到期回头看",
    "ongoing_review": "【长期坚持】{n} 项长期坚持事项到期定期回头看",
}
_ITEM_ASKS = {
    "deadline_notice": "以下整改事项距完成时限不足 {notice} 天，请对照整改措施抓紧推进，完成后及时提请销号。",
    "deadline_warning": "以下整改事项已亮黄灯（距完成时限不足 {warning} 天），请责任领导督促、责任人加快推进；"
    "确需延期的，请及时按程序申请延期。",
    "overdue": "以下整改事项已超过完成时限、亮红灯，请立即整改并书面说明逾期原因；确有客观原因的，请按程序申请延期。",
    "escalation": "以下整改事项逾期已超过 {escalate} 天，提请领导小组督办，必要时约谈责任单位和责任人。",
    "revisit_due": "以下事项销号已满 {after} 天，请组织回头看，检查整改成效是否巩固、问题有无反弹。",
    "ongoing_review": "以下长期坚持事项已到定期回头看时间，请检查落实情况并记录整改进展。",
}


def who(recipient: str) -> str:
    if recipient == "webhook":
        return "各位"
    return f"{recipient[5:]}（部门）" if recipient.startswith("dept:") else recipient


def cn_date(day: date | str) -> str:
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{d.year}年{d.month}月{d.day}日"


def week_label(week: str) -> str:
    year, _, number = week.partition("-W")
    return f"{year}年第{int(number)}周"


def _left(item: dict[str, Any]) -> str:
    left = item.get("days_left")
    if left is None:
        return ""
    if left > 0:
        return f"，剩 {left} 天"
    return "，今天到期" if left == 0 else f"，已逾期 {-left} 天"


def item_line(item: dict[str, Any], detail: bool = True) -> str:
    c = Colour(item["colour"])
    head = f"- {c.symbol}{c.label} {item['number']} {item['title']}（{item['state_label']}）"
    if not detail:
        return f"{head}，完成时限 {item['deadline'] or '—'}{_left(item)}"
    facts = (
        f"责任部门：{item['department'] or '—'}；责任领导：{item['leader'] or '—'}；"
        f"责任人：{item['handler'] or '—'}；完成时限：{item['deadline'] or '—'}{_left(item)}"
    )
    if "closed_on" in item:
        facts += f"；销号日期：{item['closed_on']}（已 {item['days_closed']} 天）"
    if "review_round" in item:
        facts += f"；第 {item['review_round']} 次定期回头看"
    return f"{head}\n  {facts}（zhenggai item show {item['id']}）"


def item_list(
    items: Sequence[dict[str, Any]], limit: int, detail: bool = True, total: int | None = None
) -> list[str]:
    """At most `limit` lines, then how many more there are (`total` when the list was cut already)."""
    lines = [item_line(i, detail) for i in items[:limit]]
    rest = (len(items) if total is None else total) - len(lines)
    if rest > 0:
        lines.append(f"- ……另有 {rest} 项，请用 zhenggai item list 查看")
    return lines or ["- （无）"]


def _footer(now: datetime, late: bool, due: datetime) -> list[str]:
    lines = ["", "——", f"巡察整改提醒 · {clock.show(now)}"]
    if late:
        lines.append(f"（补发：本提醒原定 {clock.show(due)} 发出，因系统停机未能按时发出）")
    return lines


def render(
    rule: str, recipient: str, firings: Sequence[Firing], settings: Settings, now: datetime, late: bool
) -> tuple[str, str, dict[str, Any]]:
    """(subject, Markdown body, data) of one recipient's message for one rule."""
    due = min(f.due_at for f in firings)
    limit = settings.max_items_per_message
    fmt = {
        "notice": settings.deadline.notice_days,
        "warning": settings.deadline.warning_days,
        "escalate": settings.deadline.escalate_after_days,
        "after": settings.revisit.after_days,
    }
    data: dict[str, Any] = {"rule": rule, "label": RULES[rule], "recipient": recipient, "late": late}
    if rule in _ITEM_SUBJECTS:
        items = [f.entry for f in firings]
        subject = _ITEM_SUBJECTS[rule].format(n=len(items), **fmt)
        body = [f"# {subject}", "", f"{who(recipient)}：", "", _ITEM_ASKS[rule].format(**fmt), ""]
        body += item_list(items, limit)
        data["items"] = items[:limit]
        data["total"] = len(items)
    elif rule == "weekly_dispatch":
        entries = [f.entry for f in firings]
        week = entries[0]["week"]
        names = "、".join(e["name"] for e in entries)
        subject = f"【周调度】{week_label(week)}整改事项调度（{names}）"
        body = [f"# {subject}", "", f"{who(recipient)}：", ""]
        body.append(
            f"现将截至{cn_date(entries[0]['to'])}的整改进展调度如下，请对照推进，"
            "停滞事项请本周内报送进展，逾期事项请说明原因。"
        )
        for e in entries:
            body += _dispatch_section(e, settings, limit)
        data["scopes"] = entries
    elif rule == "weekly_bulletin":
        e = firings[0].entry
        subject = f"【周通报】{week_label(e['week'])}整改进度通报"
        body = [f"# {subject}", "", f"{who(recipient)}：", ""]
        body += _bulletin(e, settings)
        data["bulletin"] = e
    elif rule == "monthly_report":
        e = firings[0].entry
        year, month = e["month"].split("-")
        subject = f"【每月汇报】{year}年{int(month)}月整改工作情况"
        body = [f"# {subject}", "", f"{who(recipient)}：", ""]
        body += _monthly(e, limit)
        data["report"] = e
    else:  # a rule without words is a programming error, not a user's
        raise ValueError(f"no text for rule {rule}")
    body += _footer(now, late, due)
    data["subject"] = subject
    return subject, "\n".join(body) + "\n", data


def _dispatch_section(e: dict[str, Any], settings: Settings, limit: int) -> list[str]:
    what = "责任部门" if e["kind"] == "dept" else "责任领导"
    by_state = "，".join(f"{k} {v}" for k, v in e["by_state"].items()) or "无"
    n = e["counts"]
    w = settings.weekly
    lines = [
        "",
        f"## {what}：{e['name']}",
        "",
        f"在办事项 {n['open']} 项（{by_state}）；已逾期 {n['overdue']} 项；"
        f"{w.upcoming_days} 日内到期 {n['upcoming']} 项；停滞 {n['stalled']} 项；"
        f"过去一周销号 {n['closed']} 项。",
    ]
    for title, key in (
        ("已逾期", "overdue"),
        (f"{w.upcoming_days} 日内到期", "upcoming"),
        (f"停滞（{w.stalled_days} 日内无整改进展）", "stalled"),
        ("过去一周销号", "closed"),
        ("全部在办事项", "open"),
    ):
        if n[key]:
            lines += ["", f"### {title}（{n[key]}）", ""]
            lines += item_list(e["lists"][key], limit, detail=False, total=n[key])
    return lines


def _bulletin(e: dict[str, Any], settings: Settings) -> list[str]:
    lines = [
        f"截至{cn_date(e['to'])}，全部在办整改事项 {e['open']} 项，其中已逾期 {e['overdue']} 项、"
        f"停滞（{settings.weekly.stalled_days} 日内无进展）{e['stalled']} 项、"
        f"{settings.weekly.upcoming_days} 日内到期 {e['upcoming']} 项；过去一周销号 {e['closed']} 项。",
        "",
        "## 各责任部门进度（按逾期、停滞事项数排序）",
        "",
    ]
    for n, r in enumerate(e["ranking"][: settings.max_items_per_message], 1):
        flag = " ← 进度滞后" if r["overdue"] or r["stalled"] else ""
        lines.append(
            f"{n}. {r['department']}：在办 {r['open']}，逾期 {r['overdue']}，停滞 {r['stalled']}，"
            f"过去一周销号 {r['closed']}{flag}"
        )
    if not e["ranking"]:
        lines.append("（无在办事项）")
    slow = [r for r in e["ranking"] if r["overdue"] or r["stalled"]]
    lines += ["", "## 点名提醒", ""]
    if slow:
        named = "；".join(
            f"{r['department']}（逾期 {r['overdue']} 项、停滞 {r['stalled']} 项）" for r in slow[:20]
        )
        more = f"等 {len(slow)} 个单位" if len(slow) > 20 else ""
        lines.append(f"{named}{more}整改进度滞后，请抓紧推进，下周调度时报告进展。")
    else:
        lines.append("本周没有逾期或停滞的单位。")
    return lines


def _monthly(e: dict[str, Any], limit: int) -> list[str]:
    s = e["summary"]
    lines = [
        f"截至{cn_date(e['as_of'])}，共反馈问题 {s['problems']} 个，制定整改措施 {s['measures']} 项；"
        f"已完成整改 {s['completed']} 个，正在整改 {s['in_progress']} 个，整改完成率 {s['completion_rate']}；"
        f"已逾期 {s['overdue']} 个；上月销号 {e['closed_last_month']} 个。",
    ]
    by_state = "，".join(f"{k} {v}" for k, v in s["by_state"].items() if v)
    lines.append(f"各状态：{by_state}。")
    if e["leader"]:
        lines += ["", f"## 您分管的在办事项（{e['item_count']}）", ""]
        lines += item_list(e["items"], limit, total=e["item_count"])
    return lines
