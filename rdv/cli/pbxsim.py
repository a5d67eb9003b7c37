"""`rdv pbx-sim`: the AMI PBX simulator on its own, for the demo, manual tests or a dialer on another machine."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from datetime import UTC, datetime

import typer

from config.clock import ScaledClock
from config.i18n import _
from config.settings import load_settings
from dialer.simulator import PbxSimulator
from rdv.cli.common import console


def pbx_sim(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(5038, help="TCP port (5038 is Asterisk's AMI port)."),
    seed: int = typer.Option(0, help="Seed of the call outcomes and agent times."),
    scale: float = typer.Option(1.0, help="Time scale: 60 runs a minute of calls per second."),
    agents: int = typer.Option(0, help="Simulated agents Local/agentN@agents/n, members of --queue from the start."),
    queue: str = typer.Option("rdv", help="A queue the PBX has, as queues.conf would declare it (rdv run checks "
                              "its campaign's queue rdv-<id>): the simulated agents' queue, and that of originates "
                              "that name none."),
) -> None:
    """Run the PBX simulator (AMI over TCP) until Ctrl-C."""
    settings = load_settings()
    asyncio.run(_serve(host, port, seed, scale, agents, queue, settings.ami_username, settings.ami_secret))


async def _serve(
    host: str, port: int, seed: int, scale: float, agents: int, queue: str, user: str, secret: str
) -> None:
    clock = ScaledClock(datetime.now(UTC), scale=scale)
    sim = PbxSimulator(clock, seed=seed, host=host, port=port, username=user, secret=secret, default_queue=queue,
                       queues=[queue])  # fmt: skip
    if agents:
        sim.add_simulated_agents(agents, queue)
    await sim.start()
    console.print(_("PBX simulator listening on {host}:{port} (AMI user {user!r}, secret {secret!r})").format(
        host=host, port=sim.port, user=user, secret=secret))
    console.print(_("Time runs {scale}x; {agents} simulated agents in queue {queue}. Ctrl-C stops it.").format(
        scale=scale, agents=agents, queue=queue))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await sim.stop()
    console.print(_("PBX simulator stopped."))
