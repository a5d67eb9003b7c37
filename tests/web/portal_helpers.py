"""Two clients with one campaign, one sent RDV and one daily e-mail each, for the portal's page and isolation tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy.orm import Session, sessionmaker

from campaigns import store
from campaigns.script_store import load_script_file
from reports.outbox import store_message
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
        for firm in (first, second):
            mail = EmailMessage()
            mail["From"], mail["To"], mail["Subject"] = "rdv@centre.fr", "rdv@client.fr", f"RDV {firm.client}"
            mail.set_content("Bonjour,")
            mail.add_attachment(f"RDV de {firm.client}".encode(), maintype="application", subtype="pdf",
                                filename=f"RDV_{firm.campaign_id}.pdf")
            store_message(session, mail, kind="daily_rdv", now=NOW, campaign_id=firm.campaign_id, day=NOW.date())
    return first, second
