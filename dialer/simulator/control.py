"""Call control on the simulated PBX: Redirect (hold), Setvar, a supervisor's phone originated into the
`rdv-spy` or `rdv-transfer` dialplan, and the recording MixMonitor would write.

The simulated agent's queue interface answers by itself (no separate phone channel), so the agent leg's
far half stands for the phone: hold moves it to the music, back brings it into the call again. The events
follow what Asterisk reports for the same dialplan (MusicOnHoldStart/Stop, ChanSpyStart/Stop, BridgeEnter/
Leave, AgentComplete with Reason `transfer`); the real PBX is the reference where they differ.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path
from typing import TYPE_CHECKING

from dialer.amiwire import Message
from dialer.simulator import messages as m
from dialer.simulator.messages import Chan

if TYPE_CHECKING:
    from dialer.simulator.core import Responses, SimulatedPbx
    from dialer.simulator.dialplan import SimCall

CONTROL_CONTEXTS = ("rdv-spy", "rdv-transfer")
# A simulated recording is a few seconds long whatever the call's (scaled) length: enough to play it.
SIM_RECORDING_MAX_S = 3.0


def _find(pbx: SimulatedPbx, name: str) -> tuple[Chan, SimCall] | None:
    """A channel by name or Uniqueid (Asterisk's actions accept either), with the call it belongs to."""
    found = pbx.channels.get(name)
    if found is None:
        found = next((v for v in pbx.channels.values() if v[0].uniqueid == name), None)
    if found is None:
        return None
    chan, call = found
    call = call or pbx.calls.get(chan.linkedid)
    return (chan, call) if call is not None else None


def find_call(pbx: SimulatedPbx, name: str) -> tuple[Chan, SimCall] | None:
    return _find(pbx, name)


def redirect(pbx: SimulatedPbx, action: Message) -> Responses:
    action_id, context, exten = action.get("ActionID"), action.get("Context"), action.get("Exten")
    found = _find(pbx, action.get("Channel"))
    if found is None:
        return [m.response(False, action_id, "Channel specified does not exist")]
    chan, call = found
    if context != "rdv-hold" or exten not in ("hold", "back"):
        return [m.response(False, action_id, f"The simulator only redirects to rdv-hold, not {context},{exten}")]
    if exten == "hold":
        chan.context, chan.exten, chan.priority = "rdv-hold", "hold", 2
        call.emit(m.chan_event("Newexten", chan, ("Extension", "hold"), ("Application", "MusicOnHold"),
                               ("AppData", "")))
        call.emit(m.chan_event("MusicOnHoldStart", chan, ("Class", "default")))
        call.on_hold = True
    else:
        chan.context, chan.exten, chan.priority = "rdv-hold", "back", 2
        call.emit(m.chan_event("MusicOnHoldStop", chan))
        call.emit(m.chan_event("Newexten", chan, ("Extension", "back"), ("Application", "Bridge"),
                               ("AppData", chan.variables.get("RDV_PHONE", ""))))
        call.on_hold = False
    return [m.response(True, action_id, "Redirect successful")]


def setvar(pbx: SimulatedPbx, action: Message) -> Responses:
    action_id = action.get("ActionID")
    found = _find(pbx, action.get("Channel"))
    if found is None:
        return [m.response(False, action_id, "Channel not found")]
    found[0].variables[action.get("Variable")] = action.get("Value")
    return [m.response(True, action_id, "Variable Set")]


def originate_into(pbx: SimulatedPbx, action: Message, variables: dict[str, str]) -> Responses:
    """A supervisor's phone, answering at once, into ChanSpy of a call's channel or to take a call."""
    action_id, context = action.get("ActionID"), action.get("Context")
    target = variables.get("RDV_SPY") if context == "rdv-spy" else variables.get("RDV_TAKE", "")
    found = _find(pbx, target or "")
    if found is None:
        # The phone answers, then the dialplan finds nothing to spy on or take and hangs up.
        return [m.response(True, action_id, "Originate successfully queued")]
    spied, call = found
    uid = action.get("ChannelId") or pbx.new_uniqueid()
    base = action.get("Channel")
    name = f"{base}-{pbx.next_local()};1" if base.startswith("Local/") else f"{base}-{pbx.next_local()}"
    now = pbx.clock.now()
    sup = Chan(name, uid, uid, context, action.get("Exten"), now, state=6)
    pbx.add_channel(sup)
    call.extra_legs.append(sup)
    call.emit(m.chan_event("Newchannel", sup))
    call.emit(m.chan_event("Newstate", sup))
    call.emit(m.originate_response(action_id, True, sup.name, sup, context, action.get("Exten"), 4))
    if context == "rdv-spy":
        call.emit(m.event("ChanSpyStart", "call", sup.snap("Spyer"), spied.snap("Spyee")))
        call.spies.append((sup, spied))
    else:
        take(call, sup)
    return [m.response(True, action_id, "Originate successfully queued")]


def take(call: SimCall, sup: Chan) -> None:
    """BridgeAdd: the supervisor's leg joins the queue's bridge; the agent stays until their leg hangs up."""
    sup.linkedid = call.one.linkedid
    call.emit(m.bridge("BridgeEnter", call.one.bridge, 3, sup))
    call.transferred = True


def leave(call: SimCall, chan: Chan) -> bool:
    """A Hangup of the agent's leg once a supervisor is in the bridge: only that leg goes (a multi-party
    bridge lets a channel leave), the member is free; False if it is not such a hangup."""
    if not call.transferred or call.agent_legs is None or chan not in call.agent_legs or call.member is None:
        return False
    one, emit, (a1, a2), member = call.one, call.emit, call.agent_legs, call.member
    emit(m.bridge("BridgeLeave", one.bridge, 2, a1))
    emit(m.event("AgentComplete", "agent", one.snap(), a1.snap("Dest"), [
        ("Queue", call.spec.queue), ("Interface", member.view.interface), ("MemberName", member.view.name),
        ("HoldTime", "0"), ("TalkTime", str(int(call.core.now_s() - call.connected_s))), ("Reason", "agent")]))
    call.hang(a1, 16)
    call.hang(a2, 16)
    member.view.status, member.view.calls_taken = 1, member.view.calls_taken + 1
    call.core.queues.release(member, call.core.now_s())
    call.member = None
    return True


def end_extra_legs(call: SimCall) -> None:
    """Spies stop with the channel they spy on (option E), the supervisor's leg with the call."""
    for sup, spied in call.spies:
        if sup.name not in call.gone:
            call.emit(m.event("ChanSpyStop", "call", sup.snap("Spyer"), spied.snap("Spyee")))
    for leg in call.extra_legs:
        if leg.name not in call.gone:
            call.hang(leg, 16)


def transferred_call_ends(call: SimCall) -> None:
    """The callee (or the supervisor who took them) hangs up: the dialer's chain, then the supervisor."""
    for chan in (call.t2, call.t1, call.two, call.one):
        if chan.name not in call.gone:
            call.hang(chan, 16)
    end_extra_legs(call)
    call.emit(m.device_state(call.device, "NOT_INUSE"))


def write_recording(path: str, seconds: float) -> None:
    """What MixMonitor leaves behind: a WAV at 8 kHz, 16 bits, mono; a soft tone so that it is not empty."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    frames = bytearray()
    for i in range(int(min(max(seconds, 0.5), SIM_RECORDING_MAX_S) * 8000)):
        frames += struct.pack("<h", int(1500 * math.sin(2 * math.pi * 300 * i / 8000)))
    partial = target.with_suffix(".part")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(frames))
    partial.replace(target)
