"""Wake-ups between processes: in memory, PostgreSQL LISTEN/NOTIFY, and SQLite's short poll."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from config.orm import transaction
from rdv.wakeup import RESYNC, BaseNotifier, LocalNotifier, next_wake, wake_at
from rdv.wakeup_pg import PgNotifier
from rdv.wakeup_poll import PollNotifier

REPO = Path(__file__).resolve().parents[2]
NOTIFY_FROM_ANOTHER_PROCESS = """
import sys
from rdv import db
from rdv.wakeup_pg import PgNotifier
from rdv.wakeup_poll import PollNotifier
engine = db.make_engine(sys.argv[1])
notifier = (PgNotifier if engine.dialect.name == "postgresql" else PollNotifier)(engine)
notifier.notify(sys.argv[2], sys.argv[3])
"""


def notifier_on(engine: Engine) -> BaseNotifier:
    return PgNotifier(engine) if engine.dialect.name == "postgresql" else PollNotifier(engine, interval_s=0.05)


async def ready(notifier: BaseNotifier) -> None:
    if isinstance(notifier, PgNotifier):
        await notifier.ready()


def test_a_local_notification_in_a_transaction_is_delivered_at_its_commit_only(sessions: sessionmaker[Session]) -> None:
    async def scenario() -> None:
        notifier = LocalNotifier()
        with notifier.subscribe("agent:alice") as sub:
            with transaction(sessions) as session:
                session.execute(text("SELECT 1"))
                notifier.notify("agent:alice", "pop", session=session)
                await asyncio.sleep(0)
                assert await sub.get(0.05) is None, "delivered before the commit"
            assert await sub.get(5) == "pop"
            with pytest.raises(RuntimeError), transaction(sessions) as session:
                session.execute(text("SELECT 1"))
                notifier.notify("agent:alice", "lost", session=session)
                raise RuntimeError("rolled back")
            notifier.notify("agent:alice", "after")
            assert await sub.get(5) == "after", "the rolled-back notification came through"

    asyncio.run(scenario())


def test_a_notification_from_another_process_wakes_the_waiter(database_url: str, engine: Engine) -> None:
    async def scenario() -> None:
        notifier = notifier_on(engine)
        try:
            with notifier.subscribe("dialer:7") as sub, notifier.subscribe("dialer:8") as other:
                await ready(notifier)
                await asyncio.to_thread(subprocess.run, [sys.executable, "-c", NOTIFY_FROM_ANOTHER_PROCESS,
                                                         database_url, "dialer:7", "42"], check=True, cwd=REPO)
                payload = await sub.get(60)
                assert payload is not None
                if isinstance(notifier, PgNotifier):
                    assert payload == "42"  # PostgreSQL carries the payload; the poll only says "look again"
                assert await other.get(0.3) is None, "another topic was woken"
        finally:
            await notifier.close()

    asyncio.run(scenario())


def test_a_notification_inside_a_transaction_reaches_another_connection_at_commit(
        engine: Engine, sessions: sessionmaker[Session]) -> None:
    async def scenario() -> None:
        sender, listener = notifier_on(engine), notifier_on(engine)
        try:
            with listener.subscribe("floor") as sub:
                await ready(listener)
                with transaction(sessions) as session:
                    sender.notify("floor", "x", session=session)
                    assert await sub.get(0.4) is None, "delivered before the commit"
                assert await sub.get(60) is not None
        finally:
            await sender.close()
            await listener.close()

    asyncio.run(scenario())


@pytest.mark.postgres
def test_the_listener_reconnects_and_asks_everyone_to_read_again(request: pytest.FixtureRequest,
                                                                 tmp_path: Path) -> None:
    from rdv import db
    from tests.conftest import new_database_url

    engine = db.make_engine(new_database_url(request, "postgresql", tmp_path))

    async def scenario() -> None:
        notifier = PgNotifier(engine, backoff_max_s=0.2)
        try:
            with notifier.subscribe("agent:bob") as sub:
                await notifier.ready()
                await notifier.drop_connection()
                assert await sub.get(60) == RESYNC
                await notifier.ready()
                assert notifier.connections == 2
                notifier.notify("agent:bob", "again")
                assert await sub.get(60) == "again"
        finally:
            await notifier.close()
            engine.dispose()

    asyncio.run(scenario())


def test_next_wake_returns_on_the_first_of_several_topics() -> None:
    async def scenario() -> None:
        notifier = LocalNotifier()
        with notifier.subscribe("a") as a, notifier.subscribe("b") as b:
            assert not await next_wake([a, b], 0.05)
            notifier.notify("b", "1")
            notifier.notify("b", "2")
            assert await next_wake([a, b], 5)
            assert b.queue.empty(), "queued wake-ups are drained: the caller re-reads once"

    asyncio.run(scenario())


def test_wake_at_gives_the_moment_the_latest_drained_notification_arrived() -> None:
    async def scenario() -> None:
        notifier = LocalNotifier()
        with notifier.subscribe("a") as a, notifier.subscribe("b") as b:
            assert await wake_at([a, b], 0.01) is None
            notifier.notify("a", "1")
            await asyncio.sleep(0.01)
            notifier.notify("b", "2")
            await asyncio.sleep(0.01)
            arrived = await wake_at([a, b], 5)
            assert arrived is not None and arrived == b.last_at > a.last_at
            assert a.queue.empty() and b.queue.empty()

    asyncio.run(scenario())
