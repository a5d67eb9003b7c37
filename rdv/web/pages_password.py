"""A logged-in person changes their own password (the first one came from `rdv user add`, printed once)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import delete
from sqlalchemy.orm import Session

from config.i18n import _
from rdv.web import auth, throttle
from rdv.web.auth import current_user, db, wall_now
from rdv.web.models import User, WebSession
from rdv.web.roles import Role, allow
from rdv.web.templating import render

router = APIRouter()
EVERYONE = (Role.supervisor, Role.teleoperator, Role.client)
MIN_LENGTH = 10


def password_problem(user: User, new: str, again: str) -> str:
    """Why `new` cannot be this user's password, or "" if it can."""
    if new != again:
        return _("The two new passwords differ.")
    if len(new) < MIN_LENGTH:
        return _("The new password needs at least {count} characters.").format(count=MIN_LENGTH)
    if new.strip().lower() == user.login:
        return _("The new password cannot be your login.")
    if auth.password_matches(user, new):
        return _("The new password must differ from the current one.")
    return ""


@router.get("/password", dependencies=[allow(*EVERYONE)])
def password_page(request: Request) -> Response:
    return render(request, "password.html", {"error": "", "done": False})


@router.post("/password", dependencies=[allow(*EVERYONE)])
def change_password(request: Request, user: Annotated[User, Depends(current_user)],
                    session: Annotated[Session, Depends(db)], current: Annotated[str, Form()] = "",
                    new: Annotated[str, Form()] = "", again: Annotated[str, Form()] = "") -> Response:
    now = wall_now(request)
    address = request.client.host if request.client else ""
    if throttle.throttled(session, user.login, address, now):
        error = _("Too many failed attempts: wait a minute before trying again.")
    elif not auth.password_matches(user, current):
        # Counted like a failed login: a session left open must not let someone guess the password.
        throttle.record_failure(session, user.login, address, now)
        session.commit()
        error = _("The current password is wrong.")
    else:
        error = password_problem(user, new, again)
    if error:
        return render(request, "password.html", {"error": error, "done": False}, status_code=422)
    row = session.get(User, user.id)
    assert row is not None
    row.password_hash = auth.hash_password(new)
    row.password_changed_at = now
    # Every other browser logged in as this person is logged out; this one stays.
    session.execute(delete(WebSession).where(WebSession.user_id == user.id,
                                             WebSession.id != request.state.web_session.id))  # fmt: skip
    session.commit()
    return render(request, "password.html", {"error": "", "done": True})
