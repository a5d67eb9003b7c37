"""Servers a process drives later: standby servers, driven once their own dialer has been dead a while, and its
own servers whose PBX could not be reached at start, tried again until they answer.

A server's driver holds the advisory lock of the server's name (rdv.leader.DialerIdLock). When that lock has
been free for `takeover_after_s` clock seconds (longer than systemd's RestartSec, so that a dialer restarted
by systemd gets its server back first), the standby takes the lock and starts an engine under the server's
name: its start-up recovery (dialer.recovery) adopts the calls still live on that PBX and ends those gone.
Holding the lock also keeps the leader's `dead_dialers` job from ending those calls as failed. SQLite serves one
process: nothing to take over there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine

from config.clock import Clock
from config.servers import ServerSettings
from dialer.ports import PbxAuthFailed, PbxUnreachable
from rdv.leader import DialerIdLock, dialer_is_dead

log = logging.getLogger(__name__)

# Wall seconds between two tries to reach a server unreachable at start.
RETRY_EVERY_S = 10.0


class Standby:
    """The servers waiting to be taken over, since when each was seen without a driver, and the locks won."""

    def __init__(self, engine: Engine, servers: tuple[ServerSettings, ...], after_s: float) -> None:
        self.engine, self.after_s = engine, after_s
        self.waiting = [server for server in servers] if engine.dialect.name == "postgresql" else []
        self.free_since: dict[str, datetime] = {}
        self.locks: list[DialerIdLock] = []

    def poll(self, now: datetime) -> list[ServerSettings]:
        """The servers to drive from now on: their lock free for `after_s`, and now held by this process.

        Blocking (database round trips): run it in a thread.
        """
        ready = []
        for server in list(self.waiting):
            with self.engine.connect() as connection:
                free = dialer_is_dead(connection, server.name)
                connection.commit()  # gives back the transaction's hold at once
            if not free:
                self.free_since.pop(server.name, None)
                continue
            since = self.free_since.setdefault(server.name, now)
            if since == now:
                log.warning("server %s has no dialer: taken over in %.0f s if none comes back", server.name,
                            self.after_s)  # fmt: skip
            if (now - since).total_seconds() < self.after_s:
                continue
            lock = DialerIdLock(self.engine, server.name)
            if lock.acquire():  # another standby may have won it meanwhile
                self.locks.append(lock)
                self.waiting.remove(server)
                ready.append(server)
        return ready

    def give_back(self, server: ServerSettings) -> None:
        """A takeover that failed (its PBX unreachable): free the server's lock and wait for it again."""
        for lock in [lock for lock in self.locks if lock.dialer_id == server.name]:
            lock.release()
            self.locks.remove(lock)
        self.free_since.pop(server.name, None)
        self.waiting.append(server)

    def release(self) -> None:
        """Give back the locks of the servers taken over (after their engines stopped)."""
        for lock in self.locks:
            lock.release()
        self.locks.clear()


class Drives(Protocol):
    """What `retry_unreachable` needs of the process's runtime (rdv.runtime.Runtime)."""

    unreachable: list[ServerSettings]
    clock: Clock

    async def drive(self, server: ServerSettings | None, now: datetime) -> object: ...

    async def apply_staffing(self, now: datetime) -> None: ...


async def retry_unreachable(runtime: Drives, stop: asyncio.Event, every_s: float = RETRY_EVERY_S) -> None:
    """Until `stop`, every `every_s` wall seconds: connect again to the servers whose PBX could not be reached at
    start (this process holds their locks: nobody else drives them meanwhile), and dial through each that answers."""
    while runtime.unreachable and not stop.is_set():
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(every_s):
                await stop.wait()
        for server in list(runtime.unreachable):
            if stop.is_set():
                return
            try:
                await runtime.drive(server, runtime.clock.now())
            except (PbxUnreachable, PbxAuthFailed) as error:
                log.warning("server %s still unreachable: %s", server.name, error)
                continue
            runtime.unreachable.remove(server)
            log.warning("server %s reached: dialling through it from now on", server.name)
            await runtime.apply_staffing(runtime.clock.now())
