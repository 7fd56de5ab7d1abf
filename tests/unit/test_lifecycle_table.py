"""The transition table itself: reachability, no stray triggers, diagram generated from the table."""

from __future__ import annotations

import pytest

from states import machine
from states.guards import GUARDS, Actor, Facts, refusals
from states.lifecycle import (
    ACTIONS,
    BY_INPUT,
    TRANSITIONS,
    TRIGGERS,
    Action,
    Effect,
    Role,
    State,
    Transition,
    needed_by,
    transitions_from,
)

EVERYONE = Actor("测试", frozenset(Role))


def _permissive(state: State) -> Facts:
    """Facts under which every guard passes, so only the table decides."""
    return Facts(
        state=state,
        actor=EVERYONE,
        leader="徐波",
        department="村镇规划建设办公室",
        handler="规划办经办人",
        deadline_kind="date",
        measures_total=1,
        measures_done=1,
        evidence_count=1,
        submitted_by="规划办经办人",
        params={"reason": "r", "summary": "s", "finding": "f"},
    )


def test_every_state_is_reachable_from_reported() -> None:
    seen, frontier = {State.reported}, [State.reported]
    while frontier:
        for t in transitions_from(frontier.pop()):
            if t.dest not in seen:
                seen.add(t.dest)
                frontier.append(t.dest)
    assert seen == set(State)


def test_the_user_asked_lifecycle_is_a_path_through_the_table() -> None:
    path = ["assign", "start", "submit", "approve", "revisit"]
    state = State.reported
    for trigger in path:
        state = machine.fire(trigger, _permissive(state))
    assert state is State.revisited


def test_rejection_returns_to_work_and_a_revisit_confirms_or_reopens() -> None:
    assert machine.fire("reject", _permissive(State.submitted)) is State.in_progress
    assert machine.fire("confirm", _permissive(State.revisited)) is State.closed
    assert machine.fire("reopen", _permissive(State.revisited)) is State.in_progress


def test_the_machine_has_no_auto_transitions_and_one_event_per_trigger() -> None:
    assert set(machine.MACHINE.events) == set(TRIGGERS)


def test_every_guard_named_in_the_table_exists() -> None:
    named = {g for t in TRANSITIONS for g in t.checks} | {g for a in ACTIONS for g in a.checks}
    assert named <= set(GUARDS)


def test_every_input_a_rule_needs_is_declared_and_checked_last() -> None:
    rules: tuple[Transition | Action, ...] = (*TRANSITIONS, *ACTIONS)
    for r in rules:
        assert set(r.needs) <= set(BY_INPUT), r
        assert r.checks[len(r.guards) :] == tuple(f"has_{n}" for n in r.needs)


def test_a_needed_input_is_refused_while_empty_with_its_option_named() -> None:
    facts = _permissive(State.submitted)
    facts.params = {}
    assert refusals("reject", facts) == ["需要说明理由（--reason）"]
    facts.state = State.revisited
    assert refusals("confirm", facts) == ["需要填写回头看结论（--finding）"]


def test_the_inputs_each_trigger_needs() -> None:
    needs = {t.trigger: t.needs for t in TRANSITIONS if t.needs}
    assert needs == {
        "submit": ("summary",),
        "reject": ("reason",),
        "confirm": ("finding",),
        "reopen": ("reason",),
    }
    assert needed_by("reason") == ("reject", "reopen")


def test_effects_are_declared_with_their_transitions() -> None:
    effects = {t.trigger: t.effects for t in TRANSITIONS if t.effects}
    assert effects == {
        "submit": (Effect.keep_summary, Effect.mark_submitter),
        "approve": (Effect.close, Effect.cite_signoff),
        "reject": (Effect.clear_submitter,),
        "confirm": (Effect.record_finding,),
    }


def test_labels_are_the_chinese_names_the_user_asked_for() -> None:
    assert [s.label for s in State] == ["已登记", "已交办", "整改中", "待销号审核", "已销号", "回头看"]


def test_the_diagram_is_generated_from_the_table() -> None:
    text = machine.mermaid()
    assert text.startswith("stateDiagram-v2")
    for t in TRANSITIONS:
        for src in t.source:
            assert f"{src.value} --> {t.dest.value}: {t.trigger}" in text


def test_a_guard_refusal_stops_the_machine_too() -> None:
    facts = _permissive(State.in_progress)
    facts.evidence_count = 0
    with pytest.raises(ValueError, match=r"^guards refused submit$"):
        machine.fire("submit", facts)
