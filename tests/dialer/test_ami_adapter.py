"""The AMI adapter (asterisk-ami, wrapped) against the PBX simulator over real TCP on loopback."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest

import dialer.ami
from config.clock import ScaledClock
from dialer.ami import AmiOptions, AmiPbx
from dialer.ami_connection import ReliableClient
from dialer.ports import (
    AgentCompleted,
    AgentConnected,
    CallerAbandoned,
    CallHungUp,
    CallOriginated,
    ConnectionLost,
    ConnectionRestored,
    DialEnded,
    DuplicateOriginate,
    MachineDetected,
    OriginateRequest,
    PbxAuthFailed,
    PbxNotConnected,
    PbxRefused,
    PbxTimeout,
)
from dialer.simulator import AgentProfile, CallPlan, Outcome, PbxSimulator, ScriptedOutcomes

# asterisk-ami's FutureResponse still calls Condition.notifyAll(); harmless, and not ours to change.
pytestmark = pytest.mark.filterwarnings("ignore:notifyAll:DeprecationWarning")
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
# Numbers whose prefix scripts the callee: +3310… answers (human), +3320… is a machine, and so on.
PLANS = {
    "+3310": CallPlan(Outcome.HUMAN, ring_s=3.0, amd_s=1.5),
    "+3320": CallPlan(Outcome.MACHINE, ring_s=3.0, amd_s=3.0),
    "+3330": CallPlan(Outcome.BUSY, ring_s=1.0),
    "+3340": CallPlan(Outcome.CONGESTION, ring_s=1.0),
    "+3350": CallPlan(Outcome.NOANSWER, ring_s=3600.0),
    "+3360": CallPlan(Outcome.INVALID, ring_s=0.5),
    "+3399": CallPlan(Outcome.NOANSWER, ring_s=36000.0),
}
QUEUES = ("camp-1", "camp-2", "camp-3", "camp-9", "camp-q")
FAST = AmiOptions(action_timeout_s=2.0, ping_interval_s=0.1, ping_timeout_s=0.5, connect_timeout_s=2.0,
                  backoff_initial_s=0.02, backoff_max_s=0.2)


class Recorder:
    """Collects the adapter's event stream in the background."""

    def __init__(self, pbx: AmiPbx) -> None:
        self.events: list[object] = []
        self._task = asyncio.ensure_future(self._run(pbx))

    async def _run(self, pbx: AmiPbx) -> None:
        async for event in pbx.events():
            self.events.append(event)

    async def until(self, found: Callable[[list[object]], object], deadline_s: float = 5.0) -> None:
        async with asyncio.timeout(deadline_s):
            while not found(self.events):
                await asyncio.sleep(0.005)

    def of(self, call_id: str) -> list[object]:
        return [e for e in self.events if getattr(e, "call_id", None) == call_id]

    def ended(self, call_id: str) -> bool:
        return any(isinstance(e, CallHungUp) and e.uniqueid == call_id for e in self.of(call_id)) and any(
            isinstance(e, CallOriginated) for e in self.of(call_id))


@pytest.fixture
async def sim() -> AsyncIterator[PbxSimulator]:
    simulator = PbxSimulator(ScaledClock(START, scale=200.0), outcomes=ScriptedOutcomes(PLANS), queues=QUEUES,
                             agent_profile=AgentProfile(talk_mean_s=20.0, talk_sigma=0.001, wrap_mean_s=5.0))
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def pbx(sim: PbxSimulator) -> AsyncIterator[AmiPbx]:
    adapter = AmiPbx("127.0.0.1", sim.port, "rdv", "rdv", sim.pbx.clock, FAST, seed=1)
    await adapter.connect()
    yield adapter
    await adapter.close()


def call(call_id: str, e164: str, queue: str = "camp-1", ring_timeout_s: float = 30.0) -> OriginateRequest:
    return OriginateRequest(call_id, e164, queue, caller_id="Dialer <0170000000>", ring_timeout_s=ring_timeout_s)


