"""The client's portal: its RDV sheets by campaign (searchable), one sheet with its call and history, and the
visit report the client gives after the sales visit.

Clients only, and only their own firm's records (rdv/web/portal_view.py): another client's id answers 404,
exactly like an id that does not exist. Reports go through campaigns.visit_reports, the same lifecycle rules
as `rdv appointments set`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from campaigns.appointment_rules import FINAL_STATES, STATES, IllegalTransition, UnknownState, state_label
from campaigns.disputes import GROUNDS, MAX_BYTES, status_label
from campaigns.visit_reports import OTHER, OUTCOMES, REASONS, InvalidReport, report_visit
from config.i18n import _
from rdv.web.auth import current_user, db
from rdv.web.models import User
from rdv.web.portal_view import Filters, client_campaigns, client_of, client_rdvs, own_rdv, sheet_view
from rdv.web.roles import Role, allow
from rdv.web.templating import render

router = APIRouter(prefix="/portal")
CLIENT = [allow(Role.client)]
DONE = {"report": lambda: _("Visit report saved."), "dispute": lambda: _("Dispute sent to the call centre."),
        "message": lambda: _("Message sent.")}  # fmt: skip


def labels() -> dict[str, Any]:
    """What the portal's templates use to name states, outcomes, reasons and grounds."""
    return {"state_label": state_label, "states": STATES, "status_label": status_label,
            "outcomes": {k: v() for k, v in OUTCOMES.items()},
            "reasons": {o: {k: v() for k, v in r.items()} for o, r in REASONS.items()}, "other": OTHER,
            "grounds": {k: v() for k, v in GROUNDS.items()}, "max_mb": MAX_BYTES // (1024 * 1024),
            "local": local, "final_states": FINAL_STATES}  # fmt: skip


def local(moment: datetime | None, zone: str) -> datetime | None:
    """A stored (UTC) moment in a named zone, for display."""
    return moment.astimezone(ZoneInfo(zone)) if moment is not None else None


@router.get("", dependencies=CLIENT)
def rdv_list(request: Request, user: Annotated[User, Depends(current_user)],
             session: Annotated[Session, Depends(db)]) -> Response:
    """The client's RDVs, newest first, filtered by campaign, taken dates, département, state, conformity."""
    client_id = client_of(user)
    filters = Filters.parse(dict(request.query_params))
    rows = client_rdvs(session, client_id, filters)
    return render(request, "portal/list.html", {**labels(), "rows": rows, "filters": filters,
                                                "campaigns": client_campaigns(session, client_id),
                                                "today": request.app.state.rdv.clock.now().date()})


def sheet_page(request: Request, session: Session, user: User, appointment_id: int, *, status: int = 200,
           error: str = "", form: dict[str, str] | None = None) -> Response:
    view = sheet_view(session, own_rdv(session, client_of(user), appointment_id))
    done = DONE.get(request.query_params.get("done", ""))
    values = {"outcome": "", "reason": "", "comment": "", **(form or {})}
    return render(request, "portal/sheet.html", {**labels(), "view": view, "error": error, "form": values,
                                                 "done": done() if done else ""}, status_code=status)  # fmt: skip


@router.get("/rdv/{appointment_id}", dependencies=CLIENT)
def rdv_sheet(request: Request, appointment_id: int, user: Annotated[User, Depends(current_user)],
              session: Annotated[Session, Depends(db)]) -> Response:
    return sheet_page(request, session, user, appointment_id)


@router.post("/rdv/{appointment_id}/report", dependencies=CLIENT)
def rdv_report(request: Request, appointment_id: int, user: Annotated[User, Depends(current_user)],
               session: Annotated[Session, Depends(db)], outcome: Annotated[str, Form()] = "",
               reason: Annotated[str, Form()] = "", comment: Annotated[str, Form()] = "") -> Response:
    """Store the client's report of the visit; a refused one re-shows the sheet with why, nothing stored."""
    own_rdv(session, client_of(user), appointment_id)
    try:
        report_visit(session, appointment_id, outcome, reason, comment=comment, by=user.login,
                     now=request.app.state.rdv.clock.now())  # fmt: skip
        session.commit()
    except (InvalidReport, IllegalTransition, UnknownState) as exc:
        session.rollback()
        message = str(exc)
        if isinstance(exc, IllegalTransition):
            message = _("This RDV cannot take that report in its current state ({state}); open a dispute "
                        "instead.").format(state=state_label(exc.current))
        return sheet_page(request, session, user, appointment_id, status=422, error=message,
                      form={"outcome": outcome, "reason": reason, "comment": comment})  # fmt: skip
    return RedirectResponse(f"/portal/rdv/{appointment_id}?done=report", status_code=303)
