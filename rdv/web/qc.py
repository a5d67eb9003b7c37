"""The supervisor's RDV quality control: the day's sheets to check, and after the visit the client's reports
and disputes to settle (campaigns.quality_control, campaigns.disputes).

A sheet is read as the client reads it (rdv.web.portal_view.sheet_view), with the call's recording played from
the call page's own route (/calls/{attempt_id}/recording). Validating or sending back goes through the same
lifecycle rules as the CLI; every decision keeps who and when.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.appointment_rules import CANCELLED_BY_CLIENT, VISITED, IllegalTransition
from campaigns.appointment_services import AppointmentNotFound, get_appointment
from campaigns.appointments import Appointment
from campaigns.models import Campaign
from campaigns.portal_models import Dispute, VisitReport
from campaigns.quality_control import SENT_BACK, InvalidReview, queue, reviews_of, send_back, validate
from config.i18n import _
from leads.models import Lead
from rdv.web.auth import current_user, db
from rdv.web.models import User
from rdv.web.portal import labels
from rdv.web.portal_view import sheet_view
from rdv.web.roles import Role, allow
from rdv.web.templating import render

router = APIRouter()
SUPERVISOR = [allow(Role.supervisor)]
DONE = {"validated": lambda: _("Appointment validated."),
        "sent_back": lambda: _("Appointment sent back to its agent.")}  # fmt: skip


def _today(request: Request) -> date:
    zone = ZoneInfo(str(request.app.state.rdv.settings.centre_timezone))
    return request.app.state.rdv.clock.now().astimezone(zone).date()


def _day(request: Request, raw: str) -> date:
    try:
        return date.fromisoformat(raw) if raw else _today(request)
    except ValueError:
        raise HTTPException(status_code=422) from None


def after_visit(session: Session) -> list[tuple[Appointment, Lead, Campaign, VisitReport | None, Dispute | None]]:
    """RDVs the client reported on that quality control has still to settle, with the last report and open dispute."""
    query = (select(Appointment, Lead, Campaign).join(Lead, Lead.id == Appointment.lead_id)
             .join(Campaign, Campaign.id == Appointment.campaign_id)
             .where(Appointment.state.in_((CANCELLED_BY_CLIENT, VISITED)))
             .order_by(Appointment.state_changed_at, Appointment.id).limit(200))  # fmt: skip
    rows = list(session.execute(query))
    ids = [a.id for a, _lead, _c in rows]
    reports: dict[int, VisitReport] = {}
    for report in session.scalars(select(VisitReport).where(VisitReport.appointment_id.in_(ids))
                                  .order_by(VisitReport.id)):  # fmt: skip
        reports[report.appointment_id] = report  # the last one wins: a correction is a newer row
    disputes = {d.appointment_id: d for d in session.scalars(
        select(Dispute).where(Dispute.appointment_id.in_(ids), Dispute.status == "open"))}
    return [(a, lead, c, reports.get(a.id), disputes.get(a.id)) for a, lead, c in rows]


@router.get("/qc", dependencies=SUPERVISOR)
def qc_queue(request: Request, session: Annotated[Session, Depends(db)], day: str = "", campaign: str = "",
             done: str = "") -> Response:
    """The sheets taken on the day (today by default) still to check, then the after-visit ones to settle."""
    wanted = _day(request, day)
    campaign_id = int(campaign) if campaign.isdigit() else None
    items = queue(session, wanted, campaign_id)
    campaigns = list(session.scalars(select(Campaign).order_by(Campaign.name)))
    context: dict[str, Any] = {**labels(), "items": items, "day": wanted, "campaigns": campaigns,
                               "campaign_id": campaign_id, "after": after_visit(session),
                               "done": DONE[done]() if done in DONE else ""}  # fmt: skip
    return render(request, "admin/qc/queue.html", context)


def _sheet(request: Request, session: Session, appointment_id: int, *, status: int = 200, error: str = "",
           note: str = "") -> Response:
    try:
        appointment = get_appointment(session, appointment_id)
    except AppointmentNotFound:
        raise HTTPException(status_code=404) from None
    context = {**labels(), "view": sheet_view(session, appointment), "reviews": reviews_of(session, appointment_id),
               "sent_back": SENT_BACK, "error": error, "note": note}  # fmt: skip
    return render(request, "admin/qc/sheet.html", context, status_code=status)


@router.get("/qc/rdv/{appointment_id}", dependencies=SUPERVISOR)
def qc_sheet(request: Request, appointment_id: int, session: Annotated[Session, Depends(db)]) -> Response:
    return _sheet(request, session, appointment_id)


@router.post("/qc/rdv/{appointment_id}/validate", dependencies=SUPERVISOR)
def qc_validate(request: Request, appointment_id: int, user: Annotated[User, Depends(current_user)],
                session: Annotated[Session, Depends(db)], note: Annotated[str, Form()] = "") -> Response:
    """Quality control found the sheet right."""
    return _decide(request, session, appointment_id, note, lambda now: validate(
        session, appointment_id, by=user.login, now=now, note=note), "validated")


@router.post("/qc/rdv/{appointment_id}/send-back", dependencies=SUPERVISOR)
def qc_send_back(request: Request, appointment_id: int, user: Annotated[User, Depends(current_user)],
                 session: Annotated[Session, Depends(db)], note: Annotated[str, Form()] = "") -> Response:
    """Send the sheet back to its agent with what to correct."""
    return _decide(request, session, appointment_id, note, lambda now: send_back(
        session, appointment_id, note, by=user.login, now=now), "sent_back")


def _decide(request: Request, session: Session, appointment_id: int, note: str, action: Any,
            done: str) -> Response:
    try:
        appointment = get_appointment(session, appointment_id)
        # Back to the queue of the day the sheet was taken (campaign zone), where the next one waits.
        taken = appointment.taken_at if appointment.taken_at.tzinfo else appointment.taken_at.replace(tzinfo=UTC)
        day = taken.astimezone(ZoneInfo(session.get_one(Campaign, appointment.campaign_id).timezone)).date()
        action(request.app.state.rdv.clock.now())
        session.commit()
    except AppointmentNotFound:
        raise HTTPException(status_code=404) from None
    except (InvalidReview, IllegalTransition) as exc:
        session.rollback()
        return _sheet(request, session, appointment_id, status=422, error=str(exc), note=note)
    return RedirectResponse(f"/qc?day={day.isoformat()}&done={done}", status_code=303)
