"""The one Clock that reaches every edge: real time in service, scaled or manual time in the demo and tests.

Rules never read a clock: they take `now` as a parameter. Edges (engine loop, scheduler, simulator)
hold a Clock and ask it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current aware UTC time on this clock."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ScaledClock:
    """Time that runs `scale` times faster than the wall clock from `start`, and can jump ahead.

    The demo runs a calling day in minutes and `jump_to()` skips closed hours; the PBX simulator is
    given the same clock so ring and talk durations shrink with it.
    """

    def __init__(self, start: datetime, scale: float = 60.0) -> None:
        if start.tzinfo is None:
            raise ValueError("ScaledClock needs an aware start time")
        if scale <= 0:
            raise ValueError(f"scale must be positive, not {scale}")
        self.scale = scale
        self._lock = threading.Lock()
        self._origin_sim = start.astimezone(UTC)
        self._origin_real = time.monotonic()

    def now(self) -> datetime:
        with self._lock:
            elapsed = (time.monotonic() - self._origin_real) * self.scale
            return self._origin_sim + timedelta(seconds=elapsed)

    def jump_to(self, moment: datetime) -> None:
        """Move the clock forward to `moment` (never backward)."""
        with self._lock:
            current = self._origin_sim + timedelta(seconds=(time.monotonic() - self._origin_real) * self.scale)
            if moment > current:
                self._origin_sim = moment.astimezone(UTC)
                self._origin_real = time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.scale)


class ManualClock:
    """A clock that moves only when told to: for tests of edges that wait."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware start time")
        self._now = start.astimezone(UTC)
        self._changed: asyncio.Event | None = None

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        if self._changed is not None:
            self._changed.set()

    async def sleep(self, seconds: float) -> None:
        deadline = self._now + timedelta(seconds=seconds)
        while self._now < deadline:
            self._changed = self._changed or asyncio.Event()
            await self._changed.wait()
            self._changed.clear()
