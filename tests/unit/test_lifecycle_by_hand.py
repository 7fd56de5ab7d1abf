"""The lifecycle as the user described it, written out here by hand — not read from states/lifecycle.py —
so that a change to the table, the machine or a guard's wording shows up as a disagreement with this
file. Every state × trigger × role is tried."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from states import machine
from states.colours import Colour, colour, is_near
from states.deadlines import days_left, is_open, is_overdue
from states.guards import Actor, Facts, not_permitted, refusals, requires, responsible, sees
from states.lifecycle import BY_INPUT, Role, State, transitions_from

R, A, P, S, C, V = "reported", "assigned", "in_progress", "submitted", "closed", "revisited"

# The user's six states and who may move them: (from, trigger) -> (to, roles that may).
LIFECYCLE: dict[tuple[str, str], tuple[str, set[str]]] = {
    (R, "assign"): (A, {"office"}),
    (A, "start"): (P, {"handler", "office"}),
    (P, "submit"): (S, {"handler", "office"}),
    (S, "approve"): (C, {"approver"}),
    (S, "reject"): (P, {"approver"}),
    (C, "revisit"): (V, {"office"}),
    (V, "confirm"): (C, {"office", "approver"}),
    (V, "reopen"): (P, {"office", "approver"}),
}
STATES = (R, A, P, S, C, V)
TRIGGERS = ("assign", "start", "submit", "approve", "reject", "revisit", "confirm", "reopen")
ROLES = ("office", "leader", "handler", "approver", "auditor")


def facts(state: str, role: str) -> Facts:
    """Everything in order, the actor someone else than the item's handler and submitter."""
    return Facts(
        state=State(state),
        actor=Actor("某人", frozenset({Role(role)}), "村镇规划建设办公室"),
        leader="徐波",
        department="村镇规划建设办公室",
        handler="规划办经办人",
        deadline_kind="date",
        deadline=date(2025, 1, 31),
        measures_total=1,
        measures_done=1,
        evidence_count=1,
        submitted_by="规划办经办人",
        params={"reason": "r", "summary": "s", "finding": "f"},
    )


@pytest.mark.parametrize("state", STATES)
def test_who_may_move_an_item_from_each_state(state: str) -> None:
    for trigger in TRIGGERS:
        for role in ROLES:
            move = LIFECYCLE.get((state, trigger))
            allowed = move is not None and role in move[1]
            assert (refusals(trigger, facts(state, role)) == []) is allowed, (state, trigger, role)
            if allowed:
                assert move is not None
                assert machine.fire(trigger, facts(state, role)).value == move[0]
            elif move is None:
                with pytest.raises(ValueError, match=f"Can't trigger event {trigger} from state {state}"):
                    machine.fire(trigger, facts(state, role))


def test_the_triggers_from_each_state() -> None:
    assert {s: [t.trigger for t in transitions_from(State(s))] for s in STATES} == {
        R: ["assign"],
        A: ["start"],
        P: ["submit"],
        S: ["approve", "reject"],
        C: ["revisit"],
        V: ["confirm", "reopen"],
    }


def test_the_machine_refuses_what_a_guard_refuses() -> None:
    mine = facts(S, "approver")
    mine.actor = Actor("规划办经办人", frozenset({Role.approver}))
    with pytest.raises(ValueError, match=r"^guards refused approve$"):
        machine.fire("approve", mine)
    condition = machine._condition("four_eyes")
    assert condition(SimpleNamespace(kwargs={"facts": mine})) is False
    assert condition(SimpleNamespace(kwargs={"facts": facts(S, "approver")})) is True


def test_the_refusals_word_for_word() -> None:
    assert refusals("start", facts(A, "leader")) == ["某人 没有开始整改的权限（需要角色：责任人、整改办）"]
    assert refusals("extend", facts(S, "office")) == [
        "事项当前为「待销号审核」，只有「已交办、整改中」时才能延期"
    ]
    assert refusals("nothing", facts(S, "office")) == ["未知操作：nothing"]
    bare = facts(R, "office")
    bare.leader, bare.department, bare.deadline_kind, bare.measures_total = None, None, None, 0
    assert refusals("assign", bare) == ["整改方案不完整，缺少责任领导、责任部门、完成时限、整改措施"]
    none_yet = facts(P, "office")
    none_yet.measures_total = none_yet.measures_done = 0
    assert refusals("measure_done", none_yet) == []
    assert refusals("submit", none_yet) == ["没有整改措施"]
    stranger = facts(P, "handler")
    stranger.actor, stranger.department = Actor("外人", frozenset({Role.handler})), None
    assert responsible(stranger) == "外人 不是本事项的责任人，也不属于责任部门（未指定）"
    auditor = Actor("审计员", frozenset({Role.auditor}))
    assert not_permitted(auditor, "rule_add") == "审计员 没有记录建章立制的权限（需要角色：整改办）"
    assert not_permitted(Actor("办", frozenset({Role.office})), "rule_add") is None


