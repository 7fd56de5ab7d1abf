"""Guards: each returns None when the action may go ahead, else the reason (in Chinese) it may not.

The same functions answer "what can I do with this item now?" and enforce the transition, so the
explanation a user sees is exactly the rule the engine applies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from states.lifecycle import BY_OPERATION, INPUTS, Input, Role, State, rule


@dataclass(frozen=True)
class Actor:
    name: str
    roles: frozenset[Role]
    department: str | None = None
    unit: str | None = None  # the inspected unit (被巡察单位) they work in; None: the county level

    @property
    def sees_every_unit(self) -> bool:
        """The county level (no unit) and auditors see every unit's items; anyone else their unit's."""
        return self.unit is None or Role.auditor in self.roles


def sees(actor: Actor, unit: str | None) -> bool:
    """Scope: whether `actor` may see (and so act on) an item of `unit`. An item out of scope is, to
    them, an item that does not exist (the SQL twin: workflow/read/scope.py)."""
    return actor.sees_every_unit or actor.unit == unit


@dataclass
class Facts:
    """What the guards may look at: the item as stored, counts of its parts, the actor and the inputs."""

    state: State
    actor: Actor
    leader: str | None = None
    department: str | None = None
    handler: str | None = None
    deadline_kind: str | None = None  # "date", "immediate" (立行立改) or "ongoing" (长期坚持)
    deadline: date | None = None
    measures_total: int = 0
    measures_done: int = 0
    evidence_count: int = 0
    submitted_by: str | None = None
    params: dict[str, object] = field(default_factory=dict)  # reason, summary, finding, new_deadline …


Guard = Callable[[Facts], str | None]


def _text(facts: Facts, key: str) -> str:
    value = facts.params.get(key)
    return value.strip() if isinstance(value, str) else ""


def plan_complete(f: Facts) -> str | None:
    missing = [
        label
        for label, ok in (
            ("责任领导", f.leader),
            ("责任部门", f.department),
            ("完成时限", f.deadline_kind),
            ("整改措施", f.measures_total),
        )
        if not ok
    ]
    return f"整改方案不完整，缺少{'、'.join(missing)}" if missing else None


def responsible(f: Facts) -> str | None:
    # The office acts for everyone; a handler or leader only for their own items.
    a = f.actor
    if Role.office in a.roles:
        return None
    if a.name in (f.handler, f.leader) or (a.department is not None and a.department == f.department):
        return None
    return f"{a.name} 不是本事项的责任人，也不属于责任部门（{f.department or '未指定'}）"


def measures_done(f: Facts) -> str | None:
    left = f.measures_total - f.measures_done
    if f.measures_total == 0:
        return "没有整改措施"
    return f"尚有 {left} 项整改措施未完成" if left else None


def has_evidence(f: Facts) -> str | None:
    return None if f.evidence_count else "没有佐证材料"


def requires(needed: Input) -> Guard:
    """The guard `has_<name>` of an input a rule needs: refuses while the text is empty."""

    def guard(f: Facts) -> str | None:
        return None if _text(f, needed.name) else f"需要{needed.ask}（{needed.option}）"

    guard.__name__ = needed.guard
    return guard


def four_eyes(f: Facts) -> str | None:
    name = f.actor.name
    if name == f.submitted_by:
        return f"{name} 是提请销号的人，不能审核自己的事项"
    if name == f.handler:
        return f"{name} 是本事项的责任人，不能审核自己的事项"
    return None


def extension_ok(f: Facts) -> str | None:
    new = f.params.get("new_deadline")
    approver = f.params.get("approved_by")
    if not _text(f, "reason"):
        return "申请延期需要说明理由（--reason）"
    if not isinstance(new, date):
        return "需要新的完成时限（--to YYYY-MM-DD）"
    if f.deadline is not None and new <= f.deadline:
        return f"新的完成时限 {new} 必须晚于原时限 {f.deadline}"
    if not isinstance(approver, Actor):
        return "延期需要批准人（--approved-by）"
    if approver.name == f.actor.name:
        return "申请人不能批准自己的延期"
    if not approver.roles & {Role.leader, Role.approver}:
        return f"{approver.name} 没有批准延期的权限（需要责任领导或销号审核人）"
    return None


GUARDS: dict[str, Guard] = {
    g.__name__: g
    for g in (
        plan_complete,
        responsible,
        measures_done,
        has_evidence,
        four_eyes,
        extension_ok,
        *(requires(i) for i in INPUTS),
    )
}


def refusals(name: str, f: Facts) -> list[str]:
    """Every reason why `name` (a trigger or an action) is not possible now; empty when it is."""
    try:
        r = rule(name)
    except KeyError:
        return [f"未知操作：{name}"]
    # Who may act comes first: someone without the role is told so, not about the item's state.
    if not f.actor.roles & set(r.roles):
        need = "、".join(role.label for role in r.roles)
        return [f"{f.actor.name} 没有{r.label}的权限（需要角色：{need}）"]
    if f.state not in r.states:
        allowed = "、".join(s.label for s in r.states)
        return [f"事项当前为「{f.state.label}」，只有「{allowed}」时才能{r.label}"]
    return [reason for g in r.checks if (reason := GUARDS[g](f)) is not None]


def not_permitted(actor: Actor, operation: str) -> str | None:
    """Why `actor` may not do `operation` (see states.lifecycle.OPERATIONS), or None when they may."""
    op = BY_OPERATION[operation]
    if actor.roles & set(op.roles):
        return None
    need = "、".join(r.label for r in op.roles)
    return f"{actor.name} 没有{op.label}的权限（需要角色：{need}）"
