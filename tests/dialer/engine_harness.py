"""A whole dialer for integration tests: database, PBX simulator over TCP, AMI adapter, engine, simulated agents."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.models import Attempt
from campaigns.outcomes import record_disposition
from config.clock import ScaledClock
from config.orm import transaction
from dialer.ami import AmiOptions, AmiPbx
from dialer.campaign_view import queue_name
from dialer.engine import Engine, EngineSettings
from dialer.live import CallFinished
from dialer.models import AttemptTransition
from dialer.pacing import PacingPolicy
from dialer.simulator import AgentProfile, PbxSimulator
from dialer.trunk import Trunk, pbx_key
from rdv import db
from tests.campaigns.factories import MONDAY_3PM, campaign, leads

START = MONDAY_3PM
SCALE = 100.0
FAST = AmiOptions(action_timeout_s=3.0, ping_interval_s=0.2, ping_timeout_s=1.0, connect_timeout_s=2.0,
                  backoff_initial_s=0.05, backoff_max_s=0.5)  # fmt: skip


class SeededDispositions:
    """The test's agents qualify every conversation they had: mostly refusals, some not-target, a few RDVs.

    A listener of the engine's finished calls, as `rdv.sim_agents` is in the service.
    """

    def __init__(self, sessions: sessionmaker[Session], seed: int) -> None:
        self.sessions, self.rng, self.recorded = sessions, random.Random(seed), 0

    def __call__(self, finished: CallFinished) -> None:
        ended = finished.ended
        if ended.outcome != "connected":
            return
        code = self.rng.choices(["refused", "not_target", "rdv"], weights=[70, 20, 10])[0]
        with transaction(self.sessions) as session:
            record_disposition(session, finished.attempt_id, code, ended.at, ended.agent)
        self.recorded += 1


@dataclass
class Dialer:
    clock: ScaledClock
    sim: PbxSimulator
    sessions: sessionmaker[Session]
    campaign_id: int
    engines: list[Engine] = field(default_factory=list)
    adapters: list[AmiPbx] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    qualifiers: list[SeededDispositions] = field(default_factory=list)

    async def start_engine(self, agents: int, dialer_id: str = "d1", policy: PacingPolicy | None = None,
                           queue_configured: bool = True, trunk_channels: int = 0, agent_prefix: str = "") -> Engine:
        if queue_configured:  # as queues.conf from `rdv asterisk config`
            self.sim.configure_queue(queue_name(self.campaign_id))
        adapter = AmiPbx("127.0.0.1", self.sim.port, "rdv", "rdv", self.clock, FAST, seed=len(self.adapters))
        await adapter.connect()
        policies = {self.campaign_id: policy} if policy else {}
        trunk = Trunk(pbx_key("127.0.0.1", self.sim.port), trunk_channels)
        settings = EngineSettings(ring_timeout_s=25.0, policies=policies, trunk=trunk)
        engine = Engine(self.clock, adapter, self.sessions, [self.campaign_id], dialer_id, settings=settings)
        qualify = SeededDispositions(self.sessions, 7)
        engine.on_call_finished(qualify)
        self.qualifiers.append(qualify)
        await engine.start()
        for n in range(1, agents + 1):
            if f"{agent_prefix}agent{n}" not in engine.agents:
                await engine.log_in(f"{agent_prefix}agent{n}", self.campaign_id, f"Agent {agent_prefix}{n}")
        self.engines.append(engine)
        self.adapters.append(adapter)
        self.tasks.append(asyncio.create_task(engine.run()))
        return engine

    async def crash(self, engine: Engine) -> None:
        """Kill an engine as a dead process would die: no drain, nothing stored on the way out."""
        index = self.engines.index(engine)
        self.tasks[index].cancel()
        consumer = engine._consumer
        assert consumer is not None
        consumer.cancel()
        await asyncio.gather(self.tasks[index], consumer, return_exceptions=True)
        await self.adapters[index].close()

    async def until(self, condition: Callable[[], bool], clock_s: float) -> None:
        """Wait for a condition, failing after `clock_s` seconds of simulated time (and at most three wall minutes)."""
        deadline = self.clock.now().timestamp() + clock_s
        async with asyncio.timeout(180):
            while not condition():
                assert self.clock.now().timestamp() < deadline, "condition not met in time"
                await asyncio.sleep(0.02)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for adapter in self.adapters:
            await adapter.close()


def make_campaign(sessions: sessionmaker[Session], count: int) -> int:
    with transaction(sessions) as session:
        made = campaign(session, settings={"wrap_up_seconds": "10"})
        leads(session, made.id, count)
        return made.id


def simulator(clock: ScaledClock, seed: int = 3) -> PbxSimulator:
    # Only the queues the test configures exist, as on an Asterisk with its queues.conf.
    return PbxSimulator(clock, seed=seed, agent_profile=AgentProfile(talk_mean_s=60.0, talk_sigma=0.5, wrap_mean_s=5.0),
                        queues=())  # fmt: skip


def attempts(sessions: sessionmaker[Session]) -> list[Attempt]:
    with sessions() as session:
        return list(session.scalars(select(Attempt).order_by(Attempt.id)))


def ended_transitions(sessions: sessionmaker[Session]) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    with sessions() as session:
        ended = select(AttemptTransition.attempt_id).where(AttemptTransition.state == "ended")
        for attempt_id in session.scalars(ended):
            counts[attempt_id] += 1
    return counts


def overlapping(intervals: list[tuple[datetime, datetime]]) -> bool:
    ordered = sorted(intervals)
    return any(later[0] < earlier[1] for earlier, later in zip(ordered, ordered[1:], strict=False))


def check_books(sessions: sessionmaker[Session]) -> list[Attempt]:
    """Every attempt ended once with one outcome; no lead in two calls at once; no agent on two calls at once."""
    rows = attempts(sessions)
    assert rows, "nothing was dialled"
    assert all(a.outcome and a.state == "ended" and a.ended_at is not None for a in rows)
    assert ended_transitions(sessions) == {a.id: 1 for a in rows}
    by_lead: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    by_agent: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for a in rows:
        assert a.ended_at is not None
        by_lead[a.lead_id].append((a.created_at, a.ended_at))
        if a.outcome == "connected" and a.connected_at is not None:
            by_agent[a.agent].append((a.connected_at, a.ended_at))
    assert not any(overlapping(spans) for spans in by_lead.values()), "a lead was in two calls at once"
    assert not any(overlapping(spans) for spans in by_agent.values()), "an agent had two calls at once"
    return rows


@asynccontextmanager
async def running_dialer(database_url: str, lead_count: int) -> AsyncIterator[Dialer]:
    """A campaign of `lead_count` leads on a fresh database, its engine on the simulator over TCP; closed after."""
    async with dialer_on(database_url, simulator, lambda sessions: make_campaign(sessions, lead_count)) as harness:
        yield harness


@asynccontextmanager
async def dialer_on(database_url: str, make_sim: Callable[[ScaledClock], PbxSimulator],
                    make: Callable[[sessionmaker[Session]], int]) -> AsyncIterator[Dialer]:
    """The campaign `make` stores on a fresh database (its id), its engine on `make_sim`'s simulator over TCP."""
    engine = db.make_engine(database_url)
    sessions = db.session_factory(engine)
    clock = ScaledClock(START, scale=SCALE)
    sim = make_sim(clock)
    await sim.start()
    harness = Dialer(clock, sim, sessions, make(sessions))
    try:
        yield harness
    finally:
        await harness.close()
        await sim.stop()
        engine.dispose()
