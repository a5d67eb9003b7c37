"""`rdv web`: the web screens alone, against the same database as the dialers (which run `rdv run --no-web`)."""

from __future__ import annotations

import asyncio
import socket

import typer

from config.i18n import _
from rdv.bootstrap import App
from rdv.cli.common import console, wired
from rdv.cli.run import configure_logging
from rdv.service import install_stop_signals
from rdv.web.server import DEFAULT_LISTEN, Listen, bind, serve_web, url_of


def web(
    listen: str = typer.Option(DEFAULT_LISTEN, "--listen", help="Address to serve on."),
) -> None:
    """Serve the web screens (agent screen, console) until SIGTERM or Ctrl-C."""
    configure_logging()
    with wired() as application:
        sock = bind(Listen.parse(listen))
        application.engine  # noqa: B018  (migrate and connect now: a wrong database fails before we say "ready")
        console.print(_("Web screens: {url}. Stop with Ctrl-C or SIGTERM.").format(url=url_of(sock)),
                      soft_wrap=True)  # fmt: skip
        asyncio.run(_serve(application, sock))
        console.print(_("Web screens stopped."))


async def _serve(application: App, sock: socket.socket) -> None:
    from rdv.web.app import create_app

    stop = asyncio.Event()
    install_stop_signals(stop)
    await serve_web(create_app(application), sock, stop, application.settings.web_trusted_proxies)
