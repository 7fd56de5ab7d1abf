"""States, roles and the transition table: the whole lifecycle on one screen."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property


class State(StrEnum):
    reported = "reported"
    assigned = "assigned"
    in_progress = "in_progress"
    submitted = "submitted"
    closed = "closed"
    revisited = "revisited"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS: dict[State, str] = {
    State.reported: "已登记",
    State.assigned: "已交办",
    State.in_progress: "整改中",
    State.submitted: "待销号审核",
    State.closed: "已销号",
    State.revisited: "回头看",
}

# States in which the item still counts as open work (for deadlines, the board, overdue queries), and
# those in which it counts as completed (已完成) in every figure. Every state is exactly one of the two.
OPEN_STATES: tuple[State, ...] = (State.reported, State.assigned, State.in_progress, State.submitted)
DONE_STATES: tuple[State, ...] = (State.closed, State.revisited)


class Role(StrEnum):
    office = "office"  # 整改办: records rounds, assigns, revisits
    leader = "leader"  # 责任领导
    handler = "handler"  # 责任人 / 责任部门
    approver = "approver"  # 验收 / 销号审核 (inspection office or group)
    auditor = "auditor"  # read-only

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.office: "整改办",
    Role.leader: "责任领导",
    Role.handler: "责任人",
    Role.approver: "销号审核人",
    Role.auditor: "审计（只读）",
}


class DeadlineKind(StrEnum):
    """完成时限: a date, 立行立改 (at once) or 长期坚持 (ongoing, judged by revisits instead of a date)."""

    date = "date"
    immediate = "immediate"
    ongoing = "ongoing"


# Kinds of evidence (佐证材料) a sign-off can cite.
EVIDENCE_KINDS: tuple[str, ...] = ("批文", "会议纪要", "照片", "文件", "其他")


@dataclass(frozen=True)
class Input:
    """Text a user types with an action. A rule that `needs` it gets the guard `has_<name>`, which
    refuses with "需要<ask>（<option>）" while it is empty."""

    name: str  # the use case's keyword and the key in Facts.params
    label: str  # what messages about the text call it
    ask: str  # what the user is told to do: 说明理由
    option: str  # the command line's option
    help: str  # the option's help, before "(required for …)"

    @property
    def guard(self) -> str:
        return f"has_{self.name}"


INPUTS: tuple[Input, ...] = (
    Input("reason", "理由", "说明理由", "--reason", "Why"),
    Input("summary", "整改完成情况", "填写整改完成情况", "--summary", "Completion summary"),
    Input("finding", "回头看结论", "填写回头看结论", "--finding", "Revisit finding"),
)


class Effect(StrEnum):
    """What a trigger does besides moving the state. Declared here, carried out in one place by the use
    case (workflow.items.effects), which has exactly one implementation per member."""

    keep_summary = "keep_summary"  # the item keeps the summary typed; the audit entry records it
    mark_submitter = "mark_submitter"  # the item remembers who submitted it (four eyes at sign-off)
    clear_submitter = "clear_submitter"  # sent back to work: no one has submitted it now
    close = "close"  # the item's closed_at is now
    cite_signoff = "cite_signoff"  # the entry cites the evidence by hash, submitter, summary, chain head
    record_finding = "record_finding"  # the entry records the revisit finding


@dataclass(frozen=True)
class Transition:
    trigger: str
    source: tuple[State, ...]
    dest: State
    label: str
    roles: tuple[Role, ...]
    guards: tuple[str, ...] = ()  # names in states.guards.GUARDS, about the item and the actor
    needs: tuple[str, ...] = ()  # names in INPUTS the user must type
    effects: tuple[Effect, ...] = ()

    @property
    def states(self) -> tuple[State, ...]:
        return self.source

    @cached_property
    def checks(self) -> tuple[str, ...]:
        """Every guard in the order it is asked: the table's, then one per needed input."""
        return self.guards + tuple(BY_INPUT[n].guard for n in self.needs)


@dataclass(frozen=True)
class Action:
    """An audited action that keeps the state (extend, add progress, attach evidence …)."""

    name: str
    label: str
    states: tuple[State, ...]
    roles: tuple[Role, ...]
    guards: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()

    @cached_property
    def checks(self) -> tuple[str, ...]:
        return self.guards + tuple(BY_INPUT[n].guard for n in self.needs)


TRANSITIONS: tuple[Transition, ...] = (
    Transition("assign", (State.reported,), State.assigned, "交办", (Role.office,), ("plan_complete",)),
    Transition(
        "start",
        (State.assigned,),
        State.in_progress,
        "开始整改",
        (Role.handler, Role.office),
        ("responsible",),
    ),
    Transition(
        "submit",
        (State.in_progress,),
        State.submitted,
        "提请销号",
        (Role.handler, Role.office),
        ("responsible", "measures_done", "has_evidence"),
        needs=("summary",),
        effects=(Effect.keep_summary, Effect.mark_submitter),
    ),
    Transition(
        "approve",
        (State.submitted,),
        State.closed,
        "销号",
        (Role.approver,),
        ("four_eyes",),
        effects=(Effect.close, Effect.cite_signoff),
    ),
    Transition(
        "reject",
        (State.submitted,),
        State.in_progress,
        "驳回销号",
        (Role.approver,),
        ("four_eyes",),
        needs=("reason",),
        effects=(Effect.clear_submitter,),
    ),
    Transition("revisit", (State.closed,), State.revisited, "回头看", (Role.office,)),
    Transition(
        "confirm",
        (State.revisited,),
        State.closed,
        "回头看确认",
        (Role.office, Role.approver),
        needs=("finding",),
        effects=(Effect.record_finding,),
    ),
    Transition(
        "reopen",
        (State.revisited,),
        State.in_progress,
        "问题反弹重新整改",
        (Role.office, Role.approver),
        needs=("reason",),
    ),
)

