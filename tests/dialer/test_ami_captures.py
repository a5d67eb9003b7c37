"""Real Asterisk 22 traffic through the project's dialplan, replayed into the adapter's mapping and the call
state machine: the outcome and the durations the dialer records (tests/fixtures/ami/project-dialplan)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from config.clock import ManualClock
from dialer import calls
from dialer import domain_events as de
from dialer.ami import AmiOptions, AmiPbx
from dialer.amievents import events_from_message
from dialer.amiwire import Message, parse_all
from dialer.ports import PbxEvent

CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ami" / "project-dialplan"
START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
# The optimised capture's callee talked on for about 25 s after the Local pair was gone.
CALLEE_TALK_S = 25.0


def call_id_in(messages: list[Message]) -> str:
    return next(m.get("Uniqueid") for m in messages if m.name == "Newchannel")


def replay(name: str, pause_before: str = "", pause_s: float = 0.0) -> tuple[calls.CallState, list[de.DomainEvent]]:
    """Fold a capture into one call, 10 ms between messages, `pause_s` more before the first message
    about channel `pause_before` once the dialer's own legs are down (the talk that went on)."""
    messages = parse_all((CAPTURES / name).read_bytes())
    call = calls.new_call(call_id_in(messages), START)
    at, paused, produced = START, False, []
    for message in messages:
        at += timedelta(milliseconds=10)
        if pause_before and not paused and call.hung_up_at and message.get("Channel").startswith(pause_before):
            at, paused = at + timedelta(seconds=pause_s), True
        for event in events_from_message(message, at):
            call, events = calls.apply(call, event)
            produced.extend(events)
    return call, produced


def ended(events: list[de.DomainEvent]) -> de.CallEnded:
    (end,) = [e for e in events if isinstance(e, de.CallEnded)]
    return end


@pytest.mark.parametrize(
    ("capture", "outcome"),
    [
        ("busy_via_trunk.ami", "busy"),
        ("congestion_via_trunk.ami", "congestion"),
        ("noanswer_via_trunk.ami", "no_answer"),
        ("invalid_number_via_trunk.ami", "invalid"),
        ("machine_via_trunk.ami", "machine"),
        ("dropped_human_no_free_agent.ami", "dropped"),
    ],
)
def test_each_capture_through_the_trunk_is_recorded_with_its_true_outcome(capture: str, outcome: str) -> None:
    call, events = replay(capture)
    assert ended(events).outcome == outcome
    assert not call.live


def test_busy_through_the_trunk_is_told_by_the_callee_legs_dial_end_although_reason_is_0() -> None:
    messages = parse_all((CAPTURES / "busy_via_trunk.ami").read_bytes())
    (response,) = [m for m in messages if m.name == "OriginateResponse"]
    assert response.get("Reason") == "0"  # what fooled the previous adapter into `no_answer`
    _call, events = replay("busy_via_trunk.ami")
    assert ended(events).outcome == "busy"


def test_a_dropped_human_waited_the_queues_two_seconds() -> None:
    _call, events = replay("dropped_human_no_free_agent.ami")
    (drop,) = [e for e in events if isinstance(e, de.CallDropped)]
    assert drop.wait_s == 2.0


def test_a_connected_call_lasts_until_the_callee_hangs_up_even_when_the_local_pair_is_optimised_away() -> None:
    call, events = replay("connected_human_local_optimised.ami", pause_before="Local/+33145678000@default",
                          pause_s=CALLEE_TALK_S)
    end = ended(events)
    assert end.outcome == "connected"
    assert end.agent == "agent2"
    # AgentComplete said TalkTime=0 and `;1`/`;2` hung up 20 ms after AgentConnect; the callee talked on.
    assert end.talk_s is not None and CALLEE_TALK_S <= end.talk_s < CALLEE_TALK_S + 1
    assert call.connected_at is not None and end.at - call.connected_at >= timedelta(seconds=CALLEE_TALK_S)


def test_a_connected_call_is_still_live_after_the_optimised_pair_and_agent_complete_are_gone() -> None:
    messages = parse_all((CAPTURES / "connected_human_local_optimised.ami").read_bytes())
    call = calls.new_call(call_id_in(messages), START)
    completed = False
    for message in messages:
        for event in events_from_message(message, START):
            call, _ = calls.apply(call, event)
        completed = completed or message.name == "AgentComplete"
        if completed and message.get("Channel").startswith("Local/+33145678000@default"):
            break
    assert completed and call.live and call.state == "connected"


async def test_the_adapter_over_tcp_records_busy_from_the_captured_bytes() -> None:
    """The whole adapter (socket, parser, thread bridge, mapping) fed the real bytes of `busy_via_trunk.ami`."""
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        login = await reader.readuntil(b"\r\n\r\n")
        action_id = next(line.split(": ", 1)[1] for line in login.decode().split("\r\n") if line.startswith("ActionID"))
        writer.write(f"Response: Success\r\nActionID: {action_id}\r\nMessage: Authentication accepted\r\n\r\n"
                     "Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n".encode())
        writer.write((CAPTURES / "busy_via_trunk.ami").read_bytes())
        await writer.drain()
        await reader.read()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pbx = AmiPbx("127.0.0.1", port, "rdv", "rdv", ManualClock(START), AmiOptions(ping_interval_s=30.0))
    await pbx.connect()
    call = calls.new_call("rdv-e0a96867e0524ceea8f4d9314dcd179b", START)
    async with asyncio.timeout(5):
        async for event in pbx.events():
            assert isinstance(event, PbxEvent)  # no connection loss on this quiet loopback
            call, _ = calls.apply(call, event)
            if not call.live:
                break
    await pbx.close()
    server.close()
    assert call.outcome == "busy"


def test_a_personal_callback_put_through_by_dial_is_connected_to_its_agent_without_queue_events() -> None:
    """No QueueCallerJoin, AgentConnect nor AgentComplete: the agent's leg says who took it (RDVAgentConnect)."""
    messages = parse_all((CAPTURES / "personal_callback_to_its_agent.ami").read_bytes())
    assert not [m for m in messages if m.name in ("QueueCallerJoin", "AgentConnect", "AgentComplete")]
    call, events = replay("personal_callback_to_its_agent.ami")
    end = ended(events)
    assert (end.outcome, end.agent, end.wait_s) == ("connected", "agent2", 0.0)
    (connected,) = [e for e in events if isinstance(e, de.CallConnected)]
    assert connected.agent == "agent2" and not call.live
