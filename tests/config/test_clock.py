"""The scaled clock runs faster than the wall and only ever moves forward."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from config.clock import ManualClock, ScaledClock, SystemClock

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_scaled_clock_moves_scale_times_faster_than_the_wall() -> None:
    clock = ScaledClock(START, scale=3600.0)
    wall_before = time.monotonic()
    first = clock.now()
    deadline = time.monotonic() + 5
    while clock.now() - first < timedelta(seconds=36) and time.monotonic() < deadline:
        pass
    wall = time.monotonic() - wall_before
    simulated = (clock.now() - first).total_seconds()
    assert simulated >= 36
    assert simulated <= (wall + 0.5) * 3600


def test_jump_skips_ahead_but_never_back() -> None:
    clock = ScaledClock(START, scale=1.0)
    clock.jump_to(START + timedelta(hours=15))
    assert clock.now() >= START + timedelta(hours=15)
    clock.jump_to(START)
    assert clock.now() >= START + timedelta(hours=15)


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        ScaledClock(datetime(2026, 1, 1), 10)


def test_manual_clock_sleep_returns_once_advanced() -> None:
    async def scenario() -> bool:
        clock = ManualClock(START)
        sleeper = asyncio.create_task(clock.sleep(30))
        await asyncio.sleep(0)
        clock.advance(10)
        await asyncio.sleep(0)
        early = sleeper.done()
        clock.advance(25)
        await asyncio.wait_for(sleeper, 2)
        return early

    assert asyncio.run(scenario()) is False


def test_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().tzinfo is UTC
