"""`rdv run` as a process for the real-Asterisk tests: the command's own `run_service`, at real speed.

Asterisk's calls take real seconds, so the clock runs at scale 1; it only starts on a weekday afternoon
(inside every calling window) instead of now, which may be a Sunday night. `--epoch` is the wall time at
which that start was read, so a restarted process continues the same timeline.

    python -m tests.asterisk.service --campaign Toitures --sim-agents 1 --start 2026-11-23T15:00+01:00 --epoch T
Settings (database, RDV_AMI_*) come from the environment, as for `rdv run`.
"""

from __future__ import annotations

import argparse
from datetime import datetime

import typer

from rdv.cli.common import wired
from rdv.cli.run import configure_logging, run_service
from rdv.runtime import RuntimeOptions
from rdv.service import clock_waker
from tests.rdv.service_process import shared_clock


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="tests.asterisk.service")
    parser.add_argument("--campaign", action="append", required=True)
    parser.add_argument("--sim-agents", type=int, default=1)
    parser.add_argument("--start", type=datetime.fromisoformat, required=True)
    parser.add_argument("--epoch", type=float, required=True)
    parser.add_argument("--ring-timeout", type=float, default=10.0)
    parser.add_argument("--dialer-id", default="main")
    parser.add_argument("--drain-seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    configure_logging()
    options = RuntimeOptions(dialer_id=args.dialer_id, sim_agents=args.sim_agents, ring_timeout_s=args.ring_timeout)
    try:
        with wired() as application:
            application.clock = shared_clock(args.start, args.epoch, 1.0)
            run_service(application, args.campaign, options, args.drain_seconds, waker=clock_waker)
    except typer.Exit as refused:  # what `rdv run` exits with: one line said, code 2
        raise SystemExit(refused.exit_code) from None


if __name__ == "__main__":
    main()
