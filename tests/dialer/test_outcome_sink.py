"""Where a call's events are written and when: few transactions, and a crash loses no outcome (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any, cast

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.hopper import claim_leads
from campaigns.models import Attempt
from campaigns.outcomes import finish_attempt, start_attempt
from config.clock import ManualClock
from config.orm import transaction
from dialer import calls, ports, store
from dialer import domain_events as de
from dialer.campaign_view import load_campaign_views
from dialer.engine import Engine
from dialer.live import LiveCall
from leads.models import Lead
from tests.campaigns.factories import MONDAY_3PM, campaign, leads
from tests.dialer.call_scenarios import CID, SCENARIOS, Maker

NOW = MONDAY_3PM


class Commits:
    """Counts the transactions committed on the sessions' database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.count = 0
        self.bind: Any = sessions.kw["bind"]
        event.listen(self.bind, "commit", self._seen)

    def _seen(self, _connection: Any) -> None:
        self.count += 1

    def close(self) -> None:
        event.remove(self.bind, "commit", self._seen)


@pytest.fixture
def commits(sessions: sessionmaker[Session]) -> Iterator[Commits]:
    counter = Commits(sessions)
    yield counter
    counter.close()


def dialled(sessions: sessionmaker[Session]) -> tuple[Engine, LiveCall]:
    """An engine (no PBX needed: events are folded by hand) with one call placed as `_dial` places it."""
    with transaction(sessions) as session:
        cid = campaign(session, settings={"wrap_up_seconds": "10"}).id
        leads(session, cid, 1)
        (target,) = claim_leads(session, cid, NOW, 1, "d1")
        attempt = start_attempt(session, target, NOW, "d1", CID)
        store.record_transition(session, attempt.id, de.CallTransitioned(CID, NOW, "created"))
        views = load_campaign_views(session, [cid], {}, NOW)
    engine = Engine(ManualClock(NOW), cast(ports.Pbx, None), sessions, [cid], "d1")
    engine.views.update(views)
    live = LiveCall(calls.new_call(CID, NOW), attempt.id, cid, target.lead_id, sent_at=NOW)
    engine.calls[CID] = live
    return engine, live


def fold(engine: Engine, live: LiveCall, makers: list[Maker], first: int = 0) -> None:
    for n, make in enumerate(makers, start=first):
        engine.fold(live, make(NOW + timedelta(seconds=n)))


def stored_states(sessions: sessionmaker[Session], attempt_id: int) -> list[str]:
    with sessions() as session:
        return [t.state for t in store.transitions_of(session, attempt_id)]


def test_an_unanswered_call_is_written_once_at_its_end_with_its_ringing_outcome_and_released_lead(
    sessions: sessionmaker[Session], commits: Commits,
) -> None:
    engine, live = dialled(sessions)
    makers, expected = SCENARIOS["no_answer"]
    steps = makers()
    commits.count = 0
    fold(engine, live, steps[:2])  # originate accepted, ringing: nothing written yet
    assert commits.count == 0 and stored_states(sessions, live.attempt_id) == ["created"]
    fold(engine, live, steps[2:], first=2)
    assert CID not in engine.calls and commits.count == 1
    assert stored_states(sessions, live.attempt_id) == ["created", "originated", "ringing", "ended"]
    with sessions() as session:
        attempt = session.get_one(Attempt, live.attempt_id)
        lead = session.get_one(Lead, live.lead_id)
        assert (attempt.outcome, attempt.state, attempt.originated_at) == (expected, "ended", NOW)
        assert (lead.claimed_by, lead.status, lead.attempts, lead.last_outcome) == ("", "retry", 1, expected)


def test_a_crash_while_ringing_loses_only_the_ringing_and_the_call_is_found_live_at_restart(
    sessions: sessionmaker[Session],
) -> None:
    engine, live = dialled(sessions)
    fold(engine, live, SCENARIOS["no_answer"][0]()[:2])
    del engine  # killed: what waited in memory is gone
    with transaction(sessions) as session:
        (found,) = store.live_attempts(session, "d1", [live.campaign_id])
        rebuilt = store.call_from_attempt(session, found)
        assert (found.id, rebuilt.call_id, rebuilt.state) == (live.attempt_id, CID, "created")
        lead = session.get_one(Lead, live.lead_id)
        assert lead.claimed_by == "d1"  # still held: no other dialer may ring it meanwhile


def test_an_answer_is_committed_at_once_with_the_ringing_that_preceded_it(
    sessions: sessionmaker[Session], commits: Commits,
) -> None:
    engine, live = dialled(sessions)
    steps = SCENARIOS["answered_human"][0]()
    commits.count = 0
    fold(engine, live, steps[:3])  # originate accepted, ringing, answered
    assert commits.count == 1
    assert stored_states(sessions, live.attempt_id) == ["created", "originated", "ringing", "answered"]
    with sessions() as session:
        attempt = session.get_one(Attempt, live.attempt_id)
        assert (attempt.state, attempt.answered_at, attempt.outcome) == ("answered", NOW + timedelta(seconds=2), "")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_call_ends_once_with_one_outcome_even_when_the_pbx_repeats_itself(
    sessions: sessionmaker[Session], name: str,
) -> None:
    engine, live = dialled(sessions)
    makers, expected = SCENARIOS[name]
    steps = makers()
    fold(engine, live, steps + steps)  # the whole call, then all of it again (late duplicates)
    with sessions() as session:
        attempt = session.get_one(Attempt, live.attempt_id)
        states = [t.state for t in store.transitions_of(session, live.attempt_id)]
        assert attempt.outcome == expected and attempt.state == "ended"
        assert len(states) == len(set(states)) and states.count("ended") == 1
        assert session.get_one(Lead, live.lead_id).attempts == 1
    assert engine.counters[f"outcome_{expected}"] == 1 and not engine.sink.pending


def test_transitions_in_one_batch_are_stored_once_each_and_a_finished_attempt_is_left_alone(
    sessions: sessionmaker[Session],
) -> None:
    engine, live = dialled(sessions)
    later = NOW + timedelta(seconds=30)
    ringing, answered = (de.CallTransitioned(CID, NOW + timedelta(seconds=s), state) for s, state in
                         ((2, "ringing"), (9, "answered")))  # fmt: skip
    with transaction(sessions) as session:
        store.record_transitions(session, live.attempt_id, [answered, ringing, answered,
                                                             de.CallTransitioned(CID, later, "answered")])
        assert finish_attempt(session, live.attempt_id, "machine", later)
        assert not finish_attempt(session, live.attempt_id, "connected", later)
        store.record_transitions(session, live.attempt_id, [de.CallTransitioned(CID, later, "queued")])
    with sessions() as session:
        attempt = session.get_one(Attempt, live.attempt_id)
        rows = session.execute(select(Attempt.state, Attempt.answered_at, Attempt.outcome)
                               .where(Attempt.id == live.attempt_id)).one()
        assert tuple(rows) == ("ended", NOW + timedelta(seconds=9), "machine")
        assert attempt.outcome == "machine"
        assert stored_states(sessions, live.attempt_id) == ["created", "ringing", "answered", "queued"]
