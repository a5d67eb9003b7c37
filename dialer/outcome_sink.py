"""Where a call's domain events go: the database, agent presence, pacing statistics and dispositions."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from campaigns.outcomes import finish_attempt, record_disposition
from dialer import agents as presence
from dialer import domain_events as de
from dialer import store
from dialer.live import CallSummary, DispositionModel, LiveCall
from dialer.pacing import DialOutcome
from rdv.db import transaction

if TYPE_CHECKING:
    from dialer.engine import Engine

log = logging.getLogger(__name__)


class OutcomeSink:
    """Stores and spreads what the state machine reports, in one transaction per PBX event."""

    def __init__(self, engine: Engine, disposition_model: DispositionModel | None) -> None:
        self.engine = engine
        self.disposition_model = disposition_model

    def handle(self, live: LiveCall, events: list[de.DomainEvent]) -> list[presence.QueueCommand]:
        """Store the events of one call; returns the queue commands agent changes need."""
        engine = self.engine
        commands: list[presence.QueueCommand] = []
        ended: de.CallEnded | None = None
        with transaction(engine.sessions) as session:
            for event in events:
                if isinstance(event, de.CallTransitioned):
                    store.record_transition(session, live.attempt_id, event)
                elif isinstance(event, de.CallConnected):
                    self._connect(session, live, event)
                elif isinstance(event, de.CallEnded):
                    ended = event
                    store.record_result(session, live.attempt_id, event)
                    finish_attempt(session, live.attempt_id, event.outcome, event.at, hangup_cause=event.hangup_cause,
                                   centre_timezone=engine.settings.centre_timezone)  # fmt: skip
                    commands += self._release_agent(session, live, event)
        self._count(live, events)
        if ended is not None:
            engine.counters[f"outcome_{ended.outcome}"] += 1
            self._qualify(live, ended)
        return commands

    def _connect(self, session: Session, live: LiveCall, event: de.CallConnected) -> None:
        engine = self.engine
        agent = engine.agents.get(event.agent)
        if agent is None:
            engine.counters["calls_to_unknown_agents"] += 1
            log.warning("call %s connected to an agent this dialer does not know", live.call_id)
            return
        try:
            connected, _ = presence.call_connected(agent, live.call_id, event.at)
        except presence.AgentAlreadyOnCall as error:
            engine.counters["double_bookings"] += 1
            log.error("%s", error)
            return
        engine.agents[agent.login] = connected
        store.save_agent(session, connected, event.at)

    def _release_agent(self, session: Session, live: LiveCall, ended: de.CallEnded) -> list[presence.QueueCommand]:
        engine = self.engine
        agent = engine.agents.get(ended.agent) if ended.agent else None
        if agent is None:
            return []
        wrap_s = engine.views[live.campaign_id].wrap_up_s
        released, commands = presence.call_ended(agent, live.call_id, ended.at, wrap_s)
        if released != agent:
            engine.agents[agent.login] = released
            store.save_agent(session, released, ended.at)
            if released.status is not presence.Status.WRAP_UP:
                store.record_wrap_up(session, live.call_id, 0.0)
        return commands

    def _count(self, live: LiveCall, events: list[de.DomainEvent]) -> None:
        """Feed pacing: one resolution per dial (a human answer resolves it early), drops, talk times."""
        view = self.engine.views[live.campaign_id]
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
        self.engine.views[before.campaign_id].stats.wrap_ended(wrap_s)
        with transaction(self.engine.sessions) as session:
            store.record_wrap_up(session, before.call_id, wrap_s)

    def _qualify(self, live: LiveCall, ended: de.CallEnded) -> None:
        """A simulated agent's disposition, from the injected model (real agents qualify on their screen)."""
        engine = self.engine
        if self.disposition_model is None or ended.outcome != "connected" or ended.agent not in engine.simulated:
            return
        summary = CallSummary(live.attempt_id, live.lead_id, live.campaign_id, ended.agent, ended.talk_s or 0.0,
                              ended.at)  # fmt: skip
        choice = self.disposition_model(summary)
        if choice is None:
            return
        code, callback_at = choice
        try:
            with transaction(engine.sessions) as session:
                record_disposition(session, live.attempt_id, code, ended.at, ended.agent, callback_at,
                                   centre_timezone=engine.settings.centre_timezone)  # fmt: skip
            engine.counters["dispositions"] += 1
        except (ValueError, LookupError) as error:
            engine.counters["disposition_errors"] += 1
            log.warning("disposition %s of attempt %s refused: %s", code, live.attempt_id, error)
