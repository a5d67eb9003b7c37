"""The scaled-clock waker (demo, tests, the soak) keeps waking after a wake-up fails, as APScheduler does.

Found by the soak (bench/soak.py): a wake-up during a PostgreSQL restart raised out of the waker's loop and
ended it silently, so that process ran no job again: its day never closed and its daily e-mail never went.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from config.clock import ScaledClock
from rdv.runtime import Runtime
from rdv.service import clock_waker

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
EVERY = timedelta(minutes=1)


@dataclass
class Jobs:
    """A runtime's waking surface: a job every simulated minute, whose first wake-up finds the database down."""

    clock: ScaledClock
    job_listeners: list[Any] = field(default_factory=list)
    woken: list[datetime] = field(default_factory=list)
    failures: int = 0

    def next_fire(self, now: datetime) -> datetime:
        return START + EVERY * (int((now - START) / EVERY) + 1)

    async def wake(self, now: datetime) -> None:
        if self.failures == 0:
            self.failures += 1
            raise ConnectionError("the database system is starting up")
        self.woken.append(now)


async def test_a_failed_wake_up_does_not_end_the_waker_the_next_fire_time_wakes_the_runtime_again() -> None:
    jobs = Jobs(ScaledClock(START, scale=600.0))  # a simulated minute every 0.1 s
    stop = asyncio.Event()
    waker = asyncio.create_task(clock_waker(cast(Runtime, jobs), stop))
    async with asyncio.timeout(60):  # a deadline, not a measure: it holds within a second when all is well
        while len(jobs.woken) < 2 and not waker.done():
            await asyncio.sleep(0.01)
    stop.set()
    await waker  # raises if the failure escaped the loop
    assert jobs.failures == 1 and len(jobs.woken) >= 2
