"""Tables of the campaigns package: clients and their campaigns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from config.orm import Base, utcnow


class Client(Base):
    """The firm that buys the appointments."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    legal_name: Mapped[str] = mapped_column(String(300), default="")
    siren: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    campaigns: Mapped[list[Campaign]] = relationship(back_populates="client")


class Campaign(Base):
    """One appointment-setting operation for a client, with its rules in `settings`."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    profile: Mapped[str] = mapped_column(String(40), default="fr-consumer")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    client: Mapped[Client] = relationship(back_populates="campaigns")


class Attempt(Base):
    """One dial of one lead ("tentative"); the dialer fills it in, the retry policy reads its history."""

    __tablename__ = "attempts"
    __table_args__ = (
        Index("ix_attempts_lead_created", "lead_id", "created_at"),
        Index("ix_attempts_campaign_created", "campaign_id", "created_at"),
        # The live calls on one PBX's trunk, counted by every dialer before it dials (dialer.trunk).
        Index("ix_attempts_live_pbx", "pbx", postgresql_where=text("outcome = ''"),
              sqlite_where=text("outcome = ''")),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    attempt_no: Mapped[int] = mapped_column(Integer)
    phone_e164: Mapped[str] = mapped_column(String(20))
    callee_tz: Mapped[str] = mapped_column(String(64))
    # created → originated → ringing → answered → queued → connected → ended
    state: Mapped[str] = mapped_column(String(20), default="created")
    # no_answer, busy, congestion, invalid, machine, dropped, connected, failed; empty while live
    outcome: Mapped[str] = mapped_column(String(20), default="")
    action_id: Mapped[str] = mapped_column(String(100), unique=True)
    dialer_id: Mapped[str] = mapped_column(String(64), default="")
    # The PBX (its AMI "host:port") whose trunk carries the call; empty for attempts older than the column.
    pbx: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(200), default="")
    hangup_cause: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    originated_at: Mapped[datetime | None] = mapped_column(default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    connected_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    ring_s: Mapped[float | None] = mapped_column(Float, default=None)
    wait_s: Mapped[float | None] = mapped_column(Float, default=None)
    talk_s: Mapped[float | None] = mapped_column(Float, default=None)
    wrap_s: Mapped[float | None] = mapped_column(Float, default=None)
    agent: Mapped[str] = mapped_column(String(100), default="")
    disposition: Mapped[str] = mapped_column(String(40), default="")


class Callback(Base):
    """A personal callback booked by an agent at a time agreed with the prospect ("rappel")."""

    __tablename__ = "callbacks"
    __table_args__ = (Index("ix_callbacks_campaign_status_due", "campaign_id", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    due_at: Mapped[datetime] = mapped_column()
    agent: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(1000), default="")
    # pending → done / cancelled
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LeadClaim(Base):
    """A journal of hopper claims, the way to find stale claims without an index on `leads.claimed_by`.

    The truth stays on the lead; a row here only says "look at this lead": written with each claim, removed
    when a stale or orphan claim is released, and swept by `release_stale_claims` once older than its cutoff.
    """

    __tablename__ = "lead_claims"

    lead_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                         autoincrement=False)
    dialer_id: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column()


# Indexes the hopper and the frequency cap rely on (see bench/hopper.py for the measurements).
# The lead table belongs to `leads`; its indexes for dialling order are declared here, where they are used.
from leads.models import Lead  # noqa: E402

Index(
    "ix_leads_hopper",
    Lead.campaign_id, Lead.status, Lead.priority.desc(), Lead.next_attempt_at, Lead.id,
)
# Loose index scan of a campaign's distinct callee zones (campaigns.hopper.campaign_zones).
Index("ix_leads_campaign_zone", Lead.campaign_id, Lead.timezone, Lead.country, Lead.subdivision)
# Dials of one number across a client's campaigns within the profile's period (frequency cap).
Index("ix_attempts_phone_created", Attempt.phone_e164, Attempt.created_at)
