"""The lifecycle table is what the engine runs: every effect has one implementation, every trigger's
payload class is the one its effects write, and the use case, the CLI and the demo take their inputs
and triggers from the table rather than naming them."""

from __future__ import annotations

import inspect

import click

from cli import cli
from states.lifecycle import BY_ACTION, INPUTS, TRANSITIONS, Effect
from workflow import demo
from workflow.audit import payloads
from workflow.items import actions, effects


def test_every_effect_has_one_implementation() -> None:
    assert set(effects.EFFECTS) == set(Effect)
    assert set(effects.RECORDS) <= set(Effect)


def test_each_trigger_records_the_payload_its_effects_write() -> None:
    for t in TRANSITIONS:
        recorded = [effects.RECORDS[e] for e in t.effects if e in effects.RECORDS]
        assert len(recorded) <= 1, t.trigger
        assert payloads.KINDS[t.trigger] == (recorded[0] if recorded else payloads.Moved,)


def test_fire_takes_every_input_of_the_table() -> None:
    keywords = {
        p.name for p in inspect.signature(actions.fire).parameters.values() if p.kind is p.KEYWORD_ONLY
    }
    assert {i.name for i in INPUTS} <= keywords


def test_every_trigger_command_has_an_option_per_input() -> None:
    item = cli.commands["item"]
    assert isinstance(item, click.Group)
    for t in TRANSITIONS:
        command = item.commands[t.trigger]
        options = {o for p in command.params for o in p.opts}
        assert {i.option for i in INPUTS} <= options, t.trigger
        assert all(f"{i.option} …" in (command.help or "") for i in INPUTS if i.name in t.needs)


def test_the_demo_replays_only_actions_of_the_table() -> None:
    assert set(demo.REPLAYERS) <= set(BY_ACTION)
