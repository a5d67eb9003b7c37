"""The engine's live view: which calls the PBX still has, when a silent call is worth asking about, pacing input."""

from __future__ import annotations

from datetime import timedelta

from dialer import agents as presence
from dialer import calls
from dialer.live import LiveCall, alive_call_ids, pacing_state, quiet_for
from dialer.pacing import PacingStats
from dialer.ports import CallerQueued, CallRinging, LiveChannel
from tests.dialer.call_scenarios import T0


def test_a_call_is_alive_through_either_half_or_an_agent_leg() -> None:
    channels = [
        LiveChannel("Local/+336@rdv-outbound-1;2", "c1-2", "c1", "Up", 3.0),
        LiveChannel("Local/agent1@agents-2;1", "17.2", "c2", "Up", 3.0),
        LiveChannel("Local/+337@rdv-outbound-3;1", "c3", "c3", "Ring", 1.0),
    ]
    assert alive_call_ids(channels) >= {"c1", "c2", "c3"} and "" not in alive_call_ids(channels)


def test_a_ringing_call_is_asked_about_only_after_the_ring_timeout_and_a_margin() -> None:
    call = calls.apply(calls.new_call("c1", T0), CallRinging("c1", T0))[0]
    live = LiveCall(call, 1, 1, 1, sent_at=T0)
    assert not quiet_for(live, T0 + timedelta(seconds=50), ring_timeout_s=25)
    assert quiet_for(live, T0 + timedelta(seconds=56), ring_timeout_s=25)
    assert not quiet_for(LiveCall(call, 1, 1, 1, sent_at=None), T0 + timedelta(hours=1), 25)


def test_pacing_sees_lines_in_progress_their_ring_ages_and_callers_waiting() -> None:
    ringing = LiveCall(calls.apply(calls.new_call("a", T0), CallRinging("a", T0))[0], 1, 1, 1, T0)
    waiting = LiveCall(calls.apply(calls.new_call("b", T0), CallerQueued("b", T0, "q"))[0], 2, 1, 2, T0)
    agent = presence.log_in(presence.Agent("alice", 1, "q"), T0)[0]
    state = pacing_state([ringing, waiting], [agent], PacingStats(), T0.date(), T0 + timedelta(seconds=4))
    assert (state.agents_logged_in, state.agents_available, state.lines_in_progress) == (1, 1, 2)
    assert (state.ringing_ages_s, state.calls_waiting) == ((4.0,), 1)
