"""The teleoperator's screen: log in to a campaign, ready / pause, the call popped live, call controls.

The page is served whole once; then one server-sent stream (`/agent/events`) pushes the fragments that
changed (state bar, call panel) each time the dialer wakes the agent's topic, and proves the screen is there
(heartbeat). Every action is a POST that queues a command for the dialer (rdv.agent_desk); its result comes
back on the stream. The RDV sheet and the other dispositions are in rdv/web/agent_forms.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from campaigns.calendar import zone_info
from campaigns.models import Callback, Campaign
from campaigns.quality_control import returned_to
from campaigns.rdv_form import live_verdict
from campaigns.store import load_rules
from config.i18n import _, fmt_datetime, ngettext
from config.orm import transaction
from leads.models import Lead
from rdv import agent_desk
from rdv.agent_desk import DeskError, NotYourCall
from rdv.wakeup import RESYNC, agent_topic
from rdv.web.agent_view import CallView, call_view, history, phone_lines
from rdv.web.auth import current_user, db
from rdv.web.csrf import FIELD, csrf_token
from rdv.web.models import User, campaigns_of
from rdv.web.roles import Role, allow
from rdv.web.templating import environment, render

router = APIRouter(prefix="/agent")
TELEOPERATOR = [allow(Role.teleoperator)]
STATE_LABELS = {
    "logged_out": lambda: _("Logged out"), "available": lambda: _("Ready"), "on_call": lambda: _("On a call"),
    "wrap_up": lambda: _("After-call work"), "paused": lambda: _("Paused"),
}
AGENT_KINDS = ("login", "ready", "pause", "logout")


def desk_now(request: Request) -> datetime:
    """The campaigns' clock (a test or the demo may run it faster than the wall)."""
    now: datetime = request.app.state.rdv.clock.now()
    return now


def centre_zone(request: Request) -> str:
    return str(request.app.state.rdv.settings.centre_timezone)


def assigned(session: Session, user: User) -> list[Campaign]:
    """The campaigns this teleoperator may log in to."""
    ids = campaigns_of(session, user.id)
    return list(session.scalars(select(Campaign).where(Campaign.id.in_(ids)).order_by(Campaign.name))) if ids else []


def state_label(state: str, reason: str = "") -> str:
    label = STATE_LABELS.get(state, lambda: state)()
    if state == "paused" and reason:
        return _("{state}: {reason}").format(state=label, reason=agent_desk.pause_label(reason))
    return label


def my_callbacks(session: Session, login: str, campaign_ids: list[int]) -> list[tuple[str, Lead, str]]:
    """The agent's pending personal callbacks in their campaigns, soonest first: when (callee's time), lead, note."""
    if not campaign_ids:
        return []
    rows = session.execute(select(Callback, Lead).join(Lead, Lead.id == Callback.lead_id).where(
        Callback.agent == login, Callback.status == "pending", Callback.campaign_id.in_(campaign_ids))
        .order_by(Callback.due_at).limit(50))
    return [(when_text(c.due_at, lead.timezone), lead, c.note) for c, lead in rows]


def when_text(moment: datetime, zone: str) -> str:
    """A stored moment in the callee's zone, short."""
    return fmt_datetime(local_time(moment, zone), "short")


