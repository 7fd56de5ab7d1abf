"""Every guard refuses with a reason a user can act on; roles decide who may fire what."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from states.guards import Actor, Facts, refusals
from states.lifecycle import Role, State

OFFICE = Actor("镇整改办", frozenset({Role.office}))
HANDLER = Actor("规划办经办人", frozenset({Role.handler}), "村镇规划建设办公室")
OTHER_HANDLER = Actor("别的经办人", frozenset({Role.handler}), "财政所")
APPROVER = Actor("县委巡察办", frozenset({Role.approver}))
LEADER = Actor("徐波", frozenset({Role.leader}))
AUDITOR = Actor("审计员", frozenset({Role.auditor}))


def item(state: State, actor: Actor = OFFICE, **kw: object) -> Facts:
    base = Facts(
        state=state,
        actor=actor,
        leader="徐波",
        department="村镇规划建设办公室",
        handler="规划办经办人",
        deadline_kind="date",
        deadline=date(2024, 12, 31),
        measures_total=2,
        measures_done=2,
        evidence_count=1,
        submitted_by="规划办经办人",
        params={"reason": "理由", "summary": "已完成", "finding": "未反弹"},
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_assign_names_every_missing_part_of_the_plan() -> None:
    f = item(State.reported, leader=None, deadline_kind=None, measures_total=0)
    assert refusals("assign", f) == ["整改方案不完整，缺少责任领导、完成时限、整改措施"]


def test_assign_is_possible_with_a_complete_plan() -> None:
    assert refusals("assign", item(State.reported)) == []


def test_submit_needs_every_measure_done() -> None:
    assert refusals("submit", item(State.in_progress, HANDLER, measures_done=1)) == [
        "尚有 1 项整改措施未完成"
    ]


def test_submit_needs_evidence_and_a_summary() -> None:
    f = item(State.in_progress, HANDLER, evidence_count=0, params={})
    assert refusals("submit", f) == ["没有佐证材料", "需要填写整改完成情况（--summary）"]


def test_a_handler_of_another_department_cannot_submit() -> None:
    [reason] = refusals("submit", item(State.in_progress, OTHER_HANDLER))
    assert "不是本事项的责任人" in reason


def test_approver_cannot_sign_off_what_they_submitted() -> None:
    both = Actor("规划办经办人", frozenset({Role.approver, Role.handler}))
    assert refusals("approve", item(State.submitted, both)) == [
        "规划办经办人 是提请销号的人，不能审核自己的事项"
    ]


def test_the_items_handler_cannot_sign_it_off_even_if_someone_else_submitted() -> None:
    both = Actor("规划办经办人", frozenset({Role.approver}))
    f = item(State.submitted, both, submitted_by="镇整改办")
    assert refusals("approve", f) == ["规划办经办人 是本事项的责任人，不能审核自己的事项"]


def test_only_an_approver_may_sign_off() -> None:
    [reason] = refusals("approve", item(State.submitted, LEADER))
    assert reason == "徐波 没有销号的权限（需要角色：销号审核人）"
    assert refusals("approve", item(State.submitted, APPROVER)) == []


def test_reject_and_reopen_need_a_reason() -> None:
    assert refusals("reject", item(State.submitted, APPROVER, params={})) == ["需要说明理由（--reason）"]
    assert refusals("reopen", item(State.revisited, OFFICE, params={"reason": "  "})) == [
        "需要说明理由（--reason）"
    ]


def test_confirm_needs_a_finding() -> None:
    assert refusals("confirm", item(State.revisited, OFFICE, params={})) == [
        "需要填写回头看结论（--finding）"
    ]


def test_revisit_only_on_closed_items() -> None:
    [reason] = refusals("revisit", item(State.in_progress))
    assert reason == "事项当前为「整改中」，只有「已销号」时才能回头看"


def test_the_auditor_is_read_only() -> None:
    for state in State:
        for name in (
            "assign",
            "start",
            "submit",
            "approve",
            "reject",
            "revisit",
            "confirm",
            "reopen",
            "extend",
            "reassign",
            "add_measure",
            "measure_done",
            "progress",
            "evidence",
        ):
            reasons = refusals(name, item(state, AUDITOR))
            assert reasons, (state, name)


def _extension(**params: object) -> list[str]:
    return refusals("extend", item(State.in_progress, HANDLER, params=params))


def test_extension_needs_reason_later_date_and_another_approver() -> None:
    assert _extension(new_deadline=date(2025, 3, 1), approved_by=LEADER) == [
        "申请延期需要说明理由（--reason）"
    ]
    assert _extension(reason="r", approved_by=LEADER) == ["需要新的完成时限（--to YYYY-MM-DD）"]
    assert _extension(reason="r", new_deadline=date(2024, 12, 1), approved_by=LEADER) == [
        "新的完成时限 2024-12-01 必须晚于原时限 2024-12-31"
    ]
    assert _extension(reason="r", new_deadline=date(2025, 3, 1)) == ["延期需要批准人（--approved-by）"]
    assert _extension(reason="r", new_deadline=date(2025, 3, 1), approved_by=HANDLER) == [
        "申请人不能批准自己的延期"
    ]
    assert _extension(reason="r", new_deadline=date(2025, 3, 1), approved_by=OTHER_HANDLER) == [
        "别的经办人 没有批准延期的权限（需要责任领导或销号审核人）"
    ]
    assert _extension(reason="r", new_deadline=date(2025, 3, 1), approved_by=LEADER) == []


def test_unknown_action_is_reported_not_raised() -> None:
    assert refusals("teleport", item(State.reported)) == ["未知操作：teleport"]
