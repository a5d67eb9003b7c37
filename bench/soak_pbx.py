"""The soak's PBX: the AMI simulator as a process of its own, on the soak's shared scaled clock.

`rdv pbx-sim` starts its clock at the wall clock's now; the soak's dialers run on a clock shared through
(start, epoch), and the reconciliation needs the simulator's own count of originates, which only lives in
its memory. So this process takes the shared clock, cuts its AMI clients on SIGUSR1, and writes its
originates (call id -> times received) to `--counts` every half second and when SIGTERM stops it (an
Asterisk restart: every call is dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from datetime import datetime
from pathlib import Path

from dialer.simulator import PbxSimulator
from tests.rdv.service_process import shared_clock

FLUSH_EVERY_S = 0.5


def _write(path: Path, originates: dict[str, int]) -> None:
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(originates))
    partial.replace(path)  # atomic: the soak never reads half a file


async def serve(args: argparse.Namespace) -> None:
    clock = shared_clock(args.clock_start, args.clock_epoch, args.clock_scale)
    sim = PbxSimulator(clock, seed=args.seed, port=args.port, queues=[args.queue], default_queue=args.queue)
    await sim.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, sim.cut)
    print(f"listening on {sim.port}", flush=True)
    while not stop.is_set():
        _write(args.counts, dict(sim.pbx.originates))
        try:
            await asyncio.wait_for(stop.wait(), FLUSH_EVERY_S)
        except TimeoutError:
            pass
    counts = dict(sim.pbx.originates)  # before stop(), which resets the PBX
    await sim.stop()
    _write(args.counts, counts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--counts", type=Path, required=True)
    parser.add_argument("--clock-scale", type=float, required=True)
    parser.add_argument("--clock-start", type=datetime.fromisoformat, required=True)
    parser.add_argument("--clock-epoch", type=float, required=True)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
