"""`rdv run` on a scaled clock, as a process for tests: `python -m tests.rdv.service_process [options]`.

The user's command only knows the system clock and APScheduler; tests need hours of calls in minutes and
several processes sharing one simulated time. This runs the same `run_service` as `rdv run`, on a
`ScaledClock` shared through (start, wall-clock epoch), woken at the same triggers' fire times on that clock.
"""

from __future__ import annotations

import argparse
import logging
import time
from datetime import datetime, timedelta

import typer

from config.clock import ScaledClock
from rdv.cli.common import wired
from rdv.cli.run import chosen_servers, configure_logging, run_service
from rdv.runtime import RuntimeOptions
from rdv.service import clock_waker
from rdv.web.server import Listen

# Engine ticks below this many wall seconds only burn CPU on a fast scaled clock.
MIN_TICK_WALL_S = 0.02


def shared_clock(start: datetime, epoch: float, scale: float) -> ScaledClock:
    """The clock every process of a test shares: at `start` when the wall clock read `epoch`."""
    return ScaledClock(start + timedelta(seconds=(time.time() - epoch) * scale), scale)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clock-scale", type=float, required=True)
    parser.add_argument("--clock-start", type=datetime.fromisoformat, required=True)
    parser.add_argument("--clock-epoch", type=float, required=True)
    parser.add_argument("--simulate", action="store_true")
    parser.add_argument("--sim-agents", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--drain-seconds", type=float, default=120.0)
    parser.add_argument("--dialer-id", default="main")
    parser.add_argument("--server", action="append", default=[], help="as rdv run --server")
    parser.add_argument("--standby", action="append", default=[], help="as rdv run --standby")
    parser.add_argument("--debug", action="store_true", help="log at DEBUG (the log-privacy test reads it all)")
    parser.add_argument("--web", default="", help="HOST:PORT to serve the web screens on, as rdv run --web")
    args = parser.parse_args(argv)
    configure_logging(logging.DEBUG if args.debug else logging.INFO)
    clock = shared_clock(args.clock_start, args.clock_epoch, args.clock_scale)
    tick_s = max(1.0, args.clock_scale * MIN_TICK_WALL_S)
    try:
        with wired() as application:
            settings = application.settings
            options = RuntimeOptions(dialer_id=args.dialer_id, simulate=args.simulate, sim_agents=args.sim_agents,
                                     seed=args.seed, tick_s=tick_s,
                                     servers=chosen_servers(settings, args.server, default_one=bool(args.server)),
                                     standby=chosen_servers(settings, args.standby),
                                     takeover_after_s=settings.dialer_takeover_after_seconds)  # fmt: skip
            application.clock = clock
            web = Listen.parse(args.web) if args.web else None
            run_service(application, [], options, args.drain_seconds, waker=clock_waker, web=web)
    except typer.Exit as done:  # what Typer does for `rdv run`: the user error's exit code
        raise SystemExit(done.exit_code) from None


if __name__ == "__main__":
    main()
