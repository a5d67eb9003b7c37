"""rdv's service as a process for the real-Asterisk tests: `rdv run`'s own `serve()`, at real speed.

Asterisk's calls take real seconds, so the clock runs at scale 1; it only starts on a weekday afternoon
(inside every calling window) instead of now, which may be a Sunday night. `--epoch` is the wall time at
which that start was read, so a restarted process continues the same timeline.

    python -m tests.asterisk.service --campaign 1 --sim-agents 2 --start 2026-11-23T15:00+01:00 --epoch T
Settings (database, RDV_AMI_*) come from the environment, as for `rdv run`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime

from rdv.bootstrap import bootstrap
from rdv.cli.run import configure_logging
from rdv.runtime import RuntimeOptions
from rdv.service import ClockOptions, install_stop_signals, serve


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tests.asterisk.service")
    parser.add_argument("--campaign", type=int, action="append", required=True)
    parser.add_argument("--sim-agents", type=int, default=1)
    parser.add_argument("--start", required=True)
    parser.add_argument("--epoch", type=float, required=True)
    parser.add_argument("--ring-timeout", type=float, default=10.0)
    parser.add_argument("--dialer-id", default="main")
    parser.add_argument("--drain", type=float, default=60.0)
    args = parser.parse_args(argv)
    configure_logging()
    clock = ClockOptions(1.0, datetime.fromisoformat(args.start), args.epoch).make()
    app = bootstrap(clock=clock)
    options = RuntimeOptions(dialer_id=args.dialer_id, sim_agents=args.sim_agents, ring_timeout_s=args.ring_timeout)

    async def run() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        await serve(app, args.campaign, options, args.drain, stop, lambda runtime: print("started", flush=True))

    try:
        asyncio.run(run())
    finally:
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