def local_time(moment: datetime, zone: str) -> datetime:
    """A stored moment (naive means UTC, as SQLite gives it back) in `zone`."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone_info(zone or "Europe/Paris"))


def screen_values(request: Request, session: Session, user: User, with_call: bool = True) -> dict[str, Any]:
    """Everything the page and its live fragments show, read in one session (the state bar needs no call)."""
    now = desk_now(request)
    campaigns = assigned(session, user)
    presence = agent_desk.presence(session, user.login)
    pop = agent_desk.current_call(session, user.login) if with_call else None
    view = call_view(session, pop, user.name, now, centre_zone(request)) if pop else None
    campaign = next((c for c in campaigns if c.id == presence.campaign_id), None)
    return {
        "campaigns": campaigns, "presence": presence, "campaign": campaign, "view": view, "now": now,
        "state_text": state_label(presence.state, presence.reason),
        "reasons": agent_desk.pause_reasons(session),
        "callbacks": my_callbacks(session, user.login, [c.id for c in campaigns]) if with_call else [],
        "returned": returned_to(session, user.login) if with_call else [],
        "supervisors": supervisors(session) if view else [],
        "control_labels": control_labels(),
        "holding": bool(view and holding(view)),
        "initial_verdict": live_verdict({}, view.criteria if view else ()),
        "grace": _grace(session, view, centre_zone(request)),
        "local": lambda moment: local_time(moment, centre_zone(request)),
    }


def control_labels() -> dict[str, str]:
    return {"hangup": _("Hang up"), "hold": _("Hold"), "unhold": _("Take back"), "transfer": _("Transfer")}


def holding(view: CallView) -> bool:
    """Whether the call is on hold: the last hold or take-back the dialer carried out."""
    done = [c.kind for c in view.controls if c.kind in ("hold", "unhold") and c.ok]
    return bool(done) and done[-1] == "hold"


def _grace(session: Session, view: CallView | None, centre: str) -> str:
    if view is None:
        return ""
    minutes = int(load_rules(session, view.campaign.id, centre).settings.callback_grace.total_seconds() // 60)
    return ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)


def supervisors(session: Session) -> list[User]:
    """Who a call can be transferred to: active supervisors with a phone."""
    return list(session.scalars(select(User).where(User.role == Role.supervisor, User.active.is_(True),
                                                   User.phone != "").order_by(User.display_name, User.login)))


@router.get("", dependencies=TELEOPERATOR)
def screen(request: Request, user: Annotated[User, Depends(current_user)],
           session: Annotated[Session, Depends(db)]) -> Response:
    return render(request, "agent/screen.html", screen_values(request, session, user))


@router.post("/command", dependencies=TELEOPERATOR)
def command(request: Request, user: Annotated[User, Depends(current_user)],
            session: Annotated[Session, Depends(db)], kind: Annotated[str, Form()],
            campaign_id: Annotated[int | None, Form()] = None, reason: Annotated[str, Form()] = "") -> Response:
    """Log in to a campaign, go ready, pause with a reason, log out: each a command for the dialer."""
    if kind not in AGENT_KINDS:
        raise HTTPException(status_code=400)
    args: dict[str, Any] = {}
    if kind == "login":
        if campaign_id is None or campaign_id not in campaigns_of(session, user.id):
            raise HTTPException(status_code=404)
        args["campaign_id"] = campaign_id
    if kind == "pause":
        if reason not in {r.code for r in agent_desk.pause_reasons(session)}:
            return _refused(request, _("Choose a pause reason."))
        args["reason"] = reason
    return _send(request, session, user, kind, args)


@router.post("/call/{attempt_id}/control", dependencies=TELEOPERATOR)
def call_control(request: Request, attempt_id: int, user: Annotated[User, Depends(current_user)],
                 session: Annotated[Session, Depends(db)], kind: Annotated[str, Form()],
                 to_login: Annotated[str, Form()] = "") -> Response:
    """Hang up, hold, take back, transfer to a supervisor: only on the agent's own live call."""
    try:
        pop = agent_desk.pop_of(session, user.login, attempt_id)
    except NotYourCall:
        raise HTTPException(status_code=404) from None
    if kind not in ("hangup", "hold", "unhold", "transfer"):
        raise HTTPException(status_code=400)
    if not pop.live:
        return _refused(request, _("The call has already ended."))
    args: dict[str, Any] = {}
    if kind == "transfer":
        if to_login not in {s.login for s in supervisors(session)}:
            return _refused(request, _("Choose the supervisor to transfer to."))
        args["to_login"] = to_login
    return _send(request, session, user, kind, args)


def _send(request: Request, session: Session, user: User, kind: str, args: dict[str, Any]) -> Response:
    try:
        command_id = agent_desk.send(session, request.app.state.notifier, user.login, kind,
                                     now=desk_now(request), **args)
    except DeskError as refused:
        session.rollback()
        return _refused(request, str(refused))
    session.commit()
    if _wants_json(request):
        return JSONResponse({"ok": True, "command": command_id})
    return RedirectResponse("/agent", status_code=303)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _refused(request: Request, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"ok": False, "message": message}, status_code=409)
    return RedirectResponse("/agent", status_code=303)


