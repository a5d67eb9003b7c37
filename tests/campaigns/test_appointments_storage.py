"""RDV sheets stored on SQLite and PostgreSQL: booking, history of states, and what the daily mail picks up."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from campaigns.appointment_rules import (
    CANCELLED_BY_CLIENT,
    CONFIRMED,
    FALSE_CANCELLATION,
    IllegalTransition,
    InvalidSlot,
    Proof,
    ProofRequired,
    TimeSlot,
)
from campaigns.appointment_services import (
    appointments_for_daily_mail,
    book_appointment,
    change_state,
    get_appointment,
    mark_sent,
)
from campaigns.errors import AppointmentExists, AttemptNotFound, ScriptNotLoaded
from campaigns.script import InvalidAnswer
from campaigns.script_store import current_script, load_script_file, script_version
from tests.campaigns.appointment_helpers import (
    CONFORM_ANSWERS,
    NOW,
    SAMPLE,
    add_attempt,
    add_lead,
    nth_slot,
    seed_campaign,
    slot,
)


def test_booking_from_a_call_keeps_the_sheet_the_verdict_and_its_history(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        lead = add_lead(session, campaign, 1)
        attempt = add_attempt(session, lead, NOW - timedelta(minutes=10))
        answers = {**CONFORM_ANSWERS, "decideurs": "un_absent"}
        booked = book_appointment(
            session, attempt_id=attempt.id, slot=slot(25, 14), answers=answers, agent="agent7",
            comments="  Préfère être appelé avant la visite  ", now=NOW,
        )
        appointment_id, attempt_id = booked.id, attempt.id
    with sessions() as session:
        stored = get_appointment(session, appointment_id)
        assert (stored.lead_id, stored.attempt_id) == (lead.id, attempt_id)
        assert (stored.agent, stored.state) == ("agent7", "taken")
        assert stored.slot_start == slot(25, 14).start and stored.timezone == "Europe/Paris"
        assert (stored.address, stored.postcode, stored.city) == ("1 rue des Tilleuls", "69003", "Lyon")
        assert stored.answers["decideurs"] == "un_absent" and stored.answers["surface_toiture"] == 120
        assert stored.comments == "Préfère être appelé avant la visite"
        assert not stored.conform
        assert stored.unmet_criteria == ["Tous les décideurs seront présents lors de la visite"]
        assert stored.script_version == 1
        assert [(e.from_state, e.to_state, e.by, e.at) for e in stored.events] == [("", "taken", "agent7", NOW)]


def test_a_call_gives_one_appointment_at_most(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        attempt = add_attempt(session, add_lead(session, campaign, 1), NOW)
        book_appointment(session, attempt_id=attempt.id, slot=slot(25, 14), answers=CONFORM_ANSWERS,
                         agent="agent7", now=NOW)
    with sessions() as session, pytest.raises(AppointmentExists, match=f"L'appel {attempt.id}"):
        book_appointment(session, attempt_id=attempt.id, slot=slot(26, 10), answers=CONFORM_ANSWERS,
                         agent="agent7", now=NOW)


def test_bad_sheets_are_refused_and_nothing_is_stored(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        lead_id = add_lead(session, campaign, 1).id
    with sessions() as session:
        with pytest.raises(InvalidAnswer, match="surface_toiture"):
            book_appointment(session, lead_id=lead_id, slot=slot(25, 14), agent="a",
                             answers={**CONFORM_ANSWERS, "surface_toiture": "beaucoup"}, now=NOW)
        with pytest.raises(AttemptNotFound, match="999"):
            book_appointment(session, attempt_id=999, slot=slot(25, 14), answers=CONFORM_ANSWERS, agent="a", now=NOW)
    with sessions() as session:
        assert appointments_for_daily_mail(session, campaign.id, date(2026, 11, 23), NOW) == []


@pytest.mark.parametrize(("visit", "why"), [
    (slot(25, 11), "pas un des créneaux de visite du client"),  # 11:00-13:00 runs into the lunch break
    (slot(29, 14), "le client ne se déplace pas ce jour-là"),  # a Sunday
    (slot(24, 9), "délai de prévenance"),  # NOW is Monday 23, 16:00 in Paris: a day of notice
])
def test_a_slot_the_client_does_not_accept_is_refused_whoever_books_it(
        sessions: sessionmaker[Session], visit: TimeSlot, why: str) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        lead_id = add_lead(session, campaign, 1).id
    with sessions() as session, pytest.raises(InvalidSlot, match=why):
        book_appointment(session, lead_id=lead_id, slot=visit, answers=CONFORM_ANSWERS, agent="a", now=NOW)
    with sessions() as session:
        assert appointments_for_daily_mail(session, campaign.id, date(2026, 11, 23), NOW) == []


def test_a_campaign_without_a_script_cannot_take_appointments(sessions: sessionmaker[Session]) -> None:
    from campaigns import store

    with sessions.begin() as session:
        store.add_client(session, "Acme", [])
        campaign = store.create_campaign(session, "Sans script", "Acme")
        lead_id = add_lead(session, campaign, 1).id
    with sessions() as session, pytest.raises(ScriptNotLoaded, match="Sans script"):
        book_appointment(session, lead_id=lead_id, slot=slot(25, 14), answers=CONFORM_ANSWERS, agent="a", now=NOW)


def test_each_load_of_a_script_is_a_new_version(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        second = load_script_file(session, campaign.id, SAMPLE, "superviseur", NOW)
    with sessions() as session:
        loaded = current_script(session, campaign.id)
        assert loaded is not None and loaded[0] == second.version == 2
        assert loaded[1].name == "Prise de RDV Charpente"
        assert script_version(session, campaign.id, 1) == loaded[1]
        assert script_version(session, campaign.id, 3) is None


def test_every_change_of_state_is_kept_with_time_and_author(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        booked = book_appointment(session, lead_id=add_lead(session, campaign, 1).id, slot=slot(25, 14),
                                  answers=CONFORM_ANSWERS, agent="agent7", now=NOW)
        mark_sent(session, [booked.id], message_id=41, now=NOW + timedelta(hours=5))
    with sessions.begin() as session:
        change_state(session, booked.id, CONFIRMED, by="client", now=NOW + timedelta(days=1))
        change_state(session, booked.id, CANCELLED_BY_CLIENT, by="client", now=NOW + timedelta(days=3),
                     note="Prospect absent selon le commercial")
    with sessions() as session, pytest.raises(ProofRequired):
        change_state(session, booked.id, FALSE_CANCELLATION, by="qualite", now=NOW + timedelta(days=4))
    proof = Proof("QC-118", "Le prospect confirme avoir reçu le commercial", "qc-118.wav")
    with sessions.begin() as session:
        change_state(session, booked.id, FALSE_CANCELLATION, by="qualite", now=NOW + timedelta(days=4), proof=proof)
    with sessions() as session:
        stored = get_appointment(session, booked.id)
        assert (stored.state, stored.sent_message_id, stored.sent_at) == (
            "false_cancellation", 41, NOW + timedelta(hours=5))
        assert (stored.proof_reference, stored.proof_file_name) == ("QC-118", "qc-118.wav")
        assert [(e.to_state, e.by) for e in stored.events] == [
            ("taken", "agent7"), ("sent_to_client", "daily-mail"), ("confirmed", "client"),
            ("cancelled_by_client", "client"), ("false_cancellation", "qualite")]
        assert stored.events[3].note == "Prospect absent selon le commercial"
        assert stored.events[-1].at == NOW + timedelta(days=4)


def test_the_daily_mail_picks_unsent_appointments_of_the_day_and_before(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        ids = {}
        # Taken: the day before (never sent), that day, after `now`, the next day (Paris midnight = 23:00 UTC).
        for n, taken in enumerate([NOW - timedelta(days=1), NOW - timedelta(hours=2), NOW + timedelta(hours=1),
                                   NOW + timedelta(hours=8, minutes=30)]):
            ids[n] = book_appointment(session, lead_id=add_lead(session, campaign, n).id, slot=nth_slot(27, n),
                                      answers=CONFORM_ANSWERS, agent="agent7", now=taken).id
        sent_before = book_appointment(session, lead_id=add_lead(session, campaign, 9).id, slot=slot(27, 16),
                                       answers=CONFORM_ANSWERS, agent="agent7", now=NOW - timedelta(hours=3))
        mark_sent(session, [sent_before.id], message_id=1, now=NOW - timedelta(hours=3))
    with sessions() as session:
        day = date(2026, 11, 23)
        assert [a.id for a in appointments_for_daily_mail(session, campaign.id, day, NOW)] == [ids[0], ids[1]]
        late = NOW + timedelta(hours=12)
        assert [a.id for a in appointments_for_daily_mail(session, campaign.id, day, late)] == [ids[0], ids[1], ids[2]]


def test_an_appointment_is_marked_sent_once_only(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        booked = book_appointment(session, lead_id=add_lead(session, campaign, 1).id, slot=slot(25, 14),
                                  answers=CONFORM_ANSWERS, agent="agent7", now=NOW)
        mark_sent(session, [booked.id], message_id=1, now=NOW)
    with sessions() as session, pytest.raises(IllegalTransition, match="sent_to_client"):
        mark_sent(session, [booked.id], message_id=2, now=NOW)
