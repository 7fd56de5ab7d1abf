"""The words of each reminder: subject, a Markdown body (lists, not tables, so that e-mail clients and
group robots show it too) and the same facts as JSON for webhooks and scripts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from states.categories import Category
from states.colours import Colour
from workflow import clock
from workflow.read.statistics import shown_categories
from workflow.reminders.catalogue import RULES, WEBHOOK, Rule
from workflow.reminders.settings import Settings

if TYPE_CHECKING:
    from workflow.reminders.due import Firing


def who(recipient: str) -> str:
    """How a message addresses its recipient."""
    if recipient == WEBHOOK:
        return "各位"
    return f"{recipient[5:]}（部门）" if recipient.startswith("dept:") else recipient


def named(recipient: str) -> str:
    """A recipient as lists and notes name it."""
    return "群机器人" if recipient == WEBHOOK else who(recipient)


def numbers(settings: Settings) -> dict[str, int]:
    """The settings' numbers of days, by the names the catalogue's templates use."""
    d, r = settings.deadline, settings.revisit
    return {
        "notice": d.notice_days,
        "yellow": settings.yellow_days,
        "escalate": d.escalate_after_days,
        "after": r.after_days,
        "every": r.ongoing_every_days,
    }


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
    r = RULES[rule]
    data: dict[str, Any] = {"rule": rule, "label": r.label, "recipient": recipient, "late": late}
    if r.about_items:
        subject, body = _items_message(r, firings, settings, data)
    else:
        subject, body = DIGEST_WORDS[rule](r, firings, settings, data)
    body = [
        f"# {subject}",
        "",
        f"{who(recipient)}：",
        "",
        *body,
        *_footer(now, late, min(f.due_at for f in firings)),
    ]
    data["subject"] = subject
    return subject, "\n".join(body) + "\n", data


Words = tuple[str, list[str]]  # a message's subject and the lines of its body after the greeting


def _items_message(r: Rule, firings: Sequence[Firing], settings: Settings, data: dict[str, Any]) -> Words:
    limit = settings.max_items_per_message
    items = [f.entry for f in firings]
    subject = r.subject.format(n=len(items), **numbers(settings))
    data["items"] = items[:limit]
    data["total"] = len(items)
    return subject, [r.ask.format(**numbers(settings)), "", *item_list(items, limit)]


def _dispatch(r: Rule, firings: Sequence[Firing], settings: Settings, data: dict[str, Any]) -> Words:
    entries = [f.entry for f in firings]
    subject = r.subject.format(
        week=week_label(entries[0]["week"]), names="、".join(e["name"] for e in entries)
    )
    body = [
        f"现将截至{cn_date(entries[0]['to'])}的整改进展调度如下，请对照推进，"
        "停滞事项请本周内报送进展，逾期事项请说明原因。"
    ]
    for e in entries:
        body += _dispatch_section(e, settings, settings.max_items_per_message)
    data["scopes"] = entries
    return subject, body


def _bulletin_message(r: Rule, firings: Sequence[Firing], settings: Settings, data: dict[str, Any]) -> Words:
    e = firings[0].entry
    data["bulletin"] = e
    return r.subject.format(week=week_label(e["week"])), _bulletin(e, settings)


def _monthly_message(r: Rule, firings: Sequence[Firing], settings: Settings, data: dict[str, Any]) -> Words:
    e = firings[0].entry
    year, month = e["month"].split("-")
    data["report"] = e
    return r.subject.format(year=year, month=int(month)), _monthly(e, settings.max_items_per_message)


DIGEST_WORDS: dict[str, Callable[[Rule, Sequence[Firing], Settings, dict[str, Any]], Words]] = {
    "weekly_dispatch": _dispatch,
    "weekly_bulletin": _bulletin_message,
    "monthly_report": _monthly_message,
}


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


def _counts(s: dict[str, Any]) -> str:
    """已完成 and 正在整改, or every category shown when the office marked any (基本完成 …); a summary
    recorded before categories existed has only the two."""
    if "by_category" not in s:
        return f"已完成整改 {s['completed']} 个，正在整改 {s['in_progress']} 个"
    shown = shown_categories(s)
    if {c for c, _ in shown} <= {Category.completed, Category.in_progress}:
        return f"已完成整改 {s['completed']} 个，正在整改 {s['in_progress']} 个"
    return "，".join(
        f"{c.label}整改 {n} 个" if c is Category.completed else f"{c.label} {n} 个" for c, n in shown
    )


def _monthly(e: dict[str, Any], limit: int) -> list[str]:
    s = e["summary"]
    lines = [
        f"截至{cn_date(e['as_of'])}，共反馈问题 {s['problems']} 个，制定整改措施 {s['measures']} 项；"
        f"{_counts(s)}，整改完成率 {s['completion_rate']}；"
        f"已逾期 {s['overdue']} 个；上月销号 {e['closed_last_month']} 个。",
    ]
    by_state = "，".join(f"{k} {v}" for k, v in s["by_state"].items() if v)
    lines.append(f"各状态：{by_state}。")
    if e["leader"]:
        lines += ["", f"## 您分管的在办事项（{e['item_count']}）", ""]
        lines += item_list(e["items"], limit, total=e["item_count"])
    return lines
