"""Quality control of the day's RDV sheets: a supervisor validates each one or sends it back to its agent.

Every decision is a new `appointment_reviews` row (who, when, note), never overwritten. Sending back also moves
the sheet to `returned_to_agent` through the lifecycle (`change_state`), so the daily e-mail leaves it out and
its history says who sent it back and why; the agent reads it in "sent back to you" on their screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, exists, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from campaigns.appointment_rules import RETURNED_TO_AGENT, SENT_TO_CLIENT, TAKEN
from campaigns.appointment_services import change_state, day_bounds, get_appointment
from campaigns.appointments import Appointment
from campaigns.models import Campaign
from config.i18n import _
from config.orm import Base
from leads.models import Lead

VALIDATED = "validated"
SENT_BACK = "sent_back"
DECISIONS = (VALIDATED, SENT_BACK)
WIDEST_OFFSET = timedelta(hours=14)
BigId = BigInteger().with_variant(Integer, "sqlite")


class AppointmentReview(Base):
    """One quality-control decision on an RDV sheet: validated, or sent back to the agent with a note."""

    __tablename__ = "appointment_reviews"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    appointment_id: Mapped[int] = mapped_column(BigId, ForeignKey("appointments.id", ondelete="CASCADE"),
                                                index=True)  # fmt: skip
    decision: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    agent: Mapped[str] = mapped_column(String(100), default="", index=True)
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column()


class InvalidReview(ValueError):
    """A quality-control decision that cannot be recorded as given."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


@dataclass(frozen=True)
class QueueItem:
    """An RDV sheet waiting for quality control, with its lead and campaign."""

    appointment: Appointment
    lead: Lead
    campaign: Campaign


def _validated(appointment_id: object) -> object:
    return exists().where(AppointmentReview.appointment_id == appointment_id,
                          AppointmentReview.decision == VALIDATED)  # fmt: skip


def queue(session: Session, day: date, campaign_id: int | None = None) -> list[QueueItem]:
    """The sheets taken on `day` (each campaign's own zone) not yet validated nor sent back, oldest first."""
    # Narrowed in SQL to the UTC day give or take any zone's offset, then exactly per campaign below.
    utc_start, utc_end = day_bounds(day, "UTC")
    query = (select(Appointment, Lead, Campaign).join(Lead, Lead.id == Appointment.lead_id)
             .join(Campaign, Campaign.id == Appointment.campaign_id)
             .where(Appointment.state.in_((TAKEN, SENT_TO_CLIENT)), ~_validated(Appointment.id),  # type: ignore[operator]
                    Appointment.taken_at >= utc_start - WIDEST_OFFSET, Appointment.taken_at < utc_end + WIDEST_OFFSET)
             .order_by(Campaign.name, Appointment.taken_at, Appointment.id))  # fmt: skip
    if campaign_id is not None:
        query = query.where(Appointment.campaign_id == campaign_id)
    items = []
    for appointment, lead, campaign in session.execute(query):
        start, end = day_bounds(day, campaign.timezone)
        taken = appointment.taken_at
        if start <= (taken if taken.tzinfo else taken.replace(tzinfo=UTC)) < end:  # SQLite gives naive UTC
            items.append(QueueItem(appointment, lead, campaign))
    return items


def validate(session: Session, appointment_id: int, *, by: str, now: datetime, note: str = "") -> AppointmentReview:
    """Record that quality control found the sheet right; its state does not change."""
    appointment = get_appointment(session, appointment_id, lock=True)
    if appointment.state not in (TAKEN, SENT_TO_CLIENT):
        raise InvalidReview(_("Only a sheet waiting for quality control can be validated."))
    return _review(session, appointment, VALIDATED, note, by, now)


def send_back(session: Session, appointment_id: int, note: str, *, by: str, now: datetime) -> AppointmentReview:
    """Send the sheet back to its agent with a note saying what to correct (the note is required)."""
    if not note.strip():
        raise InvalidReview(_("Say what the agent must correct: the note is required."))
    if get_appointment(session, appointment_id).state != TAKEN:
        raise InvalidReview(_("Only a sheet not yet sent to the client can be sent back to its agent."))
    appointment = change_state(session, appointment_id, RETURNED_TO_AGENT, by=by, now=now, note=note.strip())
    return _review(session, appointment, SENT_BACK, note, by, now)


def _review(session: Session, appointment: Appointment, decision: str, note: str, by: str,
            now: datetime) -> AppointmentReview:
    review = AppointmentReview(appointment_id=appointment.id, decision=decision, note=note.strip(),
                               agent=appointment.agent, by=by, at=now)  # fmt: skip
    session.add(review)
    session.flush()
    return review


def reviews_of(session: Session, appointment_id: int) -> list[AppointmentReview]:
    """Every decision on one sheet, oldest first."""
    return list(session.scalars(select(AppointmentReview).where(AppointmentReview.appointment_id == appointment_id)
                                .order_by(AppointmentReview.id)))  # fmt: skip


def returned_to(session: Session, agent: str) -> list[tuple[Appointment, Lead, AppointmentReview]]:
    """The agent's sheets still sent back to them, with the last note, most recent first."""
    query = (select(Appointment, Lead, AppointmentReview).join(Lead, Lead.id == Appointment.lead_id)
             .join(AppointmentReview, AppointmentReview.appointment_id == Appointment.id)
             .where(Appointment.agent == agent, Appointment.state == RETURNED_TO_AGENT,
                    AppointmentReview.decision == SENT_BACK)
             .order_by(AppointmentReview.id.desc()))  # fmt: skip
    seen: set[int] = set()
    found = []
    for appointment, lead, review in session.execute(query):
        if appointment.id not in seen:
            seen.add(appointment.id)
            found.append((appointment, lead, review))
    return found