@pytest.mark.parametrize(
    ("e164", "reason", "status", "cause"),
    [("+33100000001", 4, "ANSWER", 16), ("+33200000001", 4, "ANSWER", 16), ("+33300000001", 0, "BUSY", 17),
     ("+33400000001", 0, "CONGESTION", 34), ("+33600000001", 0, "CHANUNAVAIL", 1)],
    ids=["human", "machine", "busy", "congestion", "invalid"],
)
async def test_each_outcome_reaches_the_engine_as_dialer_events(
    sim: PbxSimulator, pbx: AmiPbx, e164: str, reason: int, status: str, cause: int
) -> None:
    sim.add_simulated_agents(1, "camp-1")
    seen = Recorder(pbx)
    await pbx.originate(call("c-1", e164))
    await seen.until(lambda _: seen.ended("c-1"))
    events = seen.of("c-1")
    assert [e.reason for e in events if isinstance(e, CallOriginated)] == [reason]
    # The callee leg's dial of the trunk says why; the Originate's own dial says NOANSWER unless answered.
    dials = [(e.status, e.callee) for e in events if isinstance(e, DialEnded)]
    assert dials == [(status, True), ("ANSWER" if reason == 4 else "NOANSWER", False)]
    assert cause in {e.cause for e in events if isinstance(e, CallHungUp)}
    verdicts = [e.status for e in events if isinstance(e, MachineDetected)]
    assert verdicts == {"+331": ["HUMAN"], "+332": ["MACHINE"]}.get(e164[:4], [])
    connected = [e.agent for e in events if isinstance(e, AgentConnected)]
    assert connected == (["Agent1"] if e164.startswith("+331") else [])
    # Originated with `/n`: the Local pair is never optimised away, AgentComplete has the real talk time.
    assert all(e.talk_s >= 19 for e in events if isinstance(e, AgentCompleted))


async def test_no_answer_ends_at_the_ring_timeout_with_reason_3(pbx: AmiPbx) -> None:
    seen = Recorder(pbx)
    await pbx.originate(call("c-na", "+33500000001", ring_timeout_s=10.0))
    await seen.until(lambda _: any(isinstance(e, CallOriginated) for e in seen.of("c-na")))
    own = [e for e in seen.of("c-na") if isinstance(e, CallHungUp) and e.uniqueid in ("c-na", "c-na-2")]
    assert [e.cause for e in own] == [19, 19]
    assert [e.reason for e in seen.of("c-na") if isinstance(e, CallOriginated)] == [3]


async def test_a_human_with_no_free_agent_is_abandoned_and_hung_up(pbx: AmiPbx) -> None:
    seen = Recorder(pbx)
    await pbx.originate(call("c-drop", "+33100000002", queue="camp-3"))
    await seen.until(lambda _: seen.ended("c-drop") and any(isinstance(e, CallerAbandoned) for e in seen.events))
    (dropped,) = [e for e in seen.of("c-drop") if isinstance(e, CallerAbandoned)]
    assert (dropped.queue, dropped.hold_s) == ("camp-3", 2.0)


async def test_queue_members_are_added_and_removed_idempotently_and_mistakes_are_refused(
    sim: PbxSimulator, pbx: AmiPbx
) -> None:
    await pbx.queue_add("camp-2", "Local/agent4@agents/n", "Agent4")
    await pbx.queue_add("camp-2", "Local/agent4@agents/n", "Agent4", paused=True)  # "Already there": success
    assert sim.pbx.queues.members["camp-2"]["Local/agent4@agents/n"].view.paused  # and re-paused as asked
    await pbx.queue_pause("camp-2", "Local/agent4@agents/n", False)
    assert await pbx.queue_members("camp-2") == {"Local/agent4@agents/n"}
    await pbx.queue_remove("camp-2", "Local/agent4@agents/n")
    await pbx.queue_remove("camp-2", "Local/agent4@agents/n")  # "Not there": success
    assert await pbx.queue_members("camp-2") == set()
    with pytest.raises(PbxRefused, match="QueuePause of Local/agent4@agents/n in camp-2.*Interface not found"):
        await pbx.queue_pause("camp-2", "Local/agent4@agents/n", True)


async def test_a_missing_queue_is_told_apart_from_an_empty_one(sim: PbxSimulator, pbx: AmiPbx) -> None:
    assert await pbx.queue_members("no-such-queue") is None
    with pytest.raises(PbxRefused, match="QueueAdd of Local/agent5@agents/n to no-such-queue.*No such queue"):
        await pbx.queue_add("no-such-queue", "Local/agent5@agents/n", "Agent5")
    assert await pbx.queue_members("camp-3") == set()


async def test_a_refused_queue_add_is_retried_until_the_queue_exists(sim: PbxSimulator, pbx: AmiPbx) -> None:
    with pytest.raises(PbxRefused, match="No such queue"):
        await pbx.queue_add("camp-late", "Local/agent6@agents/n", "Agent6", paused=True)
    sim.configure_queue("camp-late")  # the supervisor reloads queues.conf
    async with asyncio.timeout(5):
        while await pbx.queue_members("camp-late") != {"Local/agent6@agents/n"}:
            await asyncio.sleep(0.05)
    assert sim.pbx.queues.members["camp-late"]["Local/agent6@agents/n"].view.paused


