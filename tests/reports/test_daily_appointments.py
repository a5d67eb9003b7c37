"""The daily RDV e-mail job on SQLite and PostgreSQL: each appointment goes out in exactly one e-mail."""

from __future__ import annotations

import email
import io
from datetime import date, timedelta
from email.policy import default
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns import store
from campaigns.appointment_services import appointments_for_daily_mail, book_appointment
from campaigns.appointments import Appointment
from campaigns.models import Campaign
from dialer.models import AgentRecord
from reports.appointment_pdf import sheets_html
from reports.daily_appointments import KIND, NoRecipients, daily_content, queue_daily_mail, queue_daily_mails
from reports.mailer import FolderTransport, deliver_pending
from reports.outbox import OutboxMessage
from tests.campaigns.appointment_helpers import (
    CONFORM_ANSWERS,
    NOW,
    add_attempt,
    add_lead,
    nth_slot,
    seed_campaign,
    slot,
)

DAY = date(2026, 11, 23)
MAIL_FROM = "Centre <rdv@centre.example>"


def _book(session: Session, campaign: Campaign, n: int, minutes_before: int = 60) -> int:
    lead = add_lead(session, campaign, n)
    attempt = add_attempt(session, lead, NOW - timedelta(minutes=minutes_before + 5))
    return book_appointment(session, attempt_id=attempt.id, slot=nth_slot(25, n), answers=CONFORM_ANSWERS,
                            agent="agent7", now=NOW - timedelta(minutes=minutes_before)).id


def _sheets_per_message(session: Session) -> dict[int, list[int]]:
    carried: dict[int, list[int]] = {}
    for appointment in session.scalars(select(Appointment).order_by(Appointment.id)):
        assert appointment.sent_message_id is not None, appointment.id
        carried.setdefault(appointment.sent_message_id, []).append(appointment.id)
    return carried


