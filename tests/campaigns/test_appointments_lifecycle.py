"""The appointment lifecycle: only the moves of the transition table, and a false cancellation needs its proof."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns.appointment_rules import (
    CANCELLED,
    CANCELLED_BY_CLIENT,
    CONFIRMED,
    FALSE_CANCELLATION,
    FINAL_STATES,
    RETURNED_TO_AGENT,
    SENT_TO_CLIENT,
    STATES,
    TAKEN,
    TRANSITIONS,
    VALIDATED,
    VISITED,
    IllegalTransition,
    InvalidSlot,
    Proof,
    ProofRequired,
    TimeSlot,
    UnknownState,
    check_slot,
    check_transition,
)

PROOF = Proof("QC-2026-118", "Le prospect confirme la visite du commercial le 25/11", "appel-qc-118.wav")


def test_the_usual_path_goes_from_taken_to_validated() -> None:
    path = [TAKEN, SENT_TO_CLIENT, CONFIRMED, VISITED, VALIDATED]
    for current, target in zip(path, path[1:], strict=False):
        check_transition(current, target)


def test_a_client_cancellation_goes_to_quality_control() -> None:
    check_transition(SENT_TO_CLIENT, CANCELLED_BY_CLIENT)
    check_transition(CANCELLED_BY_CLIENT, CANCELLED)
    check_transition(CANCELLED_BY_CLIENT, FALSE_CANCELLATION, PROOF)


def test_a_false_cancellation_needs_a_reference_or_a_file_and_its_reason() -> None:
    with pytest.raises(ProofRequired, match="reference"):
        check_transition(CANCELLED_BY_CLIENT, FALSE_CANCELLATION)
    with pytest.raises(ProofRequired, match="reference"):
        check_transition(VISITED, FALSE_CANCELLATION, Proof(" ", "note", ""))
    with pytest.raises(ProofRequired, match="note"):
        check_transition(VISITED, FALSE_CANCELLATION, Proof("QC-1", " ", "bon.pdf"))
    check_transition(VISITED, FALSE_CANCELLATION, Proof("QC-1", "note", ""))  # a reference alone is a proof
    check_transition(VISITED, FALSE_CANCELLATION, Proof("", "note", "bon.pdf"))  # so is a stored file


def test_an_illegal_move_names_both_states_and_what_is_allowed() -> None:
    with pytest.raises(IllegalTransition) as caught:
        check_transition(TAKEN, VALIDATED)
    assert str(caught.value) == (
        "Un rendez-vous ne peut pas passer de taken à validated (possibles : returned_to_agent, sent_to_client)"
    )
    with pytest.raises(IllegalTransition, match="aucun, cet état est définitif"):
        check_transition(VALIDATED, CANCELLED)
    with pytest.raises(UnknownState, match="lost"):
        check_transition("lost", TAKEN)


@given(st.sampled_from(STATES), st.sampled_from(STATES))
def test_exactly_the_moves_of_the_table_are_allowed(current: str, target: str) -> None:
    try:
        check_transition(current, target, PROOF)
        allowed = True
    except IllegalTransition:
        allowed = False
    assert allowed == (target in TRANSITIONS[current])


@given(st.lists(st.sampled_from(STATES), max_size=12))
def test_a_final_state_is_never_left_and_taken_is_reached_again_only_after_a_send_back(moves: list[str]) -> None:
    state, visited = TAKEN, [TAKEN]
    for target in moves:
        try:
            check_transition(state, target, PROOF)
        except IllegalTransition:
            continue
        assert state not in FINAL_STATES
        state = target
        visited.append(state)
    # Quality control may send a sheet back and the agent's correction makes it `taken` again; nothing else loops.
    looped = [s for s in visited if s not in (TAKEN, RETURNED_TO_AGENT)]
    assert len(set(looped)) == len(looped)
    assert all(visited[i - 1] == RETURNED_TO_AGENT for i, s in enumerate(visited) if s == TAKEN and i)


def test_every_state_can_reach_a_final_state() -> None:
    for state in STATES:
        seen, frontier = {state}, [state]
        while frontier:
            for nxt in TRANSITIONS[frontier.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        assert seen & FINAL_STATES, state


def test_a_visit_slot_must_be_aware_named_ordered_and_in_the_future() -> None:
    now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    paris = ZoneInfo("Europe/Paris")
    start = datetime(2026, 11, 25, 14, 0, tzinfo=paris)
    check_slot(TimeSlot(start, start + timedelta(hours=2)), now)
    for bad in [
        TimeSlot(start.replace(tzinfo=None), start.replace(tzinfo=None) + timedelta(hours=2)),
        TimeSlot(start.astimezone(UTC), start.astimezone(UTC) + timedelta(hours=2)),
        TimeSlot(start, start),
        TimeSlot(now.astimezone(paris) - timedelta(hours=1), now.astimezone(paris) + timedelta(hours=1)),
    ]:
        with pytest.raises(InvalidSlot):
            check_slot(bad, now)
