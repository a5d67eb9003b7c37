"""Small builders for campaign tests: a client, a campaign and leads with proven consent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import literal
from sqlalchemy.orm import Session

from campaigns import store
from campaigns.models import Campaign
from leads.consent_store import records_from_columns
from leads.models import Lead

# Monday 23 November 2026, 15:00 in Paris: inside every default window.
MONDAY_3PM = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
CONSENT = {
    "consent_at": datetime(2026, 9, 1, tzinfo=UTC),
    "consent_source": "web form example.fr",
    "consent_proof": "proof-0001",
}


def campaign(session: Session, name: str = "Toitures", profile: str = "fr-consumer",
             settings: dict[str, Any] | None = None, client: str = "Acme") -> Campaign:
    try:
        store.get_client(session, client)
    except LookupError:
        store.add_client(session, client, [])
    created = store.create_campaign(session, name, client, profile)
    created.settings = settings or {}
    session.flush()
    return created


def leads(session: Session, campaign_id: int, count: int, start: int = 0, **fields: Any) -> list[Lead]:
    values = {**CONSENT, **fields}
    made = [
        Lead(campaign_id=campaign_id, phone_e164=f"+3361{start + i:07d}", **values)
        for i in range(count)
    ]
    session.add_all(made)
    session.flush()
    # The gate reads consent records: the import makes them of a file's columns, and so does this.
    client_id = session.get_one(Campaign, campaign_id).client_id
    records_from_columns(session, Lead.id.in_([lead.id for lead in made]), literal(client_id), "test", MONDAY_3PM)
    return made
