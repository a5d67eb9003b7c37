"""CSRF: every state-changing request carries the token of its session, as a form field or a header.

A logged-in browser's token lives with its session row; before login (the login form itself) the token is a
random value in its own SameSite=Strict cookie, which the form must repeat (double submit).
"""

from __future__ import annotations

import secrets

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from rdv.web.auth import session_user

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
PRE_COOKIE = "rdv_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailed(Exception):
    """A state-changing request without the right token: answered 403 with a French explanation."""


def csrf_token(request: Request) -> str:
    """The token this request's pages must send back (the session's, or the pre-login cookie's)."""
    web_session = getattr(request.state, "web_session", None)
    if web_session is not None:
        return str(web_session.csrf_token)
    token = getattr(request.state, "pre_csrf", None) or request.cookies.get(PRE_COOKIE)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_pre_csrf = True
    request.state.pre_csrf = token
    return str(token)


def set_pre_cookie(request: Request, response: Response) -> None:
    """Hand the browser the pre-login token the page was rendered with, if it is new."""
    if getattr(request.state, "new_pre_csrf", False):
        response.set_cookie(PRE_COOKIE, request.state.pre_csrf, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/")  # fmt: skip


async def csrf_protect(request: Request) -> None:
    """App-wide dependency: refuse a POST/PUT/PATCH/DELETE whose token is missing or wrong."""
    if request.method in SAFE_METHODS:
        return
    await run_in_threadpool(session_user, request)
    web_session = request.state.web_session
    expected = web_session.csrf_token if web_session is not None else request.cookies.get(PRE_COOKIE, "")
    given = request.headers.get(HEADER, "")
    if not given and _is_form(request):
        form = await request.form()
        value = form.get(FIELD, "")
        given = value if isinstance(value, str) else ""
    if not expected or not given or not secrets.compare_digest(str(expected), given):
        raise CsrfFailed()


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith("application/x-www-form-urlencoded") or kind.startswith("multipart/form-data")
