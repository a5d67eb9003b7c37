"""`rdv run`: the service (dialer, hopper, scheduled jobs) in the foreground, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from collections.abc import Callable

import typer

from config.i18n import _
from config.secrets import check_secrets_file
from config.servers import ServerSettings, named_list
from config.settings import Settings
from dialer.ports import PbxAuthFailed, PbxUnreachable
from rdv.bootstrap import App
from rdv.cli.common import UserError, console, err_console, wired
from rdv.leader import AnotherServiceRuns, DialerIdInUse
from rdv.runtime import Runtime, RuntimeOptions, running_campaigns
from rdv.service import Waker, apscheduler_waker, install_stop_signals, serve
from rdv.takeover import RETRY_EVERY_S
from rdv.web.security import RedactingFilter
from rdv.web.server import DEFAULT_LISTEN, Listen, bind, url_of


def configure_logging(level: int = logging.INFO) -> None:
    """English log lines on stderr; names and phone numbers never appear in them (`RedactingFilter`)."""
    logging.basicConfig(stream=sys.stderr, level=level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    for noisy in ("apscheduler", "weasyprint", "fontTools", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run(
    campaign: list[str] = typer.Option([], "--campaign", help="Campaign to dial (repeat it); default: every "
                                       "running campaign, and those started while it runs."),
    simulate: bool = typer.Option(False, "--simulate", help="Dial through the embedded PBX simulator instead of "
                                  "the Asterisk of RDV_AMI_HOST: simulated callees, nothing reaches a phone."),
    sim_agents: int = typer.Option(0, "--sim-agents", min=0, help="Simulated agents logged in per campaign at "
                                   "each opening, who book RDV sheets (phones Local/agentN@agents/n, on the "
                                   "simulator or a real PBX). Never for a real client's campaign."),
    drain_seconds: float = typer.Option(120.0, "--drain-seconds", min=0, help="At stop, how long live calls may "
                                        "go on before they are hung up."),
    dialer_id: str = typer.Option("main", "--dialer-id", help="This dialer's name: keep it across restarts so "
                                  "that the calls a crashed run left are found again."),
    seed: int = typer.Option(0, "--seed", help="Seed of the simulated callees and agents (with --simulate or "
                             "--sim-agents)."),
    web: str = typer.Option(DEFAULT_LISTEN, "--web", help="Where to serve the web screens "
                            "(agent screen, console) from this process."),
    no_web: bool = typer.Option(False, "--no-web", help="Serve no web screens from this process (rdv web can "
                                "serve them apart)."),
    server: list[str] = typer.Option([], "--server", help="Asterisk server to drive, by its name in "
                                     "[asterisk.servers.NAME] (repeat it); default: RDV_DIALER_SERVERS, or the "
                                     "only server configured."),
    standby: list[str] = typer.Option([], "--standby", help="Asterisk server to take over, with its live calls, "
                                      "once its dialer has been dead [dialer] takeover_after_seconds (repeat it); "
                                      "default: RDV_DIALER_STANDBY."),
) -> None:
    """Run the service: dial the running campaigns, open and close their days, send the daily RDV e-mails."""
    configure_logging()
    with wired() as application:
        # A secrets file other users can read is refused before anything runs.
        check_secrets_file(application.settings.data_dir)
        settings = application.settings
        driven = chosen_servers(settings, server or list(named_list(settings.dialer_servers)), default_one=True)
        spare = chosen_servers(settings, standby or list(named_list(settings.dialer_standby)))
        if spare and settings.dialer_takeover_after_seconds >= settings.dialer_dead_grace_seconds:
            # The leader would end the dead dialer's calls as failed before the standby could adopt them.
            raise UserError(_("[dialer] takeover_after_seconds ({takeover} s) must be shorter than "
                              "[dialer] dead_grace_seconds ({grace} s): the scheduler leader would end the calls "
                              "of the dead dialer before this standby takes its server over").format(
                takeover=settings.dialer_takeover_after_seconds, grace=settings.dialer_dead_grace_seconds))
        if not simulate and not driven and not settings.ami_host:
            raise UserError(_("No PBX to dial through: set RDV_AMI_HOST to your Asterisk, or run rdv run "
                              "--simulate for the embedded simulator"))
        options = RuntimeOptions(dialer_id=dialer_id, simulate=simulate, sim_agents=sim_agents, seed=seed,
                                 servers=driven, standby=spare,
                                 takeover_after_s=settings.dialer_takeover_after_seconds)  # fmt: skip
        run_service(application, campaign, options, drain_seconds, web=None if no_web else Listen.parse(web))


def chosen_servers(settings: Settings, names: list[str], default_one: bool = False) -> tuple[ServerSettings, ...]:
    """The configured servers of these names (none named: the only one configured, with `default_one`)."""
    if not settings.servers:
        if names:
            raise UserError(_("--server {name}: no Asterisk server is named in the settings; describe each one in "
                              "a table [asterisk.servers.NAME] of rdv.toml").format(name=names[0]))
        return ()
    if not names:
        if default_one and len(settings.servers) == 1:
            return settings.servers
        if default_one:
            raise UserError(_("Say which Asterisk servers this dialer drives: rdv run --server NAME, or "
                              "RDV_DIALER_SERVERS (configured: {names})").format(
                names=", ".join(s.name for s in settings.servers)))
    chosen = []
    for name in dict.fromkeys(names):
        found = settings.server(name)
        if found is None:
            raise UserError(_("Unknown Asterisk server {name}: the settings name {names} ([asterisk.servers.NAME])")
                            .format(name=name, names=", ".join(s.name for s in settings.servers)))
        chosen.append(found)
    return tuple(chosen)


def run_service(application: App, campaign: list[str], options: RuntimeOptions, drain_seconds: float,
                waker: Waker = apscheduler_waker, web: Listen | None = None) -> None:
    """Check the campaigns, serve them until a stop signal, say how it ended (tests pass their own waker).

    With `web`, the web screens are served from the same process on that address.
    """
    found = running_campaigns(application, campaign)
    stopped = [c.name for c in found if c.status != "running"]
    if stopped:
        raise UserError(_("Campaign {campaign} is not running: start it with rdv campaign start").format(
            campaign=stopped[0]))
    # Without --campaign, a service started before the first campaign (a systemd unit at boot) waits for one:
    # it picks up campaigns started while it runs.
    names = ", ".join(c.name for c in found) or _("none yet (waiting for one to be started)")

    stop = asyncio.Event()
    refused: list[str] = []
    web_socket = bind(web) if web is not None else None

    def started(runtime: Runtime) -> None:
        assert runtime.link is not None and runtime.engine is not None
        engines = [part.engine for part in runtime.servers if part.engine is not None]
        for engine in engines:
            for message in engine.stopped.values():
                err_console.print(message, soft_wrap=True)
        for server in runtime.unreachable:
            err_console.print(_("Asterisk server {name} ({host}:{port}) unreachable at start: the other servers "
                                "dial, it is tried again every {every:.0f} s").format(
                name=server.name, host=server.host, port=server.port, every=RETRY_EVERY_S), soft_wrap=True)
        # Nothing left to dial on any server: say so and stop rather than idle.
        if found and all(engine.campaign_ids and len(engine.stopped) == len(engine.campaign_ids)
                         for engine in engines):  # fmt: skip
            refused.extend(message for engine in engines for message in engine.stopped.values())
            stop.set()
            return
        console.print(_("rdv is running: campaigns {campaigns}; PBX {pbx}; {agents} simulated agents per "
                        "campaign. Stop with Ctrl-C or SIGTERM.").format(
            campaigns=names, pbx=pbx_list(runtime), agents=options.sim_agents))
        if application.settings.trunk_channels and not options.servers:
            console.print(_("Trunk: at most {channels} simultaneous calls on this PBX, counted with the other "
                            "dialers on it.").format(channels=application.settings.trunk_channels), soft_wrap=True)
        if web_socket is not None:
            console.print(_("Web screens: {url}").format(url=url_of(web_socket)), soft_wrap=True)

    try:  # serve() takes the dialer id's lock (the SQLite file's): a second service is refused there
        asyncio.run(_main(application, [c.id for c in found], options, drain_seconds, started, waker, stop,
                          web_socket, follow_started=not campaign))
    except (AnotherServiceRuns, DialerIdInUse) as exc:
        raise UserError(str(exc)) from None
    except (PbxUnreachable, PbxAuthFailed) as exc:  # systemd starts it again (Restart=on-failure)
        raise UserError(pbx_failure(exc)) from None
    if refused:
        raise UserError(_("No campaign can be dialled: the PBX lacks their queues (see above)"))
    console.print(_("rdv stopped cleanly: every call ended and stored."))


def pbx_failure(error: PbxUnreachable | PbxAuthFailed) -> str:
    """Why the PBX could not be used at start, in the user's language, with what to check."""
    if isinstance(error, PbxAuthFailed):
        return _("The Asterisk server at {where} refused the AMI login {user}: check the username and secret "
                 "(RDV_AMI_USERNAME and RDV_AMI_SECRET, or those of [asterisk.servers.NAME]) against its "
                 "manager.conf").format(where=error.where, user=error.username)
    causes = {"refused": _("nothing accepts connections on that port"), "timeout": _("no answer in time"),
              "unknown_host": _("unknown host name"), "no_banner": _("no AMI greeting: is it Asterisk's AMI port?")}
    return _("Cannot reach the Asterisk server at {where} ({cause}): check that Asterisk runs, its address and "
             "AMI port in the settings, and the firewall").format(where=error.where,
                                                                 cause=causes.get(error.cause, error.cause))


def pbx_list(runtime: Runtime) -> str:
    """Where the dialer's PBXs are: one address, or each server's name and address."""
    links = [(part.name, part.link.where) for part in runtime.servers if part.link is not None]
    if not runtime.options.servers:
        return links[0][1]
    return ", ".join(f"{name} ({where})" for name, where in links)


async def _main(application: App, campaign_ids: list[int], options: RuntimeOptions, drain_seconds: float,
                started: Callable[[Runtime], None], waker: Waker, stop: asyncio.Event,
                web_socket: socket.socket | None, follow_started: bool) -> None:
    install_stop_signals(stop)
    await serve(application, campaign_ids, options, drain_seconds, stop, started, waker, web_socket,
                follow_started)
