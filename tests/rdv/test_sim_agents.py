"""Simulated agents book what a teleoperator could book on the agent screen: visit slots the client accepts
in the prospect's own zone and calendar, callbacks at moments the callee may be called."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import literal, select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.appointments import Appointment
from campaigns.models import Callback
from leads.consent_store import records_from_columns
from leads.models import Lead
from rdv.sim_agents import CallSummary, SimulatedQualification
from tests.campaigns.appointment_helpers import VISIT_STARTS, add_attempt, add_lead, seed_campaign

PARIS = ZoneInfo("Europe/Paris")
# Wednesday 23 December 2026, 15:00 in Paris: Christmas on Friday, Saint-Étienne (a holiday in Moselle) on Saturday.
ENDED = datetime(2026, 12, 23, 15, 0, tzinfo=PARIS)
CONSENT = datetime(2026, 9, 1, tzinfo=UTC)
PLACES = {"lyon": ("Europe/Paris", "FR", "69"), "metz": ("Europe/Paris", "FR", "57"),
          "fort-de-france": ("America/Martinique", "FR", "972")}  # fmt: skip


def test_simulated_rdvs_and_callbacks_fall_where_the_prospects_calendar_allows(
        sessions: sessionmaker[Session]) -> None:
    agents = SimulatedQualification(sessions, seed=11, logins=["sim1"])
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        calls = []
        for n in range(240):
            zone, country, subdivision = PLACES[sorted(PLACES)[n % 3]]
            lead = add_lead(session, campaign, n, timezone=zone, country=country, subdivision=subdivision,
                            consent_at=CONSENT, consent_source="formulaire web", consent_proof=f"CGU-{n}")
            attempt = add_attempt(session, lead, ENDED - timedelta(minutes=5), agent="sim1")
            calls.append(CallSummary(attempt.id, lead.id, campaign.id, "sim1", 180.0, ENDED))
        records_from_columns(session, Lead.campaign_id == campaign.id, literal(campaign.client_id), "test", CONSENT)
    codes = [agents.qualify(call)[0] for call in calls]

    assert agents.refused_by_rules == 0  # no RDV or callback had to be turned into a refusal
    assert codes.count("rdv") >= 10 and codes.count("callback") >= 10
    with sessions() as session:
        booked = session.execute(select(Appointment, Lead).join(Lead, Lead.id == Appointment.lead_id)).all()
        called_back = session.execute(select(Callback, Lead).join(Lead, Lead.id == Callback.lead_id)).all()
    assert len(booked) == codes.count("rdv") and len(called_back) == codes.count("callback")
    for appointment, lead in booked:
        local = appointment.slot_start.astimezone(ZoneInfo(lead.timezone))
        assert local.hour in VISIT_STARTS and local.minute == 0, (lead.subdivision, local)
        assert local.date() not in (date(2026, 12, 25), date(2026, 12, 27)), local  # Christmas, a Sunday
        assert not (lead.subdivision == "57" and local.date() == date(2026, 12, 26)), local
    for callback, lead in called_back:
        assert callback.agent == "sim1"
        local = callback.due_at.astimezone(ZoneInfo(lead.timezone))
        assert local.date() > ENDED.astimezone(ZoneInfo(lead.timezone)).date()
        assert local.weekday() < 5 and local.date() != date(2026, 12, 25), local
        assert 10 <= local.hour < 19, local
