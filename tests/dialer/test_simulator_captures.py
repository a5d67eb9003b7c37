"""The simulator against real Asterisk 22 traffic through the project's dialplan: for each captured scenario the
simulator, driven over real TCP, sends the same messages (tests/fixtures/ami/project-dialplan).

Compared per channel: the messages about each channel (and the Originate's own dial, and its response) in
order, with their event names and key fields; ids, times and the interleaving of different channels aside,
since Asterisk's threads interleave those differently from one run to the next (the two connected captures
show it). Only the event names the captures kept are compared (no DeviceStateChange, LocalBridge …).
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.clock import ScaledClock
from dialer.amiwire import Message, parse_all, serialize
from dialer.simulator import CallPlan, Outcome, PbxSimulator, ScriptedOutcomes

CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ami" / "project-dialplan"
START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
COMPARED = {"Newchannel", "Newstate", "NewCallerid", "NewConnectedLine", "DialBegin", "DialState", "DialEnd",
            "Hangup", "HangupRequest", "SoftHangupRequest", "BridgeEnter", "BridgeLeave", "OriginateResponse",
            "UserEvent", "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon", "AgentCalled",
            "AgentConnect", "AgentComplete"}
KEY_FIELDS = ("ChannelStateDesc", "Context", "Exten", "DialStatus", "Cause", "Reason", "Response", "UserEvent",
              "Status", "Queue", "MemberName", "Interface")
ROLE = {"rdv-outbound": "dialer", "default": "trunk", "agents": "agent"}
PLANS = {
    "+33145678000": CallPlan(Outcome.HUMAN, ring_s=3.0, amd_s=1.5),
    "+33145678002": CallPlan(Outcome.HUMAN, ring_s=3.0, amd_s=1.5),
    "+33145678003": CallPlan(Outcome.MACHINE, ring_s=3.0, amd_s=3.0),
    "+33145678005": CallPlan(Outcome.BUSY, ring_s=1.0),
    "+33145678006": CallPlan(Outcome.CONGESTION, ring_s=1.0),
    "+33145678007": CallPlan(Outcome.NOANSWER, ring_s=3600.0),
    "+33145678008": CallPlan(Outcome.INVALID, ring_s=1.0),
}
# capture: (number, agent in queue rdv-1 or "", Originate channel suffix)
SCENARIOS = {
    "busy_via_trunk": ("+33145678005", "", "/n"),
    "congestion_via_trunk": ("+33145678006", "", "/n"),
    "noanswer_via_trunk": ("+33145678007", "", "/n"),
    "invalid_number_via_trunk": ("+33145678008", "", "/n"),
    "machine_via_trunk": ("+33145678003", "", "/n"),
    "dropped_human_no_free_agent": ("+33145678002", "", "/n"),
    "connected_human_not_optimised": ("+33145678000", "agent1", "/n"),
    "connected_human_local_optimised": ("+33145678000", "agent2", ""),
}


def role(channel: str, contexts: dict[str, str] | None = None) -> str:
    found = re.fullmatch(r"Local/[^@]+@([a-z-]+)-[0-9a-f]+;([12])", channel)
    if found is None:
        return "device" if channel else ""
    context = (contexts or {}).get(found.group(1), found.group(1))
    return f"{ROLE.get(context, context)};{found.group(2)}"


def normalised(messages: list[Message], contexts: dict[str, str] | None = None) -> dict[str, list[tuple[str, ...]]]:
    """Per channel, the compared messages in order, as (name, channel, dest, key fields…); `contexts` renames a
    test bed's own contexts to the captures' (its trunk stand-in)."""
    groups: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    renamed = contexts or {}
    for message in messages:
        if message.kind != "event" or message.name not in COMPARED:
            continue
        channel, dest = role(message.get("Channel"), contexts), role(message.get("DestChannel"), contexts)
        group = "OriginateResponse" if message.name == "OriginateResponse" else channel or f"->{dest}"
        keys = tuple(f"{k}={_value(renamed.get(message.get(k), message.get(k)) if k == 'Context' else message.get(k))}"
                     for k in KEY_FIELDS if k in message)
        groups[group].append((message.name, channel, dest, *keys))
    return dict(groups)


def _value(text: str) -> str:
    """A number stays a number; AMD's cause keeps its verdict, not its measured milliseconds (HUMAN-818-800)."""
    return re.sub(r"^([A-Z]+)-[0-9-]+$", r"\1", re.sub(r"^[+][0-9]+$", "<number>", text))


@pytest.fixture
async def sim() -> AsyncIterator[PbxSimulator]:
    simulator = PbxSimulator(ScaledClock(START, scale=100.0), outcomes=ScriptedOutcomes(PLANS), queues=["rdv-1"],
                             record=True)
    await simulator.start()
    yield simulator
    await simulator.stop()


