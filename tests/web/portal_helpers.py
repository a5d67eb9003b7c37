"""Two clients with one campaign and one sent RDV each, for the portal's page and isolation tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from campaigns import store
from campaigns.script_store import load_script_file
from tests.campaigns.appointment_helpers import NOW, SAMPLE, seed_campaign
from tests.campaigns.portal_helpers import sent_rdv


@dataclass(frozen=True)
class Firm:
    client: str
    campaign_id: int
    rdv_id: int


def two_firms(sessions: sessionmaker[Session]) -> tuple[Firm, Firm]:
    """"Charpentes Martin" (RDV of lead 1, Lyon 69003) and "Toitures Durand" (lead 2, Lille 59000)."""
    with sessions.begin() as session:
        mine = seed_campaign(session)
        store.add_client(session, "Toitures Durand", ["rdv@toitures-durand.fr"])
        other = store.create_campaign(session, "Toitures Nord", "Toitures Durand")
        load_script_file(session, other.id, SAMPLE, "superviseur", NOW - timedelta(days=7))
        first = Firm("Charpentes Martin", mine.id, sent_rdv(session, mine, 1))
        second = Firm("Toitures Durand", other.id, sent_rdv(session, other, 2, postcode="59000", city="Lille"))
    return first, second
