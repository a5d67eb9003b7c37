"""The RDV sheet and the other dispositions of a call, from the agent's screen.

`/check` answers as the agent types: a French message per field and the conformity verdict with the
criteria met, missed and still to ask. `/dispose` saves through rdv.agent_desk.save_disposition, the same
services as the CLI and the simulated agents; a slot must be one the client accepts and a callback a moment
the callee's calendar allows. An objection (L. 221-16) hangs up first, then lists the number client-wide.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from campaigns.appointment_rules import InvalidSlot, TimeSlot
from campaigns.callback_services import callback_offer
from campaigns.errors import AppointmentExists, CallbackRefused, ScriptNotLoaded, UnknownDisposition
from campaigns.models import Campaign
from campaigns.rdv_form import live_verdict, read_answers
from campaigns.script import CampaignScript, InvalidAnswer
from campaigns.script_store import current_script
from campaigns.store import load_rules
from campaigns.visit_slots import check_visit, parse_slot_value
from config.i18n import _, current_lang, fmt_date, fmt_time
from leads.models import Lead
from rdv import agent_desk
from rdv.agent_desk import DeskError, NotYourCall, Pop
from rdv.web import agent_view
from rdv.web.agent import centre_zone, desk_now
from rdv.web.auth import current_user, db
from rdv.web.models import User
from rdv.web.roles import Role, allow
from rdv.web.templating import environment

router = APIRouter(prefix="/agent/call")
TELEOPERATOR = [allow(Role.teleoperator)]


class Refused(ValueError):
    """A disposition the screen cannot save as sent; `errors` names the fields at fault."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


def _own_pop(session: Session, user: User, attempt_id: int) -> Pop:
    try:
        return agent_desk.pop_of(session, user.login, attempt_id)
    except NotYourCall:
        raise HTTPException(status_code=404) from None


def _script(session: Session, campaign_id: int) -> CampaignScript:
    loaded = current_script(session, campaign_id)
    if loaded is None:
        raise Refused(str(ScriptNotLoaded(session.get_one(Campaign, campaign_id).name)))
    return loaded[1]


def _lists(form: FormData) -> dict[str, list[str]]:
    return {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}


@router.get("/{attempt_id}/offers", dependencies=TELEOPERATOR)
def offers(request: Request, attempt_id: int, user: Annotated[User, Depends(current_user)],
           session: Annotated[Session, Depends(db)]) -> Response:
    """The options of the visit-slot and callback pickers, fetched once the pop shows."""
    pop = _own_pop(session, user, attempt_id)
    found = agent_view.offers(session, pop, desk_now(request), centre_zone(request))
    env = environment()
    values = {"offers": found, "day_label": _cached(fmt_date), "short_day": _cached(lambda d: fmt_date(d, "EEE d MMM")),
              "clock": lambda moment: _clock(moment.hour, moment.minute, current_lang())}
    return JSONResponse({"slots": env.get_template("agent/_slot_options.html").render(values),
                         "callbacks": env.get_template("agent/_callback_options.html").render(values)})


def _cached(formatter: Callable[[date], str]) -> Callable[[date], str]:
    """A date formatter that formats each day once per response (Babel is slow, and days repeat)."""
    return cache(formatter)


@cache
def _clock(hour: int, minute: int, lang: str = "") -> str:
    return fmt_time(datetime(2000, 1, 3, hour, minute))


@router.post("/{attempt_id}/check", dependencies=TELEOPERATOR)
async def check(request: Request, attempt_id: int, user: Annotated[User, Depends(current_user)],
                session: Annotated[Session, Depends(db)]) -> Response:
    """The sheet as typed so far: per-field messages and the live verdict (an HTML fragment)."""
    pop = _own_pop(session, user, attempt_id)
    form = _lists(await request.form())
    script = _script(session, pop.campaign_id)
    answers = read_answers(script.questions, form)
    verdict = live_verdict(answers.values, script.criteria)
    touched = {k.removeprefix("answer_") for k, v in form.items() if k.startswith("answer_") and any(v)}
    errors = {k: m for k, m in answers.errors.items() if k in touched or form.get("all") == ["1"]}
    html = environment().get_template("agent/_verdict.html").render({"_": _, "verdict": verdict})
    return JSONResponse({"errors": errors, "verdict": html, "conform": verdict.conform})