async def test_a_hundred_concurrent_originates_all_get_their_outcome(sim: PbxSimulator, pbx: AmiPbx) -> None:
    sim.add_simulated_agents(10, "camp-1")
    seen = Recorder(pbx)
    prefixes = ["+3310", "+3320", "+3330", "+3340", "+3360"]
    await asyncio.gather(*(pbx.originate(call(f"m-{i}", f"{prefixes[i % 5]}{i:07d}")) for i in range(100)))
    await seen.until(lambda _: all(seen.ended(f"m-{i}") for i in range(100)), deadline_s=20)
    reasons = {e.call_id: e.reason for e in seen.events if isinstance(e, CallOriginated)}
    assert [reasons[f"m-{i}"] for i in range(5)] == [4, 4, 0, 0, 0]
    assert all(count == 1 for count in sim.pbx.originates.values()) and len(sim.pbx.originates) == 100


async def test_an_originate_is_never_sent_twice_for_one_call(sim: PbxSimulator, pbx: AmiPbx) -> None:
    await pbx.originate(call("c-once", "+33990000001"))
    with pytest.raises(DuplicateOriginate, match="c-once"):
        await pbx.originate(call("c-once", "+33990000001"))
    assert sim.pbx.originates["c-once"] == 1


async def test_a_cut_connection_mid_call_is_restored_and_the_calls_that_lived_on_are_listed(
    sim: PbxSimulator, pbx: AmiPbx
) -> None:
    (agent,) = sim.add_simulated_agents(1, "camp-1")
    sim.declare_real_agent(agent)  # talks until told to hang up, so the call is up across the cut
    seen = Recorder(pbx)
    await pbx.originate(call("c-long", "+33990000002"))
    await pbx.originate(call("c-talk", "+33100000003"))
    await seen.until(lambda _: any(isinstance(e, AgentConnected) for e in seen.events))
    sim.cut()
    await seen.until(lambda _: any(isinstance(e, ConnectionRestored) for e in seen.events))
    assert len([e for e in seen.events if isinstance(e, ConnectionLost)]) == 1
    live = await pbx.live_channels()
    assert {c.linkedid for c in live} == {"c-long", "c-talk"}
    agent_leg = next(c.channel for c in live if c.channel.startswith("Local/agent1@") and c.channel.endswith(";1"))
    await pbx.hangup(agent_leg)
    await seen.until(lambda _: seen.ended("c-talk"))
    (completed,) = [e for e in seen.of("c-talk") if isinstance(e, AgentCompleted)]
    assert completed.reason == "agent"
    assert sim.pbx.originates == {"c-long": 1, "c-talk": 1}
    with pytest.raises(DuplicateOriginate):
        await pbx.originate(call("c-long", "+33990000002"))


async def test_a_simulator_restart_is_survived_with_calls_gone_and_nothing_resent(
    sim: PbxSimulator, pbx: AmiPbx
) -> None:
    seen = Recorder(pbx)
    await pbx.originate(call("c-lost", "+33990000003"))
    await seen.until(lambda _: any(e for e in seen.of("c-lost")))
    await sim.stop()
    await seen.until(lambda _: any(isinstance(e, ConnectionLost) for e in seen.events))
    with pytest.raises(PbxNotConnected, match="not connected"):
        await pbx.originate(call("c-while-down", "+33990000004"))
    await sim.start()
    await seen.until(lambda _: any(isinstance(e, ConnectionRestored) for e in seen.events))
    assert await pbx.live_channels() == []
    assert sim.pbx.originates == {"c-lost": 1}  # counted over both lives of the PBX: nothing resent
    await pbx.originate(call("c-while-down", "+33990000004"))  # never sent before, so it may go now
    assert sim.pbx.originates == {"c-lost": 1, "c-while-down": 1}


async def test_a_slow_pbx_makes_the_action_fail_with_a_timeout_that_names_it(sim: PbxSimulator) -> None:
    options = AmiOptions(action_timeout_s=0.2, ping_interval_s=30.0, backoff_initial_s=0.02)
    adapter = AmiPbx("127.0.0.1", sim.port, "rdv", "rdv", sim.pbx.clock, options)
    await adapter.connect()
    sim.faults.response_delay_s = 1.0
    with pytest.raises(PbxTimeout, match=r"QueueAdd of Local/agent1@agents/n to camp-9 \(rdv-.*\): no answer .* 0.2 s"):
        await adapter.queue_add("camp-9", "Local/agent1@agents/n", "Agent1")
    await adapter.close()


async def test_a_quiet_connection_outlives_the_library_socket_timeout(sim: PbxSimulator) -> None:
    # asterisk-ami's listener dies on its socket timeout; here responses take 4x that timeout and still arrive.
    options = AmiOptions(connect_timeout_s=0.05, ping_interval_s=30.0, action_timeout_s=2.0)
    adapter = AmiPbx("127.0.0.1", sim.port, "rdv", "rdv", sim.pbx.clock, options)
    await adapter.connect()
    sim.faults.response_delay_s = 0.2
    await adapter.queue_add("camp-q", "Local/agent2@agents/n", "Agent2")
    assert adapter.connected
    await adapter.close()


