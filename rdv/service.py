"""`rdv run`: one process that dials the running campaigns and runs the scheduled jobs until SIGTERM.

An APScheduler AsyncIOScheduler wakes the runtime at the triggers' fire times (and once at start, which
runs the jobs missed while the service was down). With a scaled clock (tests, `--clock-scale`) the same
triggers are asked for their next fire time on that clock instead, since APScheduler only knows real time.
SIGTERM or SIGINT: stop originating, let live calls finish for a bounded time, store everything, exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from config.clock import Clock, ScaledClock, SystemClock
from rdv.bootstrap import App
from rdv.runtime import Runtime, RuntimeOptions

log = logging.getLogger(__name__)
# How often (clock seconds) agents are brought in line with the day between job wake-ups: after a close,
# they leave once their campaign's last call is over.
STAFFING_EVERY_S = 5.0
# Engine ticks below this many wall seconds only burn CPU (scaled clocks in tests).
MIN_TICK_WALL_S = 0.02


@dataclass(frozen=True)
class ClockOptions:
    """A scaled clock for tests: `scale` times real time, at `start` when the wall clock read `epoch`."""

    scale: float | None = None
    start: datetime | None = None
    epoch: float | None = None

    def make(self) -> Clock:
        """The system clock, or the scaled clock these options describe."""
        if self.scale is None and self.start is None:
            return SystemClock()
        scale = self.scale or 1.0
        start = self.start or datetime.now(UTC)
        if self.epoch is not None:  # another process started this clock earlier: share its time
            start += timedelta(seconds=(time.time() - self.epoch) * scale)
        return ScaledClock(start, scale)


def engine_tick(clock: Clock) -> float:
    """The engine's tick in clock seconds: one second, longer on a fast scaled clock."""
    return max(1.0, float(getattr(clock, "scale", 1.0)) * MIN_TICK_WALL_S)


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT ask for a clean stop."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, _stop_requested, stop, sig)


def _stop_requested(stop: asyncio.Event, sig: signal.Signals) -> None:
    log.info("%s received: stopping", sig.name)
    stop.set()


async def _every(clock: Clock, seconds: float, stop: asyncio.Event, action: Callable[[], Awaitable[None]]) -> None:
    wall = seconds / float(getattr(clock, "scale", 1.0))
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wall)
        if not stop.is_set():
            await action()


async def _clock_waker(runtime: Runtime, clock: Clock, stop: asyncio.Event) -> None:
    """Wake the runtime at each trigger's fire time on a scaled clock."""
    scale = float(getattr(clock, "scale", 1.0))
    while not stop.is_set():
        now = clock.now()
        following = runtime.next_fire(now)
        delay = (following - now).total_seconds() if following else 3600.0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, delay) / scale + 0.001)
        if not stop.is_set():
            await runtime.wake(clock.now())


def _scheduler(runtime: Runtime, clock: Clock) -> AsyncIOScheduler:
    """An APScheduler scheduler with one job per trigger, each waking the runtime (which runs what is due)."""

    async def wake() -> None:
        await runtime.wake(clock.now())

    scheduler = AsyncIOScheduler(timezone=UTC)
    for spec in runtime.specs:
        scheduler.add_job(wake, trigger=spec.trigger, id=spec.id, coalesce=True, max_instances=1,
                          misfire_grace_time=None)  # fmt: skip
    return scheduler


async def serve(app: App, campaign_ids: list[int], options: RuntimeOptions, drain_s: float,
                stop: asyncio.Event, started: Callable[[Runtime], None] | None = None) -> Runtime:
    """Run until `stop` is set, then drain and store; returns the stopped runtime."""
    clock = app.clock
    runtime = Runtime(app, campaign_ids, options)
    await runtime.start()
    await runtime.wake(clock.now())  # catch up on the jobs missed while down
    if started is not None:
        started(runtime)
    tasks = [asyncio.create_task(_every(clock, STAFFING_EVERY_S, stop, lambda: runtime.staffing.apply(clock.now())))]
    scheduler = None
    if isinstance(clock, SystemClock):
        scheduler = _scheduler(runtime, clock)
        scheduler.start()
    else:
        tasks.append(asyncio.create_task(_clock_waker(runtime, clock, stop)))
    try:
        await stop.wait()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        log.info("draining: no new calls, %d live calls get up to %.0f s to finish",
                 len(runtime.engine.calls) if runtime.engine else 0, drain_s)  # fmt: skip
        await runtime.stop(drain_s)
    engine = runtime.engine
    if engine is not None:
        log.info("stopped: %d dialled, %d ended at stop; counters %s", engine.counters["dialled"],
                 engine.counters["ended_at_stop"], dict(engine.counters))  # fmt: skip
    return runtime
