"""Agent presence: states, the queue commands each change sends, and what pacing sees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import sessionmaker

from config.clock import ManualClock
from dialer import agents, recovery
from dialer.agents import Agent, QueueAdd, QueuePause, QueueRemove, Status
from dialer.engine_state import EngineState

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
IFACE = "Local/alice@agents/n"


def fresh() -> Agent:
    return Agent(login="alice", campaign_id=1, queue="rdv-1")


def logged_in() -> Agent:
    return agents.log_in(fresh(), T0)[0]


def test_logging_in_joins_the_campaign_queue_once() -> None:
    agent, commands = agents.log_in(fresh(), T0)
    assert agent.status is Status.AVAILABLE and agent.since == T0
    assert commands == [QueueAdd("rdv-1", IFACE, "alice")]
    assert agents.log_in(agent, T0 + timedelta(seconds=5)) == (agent, [])


def test_a_pause_needs_a_reason_code_and_pauses_the_queue_member() -> None:
    with pytest.raises(agents.MissingPauseReason):
        agents.pause(logged_in(), T0, " ")
    agent, commands = agents.pause(logged_in(), T0, "lunch")
    assert (agent.status, agent.pause_reason) == (Status.PAUSED, "lunch")
    assert commands == [QueuePause("rdv-1", IFACE, True, "lunch")]
    agent, commands = agents.resume(agent, T0 + timedelta(minutes=30))
    assert agent.status is Status.AVAILABLE and commands == [QueuePause("rdv-1", IFACE, False)]


def test_a_call_then_the_campaign_wrap_up_then_ready_again() -> None:
    agent, _ = agents.call_connected(logged_in(), "c1", T0)
    assert agent.status is Status.ON_CALL and agent.call_id == "c1"
    agent, commands = agents.call_ended(agent, "c1", T0 + timedelta(seconds=90), wrap_up_s=20)
    assert agent.status is Status.WRAP_UP and commands == [QueuePause("rdv-1", IFACE, True, "wrap-up")]
    assert agents.tick(agent, T0 + timedelta(seconds=109)) == (agent, [])
    agent, commands = agents.tick(agent, T0 + timedelta(seconds=115))
    assert agent.status is Status.AVAILABLE and agent.since == T0 + timedelta(seconds=110)
    assert commands == [QueuePause("rdv-1", IFACE, False)]


def test_without_wrap_up_the_agent_is_ready_at_once_and_the_queue_is_left_alone() -> None:
    agent, _ = agents.call_connected(logged_in(), "c1", T0)
    agent, commands = agents.call_ended(agent, "c1", T0 + timedelta(seconds=60), wrap_up_s=0)
    assert agent.status is Status.AVAILABLE and commands == []


def test_a_pause_asked_for_during_a_call_starts_after_the_wrap_up() -> None:
    agent, _ = agents.call_connected(logged_in(), "c1", T0)
    agent, commands = agents.pause(agent, T0 + timedelta(seconds=10), "break")
    assert agent.status is Status.ON_CALL and commands == []
    agent, _ = agents.call_ended(agent, "c1", T0 + timedelta(seconds=60), wrap_up_s=10)
    agent, commands = agents.tick(agent, T0 + timedelta(seconds=80))
    assert (agent.status, agent.pause_reason) == (Status.PAUSED, "break")
    assert commands == [QueuePause("rdv-1", IFACE, True, "break")]


def test_a_second_call_to_an_agent_on_a_call_is_reported_not_hidden() -> None:
    agent, _ = agents.call_connected(logged_in(), "c1", T0)
    assert agents.call_connected(agent, "c1", T0) == (agent, [])
    with pytest.raises(agents.AgentAlreadyOnCall):
        agents.call_connected(agent, "c2", T0)


def test_the_end_of_a_call_the_agent_is_not_on_changes_nothing() -> None:
    agent, _ = agents.call_connected(logged_in(), "c1", T0)
    assert agents.call_ended(agent, "c0", T0, wrap_up_s=20) == (agent, [])


def test_logging_out_leaves_the_queue_but_not_in_the_middle_of_a_call() -> None:
    agent, _ = agents.call_connected(logged_in(), "c1", T0)
    with pytest.raises(agents.AgentOnCall):
        agents.log_out(agent, T0)
    agent, commands = agents.log_out(logged_in(), T0)
    assert agent.status is Status.LOGGED_OUT and commands == [QueueRemove("rdv-1", IFACE)]


def test_pacing_sees_available_agents_and_how_long_the_others_have_been_busy() -> None:
    free = logged_in()
    talking = agents.call_connected(logged_in(), "c1", T0)[0]
    busy = agents.call_connected(logged_in(), "c2", T0)[0]
    wrapping = agents.call_ended(busy, "c2", T0 + timedelta(seconds=30), 20)[0]
    paused = agents.pause(logged_in(), T0, "lunch")[0]
    view = agents.presence_view([free, talking, wrapping, paused, fresh()], T0 + timedelta(seconds=40))
    assert (view.logged_in, view.available, view.talking_s, view.wrapping_s) == (4, 1, (40.0,), (10.0,))


ACTIONS = st.lists(
    st.tuples(st.sampled_from(["in", "out", "pause", "resume", "connect", "end", "ready", "tick"]),
              st.sampled_from(["c1", "c2"]), st.integers(0, 30)),
    max_size=40,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(ACTIONS)
def test_any_sequence_keeps_presence_consistent_with_the_queue(actions: list[tuple[str, str, int]]) -> None:
    agent, now = fresh(), T0
    member = paused_in_queue = False
    for action, call_id, seconds in actions:
        now += timedelta(seconds=seconds)
        try:
            agent, commands = _do(agent, action, call_id, now)
        except (agents.AgentOnCall, agents.AgentAlreadyOnCall, agents.AgentNotLoggedIn):
            continue
        for command in commands:
            if isinstance(command, QueueAdd):
                assert not member
                member, paused_in_queue = True, command.paused
            elif isinstance(command, QueueRemove):
                assert member
                member = False
            else:
                assert member
                paused_in_queue = command.paused
        assert member == agent.logged_in
        # The call stays attached through its wrap-up: the disposition is about it.
        assert (agent.status in (Status.ON_CALL, Status.WRAP_UP)) == bool(agent.call_id)
        assert (agent.status is Status.WRAP_UP) == (agent.wrap_until is not None)
        if agent.status in (Status.PAUSED, Status.WRAP_UP):
            assert paused_in_queue
        if agent.status is Status.AVAILABLE:
            assert not paused_in_queue


def _do(agent: Agent, action: str, call_id: str, now: datetime) -> agents.Change:
    if action == "in":
        return agents.log_in(agent, now)
    if action == "out":
        return agents.log_out(agent, now)
    if action == "pause":
        return agents.pause(agent, now, "break")
    if action == "resume":
        return agents.resume(agent, now)
    if action == "connect":
        return agents.call_connected(agent, call_id, now) if agent.logged_in else (agent, [])
    if action == "end":
        return agents.call_ended(agent, call_id, now, wrap_up_s=15)
    if action == "ready":
        return agents.end_wrap_up(agent, now)
    return agents.tick(agent, now)


def test_an_agent_kept_for_a_personal_callback_is_paused_in_the_queue_and_unpaused_after_it() -> None:
    agent, commands = agents.keep_for(logged_in(), "cb-1")
    assert (agent.status, agent.kept_for, agent.free) == (Status.AVAILABLE, "cb-1", False)
    assert commands == [QueuePause("rdv-1", IFACE, True, agents.CALLBACK_REASON)]
    assert agents.presence_view([agent], T0).available == 0
    with pytest.raises(ValueError):
        agents.keep_for(agent, "cb-2")
    with pytest.raises(agents.AgentOnCall):
        agents.log_out(agent, T0)
    on_call, _ = agents.call_connected(agent, "cb-1", T0 + timedelta(seconds=20))
    # No wrap-up: ready at once, and unpaused since the dialer paused them for the callback.
    ready, commands = agents.call_ended(on_call, "cb-1", T0 + timedelta(minutes=3), wrap_up_s=0)
    assert (ready.status, ready.kept_for) == (Status.AVAILABLE, "")
    assert commands == [QueuePause("rdv-1", IFACE, False)]


def test_a_callback_that_did_not_reach_its_agent_gives_them_back_or_starts_the_pause_asked_meanwhile() -> None:
    kept, _ = agents.keep_for(logged_in(), "cb-1")
    assert agents.release(kept, "other", T0) == (kept, [])
    freed, commands = agents.release(kept, "cb-1", T0 + timedelta(seconds=30))
    assert (freed.status, freed.kept_for, freed.since) == (Status.AVAILABLE, "", T0)
    assert commands == [QueuePause("rdv-1", IFACE, False)]
    waiting, commands = agents.pause(kept, T0 + timedelta(seconds=5), "lunch")
    assert (waiting.status, waiting.pause_after, commands) == (Status.AVAILABLE, "lunch", [])
    paused, commands = agents.release(waiting, "cb-1", T0 + timedelta(seconds=30))
    assert (paused.status, paused.pause_reason, paused.kept_for) == (Status.PAUSED, "lunch", "")
    assert commands == [QueuePause("rdv-1", IFACE, True, "lunch")]


def test_after_a_reconnection_an_agent_kept_for_a_callback_is_paused_again_in_the_queue() -> None:
    state = EngineState(ManualClock(T0), sessionmaker(), "d1", [1])
    state.agents["alice"] = agents.keep_for(logged_in(), "cb-1")[0]
    assert recovery.rejoin_commands(state) == [QueueAdd("rdv-1", IFACE, "alice", paused=True),
                                               QueuePause("rdv-1", IFACE, True, agents.CALLBACK_REASON)]
    state.agents["alice"] = agents.call_connected(state.agents["alice"], "cb-1", T0)[0]
    assert recovery.rejoin_commands(state)[1] == QueuePause("rdv-1", IFACE, True, agents.CALLBACK_REASON)
