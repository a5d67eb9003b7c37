"""A call whose end could not be stored (the database restarting) is ended again later, not forgotten.

Found by the soak (bench/soak.py): during a PostgreSQL restart the end of one call failed to store; the engine
had already moved the call to its ended state, so every later try (the sweep, the stop) found nothing to do and
the attempt stayed open in the database for good, while the engine counted it live all afternoon.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import OperationalError

from dialer import domain_events as de
from tests.dialer.engine_harness import attempts, check_books, running_dialer


async def test_a_call_end_the_database_refused_is_stored_later_and_no_attempt_stays_open(database_url: str) -> None:
    async with running_dialer(database_url, 60) as dialer:
        engine = await dialer.start_engine(agents=2)
        store = engine.sink.handle
        refused: list[int] = []

        def down_once(live: Any, events: list[de.DomainEvent]) -> Any:
            if not refused and any(isinstance(e, de.CallEnded) for e in events):
                refused.append(live.attempt_id)
                raise OperationalError("UPDATE attempts", {}, Exception("the database system is shutting down"))
            return store(live, events)

        engine.sink.handle = down_once  # type: ignore[method-assign]
        await dialer.until(lambda: bool(refused) and engine.counters["dialled"] >= 10, clock_s=3 * 3600)
        await engine.stop(drain_timeout=600)
    assert refused, "no call end was refused: the test proves nothing"
    assert [a.id for a in attempts(dialer.sessions) if not a.outcome] == []
    check_books(dialer.sessions)


async def test_the_transitions_waiting_in_memory_are_kept_when_the_store_that_carried_them_fails(
        database_url: str, monkeypatch: Any) -> None:
    """A call's pre-answer transitions (originated, ringing) wait in memory for its next stored event; when that
    store fails (the database restarting), they must wait on for the next one, not be dropped with it."""
    from sqlalchemy import select

    from dialer import store as dialer_store
    from dialer.models import AttemptTransition

    record = dialer_store.record_transitions
    refused: list[int] = []

    def down_once(session: Any, attempt_id: int, events: Any, ended: Any = None) -> None:
        if not refused and ended is not None and any(e.state in {"originated", "ringing"} for e in events):
            refused.append(attempt_id)
            raise OperationalError("INSERT INTO attempt_transitions", {}, Exception("the database is restarting"))
        record(session, attempt_id, events, ended)

    monkeypatch.setattr(dialer_store, "record_transitions", down_once)
    async with running_dialer(database_url, 60) as dialer:
        engine = await dialer.start_engine(agents=2)
        await dialer.until(lambda: bool(refused) and engine.counters["dialled"] >= 10, clock_s=3 * 3600)
        await engine.stop(drain_timeout=600)
    assert refused, "no store carrying waiting transitions was refused: the test proves nothing"
    with dialer.sessions() as session:
        states = set(session.scalars(select(AttemptTransition.state)
                                     .where(AttemptTransition.attempt_id == refused[0])))  # fmt: skip
    assert "originated" in states, states
    assert [a.id for a in attempts(dialer.sessions) if not a.outcome] == []
    check_books(dialer.sessions)
