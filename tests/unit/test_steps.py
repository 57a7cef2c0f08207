from pathlib import Path

import pytest

from edgate.registration import steps
from edgate.registration.steps import (
    PAGES,
    STEPS,
    State,
    TransitionError,
    can_view,
    check_transition,
)


def test_every_state_has_a_step_and_terminal_states_lead_nowhere() -> None:
    assert set(STEPS) == set(State)
    assert {s for s, step in STEPS.items() if step.terminal} == {
        State.CREATED,
        State.SETUP_DONE,
        State.PARTIAL,
        State.EXACT,
    }


def test_back_navigation_only_along_the_four_pages() -> None:
    assert can_view(State.IDENTITY, State.REVIEW)
    assert can_view(State.CONTACT, State.SECURITY)
    assert not can_view(State.REVIEW, State.CONTACT)  # no skipping ahead
    assert not can_view(State.IDENTITY, State.CREATED)  # no leaving a terminal state
    assert not can_view(State.SETUP, State.IDENTITY)


def test_transitions_are_checked() -> None:
    check_transition(State.IDENTITY, State.EXACT)
    with pytest.raises(TransitionError):
        check_transition(State.IDENTITY, State.CREATED)
    with pytest.raises(TransitionError):
        check_transition(State.CREATED, State.IDENTITY)


def test_the_mermaid_diagram_draws_every_transition() -> None:
    diagram = (Path(steps.__file__).parent / "flow.mermaid").read_text()
    for source, step in STEPS.items():
        for target in step.next:
            assert f"{source} --> {target}" in diagram, f"{source} --> {target} missing from flow.mermaid"
    for earlier, later in zip(PAGES, PAGES[1:], strict=False):
        assert f"{later} --> {earlier}" in diagram


def test_the_check_page_stands_in_for_page_one_and_leads_where_page_one_does() -> None:
    assert STEPS[State.CHECK].page == 1 and State.CHECK not in PAGES
    assert not can_view(State.IDENTITY, State.CHECK)  # no way around it
    assert not can_view(State.CHECK, State.CONTACT)  # offered once: not reachable by going back
    assert STEPS[State.CHECK].next == STEPS[State.IDENTITY].next - {State.CHECK}