def test_a_needed_input_is_its_own_guard() -> None:
    guard = requires(BY_INPUT["summary"])
    assert guard.__name__ == "has_summary"
    typed = facts(P, "handler")
    assert guard(typed) is None
    typed.params = {"summary": "  "}
    assert guard(typed) == "需要填写整改完成情况（--summary）"


def test_deadline_boundaries() -> None:
    today = date(2025, 1, 31)
    assert days_left("date", date(2025, 2, 3), today) == 3
    # 立行立改 is due at the end of the concentrated period once it has that date (issue 10 §1)
    assert days_left("immediate", date(2025, 2, 3), today) == 3
    assert days_left("immediate", None, today) is None
    assert days_left("ongoing", date(2025, 2, 3), today) is None
    assert days_left("date", None, today) is None
    assert (is_open(State.submitted), is_open(State.closed), is_open(State.revisited)) == (True, False, False)
    assert is_overdue(State.in_progress, "date", date(2025, 1, 30), today)
    assert not is_overdue(State.in_progress, "date", today, today)
    assert not is_overdue(State.closed, "date", date(2025, 1, 30), today)
    assert [is_near(left, 10) for left in (-1, 0, 1, 10, 11, None)] == [False, True, True, True, False, False]
    lights = [colour(State.in_progress, "date", date(2025, 1, 31 - d), today) for d in (1, 0)]
    assert lights == [Colour.red, Colour.yellow]
    assert colour(State.in_progress, "date", date(2025, 2, 11), today) == Colour.green
    assert colour(State.in_progress, "date", date(2025, 2, 10), today) == Colour.yellow
    assert colour(State.submitted, "date", date(2025, 6, 1), today) == Colour.yellow
    assert colour(State.in_progress, "ongoing", None, today) == Colour.blue
    assert colour(State.in_progress, "immediate", date(2022, 3, 11), today) == Colour.red
    assert colour(State.closed, "date", date(2025, 1, 1), today) == Colour.green
    # the yellow window is the configured one, not the built-in 10 days
    assert colour(State.in_progress, "date", date(2025, 2, 5), today, 3) == Colour.green
    assert colour(State.in_progress, "date", date(2025, 2, 3), today, 3) == Colour.yellow
    assert colour(State.in_progress, "date", date(2025, 2, 20), today, 20) == Colour.yellow


def test_who_sees_an_item_of_a_unit() -> None:
    township = Actor("镇经办人", frozenset({Role.handler}), "规划办", "某镇")
    county = Actor("县巡察办", frozenset({Role.approver}), None, None)
    auditor = Actor("审计员", frozenset({Role.auditor}), None, "某镇")
    assert (sees(township, "某镇"), sees(township, "另一镇"), sees(township, None)) == (True, False, False)
    assert (sees(county, "某镇"), sees(county, "另一镇"), sees(county, None)) == (True, True, True)
    assert (sees(auditor, "另一镇"), sees(auditor, None)) == (True, True)


def test_the_diagram_by_hand() -> None:
    assert machine.mermaid() == (
        "stateDiagram-v2\n"
        "    reported: 已登记\n"
        "    assigned: 已交办\n"
        "    in_progress: 整改中\n"
        "    submitted: 待销号审核\n"
        "    closed: 已销号\n"
        "    revisited: 回头看\n"
        "    [*] --> reported\n"
        "    reported --> assigned: assign 交办 [plan_complete]\n"
        "    assigned --> in_progress: start 开始整改 [responsible]\n"
        "    in_progress --> submitted: submit 提请销号 [responsible, measures_done, has_evidence, has_summary]\n"
        "    submitted --> closed: approve 销号 [four_eyes]\n"
        "    submitted --> in_progress: reject 驳回销号 [four_eyes, has_reason]\n"
        "    closed --> revisited: revisit 回头看\n"
        "    revisited --> closed: confirm 回头看确认 [has_finding]\n"
        "    revisited --> in_progress: reopen 问题反弹重新整改 [has_reason]\n"
    )


def test_a_state_typed_wrong_is_refused_with_every_choice_in_both_languages() -> None:
    from states.lifecycle import parse_state

    assert parse_state(" 整改中 ") is State.in_progress and parse_state("closed") is State.closed
    with pytest.raises(ValueError, match=r"^未知状态 '完成'") as caught:
        parse_state("完成")
    assert str(caught.value) == (
        "未知状态 '完成'（可用：reported（已登记）、assigned（已交办）、in_progress（整改中）、"
        "submitted（待销号审核）、closed（已销号）、revisited（回头看））"
    )
