"""Personal callbacks through the engine, the AMI adapter and the PBX simulator over TCP, on SQLite and PostgreSQL.

Within its grace period a callback goes to the agent who booked it alone, though another agent is free and the
queue would give it to them (agent1 has waited longest: `leastrecent` picks them); after it, to anyone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.models import Attempt
from campaigns.outcomes import book_callback
from config.clock import ScaledClock
from config.orm import transaction
from dialer import agents as presence
from dialer.campaign_view import queue_name
from dialer.engine import Engine
from dialer.live import LiveCall
from dialer.simulator import AgentProfile, PbxSimulator
from dialer.simulator.outcomes import CallPlan, Outcome, ScriptedOutcomes
from tests.campaigns.factories import campaign, leads
from tests.dialer.engine_harness import START, Dialer, dialer_on

CALLEE = "+33610000000"  # the first lead `leads()` makes; the next ones differ by the last digit
DUE = START + timedelta(minutes=1)
GRACE = timedelta(minutes=5)


def callback_dialer(database_url: str, callee: CallPlan, callbacks: int = 1) -> AbstractAsyncContextManager[Dialer]:
    """`callbacks` leads, each with a personal callback booked by agent2, due at DUE; `callee` is how their phones
    answer."""
    def make_sim(clock: ScaledClock) -> PbxSimulator:
        return PbxSimulator(clock, seed=5, outcomes=ScriptedOutcomes({CALLEE[:-1]: callee}),
                            agent_profile=AgentProfile(talk_mean_s=40.0, talk_sigma=0.2, wrap_mean_s=5.0), queues=())

    def make(sessions: sessionmaker[Session]) -> int:
        with transaction(sessions) as session:
            made = campaign(session, settings={"wrap_up_seconds": "10", "callback_grace": "5m"})
            for lead in leads(session, made.id, callbacks):
                book_callback(session, lead.id, DUE, START - timedelta(hours=1), agent="agent2", note="rappeler")
            return made.id

    return dialer_on(database_url, make_sim, make)


def the_attempt(harness: Dialer) -> Attempt | None:
    with harness.sessions() as session:
        return session.scalars(select(Attempt).where(Attempt.outcome != "")).first()


async def first_ended(harness: Dialer) -> Attempt:
    """The first attempt with its outcome, once there is one."""
    await harness.until(lambda: the_attempt(harness) is not None, clock_s=3600)
    attempt = the_attempt(harness)
    assert attempt is not None
    return attempt


def member_paused(harness: Dialer, login: str) -> bool:
    members = harness.sim.pbx.queues.members[queue_name(harness.campaign_id)]
    return members[presence.interface_of(login)].view.paused


HUMAN = CallPlan(Outcome.HUMAN, ring_s=4.0, amd_s=1.5)


@pytest.fixture
async def answered(database_url: str) -> AsyncIterator[tuple[Dialer, Engine]]:
    """A callback whose callee answers, agent1 then agent2 (who booked it) logged in and ready."""
    async with callback_dialer(database_url, HUMAN) as harness:
        yield harness, await harness.start_engine(agents=2)


async def test_a_callback_in_its_grace_period_goes_to_the_agent_who_booked_it_and_pops_for_them(
    answered: tuple[Dialer, Engine],
) -> None:
    harness, engine = answered
    # What the agent screen's pop is written from: the agent going on the call, with that call.
    went_on_call: list[tuple[str, str]] = []

    def on_call(_s: Session, before: presence.Agent | None, after: presence.Agent, live: LiveCall | None) -> None:
        if after.status is presence.Status.ON_CALL and live is not None:
            went_on_call.append((after.login, live.call_id))

    engine.state.presence_hooks.append(on_call)
    kept_paused: list[bool] = []

    def kept() -> bool:
        if harness.sim.live_channels:  # from the Originate's arrival to the call's end
            kept_paused.append(member_paused(harness, "agent2"))
        return the_attempt(harness) is not None

    await harness.until(kept, clock_s=3600)
    attempt = the_attempt(harness)
    assert attempt is not None
    assert (attempt.outcome, attempt.agent) == ("connected", "agent2")
    assert attempt.created_at.replace(tzinfo=DUE.tzinfo) >= DUE
    assert went_on_call == [("agent2", attempt.action_id)]
    # Kept for the call and paused in the queue meanwhile, so that the queue handed them nothing else.
    assert kept_paused and all(kept_paused)
    await harness.until(lambda: engine.agents["agent2"].status is presence.Status.AVAILABLE, clock_s=600)
    await harness.until(lambda: not member_paused(harness, "agent2"), clock_s=60)
    assert engine.agents["agent2"].kept_for == ""
    assert engine.counters["calls_to_unknown_agents"] == engine.counters["double_bookings"] == 0
    await engine.stop(drain_timeout=60)


async def test_a_callback_waits_while_its_agent_is_not_free_then_goes_to_anyone_after_the_grace_period(
    answered: tuple[Dialer, Engine],
) -> None:
    harness, engine = answered
    await engine.pause("agent2", "break")
    attempt = await first_ended(harness)
    assert (attempt.outcome, attempt.agent) == ("connected", "agent1")
    assert attempt.created_at.replace(tzinfo=DUE.tzinfo) >= DUE + GRACE
    with harness.sessions() as session:
        assert session.scalars(select(Attempt.id)).all() == [attempt.id], "dialled during the grace period"
    await engine.stop(drain_timeout=60)


async def test_a_callback_nobody_answers_gives_its_agent_back_to_the_queue(database_url: str) -> None:
    async with callback_dialer(database_url, CallPlan(Outcome.BUSY, ring_s=1.0)) as harness:
        engine = await harness.start_engine(agents=2)
        ready_since = engine.agents["agent2"].since
        attempt = await first_ended(harness)
        assert attempt.outcome == "busy" and attempt.agent == ""
        await harness.until(lambda: engine.agents["agent2"].free and not member_paused(harness, "agent2"),
                            clock_s=60)
        assert engine.agents["agent2"].since == ready_since  # ready all along: the time in state goes on
        await engine.stop(drain_timeout=60)


async def test_two_callbacks_of_one_agent_due_together_reach_them_one_after_the_other(database_url: str) -> None:
    async with callback_dialer(database_url, HUMAN, callbacks=2) as harness:
        engine = await harness.start_engine(agents=2)

        def both_ended() -> bool:
            with harness.sessions() as session:
                return len(session.scalars(select(Attempt.id).where(Attempt.outcome != "")).all()) == 2

        await harness.until(both_ended, clock_s=3600)
        with harness.sessions() as session:
            rows = session.scalars(select(Attempt).order_by(Attempt.created_at)).all()
        assert [(a.outcome, a.agent) for a in rows] == [("connected", "agent2")] * 2
        first, second = rows
        assert first.ended_at is not None and second.created_at >= first.ended_at  # never two calls for one agent
        # Claimed together while agent2 was ready, the second waited for the end of the first (and its wrap-up).
        assert engine.counters["callbacks_waiting_for_agent"] >= 1
        await engine.stop(drain_timeout=60)


async def test_a_callback_whose_agent_phone_does_not_answer_is_dropped_and_the_agent_given_back(
    answered: tuple[Dialer, Engine],
) -> None:
    harness, engine = answered
    # agent2's phone will not answer (busy on the PBX's side, unknown to the dialer): Dial() gives up in 2 s.
    members = harness.sim.pbx.queues.members[queue_name(harness.campaign_id)]
    members[presence.interface_of("agent2")].busy = True
    attempt = await first_ended(harness)
    assert (attempt.outcome, attempt.agent) == ("dropped", "")
    await harness.until(lambda: engine.agents["agent2"].free and not member_paused(harness, "agent2"),
                        clock_s=60)
    assert engine.counters["outcome_dropped"] == 1
    await engine.stop(drain_timeout=60)
