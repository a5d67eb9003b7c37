"""Serving the web app with uvicorn inside an asyncio loop we own (`rdv run`'s, or `rdv web`'s).

rdv installs its own SIGTERM/SIGINT handlers and stops the web server with the rest of the service, so
uvicorn's signal capture is switched off, and the listening socket is bound here first: a port already taken
is one clear line before anything starts, and port 0 picks a free one (tests read the printed address).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI
from sse_starlette.sse import AppStatus

from config.i18n import _, fmt_os_error
from rdv.web.security import RedactingFilter

log = logging.getLogger(__name__)
DEFAULT_LISTEN = "127.0.0.1:8000"
# Open live streams get this long to end when the service stops.
GRACEFUL_S = 3.0


class InvalidListen(ValueError):
    def __init__(self, text: str) -> None:
        super().__init__(_("Invalid web address {address}: write HOST:PORT, e.g. 127.0.0.1:8000").format(
            address=text))


class ListenFailed(OSError):
    def __init__(self, host: str, port: int, reason: OSError) -> None:
        super().__init__(_("Cannot serve the web screens on {host}:{port}: {reason}").format(
            host=host, port=port, reason=_why(reason)))


def _why(reason: OSError) -> str:
    if reason.errno == errno.EADDRINUSE:
        return _("another program already listens there (another rdv?); choose another port")
    if reason.errno == errno.EADDRNOTAVAIL:
        return _("this machine has no such address")
    if reason.errno == errno.EACCES:
        return _("ports below 1024 need administrator rights; choose a port above 1024")
    return fmt_os_error(reason)


@dataclass(frozen=True)
class Listen:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Listen:
        host, sep, port = text.strip().rpartition(":")
        host = host.strip("[]")
        if not sep or not host or not port.isdigit() or int(port) > 65535:
            raise InvalidListen(text)
        return cls(host, int(port))


def bind(listen: Listen) -> socket.socket:
    """The listening socket, or ListenFailed naming the address and why."""
    family = socket.AF_INET6 if ":" in listen.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((listen.host, listen.port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ListenFailed(listen.host, listen.port, exc) from None
    sock.setblocking(False)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The service owns the signals and tells us to stop through should_exit.
        yield


class _StreamsEndedAtStop(logging.Filter):
    """Live streams cut by a stop end without a last empty body: expected then, not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (AppStatus.should_exit and record.getMessage().startswith("ASGI callable returned without"))


def quiet_uvicorn() -> None:
    """uvicorn's own access log is off (ours names routes only); its error log gets phones masked."""
    error_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, RedactingFilter) for f in error_log.filters):
        error_log.addFilter(_StreamsEndedAtStop())
        error_log.addFilter(RedactingFilter())
    logging.getLogger("uvicorn.access").disabled = True


async def serve_web(web: FastAPI, sock: socket.socket, stop: asyncio.Event, trusted_proxies: str = "") -> None:
    """Serve `web` on the bound `sock` until `stop` is set; X-Forwarded-* only from `trusted_proxies`."""
    quiet_uvicorn()
    config = uvicorn.Config(web, log_config=None, access_log=False, lifespan="off", server_header=False,
                            proxy_headers=bool(trusted_proxies), forwarded_allow_ips=trusted_proxies or None,
                            timeout_graceful_shutdown=int(GRACEFUL_S))  # fmt: skip
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        server.should_exit = True
        # sse-starlette ends its streams when it sees uvicorn stop, which it learns from uvicorn's signal
        # handlers; ours are rdv's, so tell it directly (and take it back once stopped: tests serve again).
        AppStatus.should_exit = True
        stopper.cancel()
        try:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finally:
            AppStatus.should_exit = False
            sock.close()
