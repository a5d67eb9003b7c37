"""The monthly review's extra frames from the database (see `reports.review_kpis` for their columns).

The KPI frames themselves come from `reports.kpi_frames`; these add what only the review reads: the lead file
each lead came from, the criteria each appointment missed, and what happened to appointments after they were
sent (the client's reports and quality control's verdicts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.appointment_services import day_bounds
from campaigns.appointments import Appointment, AppointmentEvent
from leads.models import Lead, LeadImport


@dataclass(frozen=True)
class ReviewFrames:
    """The lists, appointment details and appointment events of a campaign for a period."""

    lists: pd.DataFrame
    appointment_details: pd.DataFrame
    appointment_events: pd.DataFrame


def _day(moment: datetime, zone: ZoneInfo) -> pd.Timestamp:
    return pd.Timestamp(moment.astimezone(zone).date())


def _list_name(filename: str | None) -> str:
    # The file's own name, without the folder it was imported from (which says nothing to the client).
    return PurePath(filename).name if filename else ""


def load_lists(session: Session, campaign_id: int) -> pd.DataFrame:
    """Every lead of the campaign with the name of its lead file and its last outcome."""
    query = (select(Lead.id, LeadImport.filename, Lead.last_outcome)
             .outerjoin(LeadImport, LeadImport.id == Lead.import_id).where(Lead.campaign_id == campaign_id))
    rows = [(lead_id, _list_name(name), outcome) for lead_id, name, outcome in session.execute(query)]
    return pd.DataFrame(rows, columns=["lead_id", "list", "last_outcome"]).astype(
        {"lead_id": "int64", "list": "object", "last_outcome": "object"})


def load_review_frames(session: Session, campaign_id: int, zone: str, first: date, last: date) -> ReviewFrames:
    """The review's frames for the campaign days `first` … `last` (both included) in the campaign's zone."""
    tz = ZoneInfo(zone)
    start, end = day_bounds(first, zone)[0], day_bounds(last, zone)[1]
    details = session.execute(
        select(Appointment.id, Appointment.lead_id, Appointment.taken_at, Appointment.unmet_criteria)
        .where(Appointment.campaign_id == campaign_id, Appointment.taken_at >= start, Appointment.taken_at < end)
        .order_by(Appointment.id))
    detail_frame = pd.DataFrame(
        [(aid, lead, _day(taken, tz), list(unmet or [])) for aid, lead, taken, unmet in details],
        columns=["appointment_id", "lead_id", "day", "unmet"])
    moves = session.execute(
        select(AppointmentEvent.appointment_id, AppointmentEvent.at, AppointmentEvent.to_state,
               AppointmentEvent.note)
        .join(Appointment, Appointment.id == AppointmentEvent.appointment_id)
        .where(Appointment.campaign_id == campaign_id, AppointmentEvent.at >= start, AppointmentEvent.at < end)
        .order_by(AppointmentEvent.id))
    event_frame = pd.DataFrame(
        [(aid, _day(at, tz), state, note or "", f"RDV-{aid:06d}") for aid, at, state, note in moves],
        columns=["appointment_id", "day", "to_state", "note", "reference"])
    for frame in (detail_frame, event_frame):
        frame["day"] = pd.to_datetime(frame["day"])
    return ReviewFrames(load_lists(session, campaign_id), detail_frame, event_frame)
