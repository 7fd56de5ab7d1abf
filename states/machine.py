"""The one class-level state machine shared by every item.

A `transitions.Machine` per row costs ~1 ms and ~45 KB, and SQLModel rows reject the attributes it
attaches, so the machine has no models of its own: each firing runs against a small token that
carries the row's state, and the engine writes the resulting state back to the column.
"""

from __future__ import annotations

from transitions import Machine, MachineError

from states.guards import GUARDS, Facts
from states.lifecycle import TRANSITIONS, State


class Token:
    """The stand-in model for one firing: only the state attribute transitions needs."""

    __slots__ = ("state",)

    def __init__(self, state: State) -> None:
        self.state = state


def _condition(guard_name: str):  # type: ignore[no-untyped-def]
    guard = GUARDS[guard_name]
    return lambda event: guard(event.kwargs["facts"]) is None


MACHINE = Machine(
    model=None,
    states=list(State),
    transitions=[
        {
            "trigger": t.trigger,
            "source": list(t.source),
            "dest": t.dest,
            "conditions": [_condition(g) for g in t.checks],
        }
        for t in TRANSITIONS
    ],
    initial=None,
    auto_transitions=False,
    send_event=True,
)


def fire(trigger: str, facts: Facts) -> State:
    """Run `trigger` from `facts.state`; return the new state or raise ValueError if not allowed."""
    token = Token(facts.state)
    try:
        moved = MACHINE.events[trigger].trigger(token, facts=facts)
    except MachineError as exc:
        raise ValueError(str(exc)) from exc
    if not moved:
        raise ValueError(f"guards refused {trigger}")
    return token.state


def mermaid() -> str:
    """The state diagram as Mermaid text, built from the same table the machine uses."""
    lines = ["stateDiagram-v2"]
    for s in State:
        lines.append(f"    {s.value}: {s.label}")
    lines.append(f"    [*] --> {State.reported.value}")
    for t in TRANSITIONS:
        for src in t.source:
            guard = f" [{', '.join(t.checks)}]" if t.checks else ""
            lines.append(f"    {src.value} --> {t.dest.value}: {t.trigger} {t.label}{guard}")
    return "\n".join(lines) + "\n"
