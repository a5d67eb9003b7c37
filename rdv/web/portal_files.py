"""The client's downloads: the files of the e-mails sent to it (daily RDVs, weekly dashboards, monthly
reviews, invoices), each listed once its message is in the outbox, and the call log of each campaign
(formula-safe, reports.calls_export). Only the client's own messages and campaigns; anything else is 404.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from billing.models import BillingContract, Invoice, InvoiceMail
from campaigns.models import Campaign
from config.i18n import _
from rdv.web.auth import current_user, db
from rdv.web.models import User
from rdv.web.portal import local
from rdv.web.portal_view import client_campaigns, client_of
from rdv.web.roles import Role, allow
from rdv.web.templating import render
from reports.calls_export import export_calls
from reports.outbox import OutboxMessage

router = APIRouter(prefix="/portal")
CLIENT = [allow(Role.client)]
# Outbox kinds a client receives (persisted values of reports/ and billing/); alerts and others are not files.
KINDS = {"daily_rdv": lambda: _("Daily appointments"), "rdv_as_taken": lambda: _("Appointment as taken"),
         "weekly_dashboard": lambda: _("Weekly dashboard"), "monthly_review": lambda: _("Monthly review"),
         "invoice": lambda: _("Invoice")}  # fmt: skip


@dataclass(frozen=True)
class Download:
    message_id: int
    kind: str
    subject: str
    at: datetime | None
    files: list[tuple[int, str]]


def _own_messages(session: Session, client_id: int) -> list[OutboxMessage]:
    campaigns = select(Campaign.id).where(Campaign.client_id == client_id)
    invoices = (select(InvoiceMail.outbox_id).join(Invoice, Invoice.id == InvoiceMail.invoice_id)
                .join(BillingContract, BillingContract.id == Invoice.contract_id)
                .where(BillingContract.client_id == client_id))  # fmt: skip
    query = (select(OutboxMessage).where(OutboxMessage.kind.in_(list(KINDS)), or_(
        OutboxMessage.campaign_id.in_(campaigns), OutboxMessage.id.in_(invoices)))
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(300))  # fmt: skip
    return list(session.scalars(query))


def _attachments(message: OutboxMessage) -> list[EmailMessage]:
    parsed = message_from_bytes(message.raw, policy=policy.default)
    return list(parsed.iter_attachments()) if isinstance(parsed, EmailMessage) else []


@router.get("/downloads", dependencies=CLIENT)
def downloads(request: Request, user: Annotated[User, Depends(current_user)],
              session: Annotated[Session, Depends(db)]) -> Response:
    client_id = client_of(user)
    rows = [Download(m.id, KINDS[m.kind](), m.subject, local(m.created_at, "Europe/Paris"),
                     [(i, part.get_filename() or f"piece-{i + 1}") for i, part in enumerate(_attachments(m))])
            for m in _own_messages(session, client_id)]  # fmt: skip
    return render(request, "portal/downloads.html", {"rows": rows, "page": "downloads",
                                                     "campaigns": client_campaigns(session, client_id)})


@router.get("/downloads/{message_id}/{index}", dependencies=CLIENT)
def download_file(message_id: int, index: int, user: Annotated[User, Depends(current_user)],
                  session: Annotated[Session, Depends(db)]) -> Response:
    """One attachment of one of the client's messages, as it was sent."""
    found = next((m for m in _own_messages(session, client_of(user)) if m.id == message_id), None)
    parts = _attachments(found) if found is not None else []
    if not 0 <= index < len(parts):
        raise HTTPException(status_code=404)
    part = parts[index]
    name = (part.get_filename() or f"piece-{index + 1}").replace('"', "").encode("ascii", "replace").decode()
    payload = part.get_payload(decode=True)
    return Response(payload if isinstance(payload, bytes) else b"", media_type=part.get_content_type(),
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "private, no-store"})  # fmt: skip


@router.get("/calls/{campaign_id}", dependencies=CLIENT)
def call_log(campaign_id: int, user: Annotated[User, Depends(current_user)],
             session: Annotated[Session, Depends(db)]) -> Response:
    """The campaign's call log as an Excel file, as `rdv report calls` writes it for the client."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.client_id != client_of(user):
        raise HTTPException(status_code=404)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"appels-{campaign.id}.xlsx"
        export_calls(session, campaign.id, path)
        data = path.read_bytes()
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="appels-campagne-{campaign.id}.xlsx"',
                             "Cache-Control": "private, no-store"})  # fmt: skip
