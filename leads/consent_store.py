"""Consent in the database: the SQL twin of `leads.consent`'s rule, and recording or revoking consent after import.

Every change is journalled (`LeadConsent`: what, who, when) besides the lead's own consent columns, which the
hopper reads. Recording or revoking for a list of leads is all or nothing: the caller's transaction commits it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.orm import Session

from leads.models import Lead, LeadConsent


def proven_clause(now: ColumnElement[datetime] | datetime) -> ColumnElement[bool]:
    """Leads whose consent record proves consent given by `now` (`leads.consent.is_proven` in SQL)."""
    return and_(Lead.consent_at.is_not(None), Lead.consent_at <= now, Lead.consent_source != "",
                Lead.consent_proof != "")


def callable_clause(now: ColumnElement[datetime] | datetime, contract_exempts: bool) -> ColumnElement[bool]:
    """Leads consent allows to call (`leads.consent.may_be_called` in SQL)."""
    proven = proven_clause(now)
    return or_(Lead.contract_exemption.is_(True), proven) if contract_exempts else proven


def record_consent(session: Session, lead_ids: Iterable[int], consent_at: datetime, source: str, text_ref: str,
                   by: str, now: datetime) -> int:
    """Record a consent (given at `consent_at`, collected through `source`, proven by `text_ref`) for these
    leads, noting who recorded it and when; returns how many leads."""
    ids = sorted(set(lead_ids))
    values = {"consent_at": consent_at, "consent_source": source.strip()[:200], "consent_proof": text_ref.strip()[:200]}
    _apply(session, ids, values)
    session.add_all(LeadConsent(lead_id=lead_id, action="recorded", consent_at=consent_at,
                                source=values["consent_source"], text_ref=values["consent_proof"],
                                recorded_by=by[:100], recorded_at=now) for lead_id in ids)
    session.flush()
    return len(ids)


def revoke_consent(session: Session, lead_ids: Iterable[int], source: str, by: str, now: datetime) -> int:
    """Withdraw these leads' consent (the consumer revoked it, `source` says how); returns how many leads."""
    ids = sorted(set(lead_ids))
    _apply(session, ids, {"consent_at": None, "consent_source": "", "consent_proof": ""})
    session.add_all(LeadConsent(lead_id=lead_id, action="revoked", consent_at=None, source=source.strip()[:200],
                                text_ref="", recorded_by=by[:100], recorded_at=now) for lead_id in ids)
    session.flush()
    return len(ids)


def _apply(session: Session, ids: list[int], values: dict[str, object]) -> None:
    # In chunks: SQLite binds at most 32,766 parameters per statement.
    for start in range(0, len(ids), 5000):
        session.execute(update(Lead).where(Lead.id.in_(ids[start:start + 5000])).values(values)
                        .execution_options(synchronize_session=False))
