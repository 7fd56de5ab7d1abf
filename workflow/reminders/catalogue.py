"""The reminder rules by name: what each is called. Imports nothing of its own package, so settings,
text, rules and commands can all refer to the rules without importing each other."""

from __future__ import annotations

from datetime import timedelta

RULES: dict[str, str] = {
    "weekly_dispatch": "周调度",
    "weekly_bulletin": "周通报",
    "deadline_notice": "到期提醒",
    "deadline_warning": "黄灯预警",
    "overdue": "红灯逾期",
    "escalation": "逾期督办",
    "revisit_due": "回头看提醒",
    "ongoing_review": "长期坚持定期回头看",
    "monthly_report": "每月汇报",
}
WEBHOOK = "webhook"  # the recipient name of the group robot
LATE_AFTER = timedelta(hours=1)  # a firing this long after its due moment is marked as caught up (补发)
NO_DEPARTMENT = "（未指定部门）"
