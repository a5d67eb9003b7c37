"""Where a call's domain events go: the database, agent presence and pacing statistics.

It reads and changes only the engine's state object (`dialer.engine_state.EngineState`): its agents, campaign
views and counters, and stores through its session factory.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from campaigns.outcomes import finish_attempt
from config.orm import transaction
from dialer import agents as presence
from dialer import domain_events as de
from dialer import store
from dialer.engine_state import EngineState
from dialer.live import LiveCall
from dialer.pacing import DialOutcome

log = logging.getLogger(__name__)
# Transitions a crash may lose for a live call: before anyone answered, they only date the ringing.
DEFERRED_STATES = frozenset({"originated", "ringing"})


def _deferred(event: de.DomainEvent) -> bool:
    """Whether an event can wait in memory: a pre-answer transition, or a fact that writes nothing."""
    if isinstance(event, de.CallTransitioned):
        return event.state in DEFERRED_STATES
    return not isinstance(event, de.CallConnected | de.CallEnded)


class OutcomeSink:
    """Stores and spreads what the state machine reports, in as few transactions as the guarantees allow.

    A call's pre-answer transitions (originated, ringing) wait in memory and are written with its next
    transition that matters (answered, queued, connected) or with its end, in the same transaction. So a
    crash loses at most those pre-answer transitions of calls still live at the crash (recovery then sees
    them as just created, and the PBX's channel list or later events settle them); everything else is
    committed before the engine acts on it, and a call's end (transitions, measures, outcome, lead
    rescheduled, claim released, agent released) is one transaction committed before the call is dropped
    from the engine's live calls.
    """

    def __init__(self, state: EngineState) -> None:
        self.state = state
        # Transitions not yet written, by call id (see the class docstring for what a crash may lose).
        self.pending: dict[str, list[de.CallTransitioned]] = {}

    def handle(self, live: LiveCall, events: list[de.DomainEvent]) -> list[presence.QueueCommand]:
        """Store the events of one call; returns the queue commands agent changes need."""
        state = self.state
        commands: list[presence.QueueCommand] = []
        ended = next((e for e in events if isinstance(e, de.CallEnded)), None)
        transitions = [e for e in events if isinstance(e, de.CallTransitioned)]
        if ended is None and all(_deferred(e) for e in events):
            if transitions:
                self.pending.setdefault(live.call_id, []).extend(transitions)
            self._count(live, events)
            return commands
        # The waiting transitions leave memory once stored: a store that fails (the database restarting) leaves
        # them for the call's next event, the sweep or the stop.
        transitions = self.pending.get(live.call_id, []) + transitions
        with transaction(state.sessions) as session:
            store.record_transitions(session, live.attempt_id, transitions, ended)
            for event in events:
                if isinstance(event, de.CallConnected):
                    self._connect(session, live, event)
            if ended is not None:
                finish_attempt(session, live.attempt_id, ended.outcome, ended.at, hangup_cause=ended.hangup_cause,
                               centre_timezone=state.centre_timezone)  # fmt: skip
                commands += self._release_agent(session, live, ended)
        self.pending.pop(live.call_id, None)
        self._count(live, events)
        if ended is not None:
            state.counters[f"outcome_{ended.outcome}"] += 1
        return commands

    def _connect(self, session: Session, live: LiveCall, event: de.CallConnected) -> None:
        state = self.state
        agent = state.agents.get(event.agent)
        if agent is None:
            state.counters["calls_to_unknown_agents"] += 1
            log.warning("call %s connected to an agent this dialer does not know", live.call_id)
            return
        try:
            connected, _ = presence.call_connected(agent, live.call_id, event.at)
        except presence.AgentAlreadyOnCall as error:
            state.counters["double_bookings"] += 1
            log.error("%s", error)
            return
        state.agents[agent.login] = connected
        store.save_agent(session, connected, event.at)
        state.agent_saved(session, agent, connected, live)

    def _release_agent(self, session: Session, live: LiveCall, ended: de.CallEnded) -> list[presence.QueueCommand]:
        state = self.state
        commands = self._release_kept(session, live, ended) if live.kept_for != ended.agent else []
        agent = state.agents.get(ended.agent) if ended.agent else None
        if agent is None:
            return commands
        wrap_s = state.views[live.campaign_id].wrap_up_s
        released, more = presence.call_ended(agent, live.call_id, ended.at, wrap_s)
        commands += more
        if released != agent:
            state.agents[agent.login] = released
            store.save_agent(session, released, ended.at)
            state.agent_saved(session, agent, released, live)
            if released.status is not presence.Status.WRAP_UP:
                store.record_wrap_up(session, live.call_id, 0.0)
        return commands

    def _release_kept(self, session: Session, live: LiveCall, ended: de.CallEnded) -> list[presence.QueueCommand]:
        """A personal callback ended without reaching the agent kept for it (no answer, machine, the agent's
        phone did not answer): that agent takes the queue's calls again."""
        agent = self.state.agents.get(live.kept_for) if live.kept_for else None
        if agent is None:
            return []
        released, commands = presence.release(agent, live.call_id, ended.at)
        if released != agent:
            self.state.agents[agent.login] = released
            store.save_agent(session, released, ended.at)
            self.state.agent_saved(session, agent, released, live)
        return commands

    def _count(self, live: LiveCall, events: list[de.DomainEvent]) -> None:
        """Feed pacing: one resolution per dial (a human answer resolves it early), drops, talk times."""
        view = self.state.views[live.campaign_id]
        started = live.call.originated_at or live.call.created_at
        for event in events:
            delay = max(0.0, (event.at - started).total_seconds())
            if isinstance(event, de.HumanAnswered):
                view.stats.dial_resolved(view.day(event.at), DialOutcome.HUMAN, delay)
            elif isinstance(event, de.CallDropped):
                view.stats.call_dropped(view.day(event.at))
            elif isinstance(event, de.CallEnded):
                if live.call.human_at is None:
                    kind = DialOutcome.MACHINE if event.outcome == "machine" else DialOutcome.OTHER
                    view.stats.dial_resolved(view.day(event.at), kind, delay)
                if event.outcome == "connected" and event.talk_s is not None:
                    view.stats.talk_ended(event.talk_s)

    def wrap_up_ended(self, before: presence.Agent, after: presence.Agent) -> None:
        """An agent's wrap-up ran out: store and measure it."""
        if before.status is not presence.Status.WRAP_UP or after.status is presence.Status.WRAP_UP:
            return
        if before.since is None or after.since is None:
            return
        wrap_s = max(0.0, (after.since - before.since).total_seconds())
        self.state.views[before.campaign_id].stats.wrap_ended(wrap_s)
        with transaction(self.state.sessions) as session:
            store.record_wrap_up(session, before.call_id, wrap_s)
