"""Shared setup of the billing tests: a client with a contract, a campaign, and RDVs taken in a week."""

from __future__ import annotations

import copy
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from billing.rules import Week
from billing.services import save_contract
from campaigns import store
from campaigns.appointments import Appointment
from campaigns.models import Campaign, Client
from tests.campaigns.factories import leads

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "billing" / "samples" / "outsourcing-academy.toml"
W49 = Week(2026, 49)
# Tuesday of week 49 at noon in Paris; the run comes on the Monday after.
IN_W49 = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
AFTER_W49 = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
CLIENT = "Charpentes Martin"


def sample_contract(**plan: Any) -> dict[str, Any]:
    raw = tomllib.loads(SAMPLE.read_text(encoding="utf-8"))
    merged = copy.deepcopy(raw)
    merged["plan"].update({k: v for k, v in plan.items() if k != "pricing"})
    merged["plan"]["pricing"].update(plan.get("pricing", {}))
    return merged


def client_with_contract(session: Session, contract: dict[str, Any] | None = None, name: str = CLIENT
                         ) -> tuple[Client, Campaign]:
    client = store.add_client(session, name, ["rdv@charpentes-martin.example"], "Charpentes Martin SARL")
    campaign = store.create_campaign(session, f"RDV {name}", name)
    save_contract(session, client, contract or sample_contract(), IN_W49)
    return client, campaign


def add_rdvs(session: Session, campaign: Campaign, count: int, taken_at: datetime = IN_W49,
             state: str = "sent_to_client", conform: bool = True) -> list[int]:
    made = []
    for lead in leads(session, campaign.id, count, start=_next_start(session)):
        made.append(Appointment(
            campaign_id=campaign.id, lead_id=lead.id, slot_start=taken_at + timedelta(days=3),
            slot_end=taken_at + timedelta(days=3, hours=2), timezone="Europe/Paris", agent="agent7",
            conform=conform, state=state, state_changed_at=taken_at, taken_at=taken_at))
    session.add_all(made)
    session.flush()
    return [a.id for a in made]


_starts = iter(range(0, 10_000_000, 10_000))


def _next_start(_session: Session) -> int:
    return next(_starts)


def set_state(session: Session, appointment_id: int, state: str) -> None:
    appointment = session.get_one(Appointment, appointment_id)
    appointment.state = state
    session.flush()
