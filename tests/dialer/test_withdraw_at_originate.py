"""A dial recorded but refused at Originate is taken back whole: no attempt, no dial counted, no claim, its
callback pending again (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.hopper import claim_leads
from campaigns.models import Attempt, Callback, LeadClaim
from campaigns.outcomes import book_callback, finish_attempt, start_attempt
from campaigns.withdraw import withdraw_attempt
from dialer import domain_events as de
from dialer import store
from dialer.models import AttemptTransition
from leads.models import Lead
from tests.campaigns.factories import MONDAY_3PM, campaign, leads

TUESDAY_5_15PM = datetime(2026, 11, 24, 16, 15, tzinfo=UTC)


def test_a_withdrawn_callback_dial_leaves_the_lead_as_its_earlier_dial_left_it(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        lead_id = leads(session, cid, 1)[0].id
    with sessions.begin() as session:  # an earlier dial, then a callback booked for Tuesday
        (first,) = claim_leads(session, cid, MONDAY_3PM, 1, "d1")
        earlier = start_attempt(session, first, MONDAY_3PM, "d1", "call-1")
        finish_attempt(session, earlier.id, "no_answer", MONDAY_3PM + timedelta(seconds=40))
        book_callback(session, lead_id, TUESDAY_5_15PM, MONDAY_3PM + timedelta(minutes=1), agent="marie")
    with sessions.begin() as session:
        before = session.execute(select(Lead.attempts, Lead.last_attempt_at, Lead.status, Lead.next_attempt_at)
                                 .where(Lead.id == lead_id)).one()
        (target,) = claim_leads(session, cid, TUESDAY_5_15PM, 1, "d1")
        assert target.callback_id is not None
        attempt = start_attempt(session, target, TUESDAY_5_15PM, "d1", "call-2")
        store.record_transition(session, attempt.id, de.CallTransitioned("call-2", TUESDAY_5_15PM, "created"))
        attempt_id = attempt.id
    with sessions.begin() as session:
        assert withdraw_attempt(session, attempt_id, "d1", target.callback_id)
        assert not withdraw_attempt(session, attempt_id, "d1", target.callback_id)  # once only
    with sessions() as session:
        after = session.execute(select(Lead.attempts, Lead.last_attempt_at, Lead.status, Lead.next_attempt_at)
                                .where(Lead.id == lead_id)).one()
        assert tuple(after) == tuple(before) and after.attempts == 1
        assert session.scalar(select(Lead.claimed_by).where(Lead.id == lead_id)) == ""
        assert session.scalars(select(LeadClaim.lead_id)).all() == []
        assert session.scalars(select(Attempt.action_id)).all() == ["call-1"]
        transitions = select(AttemptTransition.id).where(AttemptTransition.attempt_id == attempt_id)
        assert session.scalars(transitions).all() == []
        assert session.scalar(select(Callback.status).where(Callback.id == target.callback_id)) == "pending"
    with sessions.begin() as session:  # and the hopper gives the callback again
        (again,) = claim_leads(session, cid, TUESDAY_5_15PM, 1, "d1")
        assert (again.lead_id, again.callback_id) == (lead_id, target.callback_id)


def test_a_dialled_attempt_is_never_withdrawn(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        leads(session, cid, 1)
        (target,) = claim_leads(session, cid, MONDAY_3PM, 1, "d1")
        attempt_id = start_attempt(session, target, MONDAY_3PM, "d1", "call-1").id
        finish_attempt(session, attempt_id, "busy", MONDAY_3PM + timedelta(seconds=20))
    with sessions.begin() as session:
        assert not withdraw_attempt(session, attempt_id, "d1")
        assert not withdraw_attempt(session, attempt_id, "another dialer")
    with sessions() as session:
        assert session.scalar(select(Lead.attempts)) == 1