def test_each_appointment_goes_out_in_exactly_one_daily_mail_even_when_the_job_runs_twice(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        first = [_book(session, campaign, n) for n in (1, 2)]
    with sessions.begin() as session:
        message = queue_daily_mail(session, campaign.id, DAY, NOW, MAIL_FROM)
        assert message is not None
        first_id = message.id
    with sessions.begin() as session:
        assert queue_daily_mail(session, campaign.id, DAY, NOW + timedelta(minutes=5), MAIL_FROM) is None
    with sessions.begin() as session:
        late = _book(session, campaign, 3, minutes_before=-30)
    with sessions.begin() as session:
        second = queue_daily_mail(session, campaign.id, DAY, NOW + timedelta(hours=1), MAIL_FROM)
        assert second is not None
        second_id = second.id
    with sessions() as session:
        assert _sheets_per_message(session) == {first_id: first, second_id: [late]}
        stored = session.get_one(OutboxMessage, first_id)
        assert (stored.kind, stored.campaign_id, stored.day, stored.status) == (KIND, campaign.id, DAY, "pending")
        assert stored.to == ["rdv@charpentes-martin.fr"]
        states = {a.state for a in session.scalars(select(Appointment))}
        assert states == {"sent_to_client"}


def test_a_failed_mail_job_leaves_the_appointments_for_the_next_one(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session, emails=())
        booked = _book(session, campaign, 1)
    with sessions() as session, session.begin(), pytest.raises(NoRecipients, match="Charpentes Martin"):
        queue_daily_mail(session, campaign.id, DAY, NOW, MAIL_FROM)
    with sessions.begin() as session:
        assert session.get_one(Appointment, booked).state == "taken"
        assert session.scalars(select(OutboxMessage)).all() == []
        session.get_one(Campaign, campaign.id).client.emails = ["rdv@charpentes-martin.fr"]
    with sessions.begin() as session:
        # The next day's job catches it up.
        assert queue_daily_mail(session, campaign.id, DAY + timedelta(days=1), NOW + timedelta(days=1), MAIL_FROM)
        assert session.get_one(Appointment, booked).state == "sent_to_client"


@pytest.mark.parametrize(("setting", "notes"), [("yes", 1), ("no", 0)])
def test_an_empty_day_gets_one_note_unless_the_campaign_turns_it_off(
    sessions: sessionmaker[Session], setting: str, notes: int
) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        campaign.settings = {"send_empty_daily_mail": setting}
        campaign.status = "running"
    for run in range(2):
        with sessions.begin() as session:
            queue_daily_mails(session, DAY, NOW + timedelta(minutes=run), MAIL_FROM)
    with sessions() as session:
        messages = session.scalars(select(OutboxMessage)).all()
        assert len(messages) == notes
        if notes:
            parsed = email.message_from_bytes(messages[0].raw, policy=default)
            assert parsed["Subject"].startswith("Point de la journée du lundi 23 novembre 2026")


def test_a_draft_campaign_sends_no_empty_note(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        campaign.settings = {"send_empty_daily_mail": "yes"}
    with sessions.begin() as session:
        assert queue_daily_mails(session, DAY, NOW, MAIL_FROM) == []


def test_the_stored_daily_mail_is_written_to_the_outbox_folder_with_its_sheets(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        for n in (1, 2, 3):
            _book(session, campaign, n)
        queue_daily_mail(session, campaign.id, DAY, NOW, MAIL_FROM)
    assert deliver_pending(sessions, FolderTransport(tmp_path), NOW).delivered == 1
    (path,) = tmp_path.glob("*.eml")
    assert path.name.startswith("2026-11-23-daily_rdv-")
    parsed = email.message_from_bytes(path.read_bytes(), policy=default)
    assert parsed["From"] == MAIL_FROM
    pdfs = [p.get_content() for p in parsed.iter_attachments() if p.get_content_type() == "application/pdf"]
    reader = PdfReader(io.BytesIO(pdfs[0]))
    assert len(reader.pages) == 3
    text = reader.pages[0].extract_text()
    assert "M. Jean1 Dupont1" in text and "Traditionnelle (bois massif)" in text and "120 m²" in text
    assert "06 12 34 00 01" in text  # as the client dials it, not +33612340001


def test_the_sheets_name_the_agent_never_by_login(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        _book(session, campaign, 1)
        lead = add_lead(session, campaign, 2)
        attempt = add_attempt(session, lead, NOW - timedelta(minutes=65), agent="marie")
        book_appointment(session, attempt_id=attempt.id, slot=slot(25, 15), answers=CONFORM_ANSWERS,
                         agent="marie", now=NOW - timedelta(minutes=60))
        session.add(AgentRecord(login="marie", display_name="Marie Dupuis"))
    with sessions.begin() as session:
        appointments = appointments_for_daily_mail(session, campaign.id, DAY, NOW)
        content = daily_content(session, session.get_one(Campaign, campaign.id), appointments, DAY, MAIL_FROM)
    assert [s.agent for s in content.sheets] == ["téléacteur n° 7", "Marie Dupuis"]
    assert "Rendez-vous pris par Marie Dupuis (appel n°" in sheets_html(content)


def test_an_empty_day_note_says_whether_any_call_was_made(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        campaign.status = "running"
        other = store.create_campaign(session, "Relance Charpente", "Charpentes Martin")
        other.status = "running"
        add_attempt(session, add_lead(session, other, 9), NOW - timedelta(hours=2), outcome="no_answer")
    with sessions.begin() as session:
        queued = queue_daily_mails(session, DAY, NOW, MAIL_FROM)
        bodies = {m.campaign_id: email.message_from_bytes(m.raw, policy=default).get_body(("plain",))
                  for m in queued}
    silent, called = bodies[campaign.id], bodies[other.id]
    assert silent is not None and called is not None
    assert "Aucun appel n'a été passé le lundi 23 novembre 2026" in silent.get_content()
    assert "poursuivent les appels" in called.get_content()
