"""A "fausse chute" on the web needs its proof and keeps who decided, on SQLite and PostgreSQL: a reference
alone or a file alone is refused and changes nothing; with both, the file is stored under its SHA-256 and the
dispute, the RDV's history and the quality-control page name the supervisor."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.appointment_services import get_appointment
from campaigns.disputes import open_dispute
from campaigns.portal_models import Dispute, DisputeAttachment
from campaigns.visit_reports import report_visit
from tests.campaigns.portal_helpers import AFTER_VISIT, PDF
from tests.web.conftest import client_login
from tests.web.portal_helpers import two_firms


def _disputed(sessions: sessionmaker[Session]) -> tuple[int, int]:
    mine, _other = two_firms(sessions)
    with sessions.begin() as session:
        report_visit(session, mine.rdv_id, "absent", "nobody_home", by="client1", now=AFTER_VISIT)
        dispute = open_dispute(session, mine.rdv_id, "not_conforming", "Pas propriétaire", by="client1",
                               now=AFTER_VISIT + timedelta(hours=1))  # fmt: skip
        return mine.rdv_id, dispute.id


def test_a_false_cancellation_needs_a_proof_and_its_reason_and_names_who_decided(
        asgi_client: TestClient, sessions: sessionmaker[Session], make_user: Callable[..., tuple[str, str]],
        tmp_path: Path) -> None:
    rdv_id, dispute_id = _disputed(sessions)
    login, password = make_user("supervisor")
    token = client_login(asgi_client, login, password)
    assert f"/disputes/{dispute_id}" in asgi_client.get("/qc").text  # listed after the visit, linked
    settle = {"csrf_token": token, "decision": "false_cancellation", "reason": "Bon de visite signé"}
    no_proof = asgi_client.post(f"/disputes/{dispute_id}/settle", data=settle)
    no_reason = asgi_client.post(f"/disputes/{dispute_id}/settle", data={**settle, "reason": " ", "reference": "BV"})
    assert no_proof.status_code == 422 and "une référence ou un fichier" in no_proof.text
    assert no_reason.status_code == 422
    with sessions() as session:
        assert get_appointment(session, rdv_id).state == "cancelled_by_client"
        assert session.get_one(Dispute, dispute_id).status == "open"

    settled = asgi_client.post(f"/disputes/{dispute_id}/settle", data={**settle, "reference": "BV-118"},
                               files={"proof": ("bon.pdf", PDF, "application/pdf")})  # fmt: skip
    assert settled.status_code == 303
    with sessions() as session:
        dispute = session.get_one(Dispute, dispute_id)
        assert (dispute.status, dispute.decided_by) == ("false_cancellation", login) and dispute.decided_at
        appointment = get_appointment(session, rdv_id)
        assert (appointment.state, appointment.events[-1].by) == ("false_cancellation", login)
        assert (appointment.proof_reference, appointment.proof_file_name) == ("BV-118", "bon.pdf")
        proof = session.scalars(select(DisputeAttachment).where(DisputeAttachment.file_name == "bon.pdf")).one()
        assert proof.sha256 == hashlib.sha256(PDF).hexdigest()
        assert (tmp_path / proof.path).read_bytes() == PDF
    page = asgi_client.get(f"/qc/rdv/{rdv_id}").text
    assert "fausse chute" in page and login in page
    assert f"/disputes/{dispute_id}" not in asgi_client.get("/qc").text  # settled: out of the after-visit list
