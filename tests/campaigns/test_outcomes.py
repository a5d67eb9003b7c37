"""Attempts and dispositions applied to leads, personal callbacks and the cap, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.claimer import DialTarget
from campaigns.errors import CallbackRefused
from campaigns.hopper import claim_leads, release_stale_claims
from campaigns.models import Attempt, Callback, LeadClaim
from campaigns.outcomes import book_callback, finish_attempt, record_disposition, start_attempt
from campaigns.services import lead_details
from leads.models import Lead
from tests.campaigns.factories import MONDAY_3PM, campaign, leads

TUESDAY_5_15PM = datetime(2026, 11, 24, 16, 15, tzinfo=UTC)


def dial(sessions: sessionmaker[Session], campaign_id: int, now: datetime, outcome: str, action: str,
         dialer: str = "d") -> DialTarget:
    with sessions.begin() as session:
        (target,) = claim_leads(session, campaign_id, now, 1, dialer)
        attempt = start_attempt(session, target, now, dialer, action)
        finish_attempt(session, attempt.id, outcome, now + timedelta(seconds=30))
    return target


def test_a_lead_is_exhausted_after_its_last_attempt(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cid = campaign(session, profile="fr-business", settings={"max_attempts": "2"}).id
        leads(session, cid, 1)
    dial(sessions, cid, MONDAY_3PM, "busy", "a1")
    dial(sessions, cid, MONDAY_3PM + timedelta(minutes=20), "busy", "a2")
    with sessions() as session:
        lead = session.scalars(select(Lead)).one()
        assert (lead.status, lead.attempts, lead.next_attempt_at) == ("exhausted", 2, None)
        assert claim_leads(session, cid, MONDAY_3PM + timedelta(days=1), 5, "d") == []


def test_an_invalid_number_is_final_at_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        leads(session, cid, 1)
    dial(sessions, cid, MONDAY_3PM, "invalid", "a1")
    with sessions() as session:
        assert session.scalars(select(Lead.status)).one() == "final"


def test_a_personal_callback_goes_first_to_its_agent_then_to_anyone(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        leads(session, cid, 3)
    with sessions.begin() as session:
        target = claim_leads(session, cid, MONDAY_3PM, 1, "d")[0]
        attempt = start_attempt(session, target, MONDAY_3PM, "d", "a1")
        finish_attempt(session, attempt.id, "connected", MONDAY_3PM + timedelta(minutes=3))
        record_disposition(session, attempt.id, "callback", MONDAY_3PM + timedelta(minutes=4), "marie",
                           callback_at=TUESDAY_5_15PM, note="rappeler après 17h")
    with sessions.begin() as session:
        early = claim_leads(session, cid, TUESDAY_5_15PM - timedelta(minutes=1), 5, "d")
        assert target.lead_id not in {t.lead_id for t in early}
        release_stale_claims(session, TUESDAY_5_15PM, TUESDAY_5_15PM)
    with sessions.begin() as session:
        first = claim_leads(session, cid, TUESDAY_5_15PM, 5, "d")
        assert (first[0].lead_id, first[0].preferred_agent) == (target.lead_id, "marie")
        assert first[0].callback_id is not None and first[0].attempt_no == 2
        session.rollback()
    with sessions.begin() as session:
        late = claim_leads(session, cid, TUESDAY_5_15PM + timedelta(minutes=11), 1, "d")
        assert (late[0].lead_id, late[0].preferred_agent) == (target.lead_id, "")


def test_a_callback_in_its_grace_period_is_left_unclaimed_while_its_agent_is_not_ready(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        lead_id = leads(session, cid, 3)[0].id
        book_callback(session, lead_id, TUESDAY_5_15PM, MONDAY_3PM, agent="marie")
    with sessions.begin() as session:
        # Marie on a call: the line goes to the leads behind her callback, which stays free for later.
        others = claim_leads(session, cid, TUESDAY_5_15PM, 1, "d", ready_agents={"paul"})
        assert [t.lead_id for t in others] != [lead_id] and len(others) == 1
        session.rollback()
    with sessions.begin() as session:
        hers = claim_leads(session, cid, TUESDAY_5_15PM, 1, "d", ready_agents={"paul", "marie"})
        assert [(t.lead_id, t.preferred_agent) for t in hers] == [(lead_id, "marie")]
        session.rollback()
    with sessions.begin() as session:
        anyone = claim_leads(session, cid, TUESDAY_5_15PM + timedelta(minutes=10), 1, "d", ready_agents=set())
        assert [(t.lead_id, t.preferred_agent) for t in anyone] == [(lead_id, "")]


def test_a_callback_at_a_forbidden_time_is_refused_with_the_reason(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RDV_LANG", "en")
    with sessions.begin() as session:
        cid = campaign(session).id
        lead_id = leads(session, cid, 1)[0].id
    with sessions.begin() as session:
        with pytest.raises(CallbackRefused, match=r"21:00 \(Europe/Paris\) is outside the allowed calling windows"):
            book_callback(session, lead_id, datetime(2026, 11, 24, 20, 0, tzinfo=UTC), MONDAY_3PM)
        with pytest.raises(CallbackRefused, match="Friday, 25 December 2026 is a public holiday"):
            book_callback(session, lead_id, datetime(2026, 12, 25, 10, 0, tzinfo=UTC), MONDAY_3PM)
        with pytest.raises(CallbackRefused, match="not in the future"):
            book_callback(session, lead_id, MONDAY_3PM - timedelta(hours=1), MONDAY_3PM)
        callback = book_callback(session, lead_id, TUESDAY_5_15PM, MONDAY_3PM, agent="marie")
        assert session.get(Lead, lead_id).status == "callback"  # type: ignore[union-attr]
        assert callback.due_at == TUESDAY_5_15PM


def test_the_client_s_other_campaigns_count_towards_four_calls_in_thirty_days(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        first = campaign(session, "Toitures").id
        second = campaign(session, "Fenêtres").id
        leads(session, first, 1)
        twin = leads(session, second, 1)[0]  # same number, same client
    for i in range(4):
        dial(sessions, first, MONDAY_3PM + timedelta(minutes=20 * i), "busy", f"a{i}")
    with sessions.begin() as session:
        assert claim_leads(session, second, MONDAY_3PM + timedelta(hours=1, minutes=30), 5, "d") == []
    with sessions() as session:
        held = session.get(Lead, twin.id)
        assert held is not None and held.claimed_by == "" and held.next_attempt_at == MONDAY_3PM + timedelta(days=30)


def test_finishing_or_qualifying_twice_changes_nothing_more(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        leads(session, cid, 1)
    with sessions.begin() as session:
        (target,) = claim_leads(session, cid, MONDAY_3PM, 1, "d")
        attempt = start_attempt(session, target, MONDAY_3PM, "d", "a1")
        record_disposition(session, attempt.id, "rdv", MONDAY_3PM + timedelta(minutes=5), "marie")
        finish_attempt(session, attempt.id, "connected", MONDAY_3PM + timedelta(minutes=6))
        finish_attempt(session, attempt.id, "connected", MONDAY_3PM + timedelta(minutes=7))
        record_disposition(session, attempt.id, "rdv", MONDAY_3PM + timedelta(minutes=8), "marie")
    with sessions() as session:
        lead = session.get(Lead, target.lead_id)
        assert lead is not None and (lead.status, lead.attempts, lead.last_outcome) == ("final", 1, "rdv")
        assert session.scalars(select(Attempt.ended_at)).one() == MONDAY_3PM + timedelta(minutes=6)
        details = lead_details(session, lead.id, MONDAY_3PM + timedelta(hours=1))
        assert (details.next_at, details.reason) == (None, "final")


def test_a_crashed_dialer_s_claims_are_released(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        leads(session, cid, 2)
    with sessions.begin() as session:
        assert len(claim_leads(session, cid, MONDAY_3PM, 2, "crashed")) == 2
    with sessions.begin() as session:
        assert claim_leads(session, cid, MONDAY_3PM + timedelta(minutes=1), 2, "other") == []
        assert release_stale_claims(session, MONDAY_3PM - timedelta(minutes=1), MONDAY_3PM) == 0
        assert release_stale_claims(session, MONDAY_3PM + timedelta(minutes=1), MONDAY_3PM) == 2
    with sessions.begin() as session:
        assert len(claim_leads(session, cid, MONDAY_3PM + timedelta(minutes=2), 2, "other")) == 2
    with sessions() as session:
        assert session.scalars(select(Callback)).all() == []


def test_releasing_one_dead_dialer_s_claims_leaves_the_other_dialer_s_alone(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        leads(session, cid, 4)
    with sessions.begin() as session:
        dead = claim_leads(session, cid, MONDAY_3PM, 2, "dead")
        alive = claim_leads(session, cid, MONDAY_3PM, 2, "alive")
        attempts = {t.lead_id: start_attempt(session, t, MONDAY_3PM, d, f"a{t.lead_id}").id
                    for d, ts in (("dead", dead), ("alive", alive)) for t in ts}  # fmt: skip
    later = MONDAY_3PM + timedelta(minutes=10)
    with sessions.begin() as session:
        assert release_stale_claims(session, later, later, dialer_id="dead") == 2
        assert release_stale_claims(session, later, later, dialer_id="dead") == 0
    with sessions() as session:
        held = dict(session.execute(select(Lead.id, Lead.claimed_by)).all())
        assert {held[t.lead_id] for t in dead} == {""} and {held[t.lead_id] for t in alive} == {"alive"}
        outcomes = dict(session.execute(select(Attempt.id, Attempt.outcome)).all())
        assert {outcomes[attempts[t.lead_id]] for t in dead} == {"failed"}
        assert {outcomes[attempts[t.lead_id]] for t in alive} == {""}
        # The live dialer's journal rows stay: a later sweep still finds its claims.
        assert sorted(session.scalars(select(LeadClaim.lead_id))) == sorted(t.lead_id for t in alive)


def test_a_stale_claim_with_a_live_attempt_ends_it_as_failed_and_reschedules(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        leads(session, cid, 1)
    with sessions.begin() as session:
        (target,) = claim_leads(session, cid, MONDAY_3PM, 1, "crashed")
        attempt = start_attempt(session, target, MONDAY_3PM, "crashed", "a1")
    later = MONDAY_3PM + timedelta(minutes=10)
    with sessions.begin() as session:
        assert release_stale_claims(session, later - timedelta(minutes=5), later) == 1
    with sessions.begin() as session:
        finish_attempt(session, attempt.id, "connected", later + timedelta(minutes=1))  # the late event: ignored
    with sessions() as session:
        lead = session.get(Lead, target.lead_id)
        assert lead is not None and (lead.status, lead.claimed_by, lead.attempts) == ("retry", "", 1)
        assert lead.next_attempt_at == MONDAY_3PM + timedelta(minutes=30)  # delays count from the dial
        assert session.scalars(select(Attempt.outcome)).one() == "failed"
