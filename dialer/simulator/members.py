"""Queue members of the simulated PBX: who can take a caller now, and how simulated agents behave."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from dialer.simulator.messages import MemberView
from dialer.simulator.outcomes import lognormal


@dataclass(frozen=True)
class AgentProfile:
    """Simulated agents: log-normal talk time, fixed (sd 0) or normal wrap-up, in simulated seconds."""

    talk_mean_s: float = 180.0
    talk_sigma: float = 0.6
    wrap_mean_s: float = 20.0
    wrap_sd_s: float = 0.0

    def talk(self, rng: random.Random) -> float:
        return lognormal(rng, self.talk_mean_s, self.talk_sigma)

    def wrap(self, rng: random.Random) -> float:
        return max(0.0, rng.gauss(self.wrap_mean_s, self.wrap_sd_s)) if self.wrap_sd_s else self.wrap_mean_s


@dataclass
class Member:
    """One interface in one queue; `busy` covers ringing, talking and (simulated) wrap-up."""

    queue: str
    view: MemberView
    real: bool = False
    busy: bool = False
    idle_since: float = 0.0

    @property
    def interface(self) -> str:
        return self.view.interface

    @property
    def available(self) -> bool:
        return not self.busy and not self.view.paused


class NoSuchQueue(Exception):
    """The queue is not configured (queues.conf): Asterisk refuses members and callers alike."""


@dataclass
class Queues:
    """Every queue's members, plus a wake-up for callers waiting for one to free up.

    `configured` names the queues queues.conf defines; None means any queue named exists (the embedded
    simulator of the demo, whose queues follow the campaigns)."""

    members: dict[str, dict[str, Member]] = field(default_factory=dict)
    real_interfaces: set[str] = field(default_factory=set)
    # People's phones whose simulated callee ends the conversation after a drawn talk time (the demo's seats):
    # without it, such a call lasts until a Hangup action.
    callee_ends: set[str] = field(default_factory=set)
    waiting: dict[str, list[str]] = field(default_factory=dict)
    freed: asyncio.Event = field(default_factory=asyncio.Event)
    configured: set[str] | None = None

    def exists(self, queue: str) -> bool:
        return self.configured is None or queue in self.configured

    def names(self) -> list[str]:
        """The queues QueueStatus lists."""
        return sorted(self.configured if self.configured is not None else self.members)

    def add(self, queue: str, view: MemberView, now_s: float) -> Member:
        """Add a member; KeyError if it is already there, NoSuchQueue if the queue is not configured."""
        if not self.exists(queue):
            raise NoSuchQueue(queue)
        members = self.members.setdefault(queue, {})
        if view.interface in members:
            raise KeyError(view.interface)
        member = Member(queue, view, real=view.interface in self.real_interfaces, idle_since=now_s)
        members[view.interface] = member
        self.wake()
        return member

    def remove(self, queue: str, interface: str) -> None:
        """Remove a member; KeyError if the queue or the member is unknown."""
        del self.members[queue][interface]

    def pause(self, interface: str, paused: bool, reason: str, queue: str = "") -> list[Member]:
        """Pause or unpause an interface in one queue or all; the members touched."""
        touched = [
            m for name, members in self.members.items() if not queue or name == queue
            for m in members.values() if m.interface == interface
        ]
        for member in touched:
            member.view.paused = paused
            member.view.paused_reason = reason if paused else ""
        if touched and not paused:
            self.wake()
        return touched

    def pick(self, queue: str) -> Member | None:
        """The available member idle the longest (strategy `leastrecent`), or None."""
        candidates = [m for m in self.members.get(queue, {}).values() if m.available]
        if not candidates:
            return None
        member = min(candidates, key=lambda m: m.idle_since)
        member.busy = True
        return member

    def release(self, member: Member, now_s: float) -> None:
        member.busy = False
        member.idle_since = now_s
        self.wake()

    def wake(self) -> None:
        """Tell waiting callers to look again; a fresh event for the next wait."""
        self.freed.set()
        self.freed = asyncio.Event()
