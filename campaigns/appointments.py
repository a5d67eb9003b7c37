"""Tables of the RDV sheets: versioned campaign scripts, appointments and the history of their states.

Service functions live in `campaigns.appointment_services`; the rules they apply in `campaigns.appointment_rules`
and `campaigns.script`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from config.orm import Base, utcnow


class CampaignScriptVersion(Base):
    """One loaded version of a campaign's script file; the newest is the one in use."""

    __tablename__ = "campaign_scripts"
    __table_args__ = (UniqueConstraint("campaign_id", "version", name="uq_campaign_scripts_campaign_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    source_name: Mapped[str] = mapped_column(String(300), default="")
    # The file's content as plain data, validated again on every read, so an edit is one new row.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_by: Mapped[str] = mapped_column(String(100), default="")
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Appointment(Base):
    """An RDV sheet: who, where, when, the answers, and where it stands with the client and quality control."""

    __tablename__ = "appointments"
    __table_args__ = (Index("ix_appointments_campaign_state_taken", "campaign_id", "state", "taken_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    # One sheet per call at most: an agent who submits twice gets an error, not two appointments.
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"), unique=True, default=None)
    slot_start: Mapped[datetime] = mapped_column()
    slot_end: Mapped[datetime] = mapped_column()
    timezone: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(500), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(200), default="")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    comments: Mapped[str] = mapped_column(Text, default="")
    agent: Mapped[str] = mapped_column(String(100), default="")
    script_version: Mapped[int | None] = mapped_column(Integer, default=None)
    conform: Mapped[bool] = mapped_column(Boolean, default=True)
    unmet_criteria: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(30), default="taken")
    state_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    # The outbox message that carried this sheet to the client (the daily e-mail).
    sent_message_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    proof_reference: Mapped[str] = mapped_column(String(200), default="")
    proof_note: Mapped[str] = mapped_column(Text, default="")
    proof_file_name: Mapped[str] = mapped_column(String(300), default="")

    events: Mapped[list[AppointmentEvent]] = relationship(
        back_populates="appointment", order_by="AppointmentEvent.id", cascade="all, delete-orphan"
    )


class AppointmentEvent(Base):
    """One change of state of an appointment, with when and who (audit trail read by billing disputes)."""

    __tablename__ = "appointment_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str] = mapped_column(String(30), default="")
    to_state: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column()
    by: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    appointment: Mapped[Appointment] = relationship(back_populates="events")
