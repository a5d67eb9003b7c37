"""Wake-ups between the web and the dialer: a topic is notified, whoever waits on it reads the database again.

A notification carries no data that matters (at most a hint in `payload`): the truth is in the database, and a
waiter always re-reads it. So a lost or doubled notification costs a re-read, never a wrong screen. Topics:
`agent:<login>` (that agent's presence, pops, command results), `campaign:<id>` (live figures), `dialer:<id>`
(commands waiting for the dialer of campaign <id>) and `floor` (any agent's presence changed).

Three implementations, chosen by `notifier_for`:
- `LocalNotifier`: web and dialer in one process (the demo); in memory.
- `rdv.wakeup_pg.PgNotifier`: PostgreSQL LISTEN/NOTIFY, across processes.
- `rdv.wakeup_poll.PollNotifier`: SQLite with separate processes; a row per topic whose counter a short poll reads.

`notify(topic, payload, session=...)` inside a transaction is sent when it commits and dropped when it rolls
back, so a waiter never re-reads before the change is visible.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from rdv.bootstrap import App

FLOOR = "floor"
# Sent to every subscriber when notifications may have been missed (a reconnection): re-read everything.
RESYNC = "*resync"
_PENDING = "rdv_wakeup_pending"
_HOOKED = "rdv_wakeup_hooked"


def agent_topic(login: str) -> str:
    return f"agent:{login}"


def campaign_topic(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"


def dialer_topic(campaign_id: int) -> str:
    """Commands wait here for whichever dialer runs the campaign's agents."""
    return f"dialer:{campaign_id}"


class Subscription:
    """Notifications of one topic from the moment of `subscribe()` (not of the first read), so none is missed
    between reading the database and waiting."""

    def __init__(self, hub: _Hub, topic: str) -> None:
        self.hub, self.topic = hub, topic
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        # The loop's time when the latest payload was queued (`wake_at`).
        self.last_at = float("-inf")
        hub.register(self)

    def push(self, payload: str) -> None:
        """From any thread: queue a payload for this subscriber's loop."""
        with contextlib.suppress(RuntimeError):  # its loop is closed: nobody listens any more
            self.loop.call_soon_threadsafe(self._arrive, payload)

    def _arrive(self, payload: str) -> None:
        self.last_at = self.loop.time()
        self.queue.put_nowait(payload)

    async def get(self, timeout: float | None = None) -> str | None:
        """The next payload, or None after `timeout` seconds without one."""
        try:
            async with asyncio.timeout(timeout):
                return await self.queue.get()
        except TimeoutError:
            return None

    def drain(self) -> int:
        """Forget the payloads already queued (the caller is about to re-read anyway); how many."""
        count = 0
        while not self.queue.empty():
            self.queue.get_nowait()
            count += 1
        return count

    def close(self) -> None:
        self.hub.unregister(self)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> str:
        return await self.queue.get()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Hub:
    """The subscribers of this process by topic; thread-safe (web routes may run in worker threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.topics: dict[str, set[Subscription]] = {}

    def register(self, sub: Subscription) -> bool:
        """Add a subscriber; True when it is the topic's first (a LISTEN may be needed)."""
        with self.lock:
            subs = self.topics.setdefault(sub.topic, set())
            subs.add(sub)
            return len(subs) == 1

    def unregister(self, sub: Subscription) -> None:
        with self.lock:
            subs = self.topics.get(sub.topic)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self.topics[sub.topic]

    def deliver(self, topic: str, payload: str) -> None:
        with self.lock:
            subs = list(self.topics.get(topic, ()))
        for sub in subs:
            sub.push(payload)

    def deliver_all(self, payload: str) -> None:
        with self.lock:
            subs = [s for group in self.topics.values() for s in group]
        for sub in subs:
            sub.push(payload)

    def names(self) -> list[str]:
        with self.lock:
            return list(self.topics)


class Notifier(Protocol):
    """What the web and the dialer use to wake each other."""

    def notify(self, topic: str, payload: str = "", session: Session | None = None) -> None:
        """Wake the topic's waiters (at the commit of `session`'s transaction when one is given and open)."""

    async def wait(self, topic: str, timeout: float) -> bool:
        """Whether the topic was notified within `timeout` seconds (from this call on)."""

    def subscribe(self, topic: str) -> Subscription:
        """Notifications of `topic` from now on, as an async iterator of payloads."""

    async def close(self) -> None:
        """Stop listening (subscriptions get nothing more)."""


class BaseNotifier:
    """Delivery to this process's subscribers and the at-commit rule; subclasses add the way out of the process."""

    def __init__(self) -> None:
        self.hub = _Hub()

    def notify(self, topic: str, payload: str = "", session: Session | None = None) -> None:
        if session is not None and session.in_transaction():
            if not session.info.get(_HOOKED):
                session.info[_HOOKED] = True
                event.listen(session, "after_commit", _send_pending)
                event.listen(session, "after_rollback", _drop_pending)
            self._stage(session, topic, payload)
            session.info.setdefault(_PENDING, []).append((self, topic, payload))
            return
        self._publish(topic, payload)

    def _stage(self, session: Session, topic: str, payload: str) -> None:
        """Work done inside the caller's transaction (PostgreSQL's NOTIFY, the poll table's counter)."""

    def _publish(self, topic: str, payload: str) -> None:
        """Outside any transaction: tell other processes, then this one."""
        self.hub.deliver(topic, payload)

    def _committed(self, topic: str, payload: str) -> None:
        """After the commit of a staged notification: this process's subscribers."""
        self.hub.deliver(topic, payload)

    async def wait(self, topic: str, timeout: float) -> bool:
        with self.subscribe(topic) as sub:
            return await sub.get(timeout) is not None

    def subscribe(self, topic: str) -> Subscription:
        return Subscription(self.hub, topic)

    async def close(self) -> None:
        self.hub.deliver_all(RESYNC)


def _send_pending(session: Session) -> None:
    for notifier, topic, payload in session.info.pop(_PENDING, []):
        notifier._committed(topic, payload)


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


class LocalNotifier(BaseNotifier):
    """Web and dialer in one process: in memory only."""


async def next_wake(subs: list[Subscription], timeout: float) -> bool:
    """Wait for the first payload on any of `subs` (or `timeout`); True if one came. Queued ones are drained."""
    return await wake_at(subs, timeout) is not None


async def wake_at(subs: list[Subscription], timeout: float) -> float | None:
    """As `next_wake`, but when a payload came: the loop's time when the latest of those drained was queued. A
    database read that began after that moment sees every change they announced (None: `timeout` ran out)."""
    if not any(not s.queue.empty() for s in subs):
        getters = [asyncio.ensure_future(s.queue.get()) for s in subs]
        try:
            done, _ = await asyncio.wait(getters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for getter in getters:
                getter.cancel()
        if not done:
            for sub in subs:
                sub.drain()
            return None
    for sub in subs:
        sub.drain()
    return max(s.last_at for s in subs)


async def payloads(notifier: Notifier, topic: str) -> AsyncIterator[str]:
    """Every payload of a topic until cancelled (for server-sent events)."""
    with notifier.subscribe(topic) as sub:
        async for payload in sub:
            yield payload


def notifier_for(app: App, same_process: bool = False) -> Notifier:
    """PostgreSQL: LISTEN/NOTIFY. SQLite: in memory when web and dialer share this process, else a short poll."""
    if app.engine.dialect.name == "postgresql":
        from rdv.wakeup_pg import PgNotifier

        return PgNotifier(app.engine)
    if same_process:
        return LocalNotifier()
    from rdv.wakeup_poll import PollNotifier

    return PollNotifier(app.engine)
