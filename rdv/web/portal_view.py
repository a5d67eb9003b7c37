"""What the client's portal reads: a client's RDVs (always scoped to its own campaigns), one sheet with its
call and the whole history (state changes, visit reports, disputes), as plain values for the templates.

Every query here takes the client's id: a record of another client is not found, and the pages answer 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi import HTTPException
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from campaigns.appointment_rules import STATES, state_label
from campaigns.appointment_services import day_bounds
from campaigns.appointments import Appointment
from campaigns.disputes import ground_label, status_label
from campaigns.models import Attempt, Campaign
from campaigns.portal_models import Dispute, DisputeAttachment, DisputeMessage, VisitReport
from campaigns.script_store import script_version
from campaigns.visit_reports import outcome_label, reason_label
from config.i18n import _
from dialer.call_models import Recording
from leads.models import Lead
from rdv.web.models import User
from reports.appointment_sheet import AppointmentSheet
from reports.daily_appointments import appointment_sheet

LIST_LIMIT = 300
Rows = Select[Appointment, Lead, Campaign]


def client_of(user: User) -> int:
    """The client a portal user is bound to; an account without one sees nothing."""
    if user.client_id is None:
        raise HTTPException(status_code=404)
    return user.client_id


@dataclass(frozen=True)
class Filters:
    """The search of the RDV list: campaign, taken between two days, département, state, conformity."""

    campaign: int | None = None
    start: date | None = None
    end: date | None = None
    department: str = ""
    state: str = ""
    conform: str = ""

    @classmethod
    def parse(cls, params: dict[str, str]) -> Filters:
        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(params.get(name, "").strip()) if params.get(name, "").strip() else None
            except ValueError:
                return None

        campaign = params.get("campaign", "").strip()
        return cls(campaign=int(campaign) if campaign.isdigit() else None, start=day("start"), end=day("end"),
                   department=params.get("department", "").strip().upper()[:3],
                   state=params.get("state", "") if params.get("state", "") in STATES else "",
                   conform=params.get("conform", "") if params.get("conform", "") in ("yes", "no") else "")  # fmt: skip


def _filtered(query: Rows, filters: Filters, zone: str) -> Rows:
    if filters.campaign is not None:
        query = query.where(Appointment.campaign_id == filters.campaign)
    if filters.start is not None:
        query = query.where(Appointment.taken_at >= day_bounds(filters.start, zone)[0])
    if filters.end is not None:
        query = query.where(Appointment.taken_at < day_bounds(filters.end, zone)[1])
    if filters.department:
        query = query.where(Appointment.postcode.startswith(filters.department))
    if filters.state:
        query = query.where(Appointment.state == filters.state)
    if filters.conform:
        query = query.where(Appointment.conform.is_(filters.conform == "yes"))
    return query


def client_campaigns(session: Session, client_id: int) -> list[Campaign]:
    return list(session.scalars(select(Campaign).where(Campaign.client_id == client_id).order_by(Campaign.name)))


def client_rdvs(session: Session, client_id: int, filters: Filters,
                zone: str = "Europe/Paris") -> list[tuple[Appointment, Lead, Campaign]]:
    """The client's RDVs matching `filters`, newest taken first (at most LIST_LIMIT)."""
    query = (select(Appointment, Lead, Campaign).join(Lead, Lead.id == Appointment.lead_id)
             .join(Campaign, Campaign.id == Appointment.campaign_id).where(Campaign.client_id == client_id)
             .order_by(Appointment.taken_at.desc(), Appointment.id.desc()).limit(LIST_LIMIT))  # fmt: skip
    return [(a, lead, c) for a, lead, c in session.execute(_filtered(query, filters, zone))]


