"""Tables of the leads package: imports, leads, their phones, and the internal do-not-call list.

Leads belong to a campaign; the foreign key is named by table so that this package never imports
`campaigns` (dependencies point one way, see DESIGN.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from config.orm import Base, utcnow


class LeadImport(Base):
    """One imported lead file ("fichier") and its stored quality report."""

    __tablename__ = "lead_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    filename: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    leads_created: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Lead(Base):
    """One prospect ("fiche"). The primary phone and its zone are kept here for the hopper's speed."""

    __tablename__ = "leads"
    # Room left on each page so that a claim (columns no index covers) is a HOT update on PostgreSQL.
    __table_args__ = {"postgresql_with": {"fillfactor": 85}}

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("lead_imports.id"), index=True)
    external_ref: Mapped[str] = mapped_column(String(100), default="")
    civility: Mapped[str] = mapped_column(String(20), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    first_name: Mapped[str] = mapped_column(String(200), default="")
    company: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(300), default="")
    custom: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    phone_e164: Mapped[str] = mapped_column(String(20))
    phone_type: Mapped[str] = mapped_column(String(20), default="unknown")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    country: Mapped[str] = mapped_column(String(2), default="FR")
    subdivision: Mapped[str] = mapped_column(String(10), default="")
    consent_at: Mapped[datetime | None] = mapped_column(default=None)
    consent_source: Mapped[str] = mapped_column(String(200), default="")
    consent_proof: Mapped[str] = mapped_column(String(200), default="")
    contract_exemption: Mapped[bool] = mapped_column(Boolean, default=False)
    # new, retry, callback (the hopper dials these), final, exhausted, dnc, and no_consent: a lead its campaign's
    # profile may not call for want of consent, set aside so that the hopper's index scan never meets it.
    status: Mapped[str] = mapped_column(String(20), default="new")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_outcome: Mapped[str] = mapped_column(String(30), default="")
    last_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set from the first conversation in which the prospect refused: fr-consumer waits 60 days after it.
    refused_at: Mapped[datetime | None] = mapped_column(default=None)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    # Which dialer process holds the lead while a call is live (hopper claim), and since when; no index may
    # cover these two (a claim must stay a HOT update): campaigns.models.LeadClaim finds stale claims.
    claimed_by: Mapped[str] = mapped_column(String(64), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    phones: Mapped[list[LeadPhone]] = relationship(
        back_populates="lead", order_by="LeadPhone.rank", cascade="all, delete-orphan"
    )


class LeadPhone(Base):
    """Every usable number of a lead; unique per campaign, which is how duplicates are caught."""

    __tablename__ = "lead_phones"
    __table_args__ = (UniqueConstraint("campaign_id", "e164", name="uq_lead_phones_campaign_e164"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    e164: Mapped[str] = mapped_column(String(20))
    line_type: Mapped[str] = mapped_column(String(20), default="unknown")
    region: Mapped[str] = mapped_column(String(2), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="")
    rank: Mapped[int] = mapped_column(Integer, default=0)
    source_column: Mapped[str] = mapped_column(String(200), default="")

    lead: Mapped[Lead] = relationship(back_populates="phones")


class DoNotCall(Base):
    """The internal do-not-call list: per client, or for everyone when `client_id` is empty."""

    __tablename__ = "do_not_call"
    __table_args__ = (UniqueConstraint("client_id", "e164", name="uq_do_not_call_client_e164"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    e164: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class LeadConsent(Base):
    """One recording or revocation of a lead's consent after import: what, who and when (the proof's trail)."""

    __tablename__ = "lead_consents"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    # recorded or revoked
    action: Mapped[str] = mapped_column(String(10))
    consent_at: Mapped[datetime | None] = mapped_column(default=None)
    source: Mapped[str] = mapped_column(String(200), default="")
    text_ref: Mapped[str] = mapped_column(String(200), default="")
    recorded_by: Mapped[str] = mapped_column(String(100), default="")
    recorded_at: Mapped[datetime] = mapped_column()
