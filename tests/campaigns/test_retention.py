"""Retention per client: prospects anonymised years after the last contact, call records and RDV sheets when the
contract says; statistics kept, nothing that identifies left; other clients untouched. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns import store
from campaigns.appointments import Appointment, AppointmentEvent
from campaigns.models import Attempt, Callback
from campaigns.retention import Retention, apply_retention, departement, set_retention, years_before
from leads.dnc import HashedOptOut, digest
from leads.models import DoNotCall, Lead, LeadPhone
from tests.campaigns.appointment_helpers import NOW, add_attempt, add_lead, seed_campaign

OLD = years_before(NOW, 4)
KEY = "clé-de-test"


def _history(session: Session, lead: Lead) -> None:
    attempt = add_attempt(session, lead, OLD, outcome="connected", disposition="rdv", talk_s=95.0,
                          channel=f"Local/{lead.phone_e164}@rdv-outbound-0001;1")
    lead.last_attempt_at = OLD
    session.add(LeadPhone(lead_id=lead.id, campaign_id=lead.campaign_id, e164=lead.phone_e164, rank=0))
    session.add(Callback(campaign_id=lead.campaign_id, lead_id=lead.id, due_at=OLD, agent="agent7",
                         note=f"rappeler {lead.first_name} le soir", status="done", created_at=OLD))
    appointment = Appointment(campaign_id=lead.campaign_id, lead_id=lead.id, attempt_id=attempt.id, slot_start=OLD,
                              slot_end=OLD + timedelta(hours=2), timezone="Europe/Paris", address=lead.address,
                              postcode=lead.postcode, city=lead.city, answers={"acces": "Portail vert"},
                              comments="Chien méchant", agent="agent7", state="taken", state_changed_at=OLD,
                              taken_at=OLD)
    appointment.events.append(AppointmentEvent(from_state="", to_state="taken", at=OLD, by="agent7",
                                               note=f"M. {lead.last_name} confirme"))
    session.add(appointment)
    session.flush()


def test_prospects_are_anonymised_after_their_years_and_records_when_the_contract_says(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        store.add_client(session, "Autre", [])
        other = store.create_campaign(session, "Autre campagne", "Autre")
        old = add_lead(session, campaign, 1, email="jean1@example.fr", custom={"Note": "veuf"}, status="retry")
        _history(session, old)
        recent = add_lead(session, campaign, 2, last_attempt_at=NOW - timedelta(days=300))
        kept = add_lead(session, other, 3)
        _history(session, kept)
        set_retention(session, campaign.client_id, Retention(prospect_years=3, records_years=5))
        set_retention(session, other.client_id, Retention(prospect_years=5))
        ids = old.id, recent.id, kept.id
    with sessions.begin() as session:
        reports = {r.client: (r.leads, r.calls, r.appointments) for r in apply_retention(session, NOW, KEY)}
    assert reports == {"Charpentes Martin": (1, 0, 0), "Autre": (0, 0, 0)}
    with sessions() as session:
        lead = session.get_one(Lead, ids[0])
        assert (lead.last_name, lead.first_name, lead.civility, lead.address, lead.city, lead.email,
                lead.phone_e164, lead.custom) == ("", "", "", "", "", "", "", {})
        assert (lead.postcode, lead.status, lead.attempts) == ("69", "exhausted", 1)
        assert session.scalars(select(LeadPhone).where(LeadPhone.lead_id == ids[0])).all() == []
        assert session.scalars(select(Callback.note).where(Callback.lead_id == ids[0])).one() == ""
        # Within the contract's five years: the call record and the RDV sheet are still whole.
        assert session.scalars(select(Attempt.phone_e164).where(Attempt.lead_id == ids[0])).one() != ""
        assert session.scalars(select(Appointment.address).where(Appointment.lead_id == ids[0])).one() != ""
        assert session.get_one(Lead, ids[1]).last_name == "Dupont2"
        assert session.get_one(Lead, ids[2]).last_name == "Dupont3"
    later = NOW + timedelta(days=366)
    with sessions.begin() as session:
        reports = {r.client: (r.leads, r.calls, r.appointments) for r in apply_retention(session, later, KEY)}
    # Five years have now passed for both: Martin's records and Autre's prospect (and its records) go.
    assert reports == {"Charpentes Martin": (0, 1, 1), "Autre": (1, 1, 1)}
    with sessions.begin() as session:
        attempt = session.scalars(select(Attempt).where(Attempt.lead_id == ids[0])).one()
        assert (attempt.phone_e164, attempt.channel) == ("", "")
        assert (attempt.outcome, attempt.disposition, attempt.talk_s, attempt.created_at) == (
            "connected", "rdv", 95.0, OLD)
        sheet = session.scalars(select(Appointment).where(Appointment.lead_id == ids[0])).one()
        assert (sheet.address, sheet.city, sheet.answers, sheet.comments, sheet.postcode) == ("", "", {}, "", "69")
        assert (sheet.state, sheet.agent, sheet.taken_at) == ("taken", "agent7", OLD)
        assert [e.note for e in sheet.events] == [""]
        assert [r.leads + r.calls + r.appointments for r in apply_retention(session, later, KEY)] == [0, 0]


def test_a_do_not_call_number_no_lead_holds_any_more_is_kept_only_as_its_keyed_hash(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        client_id = campaign.client_id
        other = store.create_campaign(session, "Autre campagne", store.add_client(session, "Autre", []).name)
        objected = add_lead(session, campaign, 1)  # objected during a call, long ago: anonymised now
        _history(session, objected)
        twin = add_lead(session, other, 5, phone_e164=objected.phone_e164)  # the same number, at another client
        session.add(LeadPhone(lead_id=twin.id, campaign_id=other.id, e164=twin.phone_e164, rank=0))
        held = add_lead(session, campaign, 2, last_attempt_at=NOW - timedelta(days=30))  # recent: kept
        session.add(LeadPhone(lead_id=held.id, campaign_id=campaign.id, e164=held.phone_e164, rank=0))
        numbers = objected.phone_e164, held.phone_e164, "+33699000001"
        session.add_all([DoNotCall(client_id=client_id, e164=numbers[0], reason="objection"),
                         DoNotCall(client_id=client_id, e164=numbers[1], reason="objection"),
                         DoNotCall(client_id=None, e164=numbers[2], reason="demande écrite"),  # of no lead
                         DoNotCall(client_id=None, e164=numbers[0], reason="demande écrite")])  # the twin's
        session.add(HashedOptOut(client_id=client_id, digest=digest(numbers[0], KEY), reason="liste", added_at=OLD))
    with sessions.begin() as session:
        reports = {r.client: (r.leads, r.numbers_hashed) for r in apply_retention(session, NOW, KEY)}
    assert reports == {"Charpentes Martin": (1, 1), "Autre": (0, 0), "tout le centre": (0, 1)}
    with sessions() as session:
        clear = {(row.client_id, row.e164) for row in session.scalars(select(DoNotCall))}
        # Still held by a lead: the recent one of Martin, the other client's twin for the centre's list.
        assert clear == {(client_id, numbers[1]), (None, numbers[0])}
        hashed = {(row.client_id, row.digest, row.reason) for row in session.scalars(select(HashedOptOut))}
        assert hashed == {(client_id, digest(numbers[0], KEY), "liste"),  # already there: not twice
                          (None, digest(numbers[2], KEY), "demande écrite")}
    with sessions.begin() as session:
        assert [r.numbers_hashed for r in apply_retention(session, NOW, KEY)] == [0, 0]


def test_the_departement_of_a_postcode() -> None:
    assert [departement(p) for p in ("35000", " 69003", "97200", "2A004", "")] == ["35", "69", "972", "2A", ""]
