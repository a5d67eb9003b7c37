"""The supervisor's do-not-call screen: a client's lists (or the centre's, for every client), search a number
typed in any French format, add one with its reason, remove one with its reason (audited).

Numbers are masked on screen except the one searched for; the audit log gets who, the reason and how many
numbers, never the number (rdv.web.dnc_lists).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from campaigns.models import Client
from campaigns.store import list_clients
from config.i18n import _
from leads import dnc
from leads.phone import InvalidPhoneNumber, display, normalise
from rdv.cli.dnc import _block as stop_listed_leads
from rdv.web import dnc_lists
from rdv.web.auth import current_user, db
from rdv.web.models import User
from rdv.web.portal import local
from rdv.web.roles import Role, allow
from rdv.web.templating import render

router = APIRouter()
SUPERVISOR = [allow(Role.supervisor)]
CENTRE = "centre"
DONE = {"added": lambda: _("Number added to the do-not-call list."),
        "known": lambda: _("This number was on the list already."),
        "removed": lambda: _("Number taken off the do-not-call list; the removal is in the audit log."),
        "absent": lambda: _("This number was on no list of this scope: nothing removed.")}  # fmt: skip


def _scope(session: Session, raw: str) -> Client | None:
    """The client whose list it is, or None for the centre's list; an unknown client is a 404."""
    if raw == CENTRE:
        return None
    client = session.get(Client, int(raw)) if raw.isdigit() else None
    if client is None:
        raise HTTPException(status_code=404)
    return client


def _key(request: Request) -> str:
    key: str = request.app.state.rdv.secret(dnc.KEY_NAME)
    return key


def _target(client: Client | None) -> str:
    return f"client {client.name}" if client is not None else "centre"  # as `rdv dnc` writes it


def _page(request: Request, session: Session, scope: str, *, q: str = "", status: int = 200, error: str = "",
          done: str = "", form: dict[str, str] | None = None) -> Response:
    clients = list_clients(session)
    if not scope:
        scope = str(clients[0].id) if clients else CENTRE
    client = _scope(session, scope)
    found = None
    if q.strip() and not error:
        try:
            found = dnc_lists.search(session, normalise(q, "FR").e164, client.id if client else None, _key(request))
        except InvalidPhoneNumber as exc:
            error, status = str(exc), 422
    context: dict[str, Any] = {
        "clients": clients, "scope": scope, "client": client, "q": q, "found": found, "display": display,
        "entries": dnc_lists.entries(session, client.id if client else None), "error": error,
        "done": DONE[done]() if done in DONE else "", "form": form or {}, "centre": CENTRE,
        "zone": str(request.app.state.rdv.settings.centre_timezone), "local": local,
    }
    return render(request, "admin/dnc/list.html", context, status_code=status)


@router.get("/dnc", dependencies=SUPERVISOR)
def dnc_page(request: Request, session: Annotated[Session, Depends(db)], scope: str = "", q: str = "",
             done: str = "") -> Response:
    """A scope's list, with the searched number's entries shown in full."""
    return _page(request, session, scope, q=q, done=done)


def _change(request: Request, session: Session, user: User, scope: str, number: str, reason: str,
            action: str) -> Response:
    client = _scope(session, scope)
    form = {"number": number, "reason": reason, "action": action}
    try:
        e164 = normalise(number, "FR").e164
    except InvalidPhoneNumber as exc:
        return _page(request, session, scope, status=422, error=str(exc), form=form)
    if not reason.strip():
        return _page(request, session, scope, status=422, form=form,
                     error=_("Give the reason: it is kept with the list and in the audit log."))  # fmt: skip
    client_id = client.id if client else None
    app, now = request.app.state.rdv, request.app.state.rdv.clock.now()
    who = {"who": user.login, "address": request.client.host if request.client else "", "target": _target(client)}
    if action == "add":
        fresh = dnc_lists.add(session, e164, client_id, reason, _key(request), now=now, **who)
        stop_listed_leads(session, app, client_id)
        done = "added" if fresh else "known"
    else:
        done = "removed" if dnc_lists.remove(session, e164, client_id, reason, _key(request), now=now, **who) \
            else "absent"
    session.commit()
    return RedirectResponse(f"/dnc?scope={scope}&done={done}", status_code=303)


@router.post("/dnc/add", dependencies=SUPERVISOR)
def dnc_add(request: Request, user: Annotated[User, Depends(current_user)], session: Annotated[Session, Depends(db)],
            scope: Annotated[str, Form()] = "", number: Annotated[str, Form()] = "",
            reason: Annotated[str, Form()] = "") -> Response:
    """Put a number on the scope's list; leads already stored with it stop being called at once."""
    return _change(request, session, user, scope, number, reason, "add")


@router.post("/dnc/remove", dependencies=SUPERVISOR)
def dnc_remove(request: Request, user: Annotated[User, Depends(current_user)],
               session: Annotated[Session, Depends(db)], scope: Annotated[str, Form()] = "",
               number: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "") -> Response:
    """Take a number off the scope's lists, with the reason, in the audit log."""
    return _change(request, session, user, scope, number, reason, "remove")
