"""The call state machine: outcomes, durations, and indifference to late, repeated or reordered events."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer import calls, ports
from dialer import domain_events as de
from dialer.amievents import events_from_message
from dialer.amiwire import parse_all
from tests.dialer.call_scenarios import CID, LEG1, SCENARIOS, T0, answered_human, dropped, no_answer, run, unanswered

E = TypeVar("E", bound=de.CallEvent)
CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ami"


def of_type(events: list[de.DomainEvent], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_kind_of_call_ends_with_its_outcome(name: str) -> None:
    make, expected = SCENARIOS[name]
    call, events = run(make())
    assert call.state == "ended" and call.outcome == expected
    [ended] = of_type(events, de.CallEnded)
    assert isinstance(ended, de.CallEnded) and ended.outcome == expected


def test_an_answered_human_goes_through_every_phase_with_its_time() -> None:
    call, events = run(answered_human(hold_s=1.0, talk_s=10.0))
    transitions = [(e.state, (e.at - T0).total_seconds()) for e in of_type(events, de.CallTransitioned)]
    assert transitions == [
        ("originated", 1), ("ringing", 2), ("answered", 3), ("queued", 7), ("connected", 8), ("ended", 9),
    ]  # fmt: skip
    [ended] = of_type(events, de.CallEnded)
    assert isinstance(ended, de.CallEnded)
    # Ring from ringing to answer; wait is the queue's HoldTime; talk from AgentComplete when it arrived in time.
    assert (ended.ring_s, ended.wait_s, ended.agent, ended.channel) == (1.0, 1.0, "agent1", LEG1)
    assert ended.talk_s == 1.0  # the callee hung up 1 s after the agent took the call: AgentComplete came later
    assert call.late == 3


def test_talk_time_comes_from_agent_complete_when_it_arrives_before_the_hangup() -> None:
    makers = answered_human(talk_s=42.0)
    makers[8], makers[9] = makers[9], makers[8]
    _, events = run(makers)
    [ended] = of_type(events, de.CallEnded)
    assert isinstance(ended, de.CallEnded) and ended.talk_s == 42.0 and ended.outcome == "connected"


def test_busy_and_congestion_come_from_dial_status_not_from_the_first_half_cause_zero() -> None:
    only_reason = [m for i, m in enumerate(unanswered("BUSY", 5, 17)) if i != 1]
    call, _ = run(only_reason)
    assert call.outcome == "busy"
    call, _ = run(unanswered("CONGESTION", 8, 34)[:2])
    assert call.outcome == "congestion"


def test_a_first_half_hangup_with_cause_zero_alone_decides_nothing() -> None:
    call, _ = run([lambda at: calls.OriginateSent(CID, at), lambda at: ports.CallHungUp(CID, at, LEG1, 0, "", CID)])
    assert call.live and call.outcome == ""


def test_no_answer_ends_on_cause_19_and_the_late_originate_response_is_counted_as_late() -> None:
    call, events = run(no_answer())
    assert call.outcome == "no_answer" and call.hangup_cause == 19
    assert call.late == 2
    assert len(of_type(events, de.CallEnded)) == 1


def test_an_originate_response_reason_3_after_an_uninformative_hangup_gives_no_answer() -> None:
    makers = no_answer()
    call, _ = run([makers[0], makers[1], lambda at: ports.CallHungUp(CID, at, LEG1, 16, "", CID), makers[4]])
    assert call.outcome == "no_answer"


def test_invalid_number_comes_from_chanunavail_or_cause_1() -> None:
    assert run(unanswered("CHANUNAVAIL", 0, 1))[0].outcome == "invalid"
    call, _ = run([lambda at: calls.OriginateSent(CID, at), lambda at: ports.CallRinging(CID, at),
                   lambda at: ports.CallHungUp(CID, at, "x;2", 1, "", f"{CID}-2")])  # fmt: skip
    assert call.outcome == "invalid"


def test_a_bare_originate_failure_waits_for_a_cause_then_reconciliation_ends_it_as_failed() -> None:
    call, _ = run([lambda at: calls.OriginateSent(CID, at), lambda at: ports.CallOriginated(CID, at, reason=0)])
    assert call.live and call.weak_outcome == "failed"
    call, _ = calls.apply(call, calls.ChannelsGone(CID, T0 + timedelta(seconds=10)))
    assert call.outcome == "failed"


def test_a_hangup_while_queued_is_a_dropped_call_counted_once() -> None:
    makers = dropped()
    del makers[6]  # no QueueCallerAbandon: the caller hung up while waiting
    call, events = run(makers)
    assert call.outcome == "dropped"
    assert len(of_type(events, de.CallDropped)) == 1 and len(of_type(events, de.HumanAnswered)) == 1


def test_an_agent_leg_hanging_up_while_the_caller_waits_does_not_end_the_call() -> None:
    makers = dropped()[:6] + [lambda at: ports.CallHungUp(CID, at, "Local/agent2@agents-00000009;1", 16, "", "17.4")]
    call, _ = run(makers)
    assert call.live and call.state == "queued"
    # Without a Uniqueid the agent leg is still told apart by its context.
    call, _ = calls.apply(call, ports.CallHungUp(CID, T0 + timedelta(seconds=60), "Local/agent2@agents-0000a;2", 16))
    assert call.live


def test_duplicates_and_events_of_other_calls_are_ignored_and_counted() -> None:
    call = calls.new_call(CID, T0)
    ring = ports.CallRinging(CID, T0)
    call, first = calls.apply(call, ring)
    call, again = calls.apply(call, ring)
    call, other = calls.apply(call, ports.CallRinging("someone-else", T0))
    assert first and not again and not other and call.ignored == 2


def test_reconciliation_ends_a_live_call_with_what_is_known() -> None:
    connected, _ = run(answered_human()[:8])
    assert calls.apply(connected, calls.ChannelsGone(CID, T0 + timedelta(minutes=5)))[0].outcome == "connected"
    queued, _ = run(dropped()[:6])
    assert calls.apply(queued, calls.ChannelsGone(CID, T0 + timedelta(minutes=5)))[0].outcome == "dropped"
    sent, _ = run(answered_human()[:1])
    gone, events = calls.apply(sent, calls.ChannelsGone(CID, T0 + timedelta(minutes=5)))
    assert gone.outcome == "failed" and [e for e in events if isinstance(e, de.CallEnded)][0].detail


def test_an_originate_action_failure_leaves_the_call_to_reconciliation() -> None:
    call, _ = calls.apply(calls.new_call(CID, T0), calls.OriginateFailed(CID, T0, "timeout"))
    assert call.live
    call, _ = calls.apply(call, calls.ChannelsGone(CID, T0 + timedelta(seconds=90)))
    assert call.outcome == "failed" and "timeout" in call.detail


@st.composite
def shuffled_with_repeats(draw: st.DrawFn) -> tuple[str, list[int]]:
    name = draw(st.sampled_from(sorted(SCENARIOS)))
    size = len(SCENARIOS[name][0]())
    order = draw(st.permutations(range(size)))
    repeats = draw(st.lists(st.sampled_from(range(size)), max_size=size))
    positions = [draw(st.integers(0, len(order) + i)) for i in range(len(repeats))]
    merged = list(order)
    for index, position in zip(repeats, positions, strict=True):
        merged.insert(position, index)
    return name, merged


@settings(max_examples=400, deadline=None)
@given(shuffled_with_repeats())
def test_any_order_and_repetition_of_a_calls_events_ends_in_exactly_one_outcome(case: tuple[str, list[int]]) -> None:
    name, order = case
    makers = SCENARIOS[name][0]()
    call, events = run([makers[i] for i in order] + [lambda at: calls.ChannelsGone(CID, at)])
    ended = of_type(events, de.CallEnded)
    assert len(ended) == 1 and call.outcome in calls.OUTCOMES and call.state == "ended"
    assert isinstance(ended[0], de.CallEnded) and ended[0].outcome == call.outcome
    for once in (de.CallAnswered, de.HumanAnswered, de.CallConnected, de.CallDropped):
        assert len(of_type(events, once)) <= 1
    assert bool(of_type(events, de.CallDropped)) == (call.outcome == "dropped")
    assert bool(of_type(events, de.CallConnected)) == (call.outcome == "connected")
    if call.outcome == "dropped":
        assert of_type(events, de.HumanAnswered), "a dropped call is always a human answer"
    states = [e.state for e in of_type(events, de.CallTransitioned)]
    assert len(states) == len(set(states)) and states[-1] == "ended"
    assert all(e.at <= ended[0].at for e in events)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(SCENARIOS)), st.data())
def test_repeating_events_in_arrival_order_never_changes_the_outcome(name: str, data: st.DataObject) -> None:
    make, expected = SCENARIOS[name]
    makers = make()
    times = data.draw(st.lists(st.integers(1, 3), min_size=len(makers), max_size=len(makers)))
    call, events = run([m for m, n in zip(makers, times, strict=True) for _ in range(n)])
    assert call.outcome == expected and len(of_type(events, de.CallEnded)) == 1


@pytest.mark.parametrize("name", ["busy", "congestion", "no_answer", "invalid"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_an_unanswered_call_keeps_its_outcome_in_any_order(name: str, data: st.DataObject) -> None:
    make, expected = SCENARIOS[name]
    makers = make()
    order = data.draw(st.permutations(range(len(makers))))
    call, _ = run([makers[i] for i in order] + [lambda at: calls.ChannelsGone(CID, at)])
    assert call.outcome == expected


CAPTURED = {
    "answered_human.ami": "connected",
    "answered_machine.ami": "machine",
    "busy.ami": "busy",
    "congestion.ami": "congestion",
    "noanswer.ami": "no_answer",
}


@pytest.mark.parametrize("capture", sorted(CAPTURED))
def test_the_real_asterisk_captures_replay_to_their_outcome(capture: str) -> None:
    messages = parse_all((CAPTURES / capture).read_bytes())
    pbx_events = [
        e
        for i, m in enumerate(messages)
        for e in events_from_message(m, T0 + timedelta(seconds=i))
        if isinstance(e, ports.PbxEvent)
    ]
    call_id = pbx_events[0].call_id
    call = calls.apply(calls.new_call(call_id, T0), calls.OriginateSent(call_id, T0))[0]
    ended: list[de.CallEnded] = []
    for event in pbx_events:
        call, events = calls.apply(call, event)  # type: ignore[arg-type]  # PbxEvent subclasses only
        ended.extend(of_type(events, de.CallEnded))
    assert [e.outcome for e in ended] == [CAPTURED[capture]]
    if capture == "answered_human.ami":
        assert call.agent == "Agent1" and call.hold_s == 0.0


TRUNK = "PJSIP/trunk-00000001"


def _through_pjsip_trunk(*after: object) -> list[object]:
    """A production trunk is one channel: the `;2` half dials it, its DialEnd and its cause tell the rest."""
    return [
        lambda at: calls.OriginateSent(CID, at),
        lambda at: ports.CalleeDialed(CID, at, uniqueid="1796.7", channel=TRUNK),
        *after,
    ]


@pytest.mark.parametrize(
    ("status", "cause", "outcome"),
    [("BUSY", 17, "busy"), ("CONGESTION", 34, "congestion"), ("CHANUNAVAIL", 0, "invalid"),
     ("NOANSWER", 1, "invalid"), ("NOANSWER", 19, "no_answer")],
)
def test_through_a_pjsip_trunk_the_callee_legs_dial_end_and_cause_decide(status: str, cause: int, outcome: str) -> None:
    call, _ = run(_through_pjsip_trunk(
        lambda at: ports.DialEnded(CID, at, status, callee=True),
        lambda at: ports.CallHungUp(CID, at, TRUNK, cause, "", "1796.7"),
        lambda at: ports.CallHungUp(CID, at, f"{LEG1[:-1]}2", 16, "", f"{CID}-2"),
        lambda at: ports.DialEnded(CID, at, "NOANSWER"),
        lambda at: ports.CallOriginated(CID, at, 0, "Local/+33612345678@rdv-outbound/n"),
        lambda at: ports.CallHungUp(CID, at, LEG1, 16, "", CID),
    ))
    assert call.outcome == outcome


def test_a_connected_call_through_a_pjsip_trunk_ends_when_the_callee_hangs_up_not_at_agent_complete() -> None:
    call, events = run(_through_pjsip_trunk(
        lambda at: ports.DialEnded(CID, at, "ANSWER", callee=True),
        lambda at: ports.MachineDetected(CID, at, "HUMAN"),
        lambda at: ports.CallerQueued(CID, at, "rdv-1"),
        lambda at: ports.AgentConnected(CID, at, "rdv-1", "agent1", "Local/agent1@agents/n", 0.0),
        lambda at: ports.CallHungUp(CID, at, LEG1, 16, "", CID),  # the optimised-away pair
        lambda at: ports.AgentCompleted(CID, at, "rdv-1", "agent1", 0.0, 0.0, "caller"),
        *[lambda at: ports.CallRinging("other", at)] * 30,  # thirty seconds of talk
        lambda at: ports.CallHungUp(CID, at, TRUNK, 16, "", "1796.7"),
    ))
    [ended] = of_type(events, de.CallEnded)
    assert ended.outcome == "connected" and ended.agent == "agent1"
    assert ended.talk_s is not None and ended.talk_s >= 30
