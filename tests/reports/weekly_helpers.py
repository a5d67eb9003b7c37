"""A campaign with two weeks of calls and appointments, for the weekly dashboard tests."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from campaigns.appointment_services import book_appointment
from campaigns.models import Campaign
from tests.campaigns.appointment_helpers import (
    CONFORM_ANSWERS,
    add_attempt,
    add_lead,
    seed_campaign,
    visit_days_after,
)

# The week of Monday 7 December 2026 and the week before it.
MONDAY = date(2026, 12, 7)
PREVIOUS_MONDAY = date(2026, 11, 30)
OUTCOMES = ("no_answer", "no_answer", "busy", "machine", "connected", "connected", "dropped")
DISPOSITIONS = ("rdv", "refused", "refused", "not_target", "callback", "wrong_number", "already_equipped")
DEPARTEMENTS = (("69003", "69", "Lyon"), ("33000", "33", "Bordeaux"), ("2A004", "2A", "Ajaccio"))


def seed_weeks(session: Session, calls_per_day: int = 12, seed: int = 7) -> Campaign:
    """Calls Monday to Friday of both weeks between 10:00 and 18:00 Paris, RDVs from some connected calls."""
    rng = random.Random(seed)
    campaign = seed_campaign(session)
    n = 0
    for monday in (PREVIOUS_MONDAY, MONDAY):
        for day in range(5):
            for _ in range(calls_per_day):
                n += 1
                postcode, departement, city = DEPARTEMENTS[n % len(DEPARTEMENTS)]
                lead = add_lead(session, campaign, n, postcode=postcode, subdivision=departement, city=city,
                                phone_e164=f"+33612{n:06d}", status="retry")  # fmt: skip
                at = datetime.combine(monday + timedelta(days=day), datetime.min.time(), UTC) + timedelta(
                    hours=9 + rng.randrange(8), minutes=rng.randrange(60))
                _call(session, campaign, lead, at, rng)
    return campaign


def _call(session: Session, campaign: Campaign, lead, at: datetime, rng: random.Random) -> None:
    outcome = rng.choice(OUTCOMES)
    human = outcome in ("connected", "dropped")
    disposition = rng.choice(DISPOSITIONS) if outcome == "connected" else ""
    talk = float(rng.randrange(60, 400)) if outcome == "connected" else None
    attempt = add_attempt(session, lead, at, agent="agent1" if outcome == "connected" else "", outcome=outcome,
                          state="ended", originated_at=at, answered_at=at + timedelta(seconds=15) if human else None,
                          connected_at=at + timedelta(seconds=16) if outcome == "connected" else None,
                          ended_at=at + timedelta(seconds=16 + (talk or 20)), talk_s=talk,
                          wrap_s=20.0 if talk else None, disposition=disposition)  # fmt: skip
    lead.last_outcome = outcome
    if disposition in ("rdv", "refused", "not_target", "wrong_number", "already_equipped"):
        lead.status = "final"
    if disposition == "rdv":
        book_appointment(session, attempt_id=attempt.id, slot=visit_days_after(at),
                         answers=CONFORM_ANSWERS, agent="agent1", now=at + timedelta(seconds=16 + (talk or 0)))
