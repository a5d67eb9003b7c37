"""The PBX simulator over real TCP: actions, queue behaviour, outcomes (the captures: test_simulator_captures)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest

from config.clock import ScaledClock
from dialer.amiwire import AmiParser, Message, serialize
from dialer.simulator import AgentProfile, CallPlan, Outcome, OutcomeModel, PbxSimulator, ScriptedOutcomes
from dialer.simulator.outcomes import OutcomeProfile, callee_zone, line_type

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PLANS = {o.value: CallPlan(o, ring_s=2.0, amd_s=1.0) for o in Outcome}


class AmiTestClient:
    """A bare AMI client for driving the simulator in tests."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.parser = AmiParser()
        self.messages: list[Message] = []
        self._task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while data := await self.reader.read(65536):
            self.messages.extend(self.parser.feed(data))

    def send(self, action: str, *pairs: tuple[str, str], **keys: str) -> None:
        self.writer.write(serialize(Message([("Action", action), *pairs, *keys.items()])))

    async def until(self, found: Callable[[list[Message]], object], deadline_s: float = 5.0) -> None:
        """Wait until `found(messages)` is true, or fail after the deadline."""
        async with asyncio.timeout(deadline_s):
            while not found(self.messages):
                await asyncio.sleep(0.005)

    def named(self, name: str) -> list[Message]:
        return [m for m in self.messages if m.name == name]

    async def close(self) -> None:
        self.writer.close()
        self._task.cancel()


@pytest.fixture
async def sim() -> AsyncIterator[PbxSimulator]:
    simulator = PbxSimulator(
        ScaledClock(START, scale=200.0),
        outcomes=ScriptedOutcomes(PLANS),
        agent_profile=AgentProfile(talk_mean_s=10.0, talk_sigma=0.001, wrap_mean_s=5.0),
        record=True,
    )
    await simulator.start()
    yield simulator
    await simulator.stop()


async def connect(sim: PbxSimulator, secret: str = "rdv") -> AmiTestClient:
    client = AmiTestClient(*await asyncio.open_connection("127.0.0.1", sim.port))
    client.send("Login", ActionID="login", Username="rdv", Secret=secret)
    await client.until(lambda ms: any(m.get("ActionID") == "login" for m in ms))
    return client


def originate(client: AmiTestClient, exten: str, call_id: str, queue: str = "agents") -> None:
    client.send("Originate", ("Variable", f"RDV_QUEUE={queue}"), ActionID=f"orig-{call_id}",
                Channel=f"Local/{exten}@callees/n", Context="dialer", Exten="amd", Priority="1", Async="true",
                Timeout="6000", CallerID="Dialer <5551000>", ChannelId=call_id, OtherChannelId=f"{call_id}-2")


async def wait_idle(sim: PbxSimulator) -> None:
    async with asyncio.timeout(5):
        while sim.pbx.calls or sim.pbx.channels:
            await asyncio.sleep(0.005)


async def test_a_wrong_secret_is_refused_and_the_connection_closed(sim: PbxSimulator) -> None:
    client = await connect(sim, secret="nope")
    (refusal,) = client.named("Error")
    assert refusal.get("Message") == "Authentication failed"
    await asyncio.wait_for(client._task, 2)
    assert sim.logins == 0


async def test_actions_before_login_are_denied_and_ping_answers_pong(sim: PbxSimulator) -> None:
    client = AmiTestClient(*await asyncio.open_connection("127.0.0.1", sim.port))
    client.send("Ping", ActionID="p0")
    await client.until(lambda ms: any(m.get("ActionID") == "p0" for m in ms))
    assert client.messages[0].name == "Asterisk Call Manager/11.0.0"
    assert client.messages[-1].get("Message") == "Permission denied"
    client.send("Login", ActionID="l", Username="rdv", Secret="rdv")
    client.send("Ping", ActionID="p1")
    await client.until(lambda ms: any(m.get("ActionID") == "p1" for m in ms))
    assert client.messages[-1].get("Ping") == "Pong"
    await client.close()


