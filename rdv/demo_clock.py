"""The demo's clock: simulated time that runs only while the event loop waits, and jumps over closed hours.

Scaling the wall clock (the scaled clock of `config.clock`) makes the process's own work take simulated
time: at 2,000× a 10 ms database write is 20 simulated seconds during which nobody answers the PBX, so
wrap-ups seem longer, callers wait in the queue and drops are counted that a real centre would not have.
Here simulated time advances `scale` times faster than the time the event loop spends waiting for I/O or
timers, and stands still while it computes: as in a real centre, where handling an event takes milliseconds
against calls that last minutes. The PBX simulator, the engine and the demo all run on this loop.
"""

from __future__ import annotations

import asyncio
import selectors
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any


class IdleClock:
    """A Clock (`now()`, `sleep()`) whose time is `scale` × the loop's idle wall time, with `jump_to()`.

    Until `selector()` is given to an event loop that runs, the time stands still at `start`.
    """

    def __init__(self, start: datetime, scale: float) -> None:
        if start.tzinfo is None:
            raise ValueError("IdleClock needs an aware start time")
        if scale <= 0:
            raise ValueError(f"IdleClock scale must be positive, not {scale}")
        self.scale = scale
        self._lock = threading.Lock()
        self._origin = start.astimezone(UTC)
        self._idle_s = 0.0  # wall seconds simulated time ran, since the origin
        self._waiting = False  # the loop waits on its selector
        self._workers = 0  # threads doing the loop's work elsewhere (the AMI listener parsing)
        self._running_since: float | None = None

    def _current(self) -> datetime:
        idle = self._idle_s
        if self._running_since is not None:
            idle += time.monotonic() - self._running_since
        return self._origin + timedelta(seconds=idle * self.scale)

    def _change(self, waiting: bool | None = None, workers: int = 0) -> None:
        """Record a change (lock held): simulated time runs while the loop waits and no worker is busy."""
        now = time.monotonic()
        if waiting is not None:
            self._waiting = waiting
        self._workers += workers
        running = self._waiting and self._workers == 0
        if self._running_since is not None and not running:
            self._idle_s += now - self._running_since
            self._running_since = None
        elif self._running_since is None and running:
            self._running_since = now

    def now(self) -> datetime:
        with self._lock:
            return self._current()

    def jump_to(self, moment: datetime) -> None:
        """Move the clock forward to `moment` (never backward)."""
        with self._lock:
            current = self._current()
            self._origin, self._idle_s = max(current, moment.astimezone(UTC)), 0.0
            if self._running_since is not None:
                self._running_since = time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Return once `seconds` of simulated time have passed (the loop's busy time does not count)."""
        target = self.now() + timedelta(seconds=max(0.0, seconds))
        while (remaining := (target - self.now()).total_seconds()) > 0:
            await asyncio.sleep(remaining / self.scale)

    def waiting(self, started: bool, overslept: float = 0.0) -> None:
        """The loop starts (True) or stops (False) waiting for I/O: simulated time runs only in between.

        `overslept`: wall seconds the wait lasted past the timeout the loop asked for. That is the machine's
        lateness in waking the process (a loaded machine's scheduler), not time the loop chose to wait: it does
        not count, or at 8,000× a 20 ms late wake-up would be 160 simulated seconds in which callers wait in the
        queue and are dropped. The clock then runs as on an idle machine, whatever the load.
        """
        with self._lock:
            if not started and overslept > 0 and self._running_since is not None:
                self._running_since = min(time.monotonic(), self._running_since + overslept)
            self._change(waiting=started)

    @contextmanager
    def working(self) -> Iterator[None]:
        """Inside, simulated time stands still even if the loop waits: for work a thread does on the loop's
        behalf (the AMI listener parsing what the PBX said), which in a real centre takes no call time either."""
        with self._lock:
            self._change(workers=1)
        try:
            yield
        finally:
            with self._lock:
                self._change(workers=-1)

    def selector(self) -> selectors.BaseSelector:
        """A selector for `asyncio.SelectorEventLoop(selector)` that tells this clock when the loop waits."""
        return _TimedSelector(selectors.DefaultSelector(), self)


class _TimedSelector(selectors.BaseSelector):
    """The default selector, with the time spent in `select()` reported to the clock."""

    def __init__(self, inner: selectors.BaseSelector, clock: IdleClock) -> None:
        self._inner, self._clock = inner, clock

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        began = time.monotonic()
        self._clock.waiting(True)
        try:
            return self._inner.select(timeout)
        finally:
            late = time.monotonic() - began - timeout if timeout is not None else 0.0
            self._clock.waiting(False, max(0.0, late))

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._inner.get_map()

    def close(self) -> None:
        self._inner.close()
