"""The agent bus end to end: a web connection sends commands, the dialer's bus applies them to the engine over the
PBX simulator (TCP), and the screens' tables (pops, presence history, command results) follow. SQLite and
PostgreSQL, each with the notifier that crosses processes (short poll, LISTEN/NOTIFY) and separate engines for
the web and the dialer, as two processes would have.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine as DbEngine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.models import Attempt
from config.clock import ScaledClock
from config.orm import transaction
from dialer.ami import AmiPbx
from dialer.call_control import CallControl
from dialer.call_models import CallControlEvent
from dialer.campaign_view import queue_name
from dialer.desk_models import AgentCommand, AgentEvent
from dialer.engine import Engine, EngineSettings
from dialer.pacing import PacingMode, PacingPolicy
from dialer.simulator import AgentProfile, PbxSimulator
from dialer.simulator.outcomes import CallPlan, Outcome, ScriptedOutcomes
from rdv import agent_desk, db
from rdv.agent_bus import AgentBus
from rdv.wakeup import BaseNotifier
from rdv.wakeup_pg import PgNotifier
from rdv.wakeup_poll import PollNotifier
from rdv.web import accounts
from tests.campaigns.factories import MONDAY_3PM, campaign, leads
from tests.dialer.engine_harness import FAST

SCALE = 20.0


def notifier_on(engine: DbEngine) -> BaseNotifier:
    return PgNotifier(engine) if engine.dialect.name == "postgresql" else PollNotifier(engine, interval_s=0.05)


@dataclass
class Floor:
    """A dialer process (engine, bus, simulator) and a web process (its own database engine and notifier)."""

    clock: ScaledClock
    sim: PbxSimulator
    engine: Engine
    bus: AgentBus
    web: sessionmaker[Session]
    web_notifier: BaseNotifier
    campaign_id: int
    seated: set[str] = field(default_factory=set)

    def send(self, login: str, kind: str, **args: object) -> int:
        with transaction(self.web) as session:
            return agent_desk.send(session, self.web_notifier, login, kind, now=self.clock.now(), **args)

    def result(self, command_id: int) -> agent_desk.CommandResult:
        with self.web() as session:
            return agent_desk.command_result(session, command_id)

    def pop(self, login: str = "alice") -> agent_desk.Pop | None:
        with self.web() as session:
            return agent_desk.current_call(session, login)

    def presence(self, login: str = "alice") -> agent_desk.Presence:
        with self.web() as session:
            return agent_desk.presence(session, login)

    async def until(self, condition: Callable[[], object], clock_s: float = 3600) -> None:
        """Wait for a condition, failing after `clock_s` simulated seconds (a hang, not a speed)."""
        deadline = self.clock.now().timestamp() + clock_s
        async with asyncio.timeout(180):
            while not condition():
                assert self.clock.now().timestamp() < deadline, "condition not met in time"
                await asyncio.sleep(0.02)

    async def heartbeats(self) -> None:
        """The screens of `seated` agents, each beating every few simulated seconds."""
        while True:
            with transaction(self.web) as session:
                for login in list(self.seated):
                    agent_desk.heartbeat(session, login, self.clock.now())
            await asyncio.sleep(2 / SCALE)


@contextlib.asynccontextmanager
async def floor(database_url: str, wrap_up_s: int, leads_count: int = 20) -> AsyncIterator[Floor]:
    dialer_db, web_db = db.make_engine(database_url), db.make_engine(database_url)
    sessions, web = db.session_factory(dialer_db), db.session_factory(web_db)
    with transaction(sessions) as session:
        made = campaign(session, settings={"wrap_up_seconds": str(wrap_up_s)})
        leads(session, made.id, leads_count)
        campaign_id = made.id
    clock = ScaledClock(MONDAY_3PM, scale=SCALE)
    everyone_answers = ScriptedOutcomes({}, fallback=CallPlan(Outcome.HUMAN, ring_s=2.0, amd_s=1.0))
    sim = PbxSimulator(clock, seed=5, outcomes=everyone_answers, queues=(queue_name(campaign_id),),
                       agent_profile=AgentProfile(talk_mean_s=90.0, talk_sigma=0.2))
    await sim.start()
    adapter = AmiPbx("127.0.0.1", sim.port, "rdv", "rdv", clock, FAST)
    await adapter.connect()
    policy = PacingPolicy(mode=PacingMode.PROGRESSIVE)
    engine = Engine(clock, adapter, sessions, [campaign_id], "d1",
                    settings=EngineSettings(ring_timeout_s=25.0, policies={campaign_id: policy}))
    dialer_notifier, web_notifier = notifier_on(dialer_db), notifier_on(web_db)
    bus = AgentBus(engine, dialer_notifier, CallControl(engine), seat_timeout_s=10.0, idle_s=30.0, command_ttl_s=900,
                   on_human_phone=lambda phone: sim.declare_real_agent(phone, callee_ends=True))
    await engine.start()
    await bus.start()
    if isinstance(dialer_notifier, PgNotifier):
        await dialer_notifier.ready()
    run = asyncio.create_task(engine.run())
    here = Floor(clock, sim, engine, bus, web, web_notifier, campaign_id)
    beating = asyncio.create_task(here.heartbeats())
    try:
        yield here
    finally:
        beating.cancel()
        await bus.stop()
        run.cancel()
        await asyncio.gather(run, beating, return_exceptions=True)
        await adapter.close()
        await sim.stop()
        await dialer_notifier.close()
        await web_notifier.close()
        dialer_db.dispose()
        web_db.dispose()


async def log_in(f: Floor, login: str = "alice") -> None:
    f.seated.add(login)
    sent = f.send(login, "login", campaign_id=f.campaign_id, name="Alice Martin")
    await f.until(lambda: f.result(sent).done_at is not None, clock_s=600)
    assert f.result(sent).ok, f.result(sent).result


def events(f: Floor, login: str = "alice") -> list[str]:
    with f.web() as session:
        return list(session.scalars(select(AgentEvent.state).where(AgentEvent.login == login)
                                    .order_by(AgentEvent.id)))


def attempt(f: Floor, attempt_id: int) -> Attempt:
    with f.web() as session:
        return session.get_one(Attempt, attempt_id)


def connected_to(f: Floor, login: str, after: datetime) -> int:
    with f.web() as session:
        return len(list(session.scalars(select(Attempt.id).where(Attempt.agent == login,
                                                                  Attempt.connected_at > after))))


async def test_a_login_sent_by_the_web_joins_the_queue_with_the_phone_and_a_call_pops(database_url: str) -> None:
    async with floor(database_url, wrap_up_s=600) as f:
        await log_in(f)
        agent = f.engine.agents["alice"]
        # The queue rings the agents context, which rings the user's phone: one shape of legs for call control.
        assert agent.interface == "Local/alice@agents/n" and agent.display_name == "Alice Martin"
        assert f.sim.pbx.queues.members[queue_name(f.campaign_id)][agent.interface].real
        await f.until(lambda: f.pop() is not None)
        pop = f.pop()
        assert pop is not None and pop.live and pop.campaign_id == f.campaign_id
        assert pop.phone_e164 == attempt(f, pop.attempt_id).phone_e164
        assert f.presence().state == "on_call" and f.presence().call_id == pop.call_id
        assert events(f)[:2] == ["available", "on_call"]


async def test_saving_the_disposition_ends_the_wrap_up_and_the_next_call_comes(database_url: str) -> None:
    async with floor(database_url, wrap_up_s=600) as f:
        await log_in(f)
        await f.until(lambda: (p := f.pop()) is not None and not p.live)  # the callee hangs up
        pop = f.pop()
        assert pop is not None and pop.wrap_until is not None
        assert f.presence().state == "wrap_up"
        refused = f.send("alice", "ready")
        await f.until(lambda: f.result(refused).done_at is not None, clock_s=600)
        assert f.result(refused).ok is False and "Qualifiez" in f.result(refused).result
        with transaction(f.web) as session:
            agent_desk.save_disposition(session, f.web_notifier, "alice", pop.attempt_id, "refused",
                                        now=f.clock.now())
        await f.until(lambda: f.presence().state != "wrap_up", clock_s=300)
        assert attempt(f, pop.attempt_id).disposition == "refused"
        await f.until(lambda: (p := f.pop()) is not None and p.attempt_id != pop.attempt_id)
        assert events(f)[:4] == ["available", "on_call", "wrap_up", "available"]


async def test_the_wrap_up_timer_ends_an_unqualified_call_as_unqualified(database_url: str) -> None:
    async with floor(database_url, wrap_up_s=20) as f:
        await log_in(f)
        await f.until(lambda: (p := f.pop()) is not None and not p.live)
        pop = f.pop()
        assert pop is not None
        await f.until(lambda: attempt(f, pop.attempt_id).disposition != "", clock_s=120)
        assert attempt(f, pop.attempt_id).disposition == "unqualified"
        assert f.presence().state in ("available", "on_call")
        assert "wrap_up" in events(f)


async def test_a_screen_gone_during_a_call_gets_no_new_call_and_qualifies_it_when_back(database_url: str) -> None:
    async with floor(database_url, wrap_up_s=20) as f:
        await log_in(f)
        await f.until(lambda: (p := f.pop()) is not None and p.live)
        f.seated.discard("alice")  # the browser is closed; the call goes on at the phone
        await f.until(lambda: f.presence().state == "paused", clock_s=900)
        pop = f.pop()
        assert pop is not None and not pop.live and pop.qualified_at is None, "the call was not kept for the agent"
        assert f.presence().reason == agent_desk.DISCONNECTED
        quiet_since = f.clock.now()
        await asyncio.sleep(200 / SCALE)  # 200 simulated seconds: several calls' worth for one agent
        assert connected_to(f, "alice", quiet_since) == 0
        assert attempt(f, pop.attempt_id).disposition == ""
        f.seated.add("alice")  # back
        assert f.pop() == pop
        with transaction(f.web) as session:
            agent_desk.save_disposition(session, f.web_notifier, "alice", pop.attempt_id, "callback",
                                        callback_at=datetime(2026, 11, 24, 10, 0, tzinfo=MONDAY_3PM.tzinfo),
                                        now=f.clock.now())
        ready = f.send("alice", "ready")
        await f.until(lambda: f.result(ready).done_at is not None, clock_s=600)
        assert f.result(ready).ok, f.result(ready).result
        await f.until(lambda: (p := f.pop()) is not None and p.attempt_id != pop.attempt_id)


async def test_commands_the_bus_cannot_apply_end_with_a_french_reason(database_url: str) -> None:
    async with floor(database_url, wrap_up_s=600) as f:
        await log_in(f)
        unknown = f.send("alice", "pause", reason="sieste")
        hangup = f.send("alice", "hangup")
        transfer = f.send("alice", "transfer", to_login="chef")
        await f.until(lambda: f.result(transfer).done_at is not None, clock_s=600)
        assert f.result(unknown).ok is False and "sieste" in f.result(unknown).result
        assert f.result(hangup).ok is False and "pas d'appel en cours" in f.result(hangup).result
        assert f.result(transfer).ok is False and "Aucun poste téléphonique pour chef" in f.result(transfer).result
        with transaction(f.web) as session:  # asked an hour ago, while no dialer ran the campaign
            stale = agent_desk.send(session, f.web_notifier, "alice", "pause", reason="lunch",
                                    now=f.clock.now() - timedelta(hours=1))
        await f.until(lambda: f.result(stale).done_at is not None, clock_s=600)
        assert f.result(stale).ok is False and "Trop tard" in f.result(stale).result
        assert f.presence().state != "paused"
        with pytest.raises(agent_desk.NoCampaign):
            f.send("bob", "ready")
        with pytest.raises(agent_desk.MissingArgument):
            f.send("alice", "pause")


async def test_an_agents_commands_apply_in_the_order_they_were_sent(database_url: str) -> None:
    async with floor(database_url, wrap_up_s=600, leads_count=0) as f:
        await log_in(f)
        with transaction(f.web) as session:  # three clicks in a row, committed together
            sent = [agent_desk.send(session, f.web_notifier, "alice", kind, now=f.clock.now(), **args)
                    for kind, args in (("pause", {"reason": "break"}), ("ready", {}), ("pause", {"reason": "lunch"}))]
        await f.until(lambda: f.result(sent[-1]).done_at is not None, clock_s=600)
        done = [f.result(c) for c in sent]
        assert [r.ok for r in done] == [True, True, True], [r.result for r in done]
        assert [r.done_at for r in done] == sorted(r.done_at for r in done if r.done_at is not None)
        assert f.presence().state == "paused" and f.presence().reason == "lunch"
        with f.web() as session:
            reasons = list(session.scalars(select(AgentEvent.reason).where(AgentEvent.login == "alice",
                                                                          AgentEvent.state == "paused")
                                           .order_by(AgentEvent.id)))
        assert reasons == ["break", "lunch"]


async def test_hangup_from_the_screen_ends_the_call_through_call_control(database_url: str) -> None:
    async with floor(database_url, wrap_up_s=600) as f:
        await log_in(f)
        await f.until(lambda: (p := f.pop()) is not None and p.live)
        pop = f.pop()
        assert pop is not None
        hold = f.send("alice", "hold")
        await f.until(lambda: f.result(hold).done_at is not None, clock_s=600)
        assert f.result(hold).ok, f.result(hold).result
        hangup = f.send("alice", "hangup")
        await f.until(lambda: f.result(hangup).done_at is not None, clock_s=600)
        assert f.result(hangup).ok, f.result(hangup).result
        await f.until(lambda: (p := f.pop()) is not None and not p.live, clock_s=30)  # before the callee would
        assert attempt(f, pop.attempt_id).outcome == "connected"
        with f.web() as session:
            kinds = list(session.scalars(select(CallControlEvent.kind).where(
                CallControlEvent.attempt_id == pop.attempt_id).order_by(CallControlEvent.id)))
        assert kinds == ["hold", "hangup"]


async def test_a_failing_presence_hook_is_undone_alone_and_the_calls_go_on(database_url: str) -> None:
    async with floor(database_url, wrap_up_s=600) as f:
        def broken(session: Session, *_args: object) -> None:
            session.execute(select(Attempt.id).where(Attempt.id == 1))
            raise RuntimeError("a hook's bug")

        f.engine.state.presence_hooks.insert(0, broken)
        await log_in(f)
        await f.until(lambda: (p := f.pop()) is not None and not p.live)
        pop = f.pop()
        assert pop is not None and attempt(f, pop.attempt_id).outcome == "connected"
        assert f.engine.counters["presence_hook_errors"] >= 3  # login, connect, end
        assert events(f)[:3] == ["available", "on_call", "wrap_up"]


async def test_only_the_engine_of_a_persons_phone_server_takes_their_commands(database_url: str) -> None:
    async with floor(database_url, wrap_up_s=600) as f:
        with transaction(f.web) as session:  # the engine drives server "d1"; bob's phone is on another one
            accounts.add_user(session, "alice", "teleoperator", f.clock.now(), phone_server="d1")
            accounts.add_user(session, "bob", "teleoperator", f.clock.now(), phone_server="pbx9")
        f.seated.add("bob")
        bobs = f.send("bob", "login", campaign_id=f.campaign_id, name="Bob")
        await log_in(f)  # sent after bob's: the bus looked at bob's login first, in the order they came
        assert f.result(bobs).done_at is None and "bob" not in f.engine.agents
        with f.web() as session:
            assert session.get_one(AgentCommand, bobs).taken_by == ""
        assert f.engine.agents["alice"].logged_in
