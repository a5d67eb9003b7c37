"""Two months of a campaign (November and December 2026), seeded so that the review has something to say.

December answers best late in the afternoon, converts best in Gironde and with one of the two agents, loses
many calls at the greeting, hears "already equipped" most, and has a list full of unusable numbers; November
had fewer appointments. Quality control then rules on reported cancellations, with the client's notes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from campaigns.appointment_rules import (
    CANCELLED,
    CANCELLED_BY_CLIENT,
    CONFIRMED,
    FALSE_CANCELLATION,
    SENT_TO_CLIENT,
    VALIDATED,
    VISITED,
    Proof,
)
from campaigns.appointment_services import book_appointment, change_state
from campaigns.models import Campaign
from leads.models import Lead, LeadImport
from tests.campaigns.appointment_helpers import CONFORM_ANSWERS, add_attempt, seed_campaign, visit_days_after

PARIS = ZoneInfo("Europe/Paris")
AREAS = {"33": ("33000", "Bordeaux", 0.30), "24": ("24000", "Périgueux", 0.15), "40": ("40000", "Dax", 0.04)}
AGENTS = {"ana": 1.3, "bruno": 0.6}
REFUSALS = (("already_equipped", 0.5), ("refused", 0.3), ("not_target", 0.2))


@dataclass
class Seeded:
    campaign_id: int
    rdvs_by_month: dict[int, int] = field(default_factory=dict)


def _answer_rate(hour: int, month: int) -> float:
    base = 0.16 if month == 11 else 0.22
    return base + (0.16 if hour >= 17 else 0.0) - (0.10 if hour == 14 else 0.0)


def _leads(session: Session, campaign: Campaign, rng: random.Random) -> list[Lead]:
    gironde = LeadImport(campaign_id=campaign.id, filename="/srv/imports/fichier_gironde.csv", sha256="a" * 64)
    achat = LeadImport(campaign_id=campaign.id, filename="achat_2025.xlsx", sha256="b" * 64)
    session.add_all([gironde, achat])
    session.flush()
    leads = []
    for n in range(1500):
        area = "33" if n % 3 == 0 else ("24" if n % 3 == 1 else "40")
        postcode, city, _rate = AREAS[area]
        lead = Lead(campaign_id=campaign.id, import_id=gironde.id if area == "33" else achat.id,
                    civility="Mme", first_name=f"Claire{n}", last_name=f"Martin{n}", address=f"{n} rue du Port",
                    postcode=postcode, city=city, subdivision=area, phone_e164=f"+3355600{n:04d}",
                    timezone="Europe/Paris")  # fmt: skip
        session.add(lead)
        leads.append(lead)
    session.flush()
    return leads


def _calling_days(month: int) -> list[date]:
    day, days = date(2026, month, 1), []
    while day.month == month:
        if day.weekday() < 5 and day not in (date(2026, 11, 11), date(2026, 12, 25)):
            days.append(day)
        day += timedelta(days=1)
    return days


def _disposition(rng: random.Random, area: str, agent: str, month: int) -> str:
    if rng.random() < 0.4:  # ended at the greeting
        return rng.choice(("objection", "do_not_call", "wrong_number"))
    conversion = AREAS[area][2] * AGENTS[agent] * (0.6 if month == 11 else 1.0)
    if rng.random() < conversion:
        return "rdv"
    pick, total = rng.random(), 0.0
    for code, share in REFUSALS:
        total += share
        if pick < total:
            return code
    return "refused"


def seed_review_months(session: Session, seed: int = 7) -> Seeded:
    """Store the campaign, its leads and two months of calls, appointments and their follow-up."""
    rng = random.Random(seed)
    campaign = seed_campaign(session)
    leads = _leads(session, campaign, rng)
    unusable = {lead.id for lead in leads if lead.subdivision == "40" and rng.random() < 0.7}
    result = Seeded(campaign.id)
    booked: list[tuple[int, datetime]] = []
    for month in (11, 12):
        for day in _calling_days(month):
            for _call in range(70):
                lead = rng.choice(leads)
                if lead.status in ("final", "exhausted"):
                    continue
                hour = rng.choice((10, 11, 12, 14, 15, 16, 17, 18, 19))
                local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=PARIS)
                at = local.astimezone(UTC)
                if lead.id in unusable:
                    add_attempt(session, lead, at, agent="", outcome="invalid", state="ended", ended_at=at)
                    lead.status, lead.last_outcome = "final", "invalid"
                    continue
                if rng.random() >= _answer_rate(hour, month):
                    add_attempt(session, lead, at, agent="", outcome="no_answer", state="ended", ended_at=at)
                    lead.last_outcome = "no_answer"
                    lead.status = "exhausted" if lead.attempts >= 6 else "retry"
                    continue
                agent = rng.choice(tuple(AGENTS))
                code = _disposition(rng, lead.subdivision, agent, month)
                attempt = add_attempt(session, lead, at, agent=agent, outcome="connected", state="ended",
                                      answered_at=at, connected_at=at, ended_at=at + timedelta(minutes=4),
                                      talk_s=float(rng.randrange(60, 400)), wrap_s=30.0, disposition=code)
                lead.status, lead.last_outcome = "final", code
                if code == "rdv":
                    booked.append((_book(session, attempt.id, lead, at, agent, rng), at))
                    result.rdvs_by_month[month] = result.rdvs_by_month.get(month, 0) + 1
    session.flush()
    _follow_up(session, booked, rng)
    return result


def _book(session: Session, attempt_id: int, lead: Lead, at: datetime, agent: str, rng: random.Random) -> int:
    answers = dict(CONFORM_ANSWERS)
    if rng.random() < 0.2:
        answers["decideurs"] = "un_absent"
    appointment = book_appointment(session, slot=visit_days_after(at), answers=answers,
                                   agent=agent, now=at, attempt_id=attempt_id)
    return appointment.id


def _follow_up(session: Session, booked: list[tuple[int, datetime]], rng: random.Random) -> None:
    """Send, visit, report and rule on the appointments, a week after each was set."""
    for number, (appointment_id, at) in enumerate(booked):
        later = at + timedelta(hours=4)
        change_state(session, appointment_id, SENT_TO_CLIENT, by="daily-mail", now=later, note="outbox #1")
        visit = at + timedelta(days=4)
        if number % 5 == 0:
            change_state(session, appointment_id, CANCELLED_BY_CLIENT, by="client", now=visit,
                         note="Prospect absent au rendez-vous, volets fermés.")
            if number % 10 == 0:
                change_state(session, appointment_id, FALSE_CANCELLATION, by="qualite", now=visit + timedelta(days=2),
                             note="Le devis a été signé le lendemain.",
                             proof=Proof("DEV-2026-118", "Devis signé", "devis.pdf"))  # fmt: skip
            else:
                change_state(session, appointment_id, CANCELLED, by="qualite", now=visit + timedelta(days=2))
            continue
        change_state(session, appointment_id, CONFIRMED, by="client", now=later + timedelta(hours=1))
        note = "Très bon accueil, devis en cours." if number % 3 == 0 else ""
        change_state(session, appointment_id, VISITED, by="client", now=visit, note=note)
        change_state(session, appointment_id, VALIDATED, by="qualite", now=visit + timedelta(days=1))
