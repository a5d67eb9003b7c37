"""The supervisor edits a campaign's script and qualifying questions as the TOML `rdv campaign script --load`
takes; each save is a new version (the old ones stay, listed and readable), and an RDV keeps the version it was
taken with (`appointments.script_version`, stamped by the booking service).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from campaigns.appointments import CampaignScriptVersion
from campaigns.models import Campaign
from campaigns.script import InvalidScript, InvalidTomlFile, parse_script
from campaigns.script_versions import appointments_by_version, save_script_text, script_toml, version_row, versions
from config.i18n import _
from rdv.web.agent import when_text
from rdv.web.auth import current_user, db
from rdv.web.models import User
from rdv.web.roles import Role, allow
from rdv.web.templating import render

router = APIRouter(prefix="/admin/campaigns")
SUPERVISOR = [allow(Role.supervisor)]


def _when(request: Request) -> Callable[[datetime], str]:
    """Saving times in the centre's zone (stored in UTC)."""
    zone = str(request.app.state.rdv.settings.centre_timezone)
    return lambda moment: when_text(moment, zone)


def _campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise HTTPException(status_code=404)
    return campaign


def _page(request: Request, session: Session, campaign: Campaign, text: str | None = None, error: str = "",
          status: int = 200) -> Response:
    rows = versions(session, campaign.id)
    if text is None:
        text = script_toml(rows[0].content) if rows else ""
    saved = request.query_params.get("saved", "")
    message = _("Saved as version {version}.").format(version=saved) if saved.isdigit() and not error else ""
    return render(request, "admin/campaigns/script.html", {
        "campaign": campaign, "text": text, "error": error, "versions": rows, "message": message,
        "taken": appointments_by_version(session, campaign.id),
        "when": _when(request)},
        status_code=status)


@router.get("/{campaign_id}/script", dependencies=SUPERVISOR)
def script_page(request: Request, campaign_id: int, session: Annotated[Session, Depends(db)]) -> Response:
    return _page(request, session, _campaign(session, campaign_id))


@router.post("/{campaign_id}/script", dependencies=SUPERVISOR)
def save_script(request: Request, campaign_id: int, session: Annotated[Session, Depends(db)],
                user: Annotated[User, Depends(current_user)], text: Annotated[str, Form()] = "") -> Response:
    """A new version from the text, validated as the CLI validates a file; refused, nothing is stored."""
    campaign = _campaign(session, campaign_id)
    try:
        row = save_script_text(session, campaign.id, text, user.login, request.app.state.rdv.clock.now())
    except (InvalidTomlFile, InvalidScript) as refused:
        session.rollback()
        return _page(request, session, _campaign(session, campaign_id), text, str(refused), 422)
    session.commit()
    return RedirectResponse(f"/admin/campaigns/{campaign_id}/script?saved={row.version}", status_code=303)


def _version(session: Session, campaign_id: int, version: int) -> CampaignScriptVersion:
    row = version_row(session, campaign_id, version)
    if row is None:
        raise HTTPException(status_code=404)
    return row


@router.get("/{campaign_id}/script/{version}", dependencies=SUPERVISOR)
def script_version_page(request: Request, campaign_id: int, version: int,
                        session: Annotated[Session, Depends(db)]) -> Response:
    """One stored version, read-only: its TOML and the questions and criteria it defines."""
    campaign = _campaign(session, campaign_id)
    row = _version(session, campaign_id, version)
    return render(request, "admin/campaigns/script_version.html", {
        "campaign": campaign, "row": row, "text": script_toml(row.content),
        "parsed": parse_script(row.content, f"{row.source_name} (v{row.version})"),
        "latest": versions(session, campaign_id)[0].version, "when": _when(request)})
