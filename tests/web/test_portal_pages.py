"""The client's portal in process, on SQLite and PostgreSQL: the list and its search, a sheet, a visit report,
a dispute with a file, the supervisor's settlement, and isolation between clients on every route."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.appointment_services import get_appointment
from campaigns.portal_models import DisputeAttachment
from rdv.web.roles import Role, app_routes, rules_of
from reports.outbox import OutboxMessage
from tests.campaigns.portal_helpers import PDF
from tests.web.conftest import client_login
from tests.web.portal_helpers import two_firms


def test_a_client_sees_only_its_own_rdvs_and_can_search_them(
        asgi_client: TestClient, sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]]) -> None:
    mine, other = two_firms(sessions)
    client_login(asgi_client, *make_user("client", client=mine.client))
    page = asgi_client.get("/portal").text
    assert f"RDV-{mine.rdv_id:06d}" in page and f"RDV-{other.rdv_id:06d}" not in page
    assert "Lyon" in page and "Lille" not in page
    assert "Toitures Nord" not in page  # the other client's campaign is not even in the campaign filter
    assert f"RDV-{mine.rdv_id:06d}" not in asgi_client.get("/portal?department=59").text
    assert f"RDV-{mine.rdv_id:06d}" in asgi_client.get("/portal?department=69&conform=yes").text
    assert f"RDV-{mine.rdv_id:06d}" not in asgi_client.get("/portal?state=validated").text
    assert f"RDV-{mine.rdv_id:06d}" not in asgi_client.get("/portal?start=2026-11-24").text
    assert f"RDV-{mine.rdv_id:06d}" in asgi_client.get("/portal?start=2026-11-23&end=2026-11-23").text


def test_the_sheet_shows_the_fields_answers_call_and_history(
        asgi_client: TestClient, sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]]) -> None:
    mine, _other = two_firms(sessions)
    client_login(asgi_client, *make_user("client", client=mine.client))
    page = asgi_client.get(f"/portal/rdv/{mine.rdv_id}").text
    for expected in ("Jean1 Dupont1", "1 rue des Tilleuls", "69003 Lyon", "mercredi 25 novembre 2026",
                     "Êtes-vous propriétaire de votre logement ?", "Appel n° ", "184 s", "non enregistré",
                     "envoyé au client"):
        assert expected in page, expected


def test_a_report_then_a_dispute_with_a_file_then_a_false_cancellation(
        asgi_client: TestClient, sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]]) -> None:
    mine, _other = two_firms(sessions)
    token = client_login(asgi_client, *make_user("client", client=mine.client))
    answer = asgi_client.post(f"/portal/rdv/{mine.rdv_id}/report", data={
        "csrf_token": token, "outcome": "absent", "reason": "nobody_home", "comment": "Volets fermés"})
    assert answer.status_code == 303
    refused = asgi_client.post(f"/portal/rdv/{mine.rdv_id}/disputes", data={
        "csrf_token": token, "ground": "not_conforming", "body": "Pas propriétaire"},
        files={"files": ("preuve.pdf", b"MZ not a pdf", "application/pdf")})
    assert refused.status_code == 422 and "PDF, PNG" in refused.text
    opened = asgi_client.post(f"/portal/rdv/{mine.rdv_id}/disputes", data={
        "csrf_token": token, "ground": "not_conforming", "body": "Pas propriétaire"},
        files={"files": ("attestation.pdf", PDF, "application/pdf")})
    assert opened.status_code == 303
    page = asgi_client.get(f"/portal/rdv/{mine.rdv_id}").text
    assert "Pas propriétaire" in page and "attestation.pdf" in page
    file_id = int(re.search(r'href="/portal/files/(\d+)"', page).group(1))  # type: ignore[union-attr]
    assert asgi_client.get(f"/portal/files/{file_id}").content == PDF

    asgi_client.cookies.clear()
    chef = client_login(asgi_client, *make_user("supervisor"))
    dispute_id = int(re.search(r'href="/disputes/(\d+)"', asgi_client.get("/disputes").text).group(1))  # type: ignore[union-attr]
    no_proof = asgi_client.post(f"/disputes/{dispute_id}/settle", data={
        "csrf_token": chef, "decision": "false_cancellation", "reason": "Bon de visite signé"})
    assert no_proof.status_code == 422 and "preuve" in no_proof.text
    settled = asgi_client.post(f"/disputes/{dispute_id}/settle", data={
        "csrf_token": chef, "decision": "false_cancellation", "reason": "Bon de visite signé", "reference": "BV-118"},
        files={"proof": ("bon.pdf", PDF, "application/pdf")})
    assert settled.status_code == 303
    with sessions() as session:
        appointment = get_appointment(session, mine.rdv_id)
        assert (appointment.state, appointment.proof_reference, appointment.proof_file_name) == (
            "false_cancellation", "BV-118", "bon.pdf")
        assert [e.to_state for e in appointment.events][-2:] == ["cancelled_by_client", "false_cancellation"]


def test_every_client_route_answers_404_for_another_clients_ids(
        web_app: FastAPI, asgi_client: TestClient, sessions: sessionmaker[Session],
        make_user: Callable[..., tuple[str, str]]) -> None:
    mine, other = two_firms(sessions)
    # The other client's RDV has a dispute with a file, so that every kind of id exists.
    token = client_login(asgi_client, *make_user("client", client=other.client))
    asgi_client.post(f"/portal/rdv/{other.rdv_id}/disputes", data={"csrf_token": token, "ground": "duplicate",
                     "body": "Doublon"}, files={"files": ("a.pdf", PDF, "application/pdf")})  # fmt: skip
    with sessions() as session:
        attachment = session.query(DisputeAttachment).one()
        mail = session.scalars(select(OutboxMessage).where(OutboxMessage.campaign_id == other.campaign_id)).one()
        ids = {"appointment_id": other.rdv_id, "dispute_id": attachment.message_id, "attachment_id": attachment.id,
               "message_id": mail.id, "index": 0, "campaign_id": other.campaign_id}
    asgi_client.cookies.clear()
    token = client_login(asgi_client, *make_user("client", client=mine.client))
    checked = []
    for route in app_routes(web_app):
        rules = rules_of(route)
        if not rules or Role.client not in rules[0].roles or "{" not in route.path:
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), route.path)
        for method in sorted(route.methods - {"HEAD"}):
            answer = asgi_client.request(method, path, headers={"x-csrf-token": token, "accept": "text/html"})
            checked.append((method, route.path, answer.status_code))
    assert checked and all(status == 404 for *_, status in checked), checked
    assert {p for _m, p, _s in checked} >= {"/portal/rdv/{appointment_id}", "/portal/files/{attachment_id}",
                                             "/portal/disputes/{dispute_id}/messages",
                                             "/portal/downloads/{message_id}/{index}",
                                             "/portal/calls/{campaign_id}"}  # fmt: skip


def test_the_client_downloads_its_own_mails_files_and_call_log(
        asgi_client: TestClient, sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]]) -> None:
    mine, other = two_firms(sessions)
    client_login(asgi_client, *make_user("client", client=mine.client))
    page = asgi_client.get("/portal/downloads").text
    assert f"RDV_{mine.campaign_id}.pdf" in page and f"RDV_{other.campaign_id}.pdf" not in page
    link = re.search(r'href="(/portal/downloads/\d+/0)"', page).group(1)  # type: ignore[union-attr]
    assert asgi_client.get(link).content == f"RDV de {mine.client}".encode()
    log = asgi_client.get(f"/portal/calls/{mine.campaign_id}")
    assert log.status_code == 200 and log.content.startswith(b"PK")
    assert "attachment" in log.headers["content-disposition"]
