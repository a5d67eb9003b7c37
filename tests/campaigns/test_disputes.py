"""Disputes on SQLite and PostgreSQL: the thread, files checked by content, and settlements that move the RDV."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from campaigns.appointment_rules import CANCELLED, FALSE_CANCELLATION, ProofRequired
from campaigns.appointment_services import get_appointment
from campaigns.disputes import (
    ACCEPTED,
    REFUSED,
    DisputeClosed,
    InvalidAttachment,
    InvalidDispute,
    add_message,
    disputes_of,
    get_dispute,
    media_type_of,
    open_dispute,
    settle,
    store_file,
)
from campaigns.visit_reports import ABSENT, report_visit
from tests.campaigns.appointment_helpers import seed_campaign
from tests.campaigns.portal_helpers import AFTER_VISIT, PDF, sent_rdv

LATER = AFTER_VISIT + timedelta(days=1)


def test_a_file_is_stored_once_by_its_checksum(tmp_path: Path) -> None:
    first = store_file(tmp_path, "C:\\scans\\bon.pdf", PDF)
    again = store_file(tmp_path, "copie.pdf", PDF)
    assert first.sha256 == again.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (first.file_name, first.media_type, first.size) == ("bon.pdf", "application/pdf", len(PDF))
    assert (tmp_path / first.path).read_bytes() == PDF
    assert [p.name for p in (tmp_path / "disputes").rglob("*") if p.is_file()] == [first.sha256]


@pytest.mark.parametrize("data", [b"", b"MZ\x90\x00 an executable named .pdf", b"x" * (5 * 1024 * 1024 + 1)])
def test_a_file_is_judged_by_its_content_and_size(data: bytes) -> None:
    with pytest.raises(InvalidAttachment):
        media_type_of("preuve.pdf", data)
    assert media_type_of("photo.bin", b"\xff\xd8\xff\xe0rest") == "image/jpeg"


def test_the_thread_keeps_every_message_and_a_false_cancellation_needs_its_proof(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    proof = store_file(tmp_path, "bon-de-visite.pdf", PDF)
    with sessions.begin() as session:
        rdv_id = sent_rdv(session, seed_campaign(session), 1)
        report_visit(session, rdv_id, ABSENT, "nobody_home", by="client1", now=AFTER_VISIT)
        dispute_id = open_dispute(session, rdv_id, "not_conforming", "Le prospect n'était pas propriétaire.",
                                  by="client1", now=AFTER_VISIT, files=[proof]).id  # fmt: skip
        add_message(session, dispute_id, "Nous écoutons l'enregistrement.", by="chef", role="supervisor",
                    now=LATER)  # fmt: skip
    with pytest.raises(ProofRequired), sessions.begin() as session:
        settle(session, dispute_id, FALSE_CANCELLATION, "Visite faite", by="chef", now=LATER)
    with sessions.begin() as session:
        settle(session, dispute_id, FALSE_CANCELLATION, "Le commercial a signé le bon de visite", by="chef",
               now=LATER, proof_reference="BV-2026-118", proof_file=proof)  # fmt: skip
    with sessions() as session:
        dispute = get_dispute(session, dispute_id)
        assert (dispute.status, dispute.decided_by, dispute.decided_at) == (FALSE_CANCELLATION, "chef", LATER)
        assert [(m.role, m.author) for m in dispute.messages] == [("client", "client1"), ("supervisor", "chef"),
                                                                   ("supervisor", "chef")]  # fmt: skip
        assert dispute.messages[0].attachments[0].sha256 == proof.sha256
        appointment = get_appointment(session, rdv_id)
        assert appointment.state == FALSE_CANCELLATION
        assert (appointment.proof_reference, appointment.proof_file_name) == ("BV-2026-118", "bon-de-visite.pdf")
        assert appointment.events[-1].by == "chef"


def test_an_accepted_dispute_cancels_the_rdv_and_a_refused_one_leaves_it(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        accepted, refused = sent_rdv(session, campaign, 1), sent_rdv(session, campaign, 2)
        for rdv_id in (accepted, refused):
            open_dispute(session, rdv_id, "duplicate", "Doublon", by="client1", now=AFTER_VISIT)
    with sessions.begin() as session:
        settle(session, disputes_of(session, accepted)[0].id, ACCEPTED, "Doublon confirmé", by="chef", now=LATER)
        settle(session, disputes_of(session, refused)[0].id, REFUSED, "Adresses différentes", by="chef", now=LATER)
    with sessions() as session:
        assert get_appointment(session, accepted).state == CANCELLED
        assert get_appointment(session, refused).state == "sent_to_client"
        with pytest.raises(DisputeClosed):
            add_message(session, disputes_of(session, refused)[0].id, "Encore ?", by="client1", role="client",
                        now=LATER)  # fmt: skip


def test_one_open_dispute_per_rdv_and_no_empty_message(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        rdv_id = sent_rdv(session, seed_campaign(session), 1)
        open_dispute(session, rdv_id, "wrong_address", "Adresse fausse", by="client1", now=AFTER_VISIT)
        with pytest.raises(DisputeClosed):
            open_dispute(session, rdv_id, "duplicate", "Doublon", by="client1", now=AFTER_VISIT)
        with pytest.raises(InvalidDispute):
            open_dispute(session, rdv_id, "because", "x", by="client1", now=AFTER_VISIT)
