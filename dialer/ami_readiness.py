"""Whether the PBX can take the dialer's actions now, and waiting until it can (part of the AMI adapter).

Asterisk accepts a manager login before it has finished booting: until `FullyBooted` app_queue's commands
and the dialplan do not exist (real Asterisk 22 answered QueueAdd "Invalid/unknown command" and Originate
"Extension does not exist."), and after `Shutdown` it refuses new work until the connection closes. So an
action waits for FullyBooted on a live session, and one refused as "not ready" waits for the next one.
Deadlines are wall-clock seconds of the event loop: they protect a connection, not a simulated call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from dialer.amiwire import Message
from dialer.ports import PbxNotConnected, PbxNotReady

log = logging.getLogger(__name__)
POLL_S = 0.05


class Readiness:
    """The session's `lost` and `booted` states and the FullyBooted count, with the waits built on them."""

    def __init__(self, where: str, boot_timeout_s: float, grace_s: float) -> None:
        self.where, self.boot_timeout_s, self.grace_s = where, boot_timeout_s, grace_s
        self.lost = asyncio.Event()
        self.booted = asyncio.Event()
        self.boots = 0  # FullyBooted events seen, over every session

    def opened(self) -> None:
        """A new session: neither lost nor booted until Asterisk says so."""
        self.lost.clear()
        self.booted.clear()

    def went_away(self) -> None:
        self.lost.set()
        self.booted.clear()

    def take(self, message: Message) -> bool:
        """FullyBooted and Shutdown change the state; True if `message` was one of them."""
        if message.kind != "event" or message.name not in ("FullyBooted", "Shutdown"):
            return False
        if message.name == "FullyBooted":
            self.boots += 1
            self.booted.set()
        else:
            self.booted.clear()
            log.warning("the PBX at %s is shutting down (restart: %s)", self.where, message.get("Restart", "?"))
        return True

    async def until_booted(self, deadline: float, name: str, about: str = "",
                           connected: Callable[[], bool] = lambda: True) -> None:
        """Wait for FullyBooted on a live session; PbxNotConnected at once if the session is gone."""
        loop = asyncio.get_running_loop()
        while not self.booted.is_set():
            if self.lost.is_set() or not connected():
                raise PbxNotConnected(f"{name}{about}: not connected to the PBX at {self.where} (reconnecting)")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise PbxNotReady(f"{name}{about}: the PBX at {self.where} did not say FullyBooted within "
                                  f"{self.boot_timeout_s:.1f} s (still booting, or the AMI user lacks read=system)")
            await _first_of(remaining, self.booted, self.lost)

    async def down_since(self, boots: int) -> bool:
        """True if the PBX went down (Shutdown, lost session) or rebooted since the `boots`-th FullyBooted,
        waiting up to the grace time for the event that explains a "not ready" refusal."""
        for _ in range(max(1, int(self.grace_s / POLL_S))):
            if self.boots != boots or not self.booted.is_set():
                return True
            await asyncio.sleep(POLL_S)
        return False

    async def until_rebooted(self, boots: int, deadline: float, what: str, ready: Callable[[], bool]) -> None:
        """Wait, across reconnections, for a FullyBooted later than the `boots`-th one."""
        loop = asyncio.get_running_loop()
        while self.boots == boots or not ready():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise PbxNotReady(f"{what}: refused while the PBX at {self.where} was not ready, and it was not "
                                  f"ready again within {self.boot_timeout_s:.1f} s; not sent")
            await asyncio.sleep(min(POLL_S, remaining))


async def _first_of(timeout_s: float, *events: asyncio.Event) -> None:
    """Return when one of `events` is set or `timeout_s` has passed."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
