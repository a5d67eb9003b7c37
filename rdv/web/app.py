"""The web application: `create_app(app)` builds the FastAPI app over the composition root's database.

Each page module exposes a `router`; add its module name to ROUTER_MODULES (one line) to serve it. Every route
declares who may call it (rdv/web/roles.py); CSRF is checked app-wide (rdv/web/csrf.py).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config.clock import Clock, SystemClock
from config.i18n import _
from rdv.bootstrap import App
from rdv.web.auth import NotAuthenticated, session_user
from rdv.web.csrf import CsrfFailed, csrf_protect
from rdv.web.security import HEADERS, AccessLog, SecurityHeaders, route_template
from rdv.web.templating import render

# Live pages answer with EventSourceResponse (server-sent events, with keep-alive pings), imported from here.
__all__ = ["ROUTER_MODULES", "EventSourceResponse", "create_app"]
log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")

ROUTER_MODULES = [
    "rdv.web.pages_auth",
    "rdv.web.calls",
    "rdv.web.console",
    "rdv.web.console_agent",
    "rdv.web.agent",
    "rdv.web.agent_forms",
    "rdv.web.portal",
    "rdv.web.portal_disputes",
    "rdv.web.portal_files",
    "rdv.web.admin_campaigns",
    "rdv.web.admin_scripts",
    "rdv.web.qc",
    "rdv.web.dnc",
    "rdv.web.admin_people",
    "rdv.web.leads_pages",
]


def create_app(app: App, *, notifier: Any = None, wall_clock: Clock | None = None) -> FastAPI:
    """The web app over `app`'s database; `notifier` wakes live pages (rdv.wakeup), `wall_clock` times sessions."""
    web = FastAPI(title="rdv", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(csrf_protect)])  # fmt: skip
    web.state.rdv = app
    web.state.sessions = app.sessions
    web.state.notifier = notifier
    web.state.wall_clock = wall_clock or SystemClock()
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    for name in ROUTER_MODULES:
        web.include_router(importlib.import_module(name).router)
    _add_error_pages(web)
    web.add_middleware(CrashGuard)  # innermost: its 500 page still gets the headers and the access log line
    web.add_middleware(SecurityHeaders)
    web.add_middleware(AccessLog)
    return web


class CrashGuard:
    """A route's unexpected exception becomes the French 500 page here, logged with its type and frames but
    not its message (which may quote a lead's name or number), so that it never reaches uvicorn's own log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def noting_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, noting_start)
        except Exception as exc:
            log.error("error in %s %s: %s\n%s", scope.get("method"), route_template(scope), type(exc).__name__,
                      "".join(traceback.format_tb(exc.__traceback__)).rstrip())  # fmt: skip
            if started:  # part of the answer is gone: nothing better than ending the connection
                raise
            response = await _error_page(Request(scope, receive), 500, *error_text(500))
            await response(scope, receive, send)


def _wants_page(request: Request) -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("accept", "")


async def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    with contextlib.suppress(Exception):  # the page says who is logged in, unless the database is what failed
        await run_in_threadpool(session_user, request)
    headers = {name.decode(): value.decode() for name, value in HEADERS} if status >= 500 else None
    return render(request, "error.html", {"status": status, "title": title, "message": message},
                  status_code=status, headers=headers)  # fmt: skip


def error_text(status: int) -> tuple[str, str]:
    """Title and explanation of an error page, in the interface language."""
    texts = {
        400: (_("Bad request"), _("The request could not be understood.")),
        401: (_("Login required"), _("Log in to open this page.")),
        403: (_("Access refused"), _("Your account does not give access to this page.")),
        404: (_("Page not found"), _("This page does not exist, or is not yours to see.")),
        405: (_("Not allowed"), _("This page cannot be used this way.")),
        422: (_("Invalid form"), _("Some of what was sent is missing or invalid.")),
        500: (_("Something went wrong"), _("The error has been logged; try again, and tell your supervisor "
                                           "if it happens again.")),
    }
    return texts.get(status) or texts[400 if status < 500 else 500]


def _add_error_pages(web: FastAPI) -> None:
    async def not_authenticated(request: Request, _exc: Exception) -> Response:
        if _wants_page(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        return PlainTextResponse(_("Login required"), status_code=401)

    async def csrf_failed(request: Request, _exc: Exception) -> Response:
        return await _error_page(request, 403, _("Form expired"),
                                 _("This form has expired or did not come from rdv: reload the page and try "
                                   "again."))

    async def http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        return await _error_page(request, status, *error_text(status))

    async def invalid(request: Request, _exc: Exception) -> Response:
        return await _error_page(request, 422, *error_text(422))

    async def crashed(request: Request, exc: Exception) -> Response:  # in a middleware, past CrashGuard
        log.error("error in %s %s: %s", request.method, route_template(request.scope), type(exc).__name__)
        return await _error_page(request, 500, *error_text(500))

    web.add_exception_handler(NotAuthenticated, not_authenticated)
    web.add_exception_handler(CsrfFailed, csrf_failed)
    web.add_exception_handler(StarletteHTTPException, http_error)
    web.add_exception_handler(RequestValidationError, invalid)
    web.add_exception_handler(Exception, crashed)
