"""`rdv run`: one process that dials the running campaigns and runs the scheduled jobs until SIGTERM.

An APScheduler AsyncIOScheduler wakes the runtime at the triggers' fire times (and once at start, which
runs the jobs missed while the service was down). Tests that run the service on a scaled clock, which
APScheduler does not know, pass their own `waker` instead (see tests/rdv/service_process.py).
SIGTERM or SIGINT: stop originating, let live calls finish for a bounded time, store everything, exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from config.clock import Clock
from rdv.bootstrap import App
from rdv.leader import service_lock
from rdv.runtime import Runtime, RuntimeOptions
from rdv.scheduler import JobSpec
from rdv.takeover import retry_unreachable

log = logging.getLogger(__name__)
# How often (clock seconds) agents are brought in line with the day between job wake-ups: after a close,
# they leave once their campaign's last call is over.
STAFFING_EVERY_S = 5.0
# How often (clock seconds) `rdv run` without `--campaign` looks for campaigns started since it began.
PICK_UP_EVERY_S = 10.0
# Wakes a started runtime at its jobs' fire times until the stop event is set.
Waker = Callable[[Runtime, asyncio.Event], Coroutine[Any, Any, None]]


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT ask for a clean stop."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, _stop_requested, stop, sig)


def _stop_requested(stop: asyncio.Event, sig: signal.Signals) -> None:
    log.info("%s received: stopping", sig.name)
    stop.set()


async def _every(clock: Clock, seconds: float, stop: asyncio.Event, action: Callable[[], Awaitable[object]]) -> None:
    wall = seconds / float(getattr(clock, "scale", 1.0))
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wall):
                await stop.wait()
        if not stop.is_set():
            try:
                await action()
            except Exception:  # the database busy, the PBX gone a moment: the next round tries again
                log.exception("periodic task failed")


def scheduler_for(runtime: Runtime) -> AsyncIOScheduler:
    """An APScheduler scheduler with one job per trigger, each waking the runtime (which runs what is due)."""

    async def wake() -> None:
        await runtime.wake(runtime.clock.now())

    scheduler = AsyncIOScheduler(timezone=UTC)

    def add(specs: list[JobSpec]) -> None:
        for spec in specs:
            scheduler.add_job(wake, trigger=spec.trigger, id=spec.id, coalesce=True, max_instances=1,
                              misfire_grace_time=None)  # fmt: skip

    add(runtime.specs)
    runtime.job_listeners.append(add)  # the jobs of a campaign started while running
    return scheduler


async def apscheduler_waker(runtime: Runtime, stop: asyncio.Event) -> None:
    """The service's waker: APScheduler on the system clock, until `stop`."""
    scheduler = scheduler_for(runtime)
    scheduler.start()
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)


async def clock_waker(runtime: Runtime, stop: asyncio.Event) -> None:
    """Wake the runtime at each trigger's fire time on its own clock, for clocks APScheduler does not know (the
    web demo's, which may start at the next opening; tests' scaled ones), until `stop`."""
    clock = runtime.clock
    scale = float(getattr(clock, "scale", 1.0))
    added = asyncio.Event()  # a campaign started while running brought jobs that may fire sooner
    runtime.job_listeners.append(lambda _specs: added.set())
    while not stop.is_set():
        now = clock.now()
        following = runtime.next_fire(now)
        delay = (following - now).total_seconds() if following else 3600.0
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(added.wait())]
        try:
            await asyncio.wait(waits, timeout=max(0.0, delay) / scale + 0.001, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
        if added.is_set():
            added.clear()
            continue
        if not stop.is_set():
            try:
                await runtime.wake(clock.now())
            except Exception:  # as APScheduler does for a failing job: the next wake-up catches up what is due
                log.exception("wake-up failed (the next one runs what is due)")


async def serve(app: App, campaign_ids: list[int], options: RuntimeOptions, drain_s: float,
                stop: asyncio.Event, started: Callable[[Runtime], None] | None = None,
                waker: Waker = apscheduler_waker, web_socket: socket.socket | None = None,
                follow_started: bool = False) -> Runtime:
    """Run until `stop` is set, then drain and store; returns the stopped runtime.

    With `web_socket`, the web screens are served on it from the same loop, until the drain is over: agents
    can still save the disposition of a call that ends during the drain. With `follow_started` (`rdv run`
    without `--campaign`), a campaign started while running is dialled within PICK_UP_EVERY_S. Runs under its
    dialer id's lock, whoever calls it (refused: DialerIdInUse, or AnotherServiceRuns on a SQLite file).
    """
    async with service_lock(app.engine, options.dialer_id, [server.name for server in options.servers]):
        return await _serve(app, campaign_ids, options, drain_s, stop, started, waker, web_socket, follow_started)


async def _serve(app: App, campaign_ids: list[int], options: RuntimeOptions, drain_s: float, stop: asyncio.Event,
                 started: Callable[[Runtime], None] | None, waker: Waker, web_socket: socket.socket | None,
                 follow_started: bool) -> Runtime:  # fmt: skip
    clock = app.clock
    runtime = Runtime(app, campaign_ids, options)
    await runtime.start()
    web_stop = asyncio.Event()
    web_task = _start_web(app, runtime, web_socket, web_stop)
    await runtime.wake(clock.now())  # catch up on the jobs missed while down
    if started is not None:
        started(runtime)
    tasks = [asyncio.create_task(_every(clock, STAFFING_EVERY_S, stop, lambda: runtime.apply_staffing(clock.now()))),
             asyncio.create_task(waker(runtime, stop)), asyncio.create_task(runtime.watch_leadership(stop)),
             asyncio.create_task(runtime.watch_standby(stop)), asyncio.create_task(retry_unreachable(runtime, stop))]
    if follow_started:  # at least a wall second apart: a fast test clock need not query more often
        every = max(PICK_UP_EVERY_S, float(getattr(clock, "scale", 1.0)))
        tasks.append(asyncio.create_task(_every(clock, every, stop, runtime.pick_up_started)))
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        log.info("draining: no new calls, %d live calls get up to %.0f s to finish",
                 len(runtime.engine.calls) if runtime.engine else 0, drain_s)  # fmt: skip
        await runtime.stop(drain_s)
        web_stop.set()
        if web_task is not None:
            await asyncio.gather(web_task, return_exceptions=True)
    engine = runtime.engine
    if engine is not None:
        log.info("stopped: %d dialled, %d ended at stop; counters %s", engine.counters["dialled"],
                 engine.counters["ended_at_stop"], dict(engine.counters))  # fmt: skip
    return runtime


def _start_web(app: App, runtime: Runtime, sock: socket.socket | None,
               stop: asyncio.Event) -> asyncio.Task[None] | None:
    if sock is None:
        return None
    from rdv.web.app import create_app
    from rdv.web.server import serve_web

    web = create_app(app, notifier=getattr(runtime, "notifier", None))
    return asyncio.create_task(serve_web(web, sock, stop, app.settings.web_trusted_proxies))