_WORKING = (State.reported, State.assigned, State.in_progress)
_NOT_CLOSED = (State.reported, State.assigned, State.in_progress, State.submitted)

ACTIONS: tuple[Action, ...] = (
    Action(
        "extend",
        "延期",
        (State.assigned, State.in_progress),
        (Role.office, Role.leader, Role.handler),
        ("extension_ok",),
    ),
    Action("reassign", "调整责任", _NOT_CLOSED, (Role.office,), needs=("reason",)),
    # 基本完成 / 未完成 / 长期坚持 / 正在整改 (states.categories): the office's judgement of open work.
    Action("categorize", "认定完成类别", _NOT_CLOSED, (Role.office, Role.approver)),
    Action("add_measure", "增加整改措施", _WORKING, (Role.office, Role.leader)),
    Action(
        "measure_done",
        "完成整改措施",
        (State.assigned, State.in_progress),
        (Role.handler, Role.office),
        ("responsible",),
    ),
    Action(
        "progress", "记录整改进展", _NOT_CLOSED, (Role.handler, Role.office, Role.leader), ("responsible",)
    ),
    Action(
        "evidence",
        "上传佐证材料",
        (State.assigned, State.in_progress),
        (Role.handler, Role.office),
        ("responsible",),
    ),
    # Descriptive text only (title, description, instance): the state moves by its triggers, the
    # deadline by `extend`, the people by `reassign`. Not once signed off: the text is what was closed.
    Action("edit", "修改事项内容", _NOT_CLOSED, (Role.office,)),
)


@dataclass(frozen=True)
class Operation:
    """An operation outside any item's lifecycle (people, rounds, records); who may do it."""

    name: str
    label: str
    roles: tuple[Role, ...]


OPERATIONS: tuple[Operation, ...] = (
    Operation("person_add", "添加人员", (Role.office,)),
    Operation("person_login", "设置登录", (Role.office,)),
    Operation("person_edit", "修改人员信息", (Role.office,)),
    Operation("person_deactivate", "停用人员", (Role.office,)),
    Operation("item_add", "新增问题", (Role.office,)),
    Operation("password_reset", "重置口令", (Role.office,)),
    Operation("round_import", "导入", (Role.office,)),
    Operation("ledger_import", "导入台账", (Role.office,)),
    Operation("rule_add", "记录建章立制", (Role.office,)),
    Operation("accountability_add", "记录问责", (Role.office,)),
)

BY_INPUT: dict[str, Input] = {i.name: i for i in INPUTS}
TRIGGERS: tuple[str, ...] = tuple(t.trigger for t in TRANSITIONS)
BY_TRIGGER: dict[str, Transition] = {t.trigger: t for t in TRANSITIONS}
BY_ACTION: dict[str, Action] = {a.name: a for a in ACTIONS}
BY_OPERATION: dict[str, Operation] = {o.name: o for o in OPERATIONS}


def rule(name: str) -> Transition | Action:
    """The trigger or action called `name`; KeyError if there is none."""
    return BY_TRIGGER.get(name) or BY_ACTION[name]


def needed_by(name: str) -> tuple[str, ...]:
    """The triggers that need input `name`, in table order."""
    return tuple(t.trigger for t in TRANSITIONS if name in t.needs)


def transitions_from(state: State) -> list[Transition]:
    return [t for t in TRANSITIONS if state in t.source]


# --- the names people type ------------------------------------------------------------------------------
# A state or a role may be typed as its value (in_progress, handler) or as its Chinese label (整改中,
# 责任人), and a few words offices use for the same role. One table, read by every command that asks.
ROLE_ALIASES: dict[str, Role] = {"审计": Role.auditor, "审计员": Role.auditor, "经办人": Role.handler}
STATE_NAMES: dict[str, State] = {**{s.value: s for s in State}, **{v: k for k, v in STATE_LABELS.items()}}
ROLE_NAMES: dict[str, Role] = {
    **{r.value: r for r in Role},
    **{v: k for k, v in ROLE_LABELS.items()},
    **ROLE_ALIASES,
}


def _named(table: dict[str, State] | dict[str, Role], text: str, what: str) -> str:
    """The choices for an error message: each value with its label."""
    return f"未知{what} {text!r}（可用：{'、'.join(f'{k}（{v.label}）' for k, v in table.items() if k == v.value)}）"


def parse_state(text: str) -> State:
    """A state as typed: `in_progress` or `整改中`. ValueError in Chinese, naming the choices."""
    found = STATE_NAMES.get(text.strip())
    if found is None:
        raise ValueError(_named(STATE_NAMES, text, "状态"))
    return found


def parse_role(text: str) -> Role:
    """A role as typed: `handler`, `责任人` (or an alias such as 经办人). ValueError in Chinese."""
    found = ROLE_NAMES.get(text.strip())
    if found is None:
        raise ValueError(_named(ROLE_NAMES, text, "角色"))
    return found
