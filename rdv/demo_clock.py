"""The demo's clock: scaled time that jumps over closed hours and slows down when the process falls behind.

A fixed scale is either slow on a quiet machine or, on a busy one, runs ahead of the dialer: calls would
seem to ring for minutes while their events wait to be processed, and the figures would be the CPU's, not
the campaign's. The demo loop measures how late its own wake-ups are and moves the scale between bounds.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta


class ElasticClock:
    """A Clock (`now()`, `sleep()`) running `scale` times faster than the wall clock, with `jump_to()`."""

    def __init__(self, start: datetime, scale: float, low: float = 30.0, high: float | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("ElasticClock needs an aware start time")
        self.low, self.high = low, high or scale
        self.scale = scale
        self._lock = threading.Lock()
        self._origin_sim = start.astimezone(UTC)
        self._origin_real = time.monotonic()
        self._late: list[float] = []

    def _current(self) -> datetime:
        return self._origin_sim + timedelta(seconds=(time.monotonic() - self._origin_real) * self.scale)

    def now(self) -> datetime:
        with self._lock:
            return self._current()

    def jump_to(self, moment: datetime) -> None:
        """Move the clock forward to `moment` (never backward)."""
        with self._lock:
            current = self._current()
            self._origin_sim, self._origin_real = max(current, moment.astimezone(UTC)), time.monotonic()

    def set_scale(self, scale: float) -> None:
        """Run at another speed from now on, within the clock's bounds; time never goes back."""
        with self._lock:
            self._origin_sim, self._origin_real = self._current(), time.monotonic()
            self.scale = min(self.high, max(self.low, scale))

    def adapt(self, lateness_s: float, period_s: float, window: int = 10) -> None:
        """Tell how late a wake-up of period `period_s` came; every `window` of them the scale moves.

        Late on average by half a period: the event loop is saturated, slow down. Nearly on time: speed up.
        Averaging keeps one slow database write from braking a clock that otherwise keeps up.
        """
        self._late.append(max(0.0, lateness_s))
        if len(self._late) < window:
            return
        mean = sum(self._late) / len(self._late)
        self._late.clear()
        if mean > period_s / 2:
            self.set_scale(self.scale * 0.7)
        elif mean < period_s / 6:
            self.set_scale(self.scale * 1.2)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.scale)
