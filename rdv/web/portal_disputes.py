"""Disputes on the web: the client opens one from an RDV's sheet and writes in its thread; the supervisor
reads the disputes, answers in the same thread and settles them (accepted, refused, or "fausse chute" with a
proof file and reference). Files are checked by content and stored by SHA-256 (campaigns.disputes).

Client routes live under /portal and reach only the client's own records (404 otherwise); supervisor routes
under /disputes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from campaigns.appointment_rules import IllegalTransition, ProofRequired
from campaigns.appointments import Appointment
from campaigns.disputes import (
    FALSE_CANCELLATION,
    MAX_BYTES,
    OPEN,
    DisputeClosed,
    InvalidAttachment,
    InvalidDispute,
    StoredFile,
    add_message,
    open_dispute,
    settle,
    store_file,
)
from campaigns.models import Campaign
from campaigns.portal_models import Dispute
from config.i18n import _
from rdv.web.auth import current_user, db
from rdv.web.models import User
from rdv.web.portal import labels, sheet_page
from rdv.web.portal_view import client_of, own_attachment, own_dispute, own_rdv, sheet_view
from rdv.web.roles import Role, allow
from rdv.web.templating import render

router = APIRouter()
CLIENT = [allow(Role.client)]
SUPERVISOR = [allow(Role.supervisor)]
Files = Annotated[list[UploadFile] | None, File()]
REFUSALS = (InvalidDispute, DisputeClosed, InvalidAttachment, IllegalTransition, ProofRequired)


def _data_dir(request: Request) -> Path:
    path: Path = request.app.state.rdv.settings.data_dir
    return path


def _stored(request: Request, files: list[UploadFile] | None) -> list[StoredFile]:
    """Check and store the uploaded files (a browser sends an empty part for an empty file input: skipped)."""
    stored = []
    for upload in files or []:
        if not upload.filename:
            continue
        data = upload.file.read(MAX_BYTES + 1)
        stored.append(store_file(_data_dir(request), upload.filename, data))
    return stored


@router.post("/portal/rdv/{appointment_id}/disputes", dependencies=CLIENT)
def client_open(request: Request, appointment_id: int, user: Annotated[User, Depends(current_user)],
                session: Annotated[Session, Depends(db)], ground: Annotated[str, Form()] = "",
                body: Annotated[str, Form()] = "", files: Files = None) -> Response:
    """The client contests an RDV, with a message and files."""
    own_rdv(session, client_of(user), appointment_id)
    try:
        open_dispute(session, appointment_id, ground, body, by=user.login, now=request.app.state.rdv.clock.now(),
                     files=_stored(request, files))  # fmt: skip
        session.commit()
    except REFUSALS as exc:
        session.rollback()
        return sheet_page(request, session, user, appointment_id, status=422, error=str(exc))
    return RedirectResponse(f"/portal/rdv/{appointment_id}?done=dispute#dispute", status_code=303)


@router.post("/portal/disputes/{dispute_id}/messages", dependencies=CLIENT)
def client_message(request: Request, dispute_id: int, user: Annotated[User, Depends(current_user)],
                   session: Annotated[Session, Depends(db)], body: Annotated[str, Form()] = "",
                   files: Files = None) -> Response:
    dispute = own_dispute(session, client_of(user), dispute_id)
    try:
        add_message(session, dispute_id, body, by=user.login, role="client", now=request.app.state.rdv.clock.now(),
                    files=_stored(request, files))  # fmt: skip
        session.commit()
    except REFUSALS as exc:
        session.rollback()
        return sheet_page(request, session, user, dispute.appointment_id, status=422, error=str(exc))
    return RedirectResponse(f"/portal/rdv/{dispute.appointment_id}?done=message#dispute", status_code=303)


def _file(request: Request, session: Session, client_id: int | None, attachment_id: int) -> Response:
    attachment = own_attachment(session, client_id, attachment_id)
    path = (_data_dir(request) / attachment.path).resolve()
    if not path.is_file() or not path.is_relative_to(_data_dir(request).resolve()):
        raise HTTPException(status_code=404)
    # Served as a download with the type read from its content, never rendered inline from our origin.
    quoted = attachment.file_name.replace('"', "").encode("ascii", "replace").decode()
    return Response(path.read_bytes(), media_type=attachment.media_type, headers={
        "Content-Disposition": f'attachment; filename="{quoted}"', "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff"})


@router.get("/portal/files/{attachment_id}", dependencies=CLIENT)
def client_file(request: Request, attachment_id: int, user: Annotated[User, Depends(current_user)],
                session: Annotated[Session, Depends(db)]) -> Response:
    return _file(request, session, client_of(user), attachment_id)


# ------------------------------------------------------------------------------------------------ supervisor


@router.get("/disputes", dependencies=SUPERVISOR)
def dispute_list(request: Request, session: Annotated[Session, Depends(db)]) -> Response:
    """Every dispute, the open ones first, oldest first among them."""
    query = (select(Dispute, Appointment, Campaign).join(Appointment, Appointment.id == Dispute.appointment_id)
             .join(Campaign, Campaign.id == Appointment.campaign_id)
             .order_by(case((Dispute.status == OPEN, 0), else_=1), Dispute.opened_at, Dispute.id))  # fmt: skip
    rows = [(dispute, appointment, campaign) for dispute, appointment, campaign in session.execute(query)]
    return render(request, "portal/disputes.html", {**labels(), "rows": rows})


def _thread(request: Request, session: Session, dispute_id: int, *, status: int = 200,
            error: str = "") -> Response:
    dispute = own_dispute(session, None, dispute_id)
    view = sheet_view(session, session.get_one(Appointment, dispute.appointment_id))
    return render(request, "portal/dispute.html", {**labels(), "dispute": dispute, "view": view, "error": error,
                                                   "false_cancellation": FALSE_CANCELLATION}, status_code=status)


@router.get("/disputes/{dispute_id}", dependencies=SUPERVISOR)
def dispute_page(request: Request, dispute_id: int, session: Annotated[Session, Depends(db)]) -> Response:
    return _thread(request, session, dispute_id)


@router.post("/disputes/{dispute_id}/messages", dependencies=SUPERVISOR)
def supervisor_message(request: Request, dispute_id: int, user: Annotated[User, Depends(current_user)],
                       session: Annotated[Session, Depends(db)], body: Annotated[str, Form()] = "",
                       files: Files = None) -> Response:
    own_dispute(session, None, dispute_id)
    try:
        add_message(session, dispute_id, body, by=user.login, role="supervisor",
                    now=request.app.state.rdv.clock.now(), files=_stored(request, files))  # fmt: skip
        session.commit()
    except REFUSALS as exc:
        session.rollback()
        return _thread(request, session, dispute_id, status=422, error=str(exc))
    return RedirectResponse(f"/disputes/{dispute_id}", status_code=303)


@router.post("/disputes/{dispute_id}/settle", dependencies=SUPERVISOR)
def supervisor_settle(request: Request, dispute_id: int, user: Annotated[User, Depends(current_user)],
                      session: Annotated[Session, Depends(db)], decision: Annotated[str, Form()] = "",
                      reason: Annotated[str, Form()] = "", reference: Annotated[str, Form()] = "",
                      proof: Files = None) -> Response:
    """Close the dispute; a false cancellation needs a proof (its reference or a file), and records who decided."""
    own_dispute(session, None, dispute_id)
    try:
        stored = _stored(request, proof)
        settle(session, dispute_id, decision, reason, by=user.login, now=request.app.state.rdv.clock.now(),
               proof_reference=reference, proof_file=stored[0] if stored else None)  # fmt: skip
        session.commit()
    except REFUSALS as exc:
        session.rollback()
        message = str(exc)
        if isinstance(exc, ProofRequired):
            message = _("A false cancellation needs its proof: a reference or a file, and the reason.")
        return _thread(request, session, dispute_id, status=422, error=message)
    return RedirectResponse(f"/disputes/{dispute_id}", status_code=303)


@router.get("/disputes/files/{attachment_id}", dependencies=SUPERVISOR)
def supervisor_file(request: Request, attachment_id: int, session: Annotated[Session, Depends(db)]) -> Response:
    return _file(request, session, None, attachment_id)
