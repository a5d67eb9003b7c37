"""The supervisor's live console: a wallboard per campaign, its controls, the agent table, an agent's call.

The page is rendered whole once; then `/console/{id}/live` (server-sent events) sends the wallboard and the
agent table again, rendered here, each time the dialer announces new live figures (`campaign:<id>`), an agent's
presence changes (`floor`) or a supervisor changes the campaign (`control:<id>`); at most every
`MIN_INTERVAL_S`, and every `REFRESH_S` anyway so that pause lengths stay current. Controls go through
`rdv.campaign_control` (the CLI's services); listening and whispering through the agent desk (`rdv.agent_desk`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from sse_starlette import EventSourceResponse

from campaigns.errors import CampaignBlocked, InvalidSetting, UnknownSetting
from campaigns.models import Campaign
from campaigns.settings import campaign_settings, display
from config.i18n import _
from rdv import campaign_control as control
from rdv.console_figures import Floor, floor
from rdv.wakeup import FLOOR, Subscription, campaign_topic, wake_at
from rdv.web.auth import db
from rdv.web.console_view import HELPERS, fragment
from rdv.web.roles import Role, allow
from rdv.web.templating import render

router = APIRouter(prefix="/console")
SUPERVISOR = [allow(Role.supervisor)]
MIN_INTERVAL_S = 0.25
REFRESH_S = 5.0
POLL_S = 2.0  # without a notifier (a web started alone, without wake-ups): how often the figures are read


def _clock_now(request: Request) -> Any:
    return request.app.state.rdv.clock.now()


def _exists(session: Session, campaign_id: int) -> None:
    if session.get(Campaign, campaign_id) is None:
        raise HTTPException(status_code=404)


def _floor(request: Request, session: Session, campaign_id: int) -> Floor:
    if session.get(Campaign, campaign_id) is None:
        raise HTTPException(status_code=404)
    return floor(session, campaign_id, _clock_now(request))


def _context(request: Request, board: Floor, **extra: Any) -> dict[str, Any]:
    return {**HELPERS, "board": board, "now": _clock_now(request), **extra}


@router.get("", dependencies=SUPERVISOR)
def campaigns(request: Request, session: Annotated[Session, Depends(db)]) -> Response:
    """Every campaign with its status and today's headline figures."""
    now = _clock_now(request)
    boards = [floor(session, cid, now) for cid in session.scalars(select(Campaign.id).order_by(Campaign.name))]
    return render(request, "console/index.html", {**HELPERS, "boards": boards, "now": now})


@router.get("/{campaign_id}", dependencies=SUPERVISOR)
def campaign_page(request: Request, campaign_id: int, session: Annotated[Session, Depends(db)]) -> Response:
    board = _floor(request, session, campaign_id)
    return render(request, "console/campaign.html", _context(request, board, **_controls(session, campaign_id)))


def _controls(session: Session, campaign_id: int, **extra: Any) -> dict[str, Any]:
    campaign = session.get_one(Campaign, campaign_id)
    settings = campaign_settings(campaign.settings or {})
    values = {"pacing_mode": settings.pacing_mode,
              "abandonment_target": display("abandonment_target", settings.abandonment_target)}
    return {"campaign": campaign, "values": {**values, **extra.pop("values", {})}, "errors": {}, "message": "",
            "conflicts": [], **extra}  # fmt: skip


def _controls_answer(request: Request, session: Session, campaign_id: int, status: int = 200,
                     **extra: Any) -> Response:
    """The controls again: the fragment for console.js, else the whole page (a browser without script)."""
    context = _controls(session, campaign_id, **extra)
    if request.headers.get("x-rdv-fragment"):
        return render(request, "console/_controls.html", {**HELPERS, **context}, status_code=status)
    board = _floor(request, session, campaign_id)
    return render(request, "console/campaign.html", _context(request, board, **context), status_code=status)


@router.post("/{campaign_id}/status", dependencies=SUPERVISOR)
def change_status(request: Request, campaign_id: int, session: Annotated[Session, Depends(db)],
                  action: Annotated[str, Form()] = "") -> Response:
    """Start, pause or stop, as `rdv campaign start|pause|stop` would."""
    _exists(session, campaign_id)
    notifier = request.app.state.notifier
    conflicts: list[str] = []
    try:
        if action == "start":
            centre = request.app.state.rdv.settings.centre_timezone
            _campaign, found = control.start(session, campaign_id, _clock_now(request), centre, notifier)
            conflicts = [c.message for c in found]
            message = _("Campaign started.")
        elif action == "pause":
            control.pause(session, campaign_id, notifier)
            message = _("Campaign paused: no new call; agents stay logged in.")
        elif action == "stop":
            control.stop(session, campaign_id, notifier)
            message = _("Campaign stopped: no new call; agents leave after their calls.")
        else:
            raise HTTPException(status_code=400)
    except CampaignBlocked as refused:
        session.rollback()
        return _controls_answer(request, session, campaign_id, 409, errors={"status": str(refused)})
    session.commit()
    return _controls_answer(request, session, campaign_id, message=message, conflicts=conflicts)