async def test_queue_members_are_added_paused_listed_and_removed(sim: PbxSimulator) -> None:
    client = await connect(sim)
    client.send("QueueAdd", ActionID="a1", Queue="camp-1", Interface="Local/agent7@agents/n", MemberName="Agent7")
    client.send("QueueAdd", ActionID="a2", Queue="camp-1", Interface="Local/agent7@agents/n", MemberName="Agent7")
    client.send("QueuePause", ActionID="p", Interface="Local/agent7@agents/n", Paused="true", Reason="lunch")
    client.send("QueueStatus", ActionID="s", Queue="camp-1")
    client.send("QueueRemove", ActionID="r1", Queue="camp-1", Interface="Local/agent7@agents/n")
    client.send("QueueRemove", ActionID="r2", Queue="camp-1", Interface="Local/agent7@agents/n")
    await client.until(lambda ms: any(m.get("ActionID") == "r2" for m in ms))
    replies = {m.get("ActionID"): m for m in client.messages if m.kind == "response"}
    assert replies["a1"].get("Message") == "Added interface to queue"
    assert replies["a2"].get("Message") == "Unable to add interface: Already there"
    assert replies["p"].get("Message") == "Interface paused successfully"
    assert replies["r1"].name == "Success" and replies["r2"].name == "Error"
    (member,) = client.named("QueueMember")
    assert (member.get("Name"), member.get("Paused"), member.get("PausedReason")) == ("Agent7", "1", "lunch")
    assert client.named("QueueStatusComplete")[0].get("ListItems") == "2"
    await client.close()


async def test_calls_survive_a_client_disconnect_and_are_listed_to_the_next_client(sim: PbxSimulator) -> None:
    sim.pbx.outcomes = ScriptedOutcomes({"slow": CallPlan(Outcome.NOANSWER, ring_s=3600.0)})
    client = await connect(sim)
    client.send("Originate", ActionID="o", Channel="Local/slow@callees", Context="dialer", Exten="amd",
                Async="true", Timeout="600000", ChannelId="c-1")
    await client.until(lambda ms: any(m.name == "DialState" for m in ms))
    await client.close()
    again = await connect(sim)
    again.send("CoreShowChannels", ActionID="list")
    await again.until(lambda ms: any(m.name == "CoreShowChannelsComplete" for m in ms))
    listed = {(m.get("Uniqueid"), m.get("ChannelStateDesc")) for m in again.named("CoreShowChannel")
              if m.get("Uniqueid").startswith("c-1")}
    assert listed == {("c-1", "Ringing"), ("c-1-2", "Ring")}
    assert {m.get("Linkedid") for m in again.named("CoreShowChannel")} == {"c-1"}  # and the trunk's two halves
    again.send("Hangup", ActionID="h", Channel="Local/slow@callees-00000000;1")
    await again.until(lambda ms: any(m.name == "OriginateResponse" for m in ms))
    assert [m.get("Cause") for m in again.named("Hangup")] == ["16", "0", "0", "0"]
    assert again.named("OriginateResponse")[0].get("Reason") == "1"
    await again.close()


async def test_a_human_with_no_free_agent_is_dropped_after_two_seconds(sim: PbxSimulator) -> None:
    client = await connect(sim)
    originate(client, "human", "c-drop", queue="empty")
    await client.until(lambda ms: any(m.name == "QueueCallerAbandon" for m in ms))
    await wait_idle(sim)
    (abandon,) = client.named("QueueCallerAbandon")
    assert (abandon.get("Queue"), abandon.get("HoldTime")) == ("empty", "2")
    assert not client.named("AgentConnect")
    assert [m.get("Cause") for m in client.named("Hangup")] == ["16"] * 4  # ;1, ;2 and the trunk's halves
    await client.close()


async def test_a_simulated_agent_stays_busy_during_wrap_up_so_the_next_caller_is_dropped(sim: PbxSimulator) -> None:
    sim.add_simulated_agents(1, "agents")
    sim.pbx.agent_profile = AgentProfile(talk_mean_s=10.0, talk_sigma=0.001, wrap_mean_s=600.0)
    client = await connect(sim)
    originate(client, "human", "c-1")
    await client.until(lambda ms: any(m.name == "AgentComplete" for m in ms))
    originate(client, "human", "c-2")
    await client.until(lambda ms: any(m.name == "QueueCallerAbandon" for m in ms))
    assert [m.get("Linkedid") for m in client.named("AgentConnect")] == ["c-1"]
    await client.close()