def fragment(request: Request, user: User, name: str) -> str:
    """One live part of the screen (`call` or `state`) as HTML, from a fresh read of the database."""
    with transaction(request.app.state.sessions) as session:
        values = screen_values(request, session, user, with_call=name == "call")
    base = {"request": request, "user": user, "csrf_field": csrf_field(request), **values}
    return environment().get_template(f"agent/_{name}.html").render(base)


@router.get("/events", dependencies=TELEOPERATOR)
async def events(request: Request, user: Annotated[User, Depends(current_user)]) -> Response:
    """The live stream: `state` and `call` fragments whenever they change; a heartbeat keeps the seat."""
    notifier = request.app.state.notifier
    if notifier is None:
        raise HTTPException(status_code=503)
    login = user.login

    # The seat's timeout runs on the campaigns' clock: on a faster clock (demo, tests) beat as much faster.
    every = max(0.2, agent_desk.HEARTBEAT_EVERY_S / float(getattr(request.app.state.rdv.clock, "scale", 1.0)))

    async def stream() -> AsyncIterator[dict[str, str]]:
        sent: dict[str, str] = {}
        loop = asyncio.get_running_loop()
        beat_at = 0.0
        with notifier.subscribe(agent_topic(login)) as subscription:
            while not await request.is_disconnected():
                for name in ("call", "state"):  # the pop first: it is what the agent waits for
                    html = await run_in_threadpool(fragment, request, user, name)
                    if sent.get(name) != html:
                        sent[name] = html
                        yield {"event": name, "data": html}
                if loop.time() >= beat_at:  # after the fragments: a pop never waits for this write
                    await run_in_threadpool(_beat, request, login)
                    beat_at = loop.time() + every
                payload = await subscription.get(timeout=max(0.0, beat_at - loop.time()))
                if payload == RESYNC:
                    sent.clear()
                subscription.drain()

    return EventSourceResponse(stream(), ping=15)


def csrf_field(request: Request) -> Any:
    """The hidden CSRF input of the forms inside a fragment (render() gives it to whole pages)."""
    token = csrf_token(request)
    return lambda: Markup(f'<input type="hidden" name="{FIELD}" value="{escape(token)}">')


def _beat(request: Request, login: str) -> None:
    with transaction(request.app.state.sessions) as session:
        agent_desk.heartbeat(session, login, desk_now(request))


@router.get("/lead/{lead_id}", dependencies=TELEOPERATOR)
def lead_page(request: Request, lead_id: int, user: Annotated[User, Depends(current_user)],
              session: Annotated[Session, Depends(db)]) -> Response:
    """A lead the agent may see: the one of their current call, or one of their pending callbacks."""
    lead = session.get(Lead, lead_id)
    if lead is None or not may_see_lead(session, user, lead):
        raise HTTPException(status_code=404)
    callback = session.scalar(select(Callback).where(Callback.lead_id == lead.id, Callback.agent == user.login,
                                                     Callback.status == "pending").order_by(Callback.due_at))
    return render(request, "agent/lead.html", {
        "lead": lead, "phones": phone_lines(session, lead, ""), "history": history(session, lead, lead.timezone),
        "when": when_text(callback.due_at, lead.timezone) if callback else "",
        "note": callback.note if callback else "",
    })


def may_see_lead(session: Session, user: User, lead: Lead) -> bool:
    """Only the lead of the agent's current call or of their pending callbacks, in an assigned campaign."""
    if lead.campaign_id not in campaigns_of(session, user.id):
        return False
    pop = agent_desk.current_call(session, user.login)
    if pop is not None and pop.lead_id == lead.id:
        return True
    return session.scalar(select(Callback.id).where(Callback.lead_id == lead.id, Callback.agent == user.login,
                                                    Callback.status == "pending").limit(1)) is not None
