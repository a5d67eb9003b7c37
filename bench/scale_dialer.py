"""One dialer of the load test, as a process: tests/rdv/service_process.py (`rdv run` on the shared scaled
clock) with timers around three engine methods, as a profiler would put them, written to `--timings` at exit.

- hopper claim: `Hopper.claim`, the claim statement(s) for one campaign's tick;
- dial decision: from `Engine._dial`'s start (pacing, trunk lock and count, claim, attempts recorded and
  committed) to the moment the engine turns to originating (`_keep_agents`), for ticks that dial;
- events: `Engine.on_event` calls, the PBX events that reach the engine (after the AMI adapter's parsing).
"""

from __future__ import annotations

import atexit
import contextvars
import functools
import json
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from campaigns.hopper import Hopper
from dialer.engine import Engine
from tests.rdv import service_process

claims: list[float] = []
decisions: list[float] = []
events = [0]
_dial_started: contextvars.ContextVar[float] = contextvars.ContextVar("dial_started", default=0.0)


def _timed_claim(claim: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(claim)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return claim(*args, **kwargs)
        finally:
            claims.append(time.perf_counter() - started)

    return timed


def _marked_dial(dial: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., Coroutine[Any, Any, None]]:
    @functools.wraps(dial)
    async def marked(*args: Any, **kwargs: Any) -> None:
        token = _dial_started.set(time.perf_counter())
        try:
            await dial(*args, **kwargs)
        finally:
            _dial_started.reset(token)

    return marked


def _decided(keep: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., Coroutine[Any, Any, None]]:
    @functools.wraps(keep)
    async def decided(*args: Any, **kwargs: Any) -> None:
        if started := _dial_started.get():
            decisions.append(time.perf_counter() - started)
        await keep(*args, **kwargs)

    return decided


def _counted(on_event: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., Coroutine[Any, Any, None]]:
    @functools.wraps(on_event)
    async def counted(*args: Any, **kwargs: Any) -> None:
        events[0] += 1
        await on_event(*args, **kwargs)

    return counted


def instrument(path: Path) -> None:
    """Put the timers in place and write what they saw to `path` when the process ends."""
    started = time.monotonic()
    Hopper.claim = _timed_claim(Hopper.claim)  # type: ignore[method-assign]
    Engine._dial = _marked_dial(Engine._dial)  # type: ignore[method-assign]
    Engine._keep_agents = _decided(Engine._keep_agents)  # type: ignore[method-assign]
    Engine.on_event = _counted(Engine.on_event)  # type: ignore[method-assign]

    def write() -> None:
        path.write_text(json.dumps({"claims_s": claims, "decisions_s": decisions, "events": events[0],
                                    "wall_s": time.monotonic() - started}))  # fmt: skip

    atexit.register(write)


def main() -> None:
    argv = sys.argv[1:]
    at = argv.index("--timings")
    instrument(Path(argv[at + 1]))
    service_process.main(argv[:at] + argv[at + 2 :])


if __name__ == "__main__":
    main()
