"""PostgreSQL wake-ups: NOTIFY on one channel, LISTEN on one connection per process, reconnecting when it drops.

Every topic goes through one channel (`rdv_wakeup`, payload `topic<US>payload`): a process listens once at
connection and filters by topic in memory, so a new subscriber costs no round trip and is never late. A
NOTIFY in a transaction is delivered by PostgreSQL at its commit, to every listening process this one included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from rdv.wakeup import RESYNC, BaseNotifier, Subscription

log = logging.getLogger(__name__)
CHANNEL = "rdv_wakeup"
SEPARATOR = "\x1f"
_NOTIFY = text("SELECT pg_notify(:channel, :message)")


def _message(topic: str, payload: str) -> dict[str, str]:
    # PostgreSQL refuses payloads of 8000 bytes or more; a wake-up needs only a hint.
    return {"channel": CHANNEL, "message": f"{topic}{SEPARATOR}{payload[:1000]}"}


class PgNotifier(BaseNotifier):
    """LISTEN/NOTIFY through the database the engine points at."""

    def __init__(self, engine: Engine, backoff_max_s: float = 2.0) -> None:
        super().__init__()
        self.engine = engine
        self.backoff_max_s = backoff_max_s
        url = engine.url.set(drivername="postgresql")
        self.conninfo = url.render_as_string(hide_password=False)
        self._task: asyncio.Task[None] | None = None
        self.listening: asyncio.Event | None = None  # created with the task, in its loop
        self.connections = 0  # how many times the listener connected (tests watch reconnections)
        self._conn: psycopg.AsyncConnection[object] | None = None

    def _stage(self, session: Session, topic: str, payload: str) -> None:
        session.execute(_NOTIFY, _message(topic, payload))

    def _publish(self, topic: str, payload: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(_NOTIFY, _message(topic, payload))

    def _committed(self, topic: str, payload: str) -> None:
        """Nothing: PostgreSQL delivers the committed NOTIFY to this process's listener too."""

    def subscribe(self, topic: str) -> Subscription:
        sub = super().subscribe(topic)
        self.start()
        return sub

    def start(self) -> None:
        """Start listening in the running loop (done by the first `subscribe`)."""
        if self._task is None or self._task.done():
            self.listening = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._listen(), name="rdv-wakeup-listen")

    async def ready(self, timeout: float = 10.0) -> None:
        """Wait until the listener's LISTEN is in place (a NOTIFY before it would not reach this process)."""
        self.start()
        assert self.listening is not None
        async with asyncio.timeout(timeout):
            await self.listening.wait()

    async def _listen(self) -> None:
        backoff = 0.05
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
            except psycopg.OperationalError as error:
                log.warning("wake-up listener cannot connect (%s); retrying in %.1f s", type(error).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.backoff_max_s)
                continue
            self._conn = conn
            try:
                await conn.execute(f"LISTEN {CHANNEL}")
                self.connections += 1
                backoff = 0.05
                assert self.listening is not None
                self.listening.set()
                if self.connections > 1:  # what was notified while we were away is lost: everyone re-reads
                    self.hub.deliver_all(RESYNC)
                async for notice in conn.notifies():
                    topic, _sep, payload = notice.payload.partition(SEPARATOR)
                    self.hub.deliver(topic, payload)
            except psycopg.Error as error:
                log.warning("wake-up listener lost its connection (%s); reconnecting", type(error).__name__)
            finally:
                self._conn = None
                if self.listening is not None:
                    self.listening.clear()
                with contextlib.suppress(Exception):
                    await conn.close()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await super().close()

    async def drop_connection(self) -> None:
        """Kill the listener's connection from the server side, as a network cut would (tests)."""
        if self._conn is not None:
            pid = self._conn.info.backend_pid
            with self.engine.begin() as connection:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