async def test_a_real_agent_talks_until_a_hangup_action_on_its_channel(sim: PbxSimulator) -> None:
    (interface,) = sim.add_simulated_agents(1, "agents")
    sim.declare_real_agent(interface)
    client = await connect(sim)
    originate(client, "human", "c-real")
    await client.until(lambda ms: any(m.name == "AgentConnect" for m in ms))
    later = sim.pbx.now_s() + 30  # a simulated agent (10 s talk) would have finished by then
    async with asyncio.timeout(5):
        while sim.pbx.now_s() < later:
            await asyncio.sleep(0.005)
    assert not client.named("AgentComplete")
    agent_leg = client.named("AgentConnect")[0].get("DestChannel")
    client.send("Hangup", ActionID="h", Channel=agent_leg)
    await client.until(lambda ms: any(m.name == "AgentComplete" for m in ms))
    assert client.named("AgentComplete")[0].get("Reason") == "agent"
    await wait_idle(sim)
    await client.close()


async def test_a_restart_loses_every_call(sim: PbxSimulator) -> None:
    sim.pbx.outcomes = ScriptedOutcomes({}, CallPlan(Outcome.NOANSWER, ring_s=3600.0))
    client = await connect(sim)
    client.send("Originate", ActionID="o", Channel="Local/+33612345678@rdv-outbound", Async="true",
                Timeout="600000", ChannelId="c-9")
    await client.until(lambda ms: any(m.name == "DialState" for m in ms))
    await sim.stop()
    await sim.start()
    assert sim.live_channels == []
    await client.close()


def test_the_outcome_model_is_reproducible_with_a_seed_and_depends_on_the_hour() -> None:
    model = OutcomeModel(OutcomeProfile(invalid=0, congestion=0, busy=0, rejected=0))
    noon, night = datetime(2026, 11, 23, 11, tzinfo=UTC), datetime(2026, 11, 23, 2, tzinfo=UTC)

    def answered(moment: datetime, seed: int) -> int:
        rng = random.Random(seed)
        plans = [model.draw("+33612345678", moment, rng) for _ in range(2000)]
        return sum(p.outcome in (Outcome.HUMAN, Outcome.MACHINE) for p in plans)

    assert answered(noon, 1) == answered(noon, 1)
    assert answered(noon, 1) > 3 * answered(night, 1)


def test_line_type_and_zone_come_from_the_number() -> None:
    assert line_type("+33612345678") == line_type("+33712345678") == "mobile"
    assert line_type("+33142000000") == "landline"
    assert str(callee_zone("+33142000000")) == "Europe/Paris"
    assert str(callee_zone("+262262000000")) == "Indian/Reunion"


async def test_after_a_restart_it_answers_as_a_booting_asterisk_until_fully_booted(sim: PbxSimulator) -> None:
    sim.restart_boot_s = 0.5
    await sim.stop()
    await sim.start()
    client = await connect(sim)
    client.send("QueueAdd", ActionID="q1", Queue="agents", Interface="Local/agent7@agents/n")
    client.send("Originate", ActionID="o1", Channel="Local/human@callees/n", Async="true", ChannelId="c-boot")
    client.send("Ping", ActionID="p1")
    await client.until(lambda ms: any(m.get("ActionID") == "p1" for m in ms))
    replies = {m.get("ActionID"): m for m in client.messages if m.kind == "response"}
    assert replies["q1"].get("Message") == ("Invalid/unknown command: QueueAdd. "
                                            "Use Action: ListCommands to show available commands.")
    assert replies["o1"].get("Message") == "Extension does not exist."
    assert replies["p1"].get("Ping") == "Pong" and not client.named("FullyBooted")
    await client.until(lambda ms: any(m.name == "FullyBooted" for m in ms))
    client.send("QueueAdd", ActionID="q2", Queue="agents", Interface="Local/agent7@agents/n")
    await client.until(lambda ms: any(m.get("ActionID") == "q2" for m in ms))
    assert [m for m in client.messages if m.get("ActionID") == "q2"][0].get("Message") == "Added interface to queue"
    assert sim.pbx.originates == {}
    await client.close()


async def test_a_human_sent_to_a_queue_that_does_not_exist_hears_the_message_without_queueing(
    sim: PbxSimulator,
) -> None:
    sim.pbx.queues.configured = {"agents"}
    client = await connect(sim)
    originate(client, "human", "c-noq", queue="rdv-404")
    await client.until(lambda ms: any(m.name == "UserEvent" for m in ms))
    await wait_idle(sim)
    assert not client.named("QueueCallerJoin") and not client.named("QueueCallerAbandon")
    assert [m.get("Cause") for m in client.named("Hangup")] == ["16"] * 4
    await client.close()
