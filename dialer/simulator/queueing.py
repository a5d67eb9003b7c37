"""The human path after AMD: the campaign queue with its 2-second limit, the agent leg, the end of the call."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from dialer.agents import interface_of
from dialer.simulator import control
from dialer.simulator import messages as m
from dialer.simulator.members import Member
from dialer.simulator.messages import Chan

if TYPE_CHECKING:
    from dialer.simulator.dialplan import SimCall


async def queue_caller(call: SimCall) -> None:
    """Join the queue, wait up to the limit for a free member, then talk or drop."""
    one, emit, queue = call.one, call.emit, call.spec.queue
    one.priority = 5
    if not call.core.queues.exists(queue):
        # "Unable to join queue": Queue() returns at once, the dialplan plays the message and hangs up.
        await call.wait(call.spec.message_s)
        call.hang_up_from_dialplan()
        return
    joined = call.core.now_s()
    emit(m.device_state(f"Queue:{queue}", "RINGING"))
    waiting = call.core.queues.waiting.setdefault(queue, [])
    waiting.append(call.spec.call_id)
    position = str(len(waiting))
    emit(m.chan_event("QueueCallerJoin", one, ("Queue", queue), ("Position", position), ("Count", position),
                      privilege="agent"))
    emit(m.chan_event("MusicOnHoldStart", one, ("Class", "default")))
    try:
        member = await _wait_for_member(call, queue, call.spec.queue_timeout_s)
    finally:
        waiting.remove(call.spec.call_id)
    # Whole seconds, truncated, as Asterisk counts; a late wake-up of a scaled clock never exceeds the limit.
    hold = int(min(call.core.now_s() - joined, call.spec.queue_timeout_s))
    if member is None:
        _abandon(call, queue, hold)
        await call.wait(call.spec.message_s)
        call.hang_up_from_dialplan()
        return
    call.member = member
    bridge_id = _connect(call, member, hold)
    started = call.connected_s = call.core.now_s()
    if call.spec.optimise:
        _optimise_away(call, member, bridge_id, hold)
    await call.wait(_talk_s(call, member))
    talk = int(call.core.now_s() - started)
    if call.member is None:  # transferred, and the agent has left: the callee talks with the supervisor
        control.transferred_call_ends(call)
        return
    (_callee_hangs_up_after_optimisation if call.spec.optimise else _caller_hangs_up)(call, member, bridge_id, hold,
                                                                                        talk)


async def personal_caller(call: SimCall, login: str) -> None:
    """A personal callback (extensions.conf, `personal`): Dial() of the agent's queue interface for the queue's
    2 seconds, paused or not; the UserEvent of [rdv-personal] once their phone answered, then the talk. A member
    busy on another call, or no such member, does not answer: the dropped-call message."""
    call.one.priority = 9
    interface = interface_of(login)
    member = next((found for members in call.core.queues.members.values()
                   for found in members.values() if found.interface == interface and not found.busy), None)
    if member is None:
        await call.wait(call.spec.queue_timeout_s + call.spec.message_s)
        call.hang_up_from_dialplan()
        return
    member.busy = True
    call.member, call.personal = member, True
    bridge_id = _connect(call, member, 0)
    started = call.connected_s = call.core.now_s()
    await call.wait(_talk_s(call, member))
    if call.member is None:  # transferred, and the agent has left
        control.transferred_call_ends(call)
        return
    _caller_hangs_up(call, member, bridge_id, 0, int(call.core.now_s() - started))


# A person's conversation lasts at least this long before the simulated callee may hang up.
PERSON_MIN_TALK_S = 60.0


def _talk_s(call: SimCall, member: Member) -> float:
    """How long the callee talks: drawn for simulated agents; for a person until they hang up, or drawn with a
    floor when their simulated callee may end it."""
    if not member.real:
        return call.core.draw_talk()
    if member.interface in call.core.queues.callee_ends:
        return max(PERSON_MIN_TALK_S, call.core.draw_talk())
    return float("inf")


async def _wait_for_member(call: SimCall, queue: str, limit_s: float) -> Member | None:
    queues, clock = call.core.queues, call.core.clock
    deadline = call.core.now_s() + limit_s
    while True:
        member = queues.pick(queue)
        if member is not None:
            return member
        remaining = deadline - call.core.now_s()
        if remaining <= 0:
            return None
        freed = asyncio.ensure_future(queues.freed.wait())
        timer = asyncio.ensure_future(clock.sleep(remaining))
        try:
            await asyncio.wait({freed, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            freed.cancel()
            timer.cancel()
        if call.hangup_cause is not None:
            return None


def _abandon(call: SimCall, queue: str, hold: int) -> None:
    one, emit = call.one, call.emit
    emit(m.chan_event("QueueCallerAbandon", one, ("Queue", queue), ("Position", "1"), ("OriginalPosition", "1"),
                      ("HoldTime", str(hold)), privilege="agent"))
    emit(m.chan_event("MusicOnHoldStop", one))
    emit(m.device_state(f"Queue:{queue}", "NOT_INUSE"))
    emit(_leave(call, queue))
    one.priority = 6  # Playback of the dropped-call information message


def _leave(call: SimCall, queue: str) -> m.Message:
    count = str(len(call.core.queues.waiting.get(queue, [])))
    return m.chan_event("QueueCallerLeave", call.one, ("Queue", queue), ("Position", "1"), ("Count", count),
                        privilege="agent")


def _agent_legs(call: SimCall, member: Member) -> tuple[Chan, Chan]:
    target = member.interface.rsplit("/", 1)[0] if member.interface.count("/") > 1 else member.interface
    resource = target.split("/", 1)[-1]
    exten, _, context = resource.partition("@")
    name = f"{target}-{call.core.next_local()}"
    now, linked = call.core.clock.now(), call.spec.call_id
    one = Chan(f"{name};1", call.core.new_uniqueid(), linked, context or "agents", exten, now)
    two = Chan(f"{name};2", call.core.new_uniqueid(), linked, context or "agents", exten, now, state=4)
    return one, two


def _member_keys(call: SimCall, member: Member) -> tuple[tuple[str, str], ...]:
    view = member.view
    return (("Queue", call.spec.queue), ("Interface", view.interface), ("MemberName", view.name))


def _connect(call: SimCall, member: Member, hold: int) -> str:
    """The agent leg rings, answers at once (auto-answer) and is bridged to the caller: the captured order."""
    one, emit, queue, view = call.one, call.emit, call.spec.queue, member.view
    a1, a2 = call.agent_legs = _agent_legs(call, member)
    for chan in (a1, a2):
        call.core.add_channel(chan)
        emit(m.chan_event("Newchannel", chan))
    a1.cid_num = one.exten
    if call.personal:  # Dial() gives the channel it dials the caller's extension
        a1.exten = one.exten
    emit(m.newcallerid(a1))
    a2.con_num = one.exten
    emit(m.chan_event("NewConnectedLine", a2))
    emit(m.local_bridge(a1, a2, optimization=not member.interface.endswith("/n")))
    if not call.personal:
        emit(m.agent_event("AgentCalled", one, a1, *_member_keys(call, member)))
    emit(m.dial("DialBegin", a1, one, ("DialString", view.interface)))
    a2.state, a2.context, a2.exten = 6, "agentphone", "s"
    emit(m.chan_event("Newstate", a2))
    a1.state, a1.exten = 6, one.exten
    emit(m.chan_event("Newstate", a1))
    if call.personal:
        # Dial()'s U() gosub on the agent's leg, before the bridge and the DialEnd (extensions.conf).
        a1.context, a1.exten = "rdv-personal", "s"
        emit(m.chan_event("UserEvent", a1, ("UserEvent", "RDVAgentConnect"), ("Agent", view.name),
                          ("Queue", queue), privilege="user"))
        a1.context, a1.exten = "agents", ""  # back from the gosub, bridged: as the capture shows
    emit(m.dial("DialEnd", a1, one, ("DialStatus", "ANSWER")))
    if not call.personal:
        emit(m.chan_event("MusicOnHoldStop", one))
        emit(_leave(call, queue))
        emit(m.agent_event("AgentConnect", one, a1, *_member_keys(call, member), ("HoldTime", str(hold)),
                           ("RingTime", "0")))
    view.status = 2
    emit(m.queue_member_status(queue, view))
    bridge_id = call.core.new_bridge_id()
    emit(m.bridge("BridgeCreate", bridge_id, 0))
    emit(m.bridge("BridgeEnter", bridge_id, 1, a1))
    emit(m.bridge("BridgeEnter", bridge_id, 2, one))
    one.bridge = a1.bridge = bridge_id
    return bridge_id


def _optimise_away(call: SimCall, member: Member, bridge_id: str, hold: int) -> None:
    """No `/n`: both halves are bridged, so Asterisk moves the callee into the agent's bridge and hangs
    up `;1`/`;2` at once; AgentComplete says TalkTime 0 while the callee and the agent talk on."""
    one, two, t1, emit = call.one, call.two, call.t1, call.emit
    assert call.agent_legs is not None
    emit(m.chan_event("LocalOptimizationBegin", one))
    emit(m.bridge("BridgeLeave", call.outer_bridge, 1, t1))
    emit(m.bridge("BridgeLeave", bridge_id, 1, one))
    emit(m.bridge("BridgeEnter", bridge_id, 2, t1))
    emit(m.chan_event("LocalOptimizationEnd", one))
    emit(m.chan_event("SoftHangupRequest", one, ("Cause", "16")))
    emit(m.chan_event("HangupRequest", two, ("Cause", "16")))
    call.hang(one, 16)
    emit(m.event("AgentComplete", "agent", call.agent_legs[0].snap("Dest"),
                 [*_member_keys(call, member), ("HoldTime", str(hold)), ("TalkTime", "0"), ("Reason", "caller")]))
    emit(m.bridge("BridgeLeave", call.outer_bridge, 0, two))
    emit(m.bridge("BridgeDestroy", call.outer_bridge, 0))
    emit(m.chan_event("SoftHangupRequest", two, ("Cause", "16")))
    call.hang(two, 16)
    member.view.status = 2  # the queue believes the call is over; the device is still in use


def _callee_hangs_up_after_optimisation(call: SimCall, member: Member, bridge_id: str, hold: int, talk: int) -> None:
    t1, t2, emit = call.t1, call.t2, call.emit
    assert call.agent_legs is not None
    a1, a2 = call.agent_legs
    t2.priority = 6
    emit(m.chan_event("SoftHangupRequest", t2, ("Cause", "16")))
    emit(m.chan_event("HangupRequest", t1, ("Cause", "0")))
    call.hang(t2, 0)
    emit(m.bridge("BridgeLeave", bridge_id, 1, t1))
    call.hang(t1, 16)
    _agent_leg_down(call, member, bridge_id, a1, a2)


def _caller_hangs_up(call: SimCall, member: Member, bridge_id: str, hold: int, talk: int) -> None:
    """With `/n` the callee's hangup travels the whole chain: trunk, `;2`, `;1` (AgentComplete with the real
    TalkTime), then the agent's leg: the captured order."""
    one, two, t1, t2, emit = call.one, call.two, call.t1, call.t2, call.emit
    assert call.agent_legs is not None
    a1, a2 = call.agent_legs
    t2.priority = 5
    emit(m.chan_event("SoftHangupRequest", t2, ("Cause", "16")))
    emit(m.chan_event("HangupRequest", t1, ("Cause", "16")))
    call.hang(t2, 16)
    emit(m.bridge("BridgeLeave", call.outer_bridge, 1, t1))
    call.hang(t1, 16)
    emit(m.bridge("BridgeLeave", call.outer_bridge, 0, two))
    emit(m.bridge("BridgeDestroy", call.outer_bridge, 0))
    emit(m.chan_event("SoftHangupRequest", two, ("Cause", "16")))
    emit(m.chan_event("HangupRequest", one, ("Cause", "16")))
    call.hang(two, 16)
    if not call.personal:
        emit(m.agent_event("AgentComplete", one, a1, *_member_keys(call, member), ("HoldTime", str(hold)),
                           ("TalkTime", str(talk)), ("Reason", "caller")))
    emit(m.bridge("BridgeLeave", bridge_id, 1, one))
    emit(m.chan_event("SoftHangupRequest", one, ("Cause", "16")))
    call.hang(one, 16)
    _agent_leg_down(call, member, bridge_id, a1, a2)


