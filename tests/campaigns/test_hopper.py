"""The hopper on SQLite and PostgreSQL: who is dialled next, and that a claim is exclusive."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.hopper import claim_leads, release_lead, release_stale_claims
from campaigns.models import Attempt
from campaigns.outcomes import finish_attempt, record_disposition, start_attempt
from leads.models import DoNotCall, Lead
from tests.campaigns.factories import MONDAY_3PM, campaign, leads


def test_claims_each_lead_once_and_releases_it(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        leads(session, cid, 5)
    with sessions.begin() as session:
        first = claim_leads(session, cid, MONDAY_3PM, 3, "dialer-a")
    with sessions.begin() as session:
        second = claim_leads(session, cid, MONDAY_3PM, 3, "dialer-b")
    assert len(first) == 3 and len(second) == 2
    assert not {t.lead_id for t in first} & {t.lead_id for t in second}
    assert all(t.attempt_no == 1 and t.callee_tz == "Europe/Paris" for t in first)
    with sessions.begin() as session:
        assert release_lead(session, first[0].lead_id, "dialer-a")
        assert not release_lead(session, first[1].lead_id, "dialer-b")
    with sessions.begin() as session:
        again = claim_leads(session, cid, MONDAY_3PM, 10, "dialer-c")
    assert [t.lead_id for t in again] == [first[0].lead_id]


def test_never_dials_a_lead_outside_its_local_window(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        paris = leads(session, cid, 2)
        leads(session, cid, 2, start=100, timezone="Indian/Reunion", subdivision="974")
    # 15:00 in Paris is 18:00 in Réunion (callable until 19:00); 18:30 in Paris is 21:30 there.
    with sessions.begin() as session:
        assert len(claim_leads(session, cid, MONDAY_3PM, 10, "d")) == 4
        release_stale_claims(session, MONDAY_3PM + timedelta(seconds=1), MONDAY_3PM)
    with sessions.begin() as session:
        evening = claim_leads(session, cid, MONDAY_3PM + timedelta(hours=3, minutes=30), 10, "d")
    assert sorted(t.lead_id for t in evening) == sorted(lead.id for lead in paris)


def test_skips_leads_without_consent_and_numbers_on_the_do_not_call_list(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        c = campaign(session)
        ok = leads(session, c.id, 1)[0]
        leads(session, c.id, 1, start=10, consent_proof="")
        exempt = leads(session, c.id, 1, start=20, consent_at=None, consent_source="", consent_proof="",
                       contract_exemption=True)[0]
        listed = leads(session, c.id, 1, start=30)[0]
        session.add(DoNotCall(client_id=c.client_id, e164=listed.phone_e164))
    with sessions.begin() as session:
        got = claim_leads(session, c.id, MONDAY_3PM, 10, "d")
    assert sorted(t.lead_id for t in got) == sorted([ok.id, exempt.id])


def test_an_attempt_counts_once_and_reschedules_the_lead(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        leads(session, cid, 1)
    with sessions.begin() as session:
        (target,) = claim_leads(session, cid, MONDAY_3PM, 1, "d")
        attempt = start_attempt(session, target, MONDAY_3PM, "d", "act-1")
        start_attempt(session, target, MONDAY_3PM, "d", "act-1")
    end = MONDAY_3PM + timedelta(seconds=30)
    with sessions.begin() as session:
        finish_attempt(session, attempt.id, "no_answer", end)
        finish_attempt(session, attempt.id, "busy", end)
    with sessions() as session:
        lead = session.get(Lead, target.lead_id)
        assert lead is not None
        assert (lead.attempts, lead.status, lead.last_outcome, lead.claimed_by) == (1, "retry", "no_answer", "")
        assert lead.next_attempt_at is not None and lead.next_attempt_at >= end + timedelta(hours=3)
        assert session.scalar(select(Attempt.outcome).where(Attempt.id == attempt.id)) == "no_answer"


def test_do_not_call_lists_the_number_for_every_campaign_of_the_client(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        first = campaign(session, "Toitures")
        second = campaign(session, "Fenêtres")
        leads(session, first.id, 1)
        twin = leads(session, second.id, 1)[0]
    with sessions.begin() as session:
        (target,) = claim_leads(session, first.id, MONDAY_3PM, 1, "d")
        attempt = start_attempt(session, target, MONDAY_3PM, "d", "a1")
        finish_attempt(session, attempt.id, "connected", MONDAY_3PM + timedelta(minutes=2))
        record_disposition(session, attempt.id, "do_not_call", MONDAY_3PM + timedelta(minutes=3), "agent7")
    with sessions.begin() as session:
        assert session.get(Lead, target.lead_id).status == "dnc"  # type: ignore[union-attr]
        assert claim_leads(session, second.id, MONDAY_3PM + timedelta(minutes=5), 5, "d") == []
        assert twin.phone_e164 == target.phone_e164


def test_a_second_dialer_never_gets_a_lead_the_first_holds_uncommitted(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cid = campaign(session).id
        leads(session, cid, 4)
    first = sessions()
    try:
        first.begin()
        held = claim_leads(first, cid, MONDAY_3PM, 2, "a")
        if first.get_bind().dialect.name == "sqlite":
            # SQLite has one writer: commit before the second dialer can write at all.
            first.commit()
        with sessions.begin() as second:
            other = claim_leads(second, cid, MONDAY_3PM, 4, "b")
    finally:
        first.commit()
        first.close()
    assert len(held) == 2 and len(other) == 2
    assert not {t.lead_id for t in held} & {t.lead_id for t in other}


