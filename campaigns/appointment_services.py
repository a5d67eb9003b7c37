"""Service functions of the RDV sheets: book from the agent's screen, move through the lifecycle, hand to the mail.

Every function works inside the caller's session and transaction, so that the daily e-mail can store its
message and mark the appointments sent in one commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.appointment_rules import (
    FALSE_CANCELLATION,
    SENT_TO_CLIENT,
    TAKEN,
    Proof,
    TimeSlot,
    check_slot,
    check_transition,
)
from campaigns.appointments import Appointment, AppointmentEvent
from campaigns.errors import (
    AppointmentExists,
    AppointmentNotFound,
    AttemptNotFound,
    LeadNotFound,
    ScriptNotLoaded,
)
from campaigns.models import Attempt, Campaign
from campaigns.script import check_answers, conformity
from campaigns.script_store import current_script
from campaigns.visit_slots import check_visit
from leads.models import Lead


def book_appointment(
    session: Session,
    *,
    slot: TimeSlot,
    answers: Mapping[str, Any],
    agent: str,
    now: datetime,
    attempt_id: int | None = None,
    lead_id: int | None = None,
    comments: str = "",
    address: tuple[str, str, str] | None = None,
) -> Appointment:
    """Record the RDV sheet an agent filled in, from the call (`attempt_id`) or for a lead directly.

    The slot must be one the client accepts for this prospect (the script's `[visits]`, in the lead's zone,
    holidays of the lead's calendar skipped): InvalidSlot says why not. The answers are checked against the
    campaign's current script and the conformity verdict is stored with the unmet criteria. `address`
    (street, postcode, city) overrides the lead's when the prospect gave another one for the visit.
    """
    lead, attempt = _lead_and_attempt(session, attempt_id, lead_id)
    if attempt is not None:
        existing = session.scalar(select(Appointment.id).where(Appointment.attempt_id == attempt.id))
        if existing is not None:
            raise AppointmentExists(attempt.id, existing)
    campaign = session.get_one(Campaign, lead.campaign_id)
    loaded = current_script(session, campaign.id)
    if loaded is None:
        raise ScriptNotLoaded(campaign.name)
    version, script = loaded
    check_slot(slot, now)
    check_visit(slot, script.visit_rules(), lead.timezone or campaign.timezone, now, lead.country, lead.subdivision)
    checked = check_answers(answers, script.questions)
    verdict = conformity(checked, script.criteria)
    street, postcode, city = address or (lead.address, lead.postcode, lead.city)
    appointment = Appointment(
        campaign_id=campaign.id, lead_id=lead.id, attempt_id=attempt.id if attempt else None,
        slot_start=slot.start, slot_end=slot.end, timezone=slot.zone,
        address=street, postcode=postcode, city=city, answers=checked, comments=comments.strip(),
        agent=agent, script_version=version, conform=verdict.conform, unmet_criteria=list(verdict.unmet),
        state=TAKEN, state_changed_at=now, taken_at=now,
    )
    appointment.events.append(AppointmentEvent(from_state="", to_state=TAKEN, at=now, by=agent))
    session.add(appointment)
    session.flush()
    return appointment


def _lead_and_attempt(session: Session, attempt_id: int | None, lead_id: int | None) -> tuple[Lead, Attempt | None]:
    if attempt_id is not None:
        attempt = session.get(Attempt, attempt_id)
        if attempt is None:
            raise AttemptNotFound(attempt_id)
        if lead_id is not None and lead_id != attempt.lead_id:
            raise LeadNotFound(lead_id)
        return session.get_one(Lead, attempt.lead_id), attempt
    if lead_id is None:
        raise TypeError("book_appointment needs attempt_id or lead_id")
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise LeadNotFound(lead_id)
    return lead, None


def get_appointment(session: Session, appointment_id: int, lock: bool = False) -> Appointment:
    """One appointment by id; `lock` holds its row until the transaction ends (PostgreSQL)."""
    query = select(Appointment).where(Appointment.id == appointment_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    appointment = session.scalar(query)
    if appointment is None:
        raise AppointmentNotFound(appointment_id)
    return appointment


def change_state(
    session: Session, appointment_id: int, target: str, *, by: str, now: datetime,
    note: str = "", proof: Proof | None = None,
) -> Appointment:
    """Move an appointment to `target` if the lifecycle allows it, and keep the change in its history."""
    appointment = get_appointment(session, appointment_id, lock=True)
    check_transition(appointment.state, target, proof)
    if target == FALSE_CANCELLATION and proof is not None:
        appointment.proof_reference = proof.reference.strip()
        appointment.proof_note = proof.note.strip()
        appointment.proof_file_name = proof.file_name.strip()
    _record(appointment, target, by, now, note)
    session.flush()
    return appointment


def _record(appointment: Appointment, target: str, by: str, now: datetime, note: str = "") -> None:
    appointment.events.append(
        AppointmentEvent(from_state=appointment.state, to_state=target, at=now, by=by, note=note)
    )
    appointment.state = target
    appointment.state_changed_at = now


def day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """The first moment of `day` and of the next day, in `zone` (aware; 23 or 25 hours across DST)."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tz)


def appointments_for_daily_mail(session: Session, campaign_id: int, day: date, now: datetime) -> list[Appointment]:
    """Appointments not yet sent to the client, taken up to the end of `day` (campaign zone) and before `now`.

    Earlier days' unsent ones are included, so a day the mail could not go out is caught up by the next.
    """
    campaign = session.get_one(Campaign, campaign_id)
    _start, end = day_bounds(day, campaign.timezone)
    query = (
        select(Appointment)
        .where(
            Appointment.campaign_id == campaign_id,
            Appointment.state == TAKEN,
            Appointment.taken_at < end,
            Appointment.taken_at <= now,
        )
        .order_by(Appointment.slot_start, Appointment.id)
    )
    return list(session.scalars(query))


def mark_sent(session: Session, ids: Iterable[int], message_id: int, now: datetime, by: str = "daily-mail") -> None:
    """Record that these appointments left in outbox message `message_id`; refused if one was sent already."""
    wanted = sorted(set(ids))
    query = (
        select(Appointment).where(Appointment.id.in_(wanted)).order_by(Appointment.id)
        .with_for_update().execution_options(populate_existing=True)
    )
    found = {a.id: a for a in session.scalars(query)}
    for appointment_id in wanted:
        if appointment_id not in found:
            raise AppointmentNotFound(appointment_id)
        appointment = found[appointment_id]
        check_transition(appointment.state, SENT_TO_CLIENT)
        _record(appointment, SENT_TO_CLIENT, by, now, note=f"outbox #{message_id}")
        appointment.sent_at = now
        appointment.sent_message_id = message_id
    session.flush()


def list_appointments(
    session: Session, campaign_id: int, *, states: Iterable[str] = (), start: datetime | None = None,
    end: datetime | None = None, by_visit: bool = False,
) -> list[tuple[Appointment, Lead]]:
    """A campaign's appointments with their leads, in some states and taken (or visited) in [start, end)."""
    moment = Appointment.slot_start if by_visit else Appointment.taken_at
    query = (
        select(Appointment, Lead).join(Lead, Lead.id == Appointment.lead_id)
        .where(Appointment.campaign_id == campaign_id)
        .order_by(moment, Appointment.id)
    )
    wanted = sorted(set(states))
    if wanted:
        query = query.where(Appointment.state.in_(wanted))
    if start is not None:
        query = query.where(moment >= start)
    if end is not None:
        query = query.where(moment < end)
    return [(appointment, lead) for appointment, lead in session.execute(query)]
