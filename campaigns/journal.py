"""The claim journal: which dialer holds which lead since when, so that a crashed dialer's claims are found.

A claim sets `Lead.claimed_by`/`claimed_at` and notes the lead here (`LeadClaim`). No index covers the two claim
columns of `leads`, so that on PostgreSQL a claim is a HOT update (no index entry rewritten); this journal, which
is indexed, is how a dialer's claims and stale claims are found instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from campaigns.models import LeadClaim
from leads.models import Lead

# Dialect name → the journal's upsert, built once.
_NOTE_CLAIMS: dict[str, Any] = {}


def note_claims(session: Session | Connection, lead_ids: Iterable[int], dialer_id: str, now: datetime) -> None:
    """Write claims into the journal (the latest claim of a lead replaces an earlier row)."""
    rows = [{"lead_id": lead_id, "dialer_id": dialer_id, "claimed_at": now} for lead_id in lead_ids]
    if not rows:
        return
    name = session.dialect.name if isinstance(session, Connection) else session.get_bind().dialect.name
    statement = _NOTE_CLAIMS.get(name)
    if statement is None:
        insert = (postgresql if name == "postgresql" else sqlite).insert(LeadClaim)
        statement = _NOTE_CLAIMS[name] = insert.on_conflict_do_update(
            index_elements=[LeadClaim.lead_id],
            set_={"dialer_id": insert.excluded.dialer_id, "claimed_at": insert.excluded.claimed_at},
        )
    # A list of rows: executemany of one cached statement.
    session.execute(statement, rows)


def release_lead(session: Session, lead_id: int, dialer_id: str) -> bool:
    """Give back a claimed lead that was not dialled; False if this dialer did not hold it."""
    result = session.execute(
        update(Lead)
        .where(Lead.id == lead_id, Lead.claimed_by == dialer_id)
        .values(claimed_by="", claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    released = bool(result.rowcount)  # type: ignore[attr-defined]
    if released:
        session.execute(delete(LeadClaim).where(LeadClaim.lead_id == lead_id))
    return released


def claimed_leads(session: Session, dialer_id: str) -> list[int]:
    """The leads a dialer holds now (found through the claim journal), by id."""
    return list(session.scalars(
        select(Lead.id).join(LeadClaim, LeadClaim.lead_id == Lead.id)
        .where(LeadClaim.dialer_id == dialer_id, Lead.claimed_by == dialer_id).order_by(Lead.id)
    ))