def own_rdv(session: Session, client_id: int | None, appointment_id: int) -> Appointment:
    """The appointment if it belongs to the client (`None`: a supervisor, any); else 404 like a missing one."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise HTTPException(status_code=404)
    if client_id is not None:
        owner = session.scalar(select(Campaign.client_id).where(Campaign.id == appointment.campaign_id))
        if owner != client_id:
            raise HTTPException(status_code=404)
    return appointment


def own_dispute(session: Session, client_id: int | None, dispute_id: int) -> Dispute:
    dispute = session.get(Dispute, dispute_id)
    if dispute is None:
        raise HTTPException(status_code=404)
    own_rdv(session, client_id, dispute.appointment_id)
    return dispute


def own_attachment(session: Session, client_id: int | None, attachment_id: int) -> DisputeAttachment:
    attachment = session.get(DisputeAttachment, attachment_id)
    if attachment is None:
        raise HTTPException(status_code=404)
    message = session.get_one(DisputeMessage, attachment.message_id)
    own_dispute(session, client_id, message.dispute_id)
    return attachment


@dataclass(frozen=True)
class Step:
    """One line of an RDV's history."""

    at: datetime
    by: str
    what: str
    detail: str = ""
    files: tuple[DisputeAttachment, ...] = ()


@dataclass
class SheetView:
    appointment: Appointment
    campaign: Campaign
    sheet: AppointmentSheet
    attempt: Attempt | None
    recording: Recording | None
    reports: list[VisitReport]
    disputes: list[Dispute]
    history: list[Step] = field(default_factory=list)

    @property
    def open_dispute(self) -> Dispute | None:
        return next((d for d in self.disputes if d.status == "open"), None)


def sheet_view(session: Session, appointment: Appointment) -> SheetView:
    """Everything the sheet's page shows."""
    campaign = session.get_one(Campaign, appointment.campaign_id)
    lead = session.get_one(Lead, appointment.lead_id)
    script = script_version(session, campaign.id, appointment.script_version) if appointment.script_version else None
    attempt = session.get(Attempt, appointment.attempt_id) if appointment.attempt_id else None
    recording = session.scalar(select(Recording).where(Recording.attempt_id == attempt.id)) if attempt else None
    reports = list(session.scalars(select(VisitReport).where(VisitReport.appointment_id == appointment.id)
                                   .order_by(VisitReport.id)))  # fmt: skip
    disputes = list(session.scalars(select(Dispute).where(Dispute.appointment_id == appointment.id)
                                    .order_by(Dispute.id)))  # fmt: skip
    view = SheetView(appointment, campaign, appointment_sheet(appointment, lead, script, campaign.timezone),
                     attempt, recording, reports, disputes)  # fmt: skip
    view.history = history(appointment, reports, disputes, ZoneInfo(campaign.timezone))
    return view


def history(appointment: Appointment, reports: list[VisitReport], disputes: list[Dispute],
            zone: ZoneInfo) -> list[Step]:
    """State changes, visit reports and dispute messages in the order they happened (campaign zone)."""
    # Built reports and disputes first: the sort is stable, so a report or decision comes before the state
    # change it caused at the same instant.
    steps: list[Step] = []
    for report in reports:
        reason = reason_label(report.outcome, report.reason)
        steps.append(Step(report.at.astimezone(zone), report.by,
                          _("Visit report: {outcome}").format(outcome=outcome_label(report.outcome)),
                          f"{reason} — {report.comment}" if report.comment else reason))  # fmt: skip
    for dispute in disputes:
        for index, message in enumerate(dispute.messages):
            if index == 0:
                what = _("Dispute no. {id} opened: {ground}").format(id=dispute.id, ground=ground_label(dispute.ground))
            elif dispute.decided_at is not None and index == len(dispute.messages) - 1:
                what = _("Dispute no. {id} settled: {status}").format(id=dispute.id,
                                                                       status=status_label(dispute.status))
            else:
                what = _("Message in dispute no. {id}").format(id=dispute.id)
            steps.append(Step(message.at.astimezone(zone), message.author, what, message.body,
                              tuple(message.attachments)))  # fmt: skip
    steps += [Step(e.at.astimezone(zone), e.by, _("State: {state}").format(state=state_label(e.to_state)), e.note)
              for e in appointment.events]  # fmt: skip
    return sorted(steps, key=lambda s: s.at)
