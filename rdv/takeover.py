"""Standby servers: an Asterisk server this process drives only once its own dialer has been dead a while.

A server's driver holds the advisory lock of the server's name (rdv.leader.DialerIdLock). When that lock has
been free for `takeover_after_s` clock seconds (longer than systemd's RestartSec, so that a dialer restarted
by systemd gets its server back first), the standby takes the lock and starts an engine under the server's
name: its start-up recovery (dialer.recovery) adopts the calls still live on that PBX and ends those gone.
Holding the lock also keeps the leader's `dead_dialers` job from ending those calls as failed. SQLite serves one
process: nothing to take over there.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine

from config.servers import ServerSettings
from rdv.leader import DialerIdLock, dialer_is_dead

log = logging.getLogger(__name__)


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
