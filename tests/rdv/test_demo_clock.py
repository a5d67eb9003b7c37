"""The demo's clock: simulated time runs while the event loop waits, never while it computes."""

from __future__ import annotations

import asyncio
import hashlib
import selectors
import threading
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from rdv.demo_clock import IdleClock, _TimedSelector

T = TypeVar("T")
START = datetime(2026, 11, 24, 9, 50, tzinfo=UTC)


def busy(rounds: int = 20_000) -> str:
    """CPU work that keeps the loop from waiting (a hash chain)."""
    digest = b""
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()


def run(clock: IdleClock, coroutine_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    with asyncio.Runner(loop_factory=lambda: asyncio.SelectorEventLoop(clock.selector())) as runner:
        return runner.run(coroutine_factory())


def test_time_stands_still_while_the_loop_computes_and_before_it_runs() -> None:
    clock = IdleClock(START, scale=1000.0)
    busy()
    assert clock.now() == START

    async def main() -> tuple[datetime, datetime]:
        before = clock.now()
        busy()
        return before, clock.now()

    before, after = run(clock, main)
    assert before == after


def test_a_sleep_lasts_its_simulated_seconds_even_when_the_loop_is_busy_meanwhile() -> None:
    clock = IdleClock(START, scale=500.0)

    async def hog() -> None:
        for _ in range(20):
            busy(2_000)
            await asyncio.sleep(0)

    async def main() -> tuple[datetime, datetime]:
        before = clock.now()
        hogging = asyncio.create_task(hog())
        await clock.sleep(30)
        await hogging
        return before, clock.now()

    before, after = run(clock, main)
    assert after - before >= timedelta(seconds=30)


def test_time_runs_scale_times_faster_than_the_loop_waits() -> None:
    clock = IdleClock(START, scale=1000.0)

    async def main() -> timedelta:
        loop = asyncio.get_running_loop()
        before, wall = clock.now(), loop.time()
        await asyncio.sleep(0.05)  # the loop waits on its selector
        return (clock.now() - before) / (loop.time() - wall)

    rate = run(clock, main)
    # At most 1000 simulated seconds per wall second (less when the loop did some work in between).
    assert timedelta(seconds=0) < rate <= timedelta(seconds=1000.5)


def test_jumps_go_forward_only_and_need_an_aware_start() -> None:
    clock = IdleClock(START, scale=100.0)
    clock.jump_to(START + timedelta(hours=16))
    assert clock.now() == START + timedelta(hours=16)
    clock.jump_to(START)
    assert clock.now() == START + timedelta(hours=16)
    with pytest.raises(ValueError, match="aware"):
        IdleClock(datetime(2026, 11, 24, 10), scale=100.0)
    with pytest.raises(ValueError, match="positive"):
        IdleClock(START, scale=0)


def test_time_stands_still_while_a_thread_works_for_the_loop() -> None:
    clock = IdleClock(START, scale=1000.0)

    async def main() -> tuple[datetime, datetime, datetime]:
        worker = asyncio.Event()
        measured: list[datetime] = []

        def listener() -> None:  # as the AMI listener parses while the loop waits
            with clock.working():
                measured.append(clock.now())
                busy()
                measured.append(clock.now())
            asyncio_loop.call_soon_threadsafe(worker.set)

        asyncio_loop = asyncio.get_running_loop()
        thread = threading.Thread(target=listener)
        thread.start()
        await worker.wait()  # the loop waits on its selector meanwhile
        thread.join()
        await asyncio.sleep(0.01)
        return measured[0], measured[1], clock.now()

    during_start, during_end, after = run(clock, main)
    assert during_start == during_end
    assert after > during_end  # and runs again once the thread is done


class _LateSelector(selectors.DefaultSelector):
    """A selector woken `late_s` after each timeout it was given, as a loaded machine wakes a process late."""

    def __init__(self, late_s: float) -> None:
        super().__init__()
        self.late_s = late_s

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        found = super().select(timeout)
        if timeout is not None and not found:
            time.sleep(self.late_s)
        return found


def test_a_late_wake_up_of_a_loaded_machine_is_not_simulated_time() -> None:
    clock = IdleClock(START, scale=1000.0)
    late = _LateSelector(late_s=0.2)
    selector = _TimedSelector(late, clock)
    before = clock.now()
    selector.select(0.01)  # asked for 10 ms, woken 210 ms later
    selector.close()
    # 10 ms of waiting at 1000× (the selector's own overhead may add a little), not 210 ms.
    assert timedelta(seconds=10) <= clock.now() - before < timedelta(seconds=60)