@router.post("/{campaign_id}/settings", dependencies=SUPERVISOR)
def change_setting(request: Request, campaign_id: int, session: Annotated[Session, Depends(db)],
                   key: Annotated[str, Form()] = "", value: Annotated[str, Form()] = "") -> Response:
    """Change the pacing mode or the abandonment target, validated by the settings registry."""
    _exists(session, campaign_id)
    try:
        control.change_setting(session, campaign_id, key, value, request.app.state.notifier)
    except (InvalidSetting, UnknownSetting) as refused:
        session.rollback()
        return _controls_answer(request, session, campaign_id, 422, errors={key: str(refused)},
                                values={key: value})  # fmt: skip
    session.commit()
    return _controls_answer(request, session, campaign_id, message=_("Setting saved: the dialler applies it now."))


def live_payload(request: Request, campaign_id: int) -> dict[str, str]:
    """The wallboard and the agent table, rendered for the live stream."""
    with request.app.state.sessions() as session:
        board = _floor(request, session, campaign_id)
    context = _context(request, board)
    return {"board": fragment("console/_board.html", context), "agents": fragment("console/_agents.html", context)}


@router.get("/{campaign_id}/live", dependencies=SUPERVISOR)
async def live(request: Request, campaign_id: int) -> EventSourceResponse:
    with request.app.state.sessions() as session:
        if session.get(Campaign, campaign_id) is None:
            raise HTTPException(status_code=404)
    return EventSourceResponse(_stream(request, campaign_id), ping=15)


async def _stream(request: Request, campaign_id: int) -> AsyncIterator[dict[str, str]]:
    topics = (campaign_topic(campaign_id), FLOOR, control.control_topic(campaign_id))
    async for event in live_events(request.app.state.notifier, topics, "board",
                                   lambda: live_payload(request, campaign_id),
                                   shared=shared_render(request.app.state, campaign_id)):  # fmt: skip
        yield event


class SharedRender:
    """One campaign's latest live payload, for all its consoles: the payload is the same for every supervisor,
    and each stream rendering its own cost a render per supervisor per change (10 consoles on 200 agents: 30
    renders a second, the cores' worth). A stream sends the latest payload when its render began after the
    news the stream woke for (it read the database after that news was committed), else renders anew; one
    render at a time per campaign."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.lock = asyncio.Lock()
        self.began = float("-inf")
        self.payload: dict[str, str] | None = None
        self.renders = 0

    async def get(self, since: float, render: Callable[[], dict[str, str]]) -> dict[str, str]:
        """A payload rendered from a read that began at `since` (the loop's time) or later."""
        async with self.lock:
            if self.payload is None or self.began < since:
                began = self.loop.time()
                self.payload = await asyncio.to_thread(render)
                self.began = began
                self.renders += 1
            return self.payload


def shared_render(state: Any, campaign_id: int) -> SharedRender:
    """The campaign's SharedRender in this app (one per event loop: a test may run the app in several)."""
    renders: dict[int, SharedRender] = state.__dict__.setdefault("console_renders", {})
    shared = renders.get(campaign_id)
    if shared is None or shared.loop is not asyncio.get_running_loop():
        shared = renders[campaign_id] = SharedRender()
    return shared


async def live_events(notifier: Any, topics: Iterable[str], name: str, render: Callable[[], dict[str, str]],
                      min_interval_s: float = MIN_INTERVAL_S,
                      shared: SharedRender | None = None) -> AsyncIterator[dict[str, str]]:
    """Server-sent events `name`, rendered (in a thread) now and at each notification of `topics`.

    At most one render per `min_interval_s`: what happens meanwhile waits in the subscriptions, taken before
    the first render so that nothing is missed. Every REFRESH_S anyway; without a notifier, every POLL_S. With
    `shared`, a payload another stream rendered after this one's news is sent instead of rendering again.
    """
    subs: list[Subscription] = [notifier.subscribe(t) for t in topics] if notifier is not None else []
    loop = asyncio.get_running_loop()
    since = loop.time()
    try:
        while True:
            began = loop.time()
            payload = await (shared.get(since, render) if shared is not None else asyncio.to_thread(render))
            yield {"event": name, "data": json.dumps(payload)}
            await asyncio.sleep(max(0.0, began + min_interval_s - loop.time()))
            arrived = None
            if subs:
                arrived = await wake_at(subs, timeout=REFRESH_S)
            else:
                await asyncio.sleep(POLL_S)
            since = loop.time() if arrived is None else arrived
    finally:
        for sub in subs:
            sub.close()
