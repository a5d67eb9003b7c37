"""One agent seen from the console: their presence and current call, and listening or whispering to it.

Listening (ChanSpy, silent) and whispering (the agent hears the supervisor, the prospect does not) ring the
supervisor's own phone (`users.phone`); they are agent-desk commands about the agent's call, applied by the
dialer that runs it (`rdv.agent_desk.send`). The page follows the agent live (`agent:<login>`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from sse_starlette import EventSourceResponse

from campaigns.models import Attempt, Campaign
from config.i18n import _
from dialer.desk_models import AgentCommand
from dialer.models import AgentRecord
from leads.models import Lead
from leads.phone import mask
from rdv import agent_desk
from rdv.wakeup import agent_topic
from rdv.web.auth import current_user, db
from rdv.web.console import live_events
from rdv.web.console_view import HELPERS, fragment
from rdv.web.models import User
from rdv.web.roles import Role, allow
from rdv.web.templating import render

router = APIRouter(prefix="/console")
SUPERVISOR = [allow(Role.supervisor)]
SPY_KINDS = ("listen", "whisper")


def _call_page_exists(request: Request) -> bool:
    """Whether the call pages (recordings, call control) are served here."""
    return any(getattr(r, "path", "") == "/calls/{attempt_id}" for r in request.app.routes)


def _engine_call(session: Session, record: AgentRecord) -> agent_desk.Pop | None:
    """The call the dialer says the agent is on, when no screen popped it (a simulated agent's, say)."""
    if record.state != "on_call" or not record.call_id:
        return None
    attempt = session.scalar(select(Attempt).where(Attempt.action_id == record.call_id))
    if attempt is None or attempt.connected_at is None:
        return None
    return agent_desk.Pop(record.login, attempt.id, attempt.lead_id, attempt.campaign_id, record.call_id,
                          attempt.phone_e164, attempt.connected_at, attempt.ended_at, None, None,
                          attempt.disposition)  # fmt: skip


def agent_context(request: Request, session: Session, campaign_id: int, login: str) -> dict[str, Any]:
    """Everything the agent's page shows; 404 for an agent who never worked on this campaign."""
    campaign = session.get(Campaign, campaign_id)
    record = session.scalar(select(AgentRecord).where(AgentRecord.login == login))
    if campaign is None or record is None or record.campaign_id != campaign_id:
        raise HTTPException(status_code=404)
    pop = agent_desk.current_call(session, login) or _engine_call(session, record)
    lead = session.get(Lead, pop.lead_id) if pop is not None else None
    commands = list(session.scalars(select(AgentCommand).where(AgentCommand.login == login,
                                                               AgentCommand.kind.in_(SPY_KINDS))
                                    .order_by(AgentCommand.id.desc()).limit(5)))  # fmt: skip
    user: User = current_user(request)
    return {**HELPERS, "campaign": campaign, "agent": record, "pop": pop, "lead": lead, "commands": commands,
            "masked": mask(pop.phone_e164) if pop is not None and pop.phone_e164 else "",
            "my_phone": user.phone, "call_page": _call_page_exists(request),
            "now": request.app.state.rdv.clock.now(),
            "local": lambda moment: moment.astimezone(ZoneInfo(request.app.state.rdv.settings.centre_timezone))}


@router.get("/{campaign_id}/agents/{login}", dependencies=SUPERVISOR)
def agent_page(request: Request, campaign_id: int, login: str, session: Annotated[Session, Depends(db)],
               sent: str = "") -> Response:
    context = agent_context(request, session, campaign_id, login)
    return render(request, "console/agent.html", {**context, "sent": sent, "error": ""})


@router.post("/{campaign_id}/agents/{login}/{kind}", dependencies=SUPERVISOR)
def spy(request: Request, campaign_id: int, login: str, kind: str,
        session: Annotated[Session, Depends(db)]) -> Response:
    """Ask the dialer to connect the supervisor's phone to the agent's call, silently or to whisper."""
    if kind not in SPY_KINDS:
        raise HTTPException(status_code=404)
    context = agent_context(request, session, campaign_id, login)
    user: User = current_user(request)
    error = ""
    if not user.phone:
        error = _("Your account has no phone to ring: set one with rdv user add … --phone, or ask an administrator.")
    elif context["pop"] is None or not context["pop"].live:
        error = _("{agent} is not on a call at the moment.").format(agent=context["agent"].display_name or login)
    if error:
        return render(request, "console/agent.html", {**context, "sent": "", "error": error}, status_code=409)
    try:
        # The dialer rings the phone of the sender's account (`sent_by`).
        agent_desk.send(session, request.app.state.notifier, user.login, kind, sent_by=user.login, agent_login=login)
    except agent_desk.DeskError as refused:
        session.rollback()
        return render(request, "console/agent.html", {**context, "sent": "", "error": str(refused)},
                      status_code=409)  # fmt: skip
    session.commit()
    return RedirectResponse(f"/console/{campaign_id}/agents/{login}?sent={kind}", status_code=303)


def call_payload(request: Request, campaign_id: int, login: str) -> dict[str, str]:
    with request.app.state.sessions() as session:
        context = agent_context(request, session, campaign_id, login)
    return {"call": fragment("console/_call.html", context, request)}


@router.get("/{campaign_id}/agents/{login}/live", dependencies=SUPERVISOR)
async def agent_live(request: Request, campaign_id: int, login: str) -> EventSourceResponse:
    await asyncio.to_thread(call_payload, request, campaign_id, login)  # 404 before the stream opens
    return EventSourceResponse(_stream(request, campaign_id, login), ping=15)


async def _stream(request: Request, campaign_id: int, login: str) -> AsyncIterator[dict[str, str]]:
    async for event in live_events(request.app.state.notifier, [agent_topic(login)], "call",
                                   lambda: call_payload(request, campaign_id, login)):  # fmt: skip
        yield event
