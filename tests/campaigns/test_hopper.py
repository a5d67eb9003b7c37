"""The hopper on SQLite and PostgreSQL: who is dialled next, and that a claim is exclusive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.hopper import claim_leads, release_stale_claims
from campaigns.journal import release_lead
from campaigns.models import Attempt, Campaign
from campaigns.outcomes import finish_attempt, record_disposition, start_attempt
from campaigns.services import campaign_conflicts, set_aside_leads_without_consent, start_campaign
from leads.consent_store import record_consent
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




def test_fills_a_batch_with_the_campaign_s_share_of_fresh_leads_then_tops_it_up_with_retries(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        cid = campaign(session, settings={"hopper_fresh_share": "50%"}).id
        # Seven retries due, oldest first, and one not due yet; three fresh leads, the last one a priority.
        due = [leads(session, cid, 1, start=i, status="retry", next_attempt_at=MONDAY_3PM - timedelta(hours=9 - i),
                     attempts=1)[0] for i in range(7)]
        leads(session, cid, 1, start=7, status="retry", next_attempt_at=MONDAY_3PM + timedelta(hours=1), attempts=1)
        fresh = leads(session, cid, 3, start=20)
        fresh[2].priority = 1
    with sessions.begin() as session:
        # 5 × 50 % = 2.5 fresh leads, rounded half to even: 2 fresh, 3 retries.
        first = claim_leads(session, cid, MONDAY_3PM, 5, "d")
    with sessions.begin() as session:
        # Two retries, the last fresh lead, then one more retry for the fresh lead that was missing.
        second = claim_leads(session, cid, MONDAY_3PM, 4, "d")
    assert [t.lead_id for t in first] == [due[0].id, due[1].id, due[2].id, fresh[2].id, fresh[0].id]
    assert [t.lead_id for t in second] == [due[3].id, due[4].id, due[5].id, fresh[1].id]
    assert [t.attempt_no for t in first] == [2, 2, 2, 1, 1]


def test_leads_without_consent_are_set_aside_at_start_and_come_back_once_it_is_recorded(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        made = campaign(session)
        ok = leads(session, made.id, 1)[0]
        missing = leads(session, made.id, 1, start=10, consent_proof="")[0]
        exempt = leads(session, made.id, 1, start=20, consent_at=None, consent_source="", consent_proof="",
                       contract_exemption=True)[0]
        cid, name = made.id, made.name
    with sessions.begin() as session:
        start_campaign(session, name, MONDAY_3PM)
        assert set_aside_leads_without_consent(session, cid, MONDAY_3PM) == (0, 0)  # already done
    with sessions.begin() as session:
        statuses = dict(session.execute(select(Lead.id, Lead.status)).all())
        assert statuses == {ok.id: "new", missing.id: "no_consent", exempt.id: "new"}
        conflicts = campaign_conflicts(session, session.get_one(Campaign, cid), MONDAY_3PM)
        assert [c.code for c in conflicts if c.code == "consent"] == ["consent"]
        assert len(claim_leads(session, cid, MONDAY_3PM, 10, "d")) == 2
    with sessions.begin() as session:
        record_consent(session, [missing.id], datetime(2026, 9, 1, tzinfo=UTC), "web form", "proof-0002", "test",
                       MONDAY_3PM, session.get_one(Campaign, cid).client_id)
    with sessions.begin() as session:
        assert set_aside_leads_without_consent(session, cid, MONDAY_3PM) == (0, 1)
        assert [t.lead_id for t in claim_leads(session, cid, MONDAY_3PM, 10, "d")] == [missing.id]
