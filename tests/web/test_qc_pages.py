"""The supervisor's RDV quality control in process, on SQLite and PostgreSQL: the day's queue, a sheet with its
answers, unmet criteria and recording, validating, sending back to the agent (who sees it on their screen),
the after-visit list, and the refusals."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.appointment_services import book_appointment, get_appointment, mark_sent
from campaigns.models import Campaign
from campaigns.quality_control import AppointmentReview
from campaigns.visit_reports import report_visit
from dialer.call_models import Recording
from dialer.recordings import recording_path
from dialer.simulator.control import write_recording
from tests.campaigns.appointment_helpers import CONFORM_ANSWERS, NOW, add_attempt, add_lead, seed_campaign, slot
from tests.web.conftest import client_login

DAY = "2026-11-23"


def _taken(session: Session, campaign: Campaign, n: int, **answers: object) -> int:
    prospect = add_lead(session, campaign, n)
    attempt = add_attempt(session, prospect, NOW - timedelta(minutes=30), outcome="connected", talk_s=95.0,
                          connected_at=NOW - timedelta(minutes=29))  # fmt: skip
    booked = book_appointment(session, attempt_id=attempt.id, slot=slot(25, 14),
                              answers={**CONFORM_ANSWERS, **answers}, agent="agent7", now=NOW)  # fmt: skip
    return booked.id


def _seed(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    """Two sheets taken on Monday 23 November (one not conforming) and one taken the week before."""
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        first = _taken(session, campaign, 1)
        second = _taken(session, campaign, 2, proprietaire=False)
        old = _taken(session, campaign, 3)
        get_appointment(session, old).taken_at = NOW - timedelta(days=7)
    return first, second, old


def test_the_queue_lists_the_days_sheets_not_yet_checked(
        asgi_client: TestClient, sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]]) -> None:
    first, second, old = _seed(sessions)
    client_login(asgi_client, *make_user("supervisor"))
    page = asgi_client.get(f"/qc?day={DAY}").text
    assert f"RDV-{first:06d}" in page and f"RDV-{second:06d}" in page and f"RDV-{old:06d}" not in page
    assert "1 critère non rempli" in page and "Contrôle qualité" in page
    assert f"RDV-{old:06d}" in asgi_client.get("/qc?day=2026-11-16").text
    assert asgi_client.get("/qc?day=lundi").status_code == 422


def _record(sessions: sessionmaker[Session], data_dir: Path, appointment_id: int) -> tuple[int, bytes]:
    """A 1-second recording of the sheet's call, as the dialer stores it; the call's id and the file's bytes."""
    with sessions.begin() as session:
        appointment = get_appointment(session, appointment_id)
        assert appointment.attempt_id is not None
        path = recording_path(data_dir, appointment.campaign_id, f"qc-{appointment_id}", NOW)
        write_recording(str(path), 1.0)
        data = path.read_bytes()
        session.add(Recording(attempt_id=appointment.attempt_id, campaign_id=appointment.campaign_id,
                              path=str(path.relative_to(data_dir)), duration_s=1.0, size_bytes=len(data),
                              sha256=hashlib.sha256(data).hexdigest(), recorded_at=NOW,
                              delete_after=NOW + timedelta(days=30)))  # fmt: skip
        return appointment.attempt_id, data


def test_a_sheet_shows_answers_unmet_criteria_and_the_recorded_call(
        asgi_client: TestClient, sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]],
        tmp_path: Path) -> None:
    first, second, _old = _seed(sessions)
    attempt_id, data = _record(sessions, tmp_path, first)
    client_login(asgi_client, *make_user("supervisor"))
    page = asgi_client.get(f"/qc/rdv/{second}").text
    for expected in ("Êtes-vous propriétaire de votre logement ?", "Critères non respectés", "Appel n° ", "95 s",
                     "pas été enregistré", "Valider", "Renvoyer au téléacteur"):
        assert expected in page, expected
    recorded = asgi_client.get(f"/qc/rdv/{first}").text
    assert f'<audio controls preload="metadata" src="/calls/{attempt_id}/recording"' in recorded
    assert "Critères non respectés" not in recorded
    assert asgi_client.get(f"/calls/{attempt_id}/recording").content == data  # the call page's own route
    assert asgi_client.get("/qc/rdv/999999").status_code == 404


