"""Visit reports on SQLite and PostgreSQL: append-only, and moving the RDV through the CLI's lifecycle."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from campaigns.appointment_rules import CANCELLED_BY_CLIENT, VISITED, IllegalTransition
from campaigns.appointment_services import book_appointment, get_appointment
from campaigns.visit_reports import ABSENT, HONOURED_SALE, InvalidReport, report_visit, reports_of, steps_for
from tests.campaigns.appointment_helpers import CONFORM_ANSWERS, NOW, add_lead, seed_campaign, slot
from tests.campaigns.portal_helpers import AFTER_VISIT, sent_rdv


def test_a_chute_moves_the_rdv_to_cancelled_by_client_and_keeps_who_and_when(
        sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        rdv_id = sent_rdv(session, seed_campaign(session), 1)
        report_visit(session, rdv_id, ABSENT, "nobody_home", comment=" Volets fermés ", by="client1",
                     now=AFTER_VISIT)  # fmt: skip
    with sessions() as session:
        appointment = get_appointment(session, rdv_id)
        assert appointment.state == CANCELLED_BY_CLIENT
        assert [(e.to_state, e.by, e.at) for e in appointment.events][-1] == (CANCELLED_BY_CLIENT, "client1",
                                                                            AFTER_VISIT)  # fmt: skip
        [report] = reports_of(session, rdv_id)
        assert (report.outcome, report.reason, report.comment, report.by, report.at) == (
            ABSENT, "nobody_home", "Volets fermés", "client1", AFTER_VISIT)


def test_a_correction_is_a_new_report_and_the_first_stays(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        rdv_id = sent_rdv(session, seed_campaign(session), 1)
        report_visit(session, rdv_id, HONOURED_SALE, "signed", by="client1", now=AFTER_VISIT)
        report_visit(session, rdv_id, ABSENT, "wrong_address", by="client2", now=AFTER_VISIT + timedelta(hours=1))
    with sessions() as session:
        assert [(r.outcome, r.by) for r in reports_of(session, rdv_id)] == [(HONOURED_SALE, "client1"),
                                                                             (ABSENT, "client2")]  # fmt: skip
        states = [e.to_state for e in get_appointment(session, rdv_id).events]
        assert states == ["taken", "sent_to_client", "confirmed", VISITED, CANCELLED_BY_CLIENT]


def test_a_report_the_lifecycle_refuses_stores_nothing(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        campaign = seed_campaign(session)
        taken = book_appointment(session, lead_id=add_lead(session, campaign, 1).id, slot=slot(25, 14),
                                 answers=CONFORM_ANSWERS, agent="agent7", now=NOW).id  # fmt: skip
    with pytest.raises(IllegalTransition), sessions.begin() as session:
        report_visit(session, taken, HONOURED_SALE, "signed", by="client1", now=AFTER_VISIT)
    with sessions() as session:
        assert reports_of(session, taken) == []
        assert get_appointment(session, taken).state == "taken"


@pytest.mark.parametrize(("outcome", "reason", "comment", "field"), [
    ("teleported", "signed", "", "outcome"), (ABSENT, "signed", "", "reason"), (ABSENT, "other", "  ", "comment")])
def test_an_outcome_or_reason_off_the_list_is_refused(outcome: str, reason: str, comment: str, field: str,
                                                       sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        rdv_id = sent_rdv(session, seed_campaign(session), 1)
    with pytest.raises(InvalidReport) as raised, sessions.begin() as session:
        report_visit(session, rdv_id, outcome, reason, comment=comment, by="client1", now=AFTER_VISIT)
    assert raised.value.field == field


def test_an_honoured_visit_walks_the_lifecycle_step_by_step() -> None:
    assert steps_for(HONOURED_SALE, "sent_to_client") == ["confirmed", VISITED]
    assert steps_for(HONOURED_SALE, VISITED) == []
    assert steps_for(ABSENT, CANCELLED_BY_CLIENT) == []
    with pytest.raises(IllegalTransition):
        steps_for(ABSENT, "validated")
