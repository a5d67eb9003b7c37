"""An RDV sent to the client, ready for its visit report or dispute (shared by the portal's tests)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from campaigns.appointment_services import book_appointment, mark_sent
from campaigns.models import Campaign
from tests.campaigns.appointment_helpers import CONFORM_ANSWERS, NOW, add_attempt, add_lead, slot

AFTER_VISIT = NOW + timedelta(days=3)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def sent_rdv(session: Session, campaign: Campaign, n: int, *, talk_s: float = 184.0, **lead: Any) -> int:
    """Book an RDV from a call of lead `n` (fields as `add_lead`) and send it to the client; its id."""
    prospect = add_lead(session, campaign, n, **lead)
    attempt = add_attempt(session, prospect, NOW - timedelta(minutes=30), outcome="connected", talk_s=talk_s,
                          connected_at=NOW - timedelta(minutes=29))  # fmt: skip
    booked = book_appointment(session, attempt_id=attempt.id, slot=slot(25, 14), answers=CONFORM_ANSWERS,
                              agent="agent7", now=NOW)  # fmt: skip
    mark_sent(session, [booked.id], message_id=1, now=NOW + timedelta(hours=2))
    return booked.id