async def play(sim: PbxSimulator, number: str, suffix: str, variables: tuple[str, ...] = ()) -> list[Message]:
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    writer.write(serialize(Message.of(("Action", "Login"), ("Username", "rdv"), ("Secret", "rdv"))))
    call_id = "rdv-0123456789abcdef0123456789abcdef"
    writer.write(serialize(Message([
        ("Action", "Originate"), ("ActionID", "rdv-test-1"), ("Channel", f"Local/{number}@rdv-outbound{suffix}"),
        ("Context", "rdv-outbound"), ("Exten", "amd"), ("Priority", "1"), ("Async", "true"), ("Timeout", "6000"),
        ("ChannelId", call_id), ("OtherChannelId", f"{call_id}-2"), ("Variable", f"RDV_ATTEMPT={call_id}"),
        ("Variable", "RDV_QUEUE=rdv-1"), *(("Variable", v) for v in variables)])))
    async with asyncio.timeout(10):
        while True:
            await asyncio.sleep(0.02)
            if sim.pbx.originates and not sim.pbx.calls and not sim.pbx.tasks:
                break
    writer.close()
    return parse_all(b"".join(sim.transcripts[0]), expect_banner=True)


@pytest.mark.parametrize("capture", sorted(SCENARIOS))
async def test_the_simulator_sends_what_asterisk_22_sent_through_the_projects_dialplan(
    sim: PbxSimulator, capture: str
) -> None:
    number, agent, suffix = SCENARIOS[capture]
    if agent:
        sim.pbx.add_static_member("rdv-1", f"Local/{agent}@agents/n", agent)
    ours = normalised(await play(sim, number, suffix))
    theirs = normalised(parse_all((CAPTURES / f"{capture}.ami").read_bytes()))
    assert sorted(ours) == sorted(theirs)
    for group in theirs:
        assert ours[group] == theirs[group], group


async def test_a_restart_says_shutdown_closes_and_boots_as_the_real_pbx_did(sim: PbxSimulator) -> None:
    captured = {m.name: m for m in parse_all((CAPTURES / "restart_window.ami").read_bytes())
                if m.name in ("Shutdown", "FullyBooted")}
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    writer.write(serialize(Message.of(("Action", "Login"), ("Username", "rdv"), ("Secret", "rdv"))))
    await reader.readuntil(b"Status: Fully Booted\r\n")
    await sim.stop()
    before = await reader.read()  # the PBX closes the connection after Shutdown
    await sim.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
    writer.write(serialize(Message.of(("Action", "Login"), ("Username", "rdv"), ("Secret", "rdv"))))
    async with asyncio.timeout(5):
        after = await reader.readuntil(b"LastReload: 0\r\n\r\n")
    writer.close()
    shutdown = [m for m in parse_all(before, expect_banner=True) if m.name == "Shutdown"]
    booted = [m for m in parse_all(after, expect_banner=True) if m.name == "FullyBooted"]
    assert [m.fields for m in shutdown] == [captured["Shutdown"].fields]
    assert [m.keys() for m in booted] == [captured["FullyBooted"].keys()]
    assert sim.booted and sim.pbx.channels == {}


# The personal callback's capture was recorded by tests/asterisk/test_callbacks.py's test bed: its trunk is the
# context rdv-test-callees, whose far half answers in place (the captures above jump to a `callees` context), and
# an agent's phone is a Local channel of rdv-sim-phones, which the `agents` leg's `;2` half dials (the simulator's
# phone is that half itself, as in the captures above). Those test-bed legs are left out; the dialer's two legs,
# the Originate's dial, the trunk's near half and the agent leg's `;1` (which says who took the call) are compared.
PERSONAL_LEFT_OUT = ("trunk;2", "agent;2", "rdv-sim-phones;1", "rdv-sim-phones;2", "->rdv-sim-phones;1")


async def test_a_personal_callback_on_the_simulator_sends_what_asterisk_22_sent(sim: PbxSimulator) -> None:
    sim.pbx.add_static_member("rdv-1", "Local/agent2@agents/n", "agent2")
    ours = normalised(await play(sim, "+33145678000", "/n", ("RDV_AGENT=agent2",)))
    theirs = normalised(parse_all((CAPTURES / "personal_callback_to_its_agent.ami").read_bytes()),
                        {"rdv-test-callees": "default"})
    compared = sorted(set(theirs) - set(PERSONAL_LEFT_OUT))
    assert compared == sorted(set(ours) - set(PERSONAL_LEFT_OUT))
    for group in compared:
        assert ours[group] == theirs[group], group