@router.post("/{attempt_id}/dispose", dependencies=TELEOPERATOR)
async def dispose(request: Request, attempt_id: int, user: Annotated[User, Depends(current_user)],
                  session: Annotated[Session, Depends(db)]) -> Response:
    """Save the call's disposition (the RDV sheet, a callback, do-not-call, an objection, …)."""
    pop = _own_pop(session, user, attempt_id)
    form = _lists(await request.form())
    code = (form.get("code") or [""])[0]
    try:
        if pop.qualified_at is not None:
            raise Refused(_("This call is already qualified."))
        kwargs = _disposition(request, session, pop, code, form)
        if code == "objection" and pop.live:
            agent_desk.send(session, request.app.state.notifier, user.login, "hangup", now=desk_now(request))
        agent_desk.save_disposition(session, request.app.state.notifier, user.login, attempt_id, code,
                                    now=desk_now(request), centre_timezone=centre_zone(request), **kwargs)
    except Refused as refused:
        session.rollback()
        return _answer(request, False, str(refused), refused.errors, status=422)
    except (DeskError, CallbackRefused, InvalidSlot, InvalidAnswer, AppointmentExists, UnknownDisposition) as exc:
        session.rollback()
        return _answer(request, False, str(exc), status=409)
    session.commit()
    return _answer(request, True, _saved_message(code))


def _disposition(request: Request, session: Session, pop: Pop, code: str,
                 form: dict[str, list[str]]) -> dict[str, Any]:
    """The keyword arguments of save_disposition for what the form sent, checked against the offers."""
    note = (form.get("note") or [""])[0].strip()[:1000]
    if code == "rdv":
        script = _script(session, pop.campaign_id)
        answers = read_answers(script.questions, form)
        slot = _slot(session, pop, script, (form.get("slot") or [""])[0], desk_now(request))
        if answers.errors:
            raise Refused(_("Some answers of the sheet are missing or wrong."), answers.errors)
        return {"answers": answers.values, "slot": slot, "note": note}
    if code == "callback":
        return {"callback_at": _callback_moment(request, session, pop, (form.get("callback_at") or [""])[0]),
                "note": note}
    return {"note": note, "dnc": code == "do_not_call"}


def _slot(session: Session, pop: Pop, script: CampaignScript, value: str, now: datetime) -> TimeSlot:
    lead = session.get_one(Lead, pop.lead_id)
    zone = lead.timezone or session.get_one(Campaign, pop.campaign_id).timezone
    if not value:
        raise Refused(_("Choose the visit slot."), {"slot": _("Choose the visit slot.")})
    try:
        slot = parse_slot_value(value, zone)
        check_visit(slot, script.visit_rules(), zone, now, lead.country, lead.subdivision)
    except InvalidSlot as exc:
        raise Refused(str(exc), {"slot": str(exc)}) from None
    return slot


def _callback_moment(request: Request, session: Session, pop: Pop, value: str) -> datetime:
    if not value:
        raise Refused(_("Choose when to call back."), {"callback_at": _("Choose when to call back.")})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    lead = session.get_one(Lead, pop.lead_id)
    rules = load_rules(session, pop.campaign_id, centre_zone(request))
    offered = callback_offer(session, lead, rules, desk_now(request))
    if moment is None or moment.tzinfo is None or not any(moment == m for d in offered for m in d.moments):
        problem = _("This moment is not one the callee may be called at; choose one in the list.")
        raise Refused(problem, {"callback_at": problem})
    return moment


def _saved_message(code: str) -> str:
    if code == "rdv":
        return _("Appointment saved.")
    if code == "callback":
        return _("Callback booked.")
    if code == "objection":
        return _("Call ended; the number will never be called again for this client.")
    if code == "do_not_call":
        return _("The number will not be called again for this client.")
    return _("Disposition saved.")


def _answer(request: Request, ok: bool, message: str, errors: dict[str, str] | None = None,
            status: int = 200) -> Response:
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"ok": ok, "message": message, "errors": errors or {}}, status_code=status)
    return RedirectResponse("/agent", status_code=303)
