"""The supervisor's campaigns: list, create and edit from the settings registry, check, start and pause.

Every change goes through the CLI's services (`store.create_campaign`, `services.set_setting`,
`rdv.campaign_control`): same validation, same messages. A form with any refused value stores nothing and is
shown again as typed, each error next to its field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from campaigns import services, store
from campaigns.check import Conflict
from campaigns.errors import (
    CampaignBlocked,
    ClientNotFound,
    DuplicateName,
    InvalidSetting,
    InvalidStoredSetting,
    UnknownProfile,
)
from campaigns.models import Campaign
from campaigns.profiles import get_profile, starting_settings
from campaigns.settings import REGISTRY
from config.i18n import _
from config.profiles import profile_names
from rdv import campaign_control as control
from rdv.web.admin_campaigns_view import changed_settings, form_groups
from rdv.web.auth import db
from rdv.web.roles import Role, allow
from rdv.web.templating import render

router = APIRouter(prefix="/admin/campaigns")
SUPERVISOR = [allow(Role.supervisor)]
IDENTITY = ("name", "client", "profile", "timezone")
FLASH = {"saved": lambda: _("Settings saved: a running dialler applies them now."),
         "created": lambda: _("Campaign created as a draft: check it, then start it."),
         "started": lambda: _("Campaign started."),
         "paused": lambda: _("Campaign paused: no new call; agents stay logged in.")}


def _campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise HTTPException(status_code=404)
    return campaign


def _now(request: Request) -> Any:
    return request.app.state.rdv.clock.now()


def _centre(request: Request) -> str:
    return str(request.app.state.rdv.settings.centre_timezone)


@router.get("", dependencies=SUPERVISOR)
def campaign_list(request: Request, session: Annotated[Session, Depends(db)]) -> Response:
    return render(request, "admin/campaigns/list.html", {"campaigns": store.list_campaigns(session)})


def _new_page(request: Request, session: Session, form: dict[str, str], errors: dict[str, str],
              status: int = 200) -> Response:
    profile = form.get("profile") or "fr-consumer"
    stored = starting_settings(get_profile(profile)) if profile in profile_names() else {}
    return render(request, "admin/campaigns/new.html", {
        "form": form, "errors": errors, "profiles": profile_names(), "clients": store.list_clients(session),
        "groups": form_groups(profile, stored, form, errors), "profile": profile}, status_code=status)


@router.get("/new", dependencies=SUPERVISOR)
def new_campaign(request: Request, session: Annotated[Session, Depends(db)], profile: str = "") -> Response:
    return _new_page(request, session, {"profile": profile, "timezone": "Europe/Paris"}, {})


def _apply(session: Session, campaign: Campaign, changes: dict[str, str], errors: dict[str, str]) -> None:
    """Each changed setting through the CLI's service; what is refused goes to `errors` under its key."""
    for key, value in changes.items():
        try:
            services.set_setting(session, campaign.name, key, value)
        except InvalidSetting as refused:
            errors[key] = str(refused)


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items() if k in REGISTRY or k in IDENTITY}


@router.post("/new", dependencies=SUPERVISOR)
async def create_campaign(request: Request, session: Annotated[Session, Depends(db)]) -> Response:
    """`rdv campaign create` then `rdv campaign set` for every setting changed from the profile's default."""
    form = await _form(request)
    errors: dict[str, str] = {}
    if not form.get("name", "").strip():
        errors["name"] = _("Give the campaign a name.")
        return _new_page(request, session, form, errors, 422)
    try:
        campaign = store.create_campaign(session, form["name"], form.get("client", ""),
                                         form.get("profile", ""), form.get("timezone", ""))
    except (DuplicateName, ClientNotFound, UnknownProfile, InvalidSetting) as refused:
        field = {DuplicateName: "name", ClientNotFound: "client", UnknownProfile: "profile"}.get(
            type(refused), "timezone")
        session.rollback()
        return _new_page(request, session, form, {field: str(refused)}, 422)
    _apply(session, campaign, changed_settings(campaign.settings or {}, form), errors)
    if errors:
        session.rollback()
        return _new_page(request, session, form, errors, 422)
    session.commit()
    return RedirectResponse(f"/admin/campaigns/{campaign.id}?done=created", status_code=303)


def _conflicts(request: Request, session: Session, campaign: Campaign) -> tuple[list[Conflict], str]:
    try:
        return services.campaign_conflicts(session, campaign, _now(request), _centre(request)), ""
    except InvalidStoredSetting as broken:
        return [], str(broken)


def _edit_page(request: Request, session: Session, campaign: Campaign, submitted: dict[str, str] | None = None,
               errors: dict[str, str] | None = None, status: int = 200, message: str = "") -> Response:
    conflicts, broken = _conflicts(request, session, campaign)
    done = FLASH.get(request.query_params.get("done", ""))
    return render(request, "admin/campaigns/edit.html", {
        "campaign": campaign, "groups": form_groups(campaign.profile, campaign.settings or {}, submitted, errors),
        "errors": errors or {}, "timezone": (submitted or {}).get("timezone", campaign.timezone),
        "blocking": [c for c in conflicts if c.blocking], "warnings": [c for c in conflicts if not c.blocking],
        "broken": broken, "message": message or (done() if done and not errors else "")},
        status_code=status)


@router.get("/{campaign_id}", dependencies=SUPERVISOR)
def edit_campaign(request: Request, campaign_id: int, session: Annotated[Session, Depends(db)]) -> Response:
    return _edit_page(request, session, _campaign(session, campaign_id))


@router.post("/{campaign_id}", dependencies=SUPERVISOR)
async def save_campaign(request: Request, campaign_id: int, session: Annotated[Session, Depends(db)]) -> Response:
    """`rdv campaign set` for every changed field; one refused value and nothing is stored."""
    campaign = _campaign(session, campaign_id)
    form = await _form(request)
    changes = changed_settings(campaign.settings or {}, form)
    if form.get("timezone", campaign.timezone).strip() != campaign.timezone:
        changes["timezone"] = form["timezone"]
    errors: dict[str, str] = {}
    _apply(session, campaign, changes, errors)
    if errors:
        session.rollback()
        return _edit_page(request, session, _campaign(session, campaign_id), form, errors, 422)
    notifier = request.app.state.notifier
    if changes and notifier is not None:  # a running dialer applies the change at once (sent at the commit)
        notifier.notify(control.control_topic(campaign_id), "control", session=session)
    session.commit()
    return RedirectResponse(f"/admin/campaigns/{campaign_id}?done=saved", status_code=303)


@router.post("/{campaign_id}/status", dependencies=SUPERVISOR)
def change_status(request: Request, campaign_id: int, session: Annotated[Session, Depends(db)],
                  action: Annotated[str, Form()] = "") -> Response:
    """Start or pause, as `rdv campaign start|pause`: blocking conflicts refuse the start."""
    _campaign(session, campaign_id)
    notifier = request.app.state.notifier
    try:
        if action == "start":
            control.start(session, campaign_id, _now(request), _centre(request), notifier)
        elif action == "pause":
            control.pause(session, campaign_id, notifier)
        else:
            raise HTTPException(status_code=400)
    except CampaignBlocked as refused:
        session.rollback()
        return _edit_page(request, session, _campaign(session, campaign_id), errors={"status": str(refused)},
                          status=409)
    session.commit()
    done = "started" if action == "start" else "paused"
    return RedirectResponse(f"/admin/campaigns/{campaign_id}?done={done}", status_code=303)
