"""The supervisor's calls: the recent connected calls, one call's page (times, outcome, transitions, what was
done during it, the recording's player) and the recording itself, served with range requests.

Supervisors only (rdv/web/roles.py: anyone else gets 404 on a call's page, 403 on the list). The lead is
shown as a supervisor needs it for quality listening: name and town, the called number masked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.dispositions import dispositions_for
from campaigns.models import Attempt, Campaign
from config.i18n import _
from dialer.call_models import CallControlEvent, Recording
from dialer.models import AttemptTransition
from dialer.recordings import absolute
from leads.models import Lead
from leads.phone import mask
from rdv.web.auth import db
from rdv.web.roles import Role, allow
from rdv.web.templating import render
from reports.labels import outcome_label

router = APIRouter()
RECENT = 100
# What the supervisor reads for each call-control event and each phase of the call.
EVENT_LABELS: dict[str, Callable[[], str]] = {
    "hangup": lambda: _("Hung up by the teleoperator"),
    "hold": lambda: _("Put on hold"),
    "unhold": lambda: _("Taken back from hold"),
    "transfer": lambda: _("Transferred to a supervisor"),
    "listen": lambda: _("Listened to by a supervisor"),
    "whisper": lambda: _("Whispered to by a supervisor"),
    "recorded": lambda: _("Recording stored"),
}
STEP_LABELS: dict[str, Callable[[], str]] = {
    "created": lambda: _("Dial decided"),
    "originated": lambda: _("Dialled"),
    "ringing": lambda: _("Ringing"),
    "answered": lambda: _("Answered"),
    "queued": lambda: _("Waiting for a teleoperator"),
    "connected": lambda: _("Put through to a teleoperator"),
    "ended": lambda: _("Ended"),
}


def _label(labels: dict[str, Callable[[], str]], code: str) -> str:
    found = labels.get(code)
    return found() if found is not None else code
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@dataclass(frozen=True)
class CallRow:
    attempt: Attempt
    campaign: str
    recorded: bool
    local: datetime


def _zone(campaign: Campaign | None) -> ZoneInfo:
    return ZoneInfo(campaign.timezone if campaign is not None else "Europe/Paris")


@router.get("/calls", dependencies=[allow(Role.supervisor)])
def calls_list(request: Request, session: Annotated[Session, Depends(db)], campaign: int | None = None) -> Response:
    """The latest connected calls, newest first, with a mark for those that have a recording."""
    query = select(Attempt).where(Attempt.connected_at.is_not(None)).order_by(Attempt.id.desc()).limit(RECENT)
    if campaign is not None:
        query = query.where(Attempt.campaign_id == campaign)
    attempts = list(session.scalars(query))
    campaigns = {c.id: c for c in session.scalars(select(Campaign))}
    recorded = set(session.scalars(select(Recording.attempt_id).where(
        Recording.attempt_id.in_([a.id for a in attempts]))))
    rows = [CallRow(a, campaigns[a.campaign_id].name if a.campaign_id in campaigns else "", a.id in recorded,
                    (a.connected_at or a.created_at).astimezone(_zone(campaigns.get(a.campaign_id))))
            for a in attempts]  # fmt: skip
    return render(request, "calls/list.html", {"rows": rows, "selected": campaign, "outcome": outcome_label,
                                               "campaigns": sorted(campaigns.values(), key=lambda c: c.name)})


@router.get("/calls/{attempt_id}", dependencies=[allow(Role.supervisor)])
def call_page(request: Request, attempt_id: int, session: Annotated[Session, Depends(db)]) -> Response:
    attempt = session.get(Attempt, attempt_id)
    if attempt is None:
        raise HTTPException(status_code=404)
    campaign = session.get(Campaign, attempt.campaign_id)
    lead = session.get(Lead, attempt.lead_id)
    zone = _zone(campaign)
    transitions = list(session.scalars(select(AttemptTransition).where(AttemptTransition.attempt_id == attempt_id)
                                       .order_by(AttemptTransition.at, AttemptTransition.id)))
    events = list(session.scalars(select(CallControlEvent).where(CallControlEvent.attempt_id == attempt_id)
                                  .order_by(CallControlEvent.at, CallControlEvent.id)))
    recording = session.scalars(select(Recording).where(Recording.attempt_id == attempt_id)).first()
    return render(request, "calls/call.html", {
        "attempt": attempt, "campaign": campaign, "lead": lead, "phone": mask(attempt.phone_e164),
        "zone": zone, "local": lambda moment: moment.astimezone(zone) if moment else None,
        "transitions": transitions, "events": events, "recording": recording, "outcome": outcome_label,
        "event_label": lambda code: _label(EVENT_LABELS, code), "step_label": lambda code: _label(STEP_LABELS, code),
        "disposition": _disposition_label(campaign, attempt.disposition),
    })


def _disposition_label(campaign: Campaign | None, code: str) -> str:
    if not code:
        return ""
    known = dispositions_for(campaign.settings or {} if campaign else {})
    return known[code].label() if code in known else code


@router.get("/calls/{attempt_id}/recording", dependencies=[allow(Role.supervisor)])
def recording_audio(request: Request, attempt_id: int, session: Annotated[Session, Depends(db)]) -> Response:
    """The WAV file; a `Range: bytes=…` request gets that part (206), as the browser's player seeks."""
    row = session.scalars(select(Recording).where(Recording.attempt_id == attempt_id)).first()
    if row is None:
        raise HTTPException(status_code=404)
    try:
        path = absolute(request.app.state.rdv.settings.data_dir, row)
    except ValueError:
        raise HTTPException(status_code=404) from None
    if not path.is_file():
        raise HTTPException(status_code=404)
    return ranged(path, request.headers.get("range", ""))


def ranged(path: Path, header: str) -> Response:
    """The whole file, or the one byte range asked for; 416 for a range outside the file."""
    size = path.stat().st_size
    base: dict[str, Any] = {"Accept-Ranges": "bytes", "Cache-Control": "private, no-store"}
    found = _RANGE.fullmatch(header.strip()) if header else None
    if found is None or not (found.group(1) or found.group(2)):
        return Response(path.read_bytes(), media_type="audio/wav", headers=base)
    first, last = found.group(1), found.group(2)
    if first:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    else:  # the last N bytes
        start, end = max(0, size - int(last)), size - 1
    if start >= size or start > end:
        return Response(status_code=416, headers={**base, "Content-Range": f"bytes */{size}"})
    with path.open("rb") as stream:
        stream.seek(start)
        body = stream.read(end - start + 1)
    return Response(body, status_code=206, media_type="audio/wav",
                    headers={**base, "Content-Range": f"bytes {start}-{end}/{size}"})
