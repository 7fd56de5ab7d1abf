"""The reminder rules, one row each: name, label, schedule, recipients, whether the group robot gets it,
and its words. Settings, text, the rules, `remind rules` and the CLI all read this table; it imports
nothing of its own package, so that each of them can."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

# The [reminders.*] table that switches a rule on and sets its time; the table also fixes its cadence:
# weekly on a weekday, daily (deadline, revisit), or on the first working day of the month (monthly).
Section = Literal["weekly", "deadline", "revisit", "monthly"]
# Whom an item rule tells about an item: its handler (or, without one, its department's handlers),
# the handler-role people of its department, its leader, the office, and the escalation's heads
# ([reminders.deadline] escalate_to, or the office who forwards it).
Audience = Literal["handler", "department", "leader", "office", "heads"]
AUDIENCE_LABELS: dict[Audience, str] = {
    "handler": "责任人",
    "department": "责任部门",
    "leader": "责任领导",
    "office": "整改办",
    "heads": "领导小组组长",
}


@dataclass(frozen=True)
class Rule:
    """One reminder rule. `when`, `subject` and `ask` are templates: {at} and {weekday} are the rule's
    time, {notice} {yellow} {escalate} {after} {every} the settings' numbers of days (text.numbers),
    {n} the number of items; a digest's subject also has {week}, {names}, {year} and {month}."""

    name: str
    label: str
    section: Section
    when: str  # `remind rules`' 时间
    to: str  # `remind rules`' 收件人; {heads}: escalate_to, or the office who forwards it
    subject: str
    ask: str = ""  # an item rule's request at the top of its message; empty for the digests
    audience: tuple[Audience, ...] = ()  # an item rule's recipients for each item, in this order
    webhook: bool = False  # to the group robot by default ([channels.webhook] rules overrides)

    @property
    def about_items(self) -> bool:
        """An item rule (one firing per item; the message lists items) rather than a digest."""
        return bool(self.ask)


_LADDER: tuple[Audience, ...] = ("handler", "department", "leader", "office")

RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule(
            "weekly_dispatch",
            "周调度",
            "weekly",
            "每{weekday} {at}",
            "各责任部门的责任人、各责任领导",
            "【周调度】{week}整改事项调度（{names}）",
        ),
        Rule(
            "weekly_bulletin",
            "周通报",
            "weekly",
            "每{weekday} {at}",
            "整改办",
            "【周通报】{week}整改进度通报",
            webhook=True,
        ),
        Rule(
            "deadline_notice",
            "到期提醒",
            "deadline",
            "每天 {at}，剩 {notice} 天",
            "责任人",
            "【到期提醒】{n} 项整改事项距完成时限不足 {notice} 天",
            "以下整改事项距完成时限不足 {notice} 天，请对照整改措施抓紧推进，完成后及时提请销号。",
            ("handler",),
        ),
        Rule(
            "deadline_warning",
            "黄灯预警",
            "deadline",
            "每天 {at}，剩 {yellow} 天（黄灯）",
            "责任人、责任领导",
            "【黄灯预警】{n} 项整改事项距完成时限不足 {yellow} 天",
            "以下整改事项已亮黄灯（距完成时限不足 {yellow} 天），请责任领导督促、责任人加快推进；"
            "确需延期的，请及时按程序申请延期。",
            ("handler", "leader"),
        ),
        Rule(
            "overdue",
            "红灯逾期",
            "deadline",
            "每天 {at}，逾期（红灯）",
            "责任人、责任部门、责任领导、整改办",
            "【红灯逾期】{n} 项整改事项已超过完成时限",
            "以下整改事项已超过完成时限、亮红灯，请立即整改并书面说明逾期原因；确有客观原因的，请按程序申请延期。",
            _LADDER,
            webhook=True,
        ),
        Rule(
            "escalation",
            "逾期督办",
            "deadline",
            "每天 {at}，逾期 {escalate} 天",
            "以上各方及{heads}",
            "【逾期督办】{n} 项整改事项逾期超过 {escalate} 天，提请督办",
            "以下整改事项逾期已超过 {escalate} 天，提请领导小组督办，必要时约谈责任单位和责任人。",
            (*_LADDER, "heads"),
            webhook=True,
        ),
        Rule(
            "revisit_due",
            "回头看提醒",
            "revisit",
            "每天 {at}，销号后 {after} 天",
            "整改办",
            "【回头看提醒】{n} 项已销号事项到期回头看",
            "以下事项销号已满 {after} 天，请组织回头看，检查整改成效是否巩固、问题有无反弹。",
            ("office",),
        ),
        Rule(
            "ongoing_review",
            "长期坚持定期回头看",
            "revisit",
            "每天 {at}，长期坚持事项每 {every} 天",
            "整改办",
            "【长期坚持】{n} 项长期坚持事项到期定期回头看",
            "以下长期坚持事项已到定期回头看时间，请检查落实情况并记录整改进展。",
            ("office",),
        ),
        Rule(
            "monthly_report",
            "每月汇报",
            "monthly",
            "每月第一个工作日 {at}",
            "各责任领导",
            "【每月汇报】{year}年{month}月整改工作情况",
        ),
    )
}
DEFAULT_WEBHOOK_RULES = tuple(name for name, r in RULES.items() if r.webhook)


def label(name: str) -> str:
    """The rule's Chinese name; an unknown name (a row from an older version) as it is."""
    rule = RULES.get(name)
    return rule.label if rule else name


WEBHOOK = "webhook"  # the recipient name of the group robot
LATE_AFTER = timedelta(hours=1)  # a firing this long after its due moment is marked as caught up (补发)
NO_DEPARTMENT = "（未指定部门）"