def _agent_leg_down(call: SimCall, member: Member, bridge_id: str, a1: Chan, a2: Chan) -> None:
    emit, view = call.emit, member.view
    emit(m.bridge("BridgeLeave", bridge_id, 0, a1))
    emit(m.bridge("BridgeDestroy", bridge_id, 0))
    a2.priority = 2
    emit(m.chan_event("HangupRequest", a2, ("Cause", "16")))
    call.hang(a1, 16)
    emit(m.chan_event("SoftHangupRequest", a2, ("Cause", "16")))
    call.hang(a2, 16)
    view.status, view.calls_taken, view.last_call = 1, view.calls_taken + 1, int(call.core.clock.now().timestamp())
    emit(m.queue_member_status(call.spec.queue, view))
    emit(m.device_state(view.state_interface, "NOT_INUSE"))
    emit(m.device_state(call.device, "NOT_INUSE"))


def hang_up_by_action(call: SimCall) -> None:
    """A Hangup action ended the call: the named channel first, then the rest; AgentComplete if it was bridged."""
    cause = call.hangup_cause or 16
    emit = call.emit
    live = call.channels
    first = next((c for c in live if c.name == call.hangup_channel), live[0] if live else call.one)
    emit(m.chan_event("HangupRequest", first, ("Cause", str(cause))))
    if call.member is not None and call.agent_legs is not None and not call.personal:
        by_agent = first in call.agent_legs
        view = call.member.view
        emit(m.agent_event("AgentComplete", call.one, call.agent_legs[0], *_member_keys(call, call.member),
                           ("HoldTime", "0"), ("TalkTime", "0"), ("Reason", "agent" if by_agent else "caller")))
        view.status, view.calls_taken = 1, view.calls_taken + 1
    call.hang(first, cause)
    for chan in live:
        if chan is not first:
            call.hang(chan, 16 if call.answered else 0)
    emit(m.device_state(call.device, "NOT_INUSE"))
    if not call.answered:
        call.emit(m.originate_response(call.spec.action_id, False, call.device, call.one, call.spec.app_context,
                                       call.spec.app_exten, 1))


async def wrap_up(call: SimCall, member: Member) -> None:
    """A simulated agent stays busy for its wrap-up time; a real one is free as soon as the call ends."""
    if not member.real:
        try:
            await call.core.clock.sleep(call.core.draw_wrap())
        except asyncio.CancelledError:
            call.core.queues.release(member, call.core.now_s())
            raise
    call.core.queues.release(member, call.core.now_s())