def test_validating_keeps_who_and_when_and_leaves_the_queue(
        asgi_client: TestClient, sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]]) -> None:
    first, second, _old = _seed(sessions)
    login, password = make_user("supervisor")
    token = client_login(asgi_client, login, password)
    answer = asgi_client.post(f"/qc/rdv/{first}/validate", data={"note": "RAS", "csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"] == f"/qc?day={DAY}&done=validated"
    page = asgi_client.get(f"/qc?day={DAY}&done=validated").text
    assert "Rendez-vous validé." in page
    assert f"RDV-{first:06d}" not in page and f"RDV-{second:06d}" in page
    with sessions() as session:
        review = session.scalars(select(AppointmentReview).where(AppointmentReview.appointment_id == first)).one()
        assert (review.decision, review.by, review.note, review.agent) == ("validated", login, "RAS", "agent7")
        assert review.at is not None
        assert get_appointment(session, first).state == "taken"  # still goes out in the daily e-mail
    assert "Contrôle qualité : validé" in asgi_client.get(f"/qc/rdv/{first}").text
    again = asgi_client.post(f"/qc/rdv/{first}/send-back", data={"note": "x", "csrf_token": token})
    assert again.status_code == 303  # validated and still taken: quality control may change its mind


def test_sending_back_needs_a_note_moves_the_sheet_and_reaches_the_agent(
        asgi_client: TestClient, sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]]) -> None:
    _first, second, _old = _seed(sessions)
    login, password = make_user("supervisor")
    token = client_login(asgi_client, login, password)
    empty = asgi_client.post(f"/qc/rdv/{second}/send-back", data={"note": " ", "csrf_token": token})
    assert empty.status_code == 422 and "la note est obligatoire" in empty.text
    answer = asgi_client.post(f"/qc/rdv/{second}/send-back",
                              data={"note": "Vérifier le propriétaire", "csrf_token": token})  # fmt: skip
    assert answer.status_code == 303
    with sessions() as session:
        appointment = get_appointment(session, second)
        assert appointment.state == "returned_to_agent"
        event = appointment.events[-1]
        assert (event.from_state, event.to_state, event.by, event.note) == (
            "taken", "returned_to_agent", login, "Vérifier le propriétaire")
    assert f"RDV-{second:06d}" not in asgi_client.get(f"/qc?day={DAY}").text
    refused = asgi_client.post(f"/qc/rdv/{second}/validate", data={"csrf_token": token})
    assert refused.status_code == 422 and "Seule une fiche en attente" in refused.text
    agent = TestClient(asgi_client.app, follow_redirects=False)
    client_login(agent, *make_user("teleoperator", login="agent7"))
    screen = agent.get("/agent").text
    assert "Renvoyés par le contrôle qualité" in screen and "Vérifier le propriétaire" in screen
    assert f"RDV-{second:06d}" in screen


def test_a_sheet_already_sent_to_the_client_can_be_validated_not_sent_back(
        asgi_client: TestClient, sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]]) -> None:
    first, _second, _old = _seed(sessions)
    with sessions.begin() as session:
        mark_sent(session, [first], message_id=1, now=NOW + timedelta(hours=2))
    token = client_login(asgi_client, *make_user("supervisor"))
    refused = asgi_client.post(f"/qc/rdv/{first}/send-back", data={"note": "trop tard", "csrf_token": token})
    assert refused.status_code == 422 and "pas encore envoyée au client" in refused.text
    with sessions() as session:
        assert get_appointment(session, first).state == "sent_to_client"
        assert session.scalars(select(AppointmentReview)).all() == []
    assert asgi_client.post(f"/qc/rdv/{first}/validate", data={"csrf_token": token}).status_code == 303


def test_the_clients_reports_wait_after_the_visit_with_a_link_to_the_dispute(
        asgi_client: TestClient, sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]]) -> None:
    first, _second, _old = _seed(sessions)
    with sessions.begin() as session:
        mark_sent(session, [first], message_id=1, now=NOW + timedelta(hours=2))
        report_visit(session, first, "absent", "nobody_home", comment="Personne", by="client1",
                     now=NOW + timedelta(days=3))  # fmt: skip
    client_login(asgi_client, *make_user("supervisor"))
    page = asgi_client.get(f"/qc?day={DAY}").text
    after = page[page.index("qc-after"):]
    assert f"RDV-{first:06d}" in after and "Personne" in after and "client1" in after
    assert "aucune contestation ouverte" in after
