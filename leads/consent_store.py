"""Consent in the database: the SQL twin of `leads.consent`'s rule over the consent records, the records the
import makes of a lead file's consent columns, and recording or revoking consent after import.

Every change is journalled (`LeadConsent`: what, who, when), and the lead's own consent columns keep the
latest consent for display; the gate reads only the records (`ConsentGrant`). Recording or revoking for a
list of leads is all or nothing: the caller's transaction commits it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, insert, literal, or_, select, true, update
from sqlalchemy.orm import Session

from leads.consent import ConsentRecord
from leads.consent_models import ConsentGrant
from leads.models import Lead, LeadConsent

G = ConsentGrant


def _in_force(now: ColumnElement[datetime] | datetime) -> ColumnElement[bool]:
    return and_(or_(G.revoked_at.is_(None), G.revoked_at > now), or_(G.expires_at.is_(None), G.expires_at > now))


def proven_clause(now: ColumnElement[datetime] | datetime, client_id: ColumnElement[int] | int
                  ) -> ColumnElement[bool]:
    """Leads with a record that proves consent to this client given by `now` (`leads.consent.is_proven`)."""
    return exists().where(G.lead_id == Lead.id, G.client_id == client_id, _proven(now))


def _proven(now: ColumnElement[datetime] | datetime) -> ColumnElement[bool]:
    return and_(G.kind != "contract", G.given_at.is_not(None), G.given_at <= now, G.source != "", G.proof_ref != "",
                _in_force(now))


def callable_clause(now: ColumnElement[datetime] | datetime, contract_exempts: bool,
                    client_id: ColumnElement[int] | int) -> ColumnElement[bool]:
    """Leads whose records allow calling them for this client (`leads.consent.lead_may_be_called` in SQL)."""
    contract = and_(G.kind == "contract", or_(G.given_at.is_(None), G.given_at <= now), _in_force(now)) \
        if contract_exempts else false()
    return exists().where(G.lead_id == Lead.id, G.client_id == client_id, or_(_proven(now), contract))


def hours_exempt_clause(now: ColumnElement[datetime] | datetime, client_id: ColumnElement[int] | int
                        ) -> ColumnElement[bool]:
    """Leads with a proven consent to this client, in force at `now`, that lifts the legal days and hours
    (`leads.consent.hours_rule_lifted` in SQL)."""
    return exists().where(G.lead_id == Lead.id, G.client_id == client_id, G.hours_exempt.is_(true()), _proven(now))


def records_of(session: Session, lead_id: int, client_id: int) -> list[ConsentGrant]:
    """A lead's consent records for this client, oldest first."""
    return list(session.scalars(select(G).where(G.lead_id == lead_id, G.client_id == client_id)
                                .order_by(G.recorded_at, G.id)))


def rule_records(session: Session, lead_id: int, client_id: int) -> list[ConsentRecord]:
    """A lead's records as the pure rule reads them."""
    return [grant.rule_record() for grant in records_of(session, lead_id, client_id)]


def record_imported_consents(session: Session, import_id: int, client_id: int, now: datetime) -> int:
    """Turn the consent columns of an import's leads into records; returns how many records."""
    return records_from_columns(session, Lead.import_id == import_id, literal(client_id), f"import {import_id}",
                                now)


def records_from_columns(session: Session, leads: ColumnElement[bool], client_id: ColumnElement[int], origin: str,
                         now: datetime) -> int:
    """Records of the consent columns of these leads (one per consent, one per contract in progress), for
    `client_id` (a value, or a column of a query joined by the caller); one INSERT … SELECT each."""
    columns = [G.lead_id, G.client_id, G.kind, G.given_at, G.source, G.text_ref, G.proof_ref, G.products,
               G.hours_exempt, G.origin, G.recorded_by, G.recorded_at]
    stamp, mark = literal(now, G.recorded_at.type), literal(origin)
    given = select(Lead.id, client_id, literal("form"), Lead.consent_at, Lead.consent_source, literal(""),
                   Lead.consent_proof, literal(""), false(), mark, literal(""), stamp) \
        .where(leads, or_(Lead.consent_at.is_not(None), Lead.consent_source != "", Lead.consent_proof != ""))
    contract = select(Lead.id, client_id, literal("contract"), literal(None, G.given_at.type), literal(""),
                      literal(""), literal(""), literal(""), false(), mark, literal(""), stamp) \
        .where(leads, Lead.contract_exemption.is_(true()))
    count = 0
    for query in (given, contract):
        count += session.execute(insert(G).from_select(columns, query)).rowcount  # type: ignore[attr-defined]
    return count


@dataclass(frozen=True)
class Grant:
    """A consent to record: when, where from, the text shown, the proof, its scope and its limits."""

    given_at: datetime | None  # None: a contract in progress whose start is not known
    source: str
    proof_ref: str
    text_ref: str = ""
    kind: str = "form"
    products: str = ""
    expires_at: datetime | None = None
    hours_exempt: bool = False
    origin: str = field(default="")


def record_consent(session: Session, lead_ids: Iterable[int], consent_at: datetime, source: str, text_ref: str,
                   by: str, now: datetime, client_id: int, origin: str = "") -> int:
    """Record a consent (given at `consent_at`, collected through `source`, proven by `text_ref`) for these
    leads, noting who recorded it and when; returns how many leads."""
    grant = Grant(consent_at, source.strip(), text_ref.strip(), text_ref.strip(), origin=origin)
    return record_grants(session, {lead_id: grant for lead_id in lead_ids}, by, now, client_id)


def record_grants(session: Session, grants: dict[int, Grant], by: str, now: datetime, client_id: int) -> int:
    """Record one consent per lead (`rdv consent import`); returns how many leads."""
    ids = sorted(grants)
    session.add_all(G(lead_id=i, client_id=client_id, kind=g.kind, given_at=g.given_at, source=g.source[:200],
                      text_ref=g.text_ref[:500], proof_ref=g.proof_ref[:200], products=g.products[:300],
                      expires_at=g.expires_at, hours_exempt=g.hours_exempt, origin=g.origin[:200],
                      recorded_by=by[:100], recorded_at=now) for i, g in grants.items())
    # The lead's columns show its latest consent: one UPDATE per distinct consent, not per lead.
    shown: dict[tuple[datetime | None, str, str], list[int]] = {}
    for i in ids:
        if grants[i].kind != "contract":
            shown.setdefault((grants[i].given_at, grants[i].source[:200], grants[i].proof_ref[:200]), []).append(i)
    for (given_at, source, proof), leads in shown.items():
        _apply(session, leads, {"consent_at": given_at, "consent_source": source, "consent_proof": proof})
    session.add_all(LeadConsent(lead_id=i, action="recorded", consent_at=grants[i].given_at,
                                source=grants[i].source[:200], text_ref=grants[i].proof_ref[:200],
                                recorded_by=by[:100], recorded_at=now) for i in ids)
    session.flush()
    return len(ids)


def revoke_consent(session: Session, lead_ids: Iterable[int], source: str, by: str, now: datetime,
                   client_id: int, revoked_at: datetime | None = None) -> int:
    """Withdraw these leads' consent to this client (the consumer revoked it at `revoked_at`, default now,
    `source` says through which channel); returns how many leads."""
    ids = sorted(set(lead_ids))
    when = revoked_at or now
    for start in range(0, len(ids), 5000):
        session.execute(update(G).where(G.lead_id.in_(ids[start:start + 5000]), G.client_id == client_id,
                                        G.revoked_at.is_(None))
                        .values(revoked_at=when, revoke_channel=source.strip()[:200])
                        .execution_options(synchronize_session=False))
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
