"""The dialer's storage on SQLite and PostgreSQL: transitions once, results, agents, a crashed dialer's claims."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.hopper import claim_leads
from campaigns.models import Attempt
from campaigns.outcomes import start_attempt
from config.orm import transaction
from dialer import agents as presence
from dialer import domain_events as de
from dialer import store
from dialer.models import AgentRecord
from leads.models import Lead
from tests.campaigns.factories import MONDAY_3PM, campaign, leads

NOW = MONDAY_3PM


def started(sessions: sessionmaker[Session], count: int = 2, dialer_id: str = "d1") -> list[Attempt]:
    with transaction(sessions) as session:
        made = campaign(session)
        leads(session, made.id, count)
        targets = claim_leads(session, made.id, NOW, count, dialer_id)
        return [start_attempt(session, t, NOW, dialer_id, f"call-{t.lead_id}") for t in targets]


def test_a_transition_is_stored_once_with_its_time_and_moves_the_attempt_forward(
    sessions: sessionmaker[Session],
) -> None:
    attempt = started(sessions, 1)[0]
    answered = de.CallTransitioned(attempt.action_id, NOW + timedelta(seconds=9), "answered", "human")
    with transaction(sessions) as session:
        store.record_transition(session, attempt.id, de.CallTransitioned(attempt.action_id, NOW, "originated"))
        store.record_transition(session, attempt.id, answered)
        store.record_transition(session, attempt.id, answered)
        store.record_transition(session, attempt.id, de.CallTransitioned(attempt.action_id, NOW, "ringing"))
    with sessions() as session:
        rows = [(t.state, t.at, t.detail) for t in store.transitions_of(session, attempt.id)]
        stored = session.get(Attempt, attempt.id)
        assert stored is not None
        nine = NOW + timedelta(seconds=9)
        assert rows == [("originated", NOW, ""), ("ringing", NOW, ""), ("answered", nine, "human")]
        assert (stored.state, stored.originated_at, stored.answered_at) == ("answered", NOW, NOW + timedelta(seconds=9))


def test_live_attempts_of_a_dialer_rebuild_their_calls_and_orphan_claims_are_released(
    sessions: sessionmaker[Session],
) -> None:
    first, second = started(sessions, 2)
    with transaction(sessions) as session:
        store.record_transition(session, first.id, de.CallTransitioned(first.action_id, NOW, "originated"))
        store.record_transition(session, first.id, de.CallTransitioned(first.action_id, NOW, "queued"))
        other = leads(session, first.campaign_id, 1, start=50)[0]
        # Claimed, then the process died before dialling.
        assert [t.lead_id for t in claim_leads(session, first.campaign_id, NOW, 1, "d1")] == [other.id]
    with transaction(sessions) as session:
        live = store.live_attempts(session, "d1", [first.campaign_id])
        assert [a.id for a in live] == [first.id, second.id]
        assert store.live_attempts(session, "d2", [first.campaign_id]) == []
        call = store.call_from_attempt(session, live[0])
        assert (call.call_id, call.state, call.human_at) == (first.action_id, "queued", NOW)
        assert store.release_orphan_claims(session, "d1", keep=[first.lead_id, second.lead_id]) == 1
    with sessions() as session:
        claimed = session.scalars(select(Lead.id).where(Lead.claimed_by == "d1").order_by(Lead.id)).all()
        assert claimed == sorted([first.lead_id, second.lead_id])


def test_an_agents_presence_is_stored_and_updated(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        made = campaign(session)
    agent = presence.Agent("alice", made.id, "rdv-1", "Alice")
    agent, _ = presence.log_in(agent, NOW)
    with transaction(sessions) as session:
        store.save_agent(session, agent, NOW)
    on_call, _ = presence.call_connected(agent, "call-9", NOW + timedelta(seconds=5))
    with transaction(sessions) as session:
        store.save_agent(session, on_call, NOW)
    with sessions() as session:
        [record] = session.scalars(select(AgentRecord)).all()
        assert (record.login, record.display_name, record.interface) == ("alice", "Alice", "Local/alice@agents/n")
        assert (record.state, record.call_id, record.since) == ("on_call", "call-9", NOW + timedelta(seconds=5))
