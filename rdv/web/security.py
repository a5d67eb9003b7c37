"""Security headers on every response, and the access log that names routes, never what is in a path.

Both are plain ASGI middleware (not BaseHTTPMiddleware), so that server-sent event streams pass untouched.
"""

from __future__ import annotations

import logging
import time
import traceback
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dialer.redact import redact_phones

access_log = logging.getLogger("rdv.web.access")

# No inline script or style anywhere: every script and style sheet is a file the app serves.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "media-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), geolocation=(), microphone=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """Adds the headers above to every HTTP response; HSTS too when the request came over HTTPS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _value in message.get("headers", [])}
                extra = [(n, v) for n, v in HEADERS if n not in present]
                if https:
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AccessLog:
    """One line per request: method, the route's template (`/calls/{attempt_id}`), status, duration.

    Never the concrete path nor the query string, which may hold an id, a phone number or a search.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status: dict[str, Any] = {"code": 500}

        async def send_noting_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            template = route_template(scope)
            # Style sheets and scripts at every page load would drown the requests that tell a story.
            level = logging.DEBUG if template.startswith("/static/") else logging.INFO
            access_log.log(level, "%s %s %s %.0f ms", scope.get("method", "?"), template, status["code"],
                           (time.monotonic() - started) * 1000)  # fmt: skip


def route_template(scope: Scope) -> str:
    """The matched route's path template, or a placeholder: an unmatched path may be anything a user typed."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if template:
        mount = scope.get("root_path", "")
        return redact_phones(f"{mount}{template}")
    if str(scope.get("path", "")).startswith("/static/"):
        return "/static/{path}"
    return "(unmatched)"


class RedactingFilter(logging.Filter):
    """Masks phone-like numbers in records (the service's log, uvicorn's errors), and writes a traceback with
    each exception's type and first line only: a database error's full text carries the statement's parameters
    (SQLAlchemy) or the failing row (PostgreSQL's DETAIL), names and addresses included."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_phones(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact_phones(private_traceback(record.exc_info[1]))
            record.exc_info = None
        return True


def private_traceback(error: BaseException | None) -> str:
    """The traceback of `error` and of the exceptions it was raised from, each with `first_line` as message."""
    chain: list[BaseException] = []
    while error is not None and all(error is not seen for seen in chain):
        chain.append(error)
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    parts: list[str] = []
    for exc in reversed(chain):
        if parts:
            parts.append("\nThe above exception led to the following one:\n\n")
        parts += ["Traceback (most recent call last):\n", *traceback.format_tb(exc.__traceback__),
                  f"{type(exc).__module__}.{type(exc).__qualname__}: {first_line(exc)}\n"]
    return "".join(parts).rstrip("\n")


def first_line(error: BaseException) -> str:
    """An exception's message without what follows its first line; a database error's primary message."""
    inner = getattr(error, "orig", None) or error  # SQLAlchemy's error wraps the driver's
    diag = getattr(inner, "diag", None)  # psycopg's parts of PostgreSQL's message
    primary = getattr(diag, "message_primary", None) or str(inner).split("\n", 1)[0]
    return primary if inner is error else f"({type(inner).__name__}) {primary}"
