"""SQLite wake-ups across processes: a counter per topic, bumped by `notify`, read by a short poll.

SQLite has no LISTEN: the notifying process bumps the topic's row (in the caller's transaction when it has
one, so it becomes visible with the change), wakes its own subscribers at once, and every other process
reads the counters of the topics it watches every `interval_s`. Used only when the web and the dialer run
apart on SQLite; PostgreSQL uses LISTEN/NOTIFY and a single process uses memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import cast

from sqlalchemy import BigInteger, Engine, Executable, Integer, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from config.orm import Base, utcnow
from rdv.wakeup import BaseNotifier, Subscription

log = logging.getLogger(__name__)


class WakeupCounter(Base):
    """How many times a topic was notified (the short poll of SQLite compares it with what it saw)."""

    __tablename__ = "wakeup_counters"

    topic: Mapped[str] = mapped_column(String(200), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    at: Mapped[datetime] = mapped_column(default=utcnow)


def _bump(dialect: str, topic: str) -> Executable:
    """Create the topic's counter at 1, or add one to it."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, WakeupCounter.__table__)
    statement = insert(table).values(topic=topic[:200], seq=1, at=utcnow())
    return statement.on_conflict_do_update(index_elements=["topic"],
                                           set_={"seq": table.c.seq + 1, "at": statement.excluded.at})


class PollNotifier(BaseNotifier):
    """Counters in the database, read every `interval_s` for the topics this process's subscribers watch."""

    def __init__(self, engine: Engine, interval_s: float = 0.2) -> None:
        super().__init__()
        self.engine, self.interval_s = engine, interval_s
        self.seen: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    def _stage(self, session: Session, topic: str, payload: str) -> None:
        session.execute(_bump(self.engine.dialect.name, topic))

    def _publish(self, topic: str, payload: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(_bump(self.engine.dialect.name, topic))
        self.hub.deliver(topic, payload)

    def subscribe(self, topic: str) -> Subscription:
        if topic not in self.seen:
            self.seen[topic] = self._counters([topic]).get(topic, 0)
        sub = super().subscribe(topic)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._poll(), name="rdv-wakeup-poll")
        return sub

    def _counters(self, topics: list[str]) -> dict[str, int]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(WakeupCounter.topic, WakeupCounter.seq)
                                      .where(WakeupCounter.topic.in_(topics)))
            return {topic: seq for topic, seq in rows}

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            topics = self.hub.names()
            if not topics:
                continue
            try:
                counters = await asyncio.to_thread(self._counters, topics)
            except Exception:  # a busy or vanished database: the next round tries again
                log.warning("wake-up poll failed", exc_info=True)
                continue
            for topic, seq in counters.items():
                if seq != self.seen.get(topic):
                    self.seen[topic] = seq
                    self.hub.deliver(topic, "")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await super().close()
