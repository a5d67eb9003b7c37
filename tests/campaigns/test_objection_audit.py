"""L. 221-16: an objection during a call blocks the number for the client at once, proved in the audit log."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from campaigns.hopper import claim_leads
from campaigns.outcomes import finish_attempt, record_disposition, start_attempt
from config import audit
from leads.models import Lead
from tests.campaigns.factories import MONDAY_3PM, campaign, leads


def test_an_objection_blocks_the_number_for_the_clients_campaigns_and_is_in_the_audit_log(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        first, second = campaign(session, "Toitures"), campaign(session, "Fenêtres")
        leads(session, first.id, 1)
        leads(session, second.id, 1)
    with sessions.begin() as session:
        (target,) = claim_leads(session, first.id, MONDAY_3PM, 1, "d")
        attempt = start_attempt(session, target, MONDAY_3PM, "d", "a1")
        finish_attempt(session, attempt.id, "connected", MONDAY_3PM + timedelta(minutes=2))
        record_disposition(session, attempt.id, "objection", MONDAY_3PM + timedelta(minutes=2, seconds=5), "sophie")
    with sessions.begin() as session:
        assert session.get_one(Lead, target.lead_id).status == "dnc"
        assert claim_leads(session, second.id, MONDAY_3PM + timedelta(minutes=3), 5, "d") == []
        (entry,) = audit.entries(session)
        assert (entry.who, entry.role, entry.action, entry.target) == (
            "sophie", "teleoperator", "objection", f"lead {target.lead_id}")
        assert entry.at == MONDAY_3PM + timedelta(minutes=2, seconds=5)
        assert f"attempt {attempt.id}" in entry.detail and "+33" not in entry.detail
        assert audit.verify(session).breaks == []
