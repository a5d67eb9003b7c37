"""`rdv run`: the service (dialer, hopper, scheduled jobs) in the foreground, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from datetime import datetime

import typer

from config.i18n import _
from rdv.bootstrap import App
from rdv.cli.common import UserError, console, wired
from rdv.runtime import Runtime, RuntimeOptions, running_campaigns
from rdv.service import ClockOptions, engine_tick, install_stop_signals, serve

DEFAULT_SIM_AGENTS = 5


def configure_logging() -> None:
    """English log lines on stderr; names and phone numbers never appear in them."""
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    for noisy in ("apscheduler", "weasyprint", "fontTools", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _start_time(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise typer.BadParameter(_("give the time with its UTC offset, e.g. 2026-11-23T10:00+01:00"),
                                 param_hint="--clock-start")  # fmt: skip
    return moment


def run(
    campaign: list[str] = typer.Option([], "--campaign", help="Campaign to dial (repeat it); default: every "
                                       "running campaign."),
    sim_agents: int | None = typer.Option(None, "--sim-agents", min=0, help="Simulated agents logged in per "
                                          "campaign at each opening (default: 5 with the embedded PBX "
                                          "simulator, none with an Asterisk)."),
    drain_seconds: float = typer.Option(120.0, "--drain-seconds", min=0, help="At stop, how long live calls may "
                                        "go on before they are hung up."),
    dialer_id: str = typer.Option("main", "--dialer-id", help="This dialer's name: keep it across restarts so "
                                  "that the calls a crashed run left are found again."),
    seed: int = typer.Option(0, "--seed", hidden=True),
    clock_scale: float | None = typer.Option(None, "--clock-scale", hidden=True, min=0.001),
    clock_start: str | None = typer.Option(None, "--clock-start", hidden=True),
    clock_epoch: float | None = typer.Option(None, "--clock-epoch", hidden=True),
) -> None:
    """Run the service: dial the running campaigns, open and close their days, send the daily RDV e-mails."""
    configure_logging()
    clock = ClockOptions(clock_scale, _start_time(clock_start), clock_epoch).make()
    with wired() as application:
        application.clock = clock
        found = running_campaigns(application, campaign)
        stopped = [c.name for c in found if c.status != "running"]
        if stopped:
            raise UserError(_("Campaign {campaign} is not running: start it with rdv campaign start").format(
                campaign=stopped[0]))
        if not found:
            raise UserError(_("No running campaign: start one with rdv campaign start"))
        agents = sim_agents if sim_agents is not None else (0 if application.settings.ami_host else DEFAULT_SIM_AGENTS)
        options = RuntimeOptions(dialer_id=dialer_id, sim_agents=agents, seed=seed, tick_s=engine_tick(clock))
        names = ", ".join(c.name for c in found)

        def started(runtime: Runtime) -> None:
            assert runtime.link is not None
            console.print(_("rdv is running: campaigns {campaigns}; PBX {pbx}; {agents} simulated agents per "
                            "campaign. Stop with Ctrl-C or SIGTERM.").format(
                campaigns=names, pbx=runtime.link.where, agents=agents))

        asyncio.run(_main(application, [c.id for c in found], options, drain_seconds, started))
        console.print(_("rdv stopped cleanly: every call ended and stored."))


async def _main(application: App, campaign_ids: list[int], options: RuntimeOptions, drain_seconds: float,
                started: Callable[[Runtime], None]) -> None:
    stop = asyncio.Event()
    install_stop_signals(stop)
    await serve(application, campaign_ids, options, drain_seconds, stop, started)