async def test_malformed_lines_are_skipped_and_events_keep_flowing(sim: PbxSimulator, pbx: AmiPbx) -> None:
    seen = Recorder(pbx)
    sim.faults.garbage_every = 3
    sim.inject_garbage(b"Event\r\n: no key\r\n\x00\x01\x02\r\n\r\n")
    await pbx.originate(call("c-g", "+33300000009"))
    await seen.until(lambda _: seen.ended("c-g"))
    assert not any(isinstance(e, ConnectionLost) for e in seen.events)


async def test_a_failing_event_mapping_does_not_kill_the_listener(
    sim: PbxSimulator, pbx: AmiPbx, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = dialer.ami.events_from_message
    failures: list[object] = []

    def flaky(message, at, calls=None):  # type: ignore[no-untyped-def]
        if message.name == "Newchannel" and not failures:
            failures.append(message)
            raise RuntimeError("boom")
        return original(message, at, calls)

    monkeypatch.setattr(dialer.ami, "events_from_message", flaky)
    seen = Recorder(pbx)
    await pbx.originate(call("c-f", "+33300000010"))
    await seen.until(lambda _: seen.ended("c-f"))
    assert failures and pbx.connected


async def test_a_wrong_password_fails_with_a_clear_error(sim: PbxSimulator) -> None:
    adapter = AmiPbx("127.0.0.1", sim.port, "rdv", "wrong", sim.pbx.clock, FAST)
    with pytest.raises(PbxAuthFailed, match=r"AMI login as 'rdv' refused by 127.0.0.1:\d+.*Authentication failed"):
        await adapter.connect()


async def test_an_unreachable_pbx_fails_with_a_clear_error() -> None:
    adapter = AmiPbx("127.0.0.1", 1, "rdv", "rdv", ScaledClock(START), FAST)
    with pytest.raises(PbxNotConnected, match="cannot reach the PBX at 127.0.0.1:1"):
        await adapter.connect()


def test_action_ids_stay_unique_when_many_threads_ask_at_once() -> None:
    client = ReliableClient("127.0.0.1", 1, 1.0, lambda _: None, lambda _: None)
    ids: list[str] = []

    def take() -> None:
        ids.extend(client.next_action_id() for _ in range(2000))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == len(ids) == 16000


async def test_a_large_action_is_sent_whole(sim: PbxSimulator, pbx: AmiPbx) -> None:
    big = OriginateRequest("c-big", "+33300000011", "camp-1", variables={"RDV_NOTE": "x" * 60_000})
    await pbx.originate(big)
    assert sim.pbx.originates["c-big"] == 1
    assert sim.pbx.calls.get("c-big") is None or sim.pbx.calls["c-big"].spec.variables["RDV_NOTE"] == "x" * 60_000


async def test_after_a_restart_nothing_is_sent_before_fully_booted_and_agents_are_back_as_they_were(
    sim: PbxSimulator, pbx: AmiPbx
) -> None:
    sim.restart_boot_s = 0.3
    seen = Recorder(pbx)
    await pbx.queue_add("camp-1", "Local/agent1@agents/n", "Agent1")
    await pbx.queue_add("camp-1", "Local/agent2@agents/n", "Agent2", paused=True)
    await sim.stop()
    await sim.start()
    await seen.until(lambda _: any(isinstance(e, ConnectionRestored) for e in seen.events))
    assert sim.refused_while_booting == []  # the adapter waited for FullyBooted
    members = sim.pbx.queues.members["camp-1"]
    assert {i: m.view.paused for i, m in members.items()} == {
        "Local/agent1@agents/n": False, "Local/agent2@agents/n": True}


async def test_an_originate_refused_while_the_pbx_shuts_down_is_sent_once_it_has_booted_again(
    sim: PbxSimulator, pbx: AmiPbx
) -> None:
    sim.restart_boot_s = 0.3
    sim.begin_shutdown()  # Shutdown said, connection still open: Asterisk refuses, as while booting
    sent = asyncio.ensure_future(pbx.originate(call("c-restart", "+33990000005")))
    await asyncio.sleep(0.3)
    assert sim.refused_while_booting == ["Originate"] and not sent.done()
    await sim.stop()
    await sim.start()
    async with asyncio.timeout(10):
        await sent
    assert sim.pbx.originates == {"c-restart": 1}


async def test_a_real_refusal_is_not_retried(pbx: AmiPbx) -> None:
    masked = r"Local/\+33 9\*\* \*\* \*\* 06@rdv-outbound"
    with pytest.raises(PbxRefused, match=f"Hangup of {masked}.*No such channel"):
        await pbx.hangup("Local/+33990000006@rdv-outbound-00000001;1")
