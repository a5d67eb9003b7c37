"""One simulated PBX of the load test, as a process: `python -m bench.scale_pbx [options]`.

`rdv pbx-sim` runs on its own clock with the default callees; the load test needs the dialers' scaled clock
(shared through start and wall-clock epoch, as tests/rdv/service_process.py) and a list that answers little
(bench/web_console.py's callees), so that predictive pacing keeps many lines ringing per agent. The simulator is
the same `PbxSimulator`; this only counts what it broadcasts and writes its figures to `--stats` every second
(and at SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time
from datetime import datetime
from pathlib import Path

from bench.web_console import callee_profile
from dialer.amiwire import Message
from dialer.simulator import PbxSimulator
from dialer.simulator.outcomes import OutcomeModel
from tests.rdv.service_process import shared_clock


class Figures:
    """What the PBX did: events broadcast (each goes to every logged-in session), peak of live calls."""

    def __init__(self, sim: PbxSimulator, path: Path) -> None:
        self.sim, self.path = sim, path
        self.events = 0
        self.started = time.monotonic()
        sim.observers.append(self._count)

    def _count(self, _message: Message) -> None:
        self.events += 1

    def write(self) -> None:
        pbx = self.sim.pbx
        figures = {"events": self.events, "wall_s": time.monotonic() - self.started,
                   "peak_live_calls": pbx.peak_live_calls, "live_calls": pbx.live_calls,
                   "originates": sum(pbx.originates.values())}  # fmt: skip
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(figures))
        temporary.replace(self.path)


async def serve(args: argparse.Namespace) -> None:
    clock = shared_clock(args.clock_start, args.clock_epoch, args.clock_scale)
    outcomes = OutcomeModel(callee_profile(args.answer_factor))
    sim = PbxSimulator(clock, seed=args.seed, port=args.port, outcomes=outcomes, queues=args.queue)
    figures = Figures(sim, args.stats)
    await sim.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    while not stop.is_set():
        figures.write()
        try:
            async with asyncio.timeout(1.0):
                await stop.wait()
        except TimeoutError:
            pass
    figures.write()
    await sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clock-scale", type=float, required=True)
    parser.add_argument("--clock-start", type=datetime.fromisoformat, required=True)
    parser.add_argument("--clock-epoch", type=float, required=True)
    parser.add_argument("--queue", action="append", default=[])
    parser.add_argument("--answer-factor", type=float, default=0.3)
    parser.add_argument("--stats", type=Path, required=True)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
