"""Shared setup of the RDV-sheet tests: a client, the Charpente campaign with its script, leads and calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from campaigns import store
from campaigns.appointment_rules import TimeSlot
from campaigns.models import Attempt, Campaign
from campaigns.script_store import load_script_file
from campaigns.visit_slots import DEFAULT_VISITS, offer_slots
from leads.models import Lead

SAMPLE = Path(__file__).resolve().parents[2] / "campaigns" / "samples" / "charpente.toml"
PARIS = ZoneInfo("Europe/Paris")
# A Monday of the test calendar: 2026-11-23, mail day; visits later that week.
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)

CONFORM_ANSWERS: dict[str, Any] = {
    "proprietaire": True,
    "type_logement": "maison_individuelle",
    "age_toiture": "25_50",
    "type_charpente": "traditionnelle",
    "couverture": "tuiles_mecaniques",
    "problemes": ["infiltrations", "mousses"],
    "surface_toiture": 120,
    "decideurs": "tous_presents",
    "horizon": "moins_3_mois",
    "acces": "Portail vert, sonner deux fois",
}


def seed_campaign(session: Session, emails: tuple[str, ...] = ("rdv@charpentes-martin.fr",)) -> Campaign:
    """The client, the campaign and its sample script."""
    store.add_client(session, "Charpentes Martin", list(emails))
    campaign = store.create_campaign(session, "Prise de RDV Charpente", "Charpentes Martin")
    load_script_file(session, campaign.id, SAMPLE, "superviseur", NOW - timedelta(days=7))
    return campaign


def add_lead(session: Session, campaign: Campaign, n: int, **fields: Any) -> Lead:
    values: dict[str, Any] = {
        "civility": "M.", "first_name": f"Jean{n}", "last_name": f"Dupont{n}",
        "address": f"{n} rue des Tilleuls", "postcode": "69003", "city": "Lyon",
        "phone_e164": f"+3361234{n:04d}", "timezone": "Europe/Paris",
    }
    values.update(fields)
    lead = Lead(campaign_id=campaign.id, **values)
    session.add(lead)
    session.flush()
    return lead


def add_attempt(session: Session, lead: Lead, started: datetime, agent: str = "agent7", **fields: Any) -> Attempt:
    attempt = Attempt(
        campaign_id=lead.campaign_id, lead_id=lead.id, attempt_no=lead.attempts + 1, phone_e164=lead.phone_e164,
        callee_tz=lead.timezone, action_id=f"a-{lead.id}-{started.timestamp()}", created_at=started,
        agent=agent, **fields,
    )
    lead.attempts += 1
    session.add(attempt)
    session.flush()
    return attempt


# The starts of the sample script's two-hour visit slots (`[visits]`: 09:00-12:00, 14:00-19:00, one an hour).
VISIT_STARTS = (9, 10, 14, 15, 16, 17)


def slot(day: int, hour: int, minutes: int = 120) -> TimeSlot:
    """A visit slot on 2026-11-<day> at <hour>:00 Paris time."""
    start = datetime(2026, 11, day, hour, 0, tzinfo=PARIS)
    return TimeSlot(start, start + timedelta(minutes=minutes))


def nth_slot(day: int, n: int) -> TimeSlot:
    """The n-th visit slot the sample script offers on 2026-11-<day> (round the day's slots)."""
    return slot(day, VISIT_STARTS[n % len(VISIT_STARTS)])


def visit_days_after(at: datetime, days: int = 3, hour: int = 10) -> TimeSlot:
    """The sample script's <hour>:00 visit slot on the first day it visits, `days` or more days after `at`."""
    wanted = (at + timedelta(days=days)).astimezone(PARIS).date()
    offered = offer_slots(DEFAULT_VISITS, "Europe/Paris", at)
    for day in offered:
        if day.day >= wanted:
            return next(s for s in day.slots if s.start.hour == hour)
    raise LookupError(f"no visit day {days} days after {at}")
