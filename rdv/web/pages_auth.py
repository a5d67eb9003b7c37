"""Login, logout (here or everywhere), the home page that sends each role to its screen, and a health check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.models import Client
from config.i18n import _
from rdv.web import auth, pages_password, throttle
from rdv.web.auth import SESSION_COOKIE, current_user, db, session_user, wall_now
from rdv.web.models import User, WebSession, user_by_login, visible_campaigns
from rdv.web.roles import Role, allow, app_routes, public
from rdv.web.templating import render

router = APIRouter()
router.include_router(pages_password.router)
EVERYONE = (Role.supervisor, Role.teleoperator, Role.client)
# Where each role works, once the page module that serves it is in ROUTER_MODULES.
PLACES = {Role.teleoperator: "/agent", Role.supervisor: "/console", Role.client: "/portal"}


def client_address(request: Request) -> str:
    """The browser's address as the server sees it (uvicorn applies X-Forwarded-For only from trusted proxies)."""
    return request.client.host if request.client else ""


def safe_next(target: str) -> str:
    """A local path to go to after login; anything else (another site, `//host`) goes home."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/health", dependencies=[public()])
def health() -> PlainTextResponse:
    return PlainTextResponse("ok")


@router.get("/login", dependencies=[public()])
def login_page(request: Request, next: str = "/") -> Response:
    if session_user(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "error": "", "login": ""})


@router.post("/login", dependencies=[public()])
def login(request: Request, session: Annotated[Session, Depends(db)], login: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> Response:
    now = wall_now(request)
    address = client_address(request)
    name = login.strip().lower()
    if throttle.throttled(session, name, address, now):
        error, status = _("Too many failed attempts: wait a minute before trying again."), 429
    else:
        user = user_by_login(session, name) if name else None
        if auth.password_matches(user, password) and user is not None and user.active:
            # A session this browser had before (another account, or a stale one) ends: one browser, one session.
            auth.close_session(session, request.cookies.get(SESSION_COOKIE, ""))
            opened = auth.open_session(session, user, address, now)
            auth.purge_expired(session, now)
            session.commit()
            response = RedirectResponse(safe_next(next), status_code=303)
            response.set_cookie(SESSION_COOKIE, opened.token, max_age=int(auth.SESSION_LIFETIME.total_seconds()),
                                httponly=True, samesite="strict", secure=request.url.scheme == "https",
                                path="/")  # fmt: skip
            return response
        throttle.record_failure(session, name, address, now)
        session.commit()
        # One message whether the login exists or not, so that logins cannot be guessed from it.
        error, status = _("Wrong login or password."), 401
    return render(request, "login.html", {"next": safe_next(next), "error": error, "login": login},
                  status_code=status)  # fmt: skip


def _logged_out(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")  # fmt: skip
    return response


@router.post("/logout", dependencies=[allow(*EVERYONE)])
def logout(request: Request, session: Annotated[Session, Depends(db)]) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    auth.close_session(session, token)
    session.commit()
    return _logged_out(request)


@router.post("/logout-all", dependencies=[allow(*EVERYONE)])
def logout_everywhere(request: Request, user: Annotated[User, Depends(current_user)],
                      session: Annotated[Session, Depends(db)]) -> Response:
    auth.close_all_sessions(session, user.id)
    session.commit()
    return _logged_out(request)


def _has_page(request: Request, path: str) -> bool:
    return any(r.path == path and "GET" in (r.methods or ()) for r in app_routes(request.app))


@router.get("/", dependencies=[allow(*EVERYONE)])
def home(request: Request, user: Annotated[User, Depends(current_user)],
         session: Annotated[Session, Depends(db)]) -> Response:
    place = PLACES[Role(user.role)]
    if _has_page(request, place):
        return RedirectResponse(place, status_code=303)
    return render(request, "home.html", {"campaigns": visible_campaigns(session, user),
                                         "client": session.get(Client, user.client_id) if user.client_id else None,
                                         "sessions": _session_count(session, user.id)})  # fmt: skip


def _session_count(session: Session, user_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(WebSession).where(WebSession.user_id == user_id))
               or 0)  # fmt: skip
