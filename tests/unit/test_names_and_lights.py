"""Issue 10 §4, without a database: states and roles typed in Chinese or English resolve through one
table (states.lifecycle), and the warning lights' meanings and colours are one definition whose
default scheme is the colours every office saw before, and which [lights.colours] can change."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from states.colours import (
    DEFAULT_SCHEME,
    Colour,
    Meaning,
    colour,
    legend,
    meaning,
)
from states.deadlines import days_left, is_done
from states.lifecycle import (
    ROLE_LABELS,
    ROLE_NAMES,
    STATE_LABELS,
    STATE_NAMES,
    DeadlineKind,
    Role,
    State,
    parse_role,
    parse_state,
)
from workflow import config
from workflow.errors import InvalidInput
from workflow.read.people import parse_roles


@pytest.mark.parametrize("state", list(State))
def test_every_state_is_typed_as_its_value_or_its_chinese_label(state: State) -> None:
    assert parse_state(state.value) is state
    assert parse_state(STATE_LABELS[state]) is state
    assert parse_state(f" {state.label} ") is state


@pytest.mark.parametrize("role", list(Role))
def test_every_role_is_typed_as_its_value_or_its_chinese_label(role: Role) -> None:
    assert parse_role(role.value) is role
    assert parse_role(ROLE_LABELS[role]) is role


def test_the_words_offices_use_name_the_roles() -> None:
    assert parse_role("责任人") is Role.handler and parse_role("经办人") is Role.handler
    assert parse_role("审计") is Role.auditor and parse_role("整改办") is Role.office
    assert parse_roles("责任人,leader, 销号审核人") == {Role.handler, Role.leader, Role.approver}


def test_no_name_means_two_things() -> None:
    assert len(STATE_NAMES) == 2 * len(State)
    assert all(isinstance(v, Role) for v in ROLE_NAMES.values())


@pytest.mark.parametrize("typed", ["done", "完成", "整改", ""])
def test_an_unknown_state_is_refused_naming_every_choice_in_both_languages(typed: str) -> None:
    with pytest.raises(ValueError, match=r"^未知状态") as caught:
        parse_state(typed)
    message = str(caught.value)
    assert message.startswith("未知状态")
    assert all(f"{s.value}（{s.label}）" in message for s in State)


def test_an_unknown_role_is_refused_in_chinese_by_the_use_cases() -> None:
    with pytest.raises(InvalidInput, match=r"^未知角色 '组长'（可用：office（整改办）"):
        parse_roles("handler,组长")


# --- the lights -------------------------------------------------------------------------------------


def _old_colour(state: State, kind: str | None, deadline: date | None, today: date, yellow: int) -> Colour:
    """The colour rule before the scheme existed (git show main:states/colours.py), for comparison."""
    if is_done(state):
        return Colour.green
    if kind == DeadlineKind.ongoing:
        return Colour.blue
    left = days_left(kind, deadline, today)
    if left is not None and left < 0:
        return Colour.red
    if (left is not None and 0 <= left <= yellow) or state is State.submitted:
        return Colour.yellow
    return Colour.green


@given(
    state=st.sampled_from(list(State)),
    kind=st.sampled_from([None, *DeadlineKind]),
    offset=st.integers(-40, 40),
    yellow=st.integers(0, 30),
)
def test_the_default_scheme_lights_every_item_as_before(
    state: State, kind: str | None, offset: int, yellow: int
) -> None:
    today = date(2025, 2, 20)
    deadline = today + timedelta(days=offset) if kind == DeadlineKind.date else None
    assert colour(state, kind, deadline, today, yellow) is _old_colour(state, kind, deadline, today, yellow)


def test_a_scheme_changes_the_colour_of_one_meaning_only() -> None:
    today = date(2025, 2, 20)
    blue_submitted = {**DEFAULT_SCHEME, Meaning.submitted: Colour.blue}
    far = today + timedelta(days=60)
    assert colour(State.submitted, "date", far, today, 10, blue_submitted) is Colour.blue
    assert colour(State.in_progress, "date", today, today, 10, blue_submitted) is Colour.yellow  # near
    # Overdue comes before awaiting acceptance: an item submitted after its deadline is late.
    late = today - timedelta(days=1)
    assert meaning(State.submitted, "date", late, today) is Meaning.overdue
    assert legend(blue_submitted)[Colour.blue] == [Meaning.ongoing, Meaning.submitted]
    assert legend(DEFAULT_SCHEME)[Colour.yellow] == [Meaning.submitted, Meaning.near]


def test_the_lights_are_configured_by_meaning_in_english_or_chinese() -> None:
    scheme = config.light_scheme({"lights": {"colours": {"已报结": "蓝", "done": "blue", "逾期": "红灯"}}})
    assert scheme[Meaning.submitted] is Colour.blue and scheme[Meaning.done] is Colour.blue
    assert scheme[Meaning.overdue] is Colour.red and scheme[Meaning.near] is Colour.yellow  # default kept
    assert config.light_scheme({}) == DEFAULT_SCHEME
    assert config.yellow_days({"lights": {"yellow_days": 5, "colours": {"near": "red"}}}) == 5


@pytest.mark.parametrize(
    ("colours", "says"),
    [
        ({"已办结": "蓝"}, "配置 [lights.colours] 中有未知的含义 '已办结'（可用：done（已完成）"),
        ({"submitted": "紫"}, "配置 [lights.colours] submitted = '紫' 不是可用的颜色"),
        ({"submitted": 3}, "配置 [lights.colours] submitted = 3 不是可用的颜色"),
        ("蓝", "配置项 [lights.colours] 应是一个表（table）"),
    ],
)
def test_a_wrong_light_setting_is_refused_naming_the_key(colours: object, says: str) -> None:
    with pytest.raises(InvalidInput, match="^" + re.escape(says)) as caught:
        config.light_scheme({"lights": {"colours": colours}})
    assert str(caught.value).startswith(says)
