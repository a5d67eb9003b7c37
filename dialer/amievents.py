"""From AMI messages to the engine's events (dialer/ports.py): a pure mapping, no I/O.

A call is identified by the id the dialer gave it (Originate `ChannelId`): the Uniqueid of the
originated `;1` half, `<id>-2` on the `;2` half, and the Linkedid of every channel the call touches
(agent legs and the trunk leg included). The channel variable `RDV_ATTEMPT`, when Asterisk reports it
(`channelvars` in manager.conf), wins over both. Events are matched by these ids, never by position:
the captured `OriginateResponse` arrives at different places in the stream for different outcomes.

Through the project's dialplan the `;2` half dials the trunk, so two dials concern the callee: the
Originate's own (DestUniqueid = the call id) and the `;2` half's (Uniqueid = `<id>-2`), whose DialEnd
is the one that says BUSY or CONGESTION; the queue's dial of an agent has the call id as Uniqueid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from dialer.agents import interface_of
from dialer.amiwire import Message
from dialer.ports import (
    AgentCompleted,
    AgentConnected,
    CalleeDialed,
    CallerAbandoned,
    CallerQueued,
    CallHungUp,
    CallOriginated,
    CallRinging,
    ChannelAnswered,
    DialEnded,
    DialerEvent,
    LiveChannel,
    MachineDetected,
)

ATTEMPT_VARIABLE = "RDV_ATTEMPT"
_NO_ID = ("", "<null>", "<unknown>")

Handler = Callable[[Message, str, datetime], list[DialerEvent]]


def call_id_of(message: Message) -> str:
    """The dialer's id for the call this message is about, or "" if it names none."""
    for value in message.get_all("ChanVariable"):
        name, _, found = value.partition("=")
        if name == ATTEMPT_VARIABLE and found:
            return found
    for key in ("Linkedid", "DestLinkedid", "Uniqueid"):
        value = message.get(key)
        if value not in _NO_ID:
            return value
    return ""


def _number(text: str, default: float = 0.0) -> float:
    try:
        return float(text)
    except ValueError:
        return default


def _is_originated(message: Message, call_id: str) -> bool:
    return message.get("Uniqueid") == call_id


def _originate_response(message: Message, call_id: str, at: datetime) -> list[DialerEvent]:
    return [CallOriginated(call_id, at, reason=int(_number(message.get("Reason"), -1)), channel=message.get("Channel"))]


def _newstate(message: Message, call_id: str, at: datetime) -> list[DialerEvent]:
    # Only the originated half speaks for the callee; agent legs and the `;2` half would repeat it.
    if not _is_originated(message, call_id):
        return []
    state = message.get("ChannelState")
    if state == "5":
        return [CallRinging(call_id, at)]
    if state == "6":
        return [ChannelAnswered(call_id, at)]
    return []


def _dial_begin(message: Message, call_id: str, at: datetime) -> list[DialerEvent]:
    # Only the callee leg's dial of the trunk: it names the callee's own channel, followed to its hangup.
    if message.get("Uniqueid") != f"{call_id}-2":
        return []
    return [CalleeDialed(call_id, at, uniqueid=message.get("DestUniqueid"), channel=message.get("DestChannel"))]


def _dial_end(message: Message, call_id: str, at: datetime) -> list[DialerEvent]:
    if message.get("Uniqueid") == f"{call_id}-2":
        return [DialEnded(call_id, at, status=message.get("DialStatus"), callee=True)]
    # The Originate's own dial has the call as destination; the queue's dial to an agent does not.
    if message.get("DestUniqueid") != call_id:
        return []
    return [DialEnded(call_id, at, status=message.get("DialStatus"))]


def _user_event(message: Message, call_id: str, at: datetime) -> list[DialerEvent]:
    kind = message.get("UserEvent")
    if kind == "RDVAgentConnect":
        # A personal callback put through to its agent's phone by Dial(), not by the queue: no AgentConnect, so
        # the agent's leg says it (extensions.conf, [rdv-personal]); the callee waited for no queue.
        agent = message.get("Agent")
        return [AgentConnected(call_id, at, queue=message.get("Queue"), agent=agent,
                               interface=interface_of(agent), hold_s=0.0)]
    if kind != "AMDResult":
        return []
    return [MachineDetected(call_id, at, status=message.get("Status"), cause=message.get("Cause"))]


def _var_set(message: Message, call_id: str, at: datetime) -> list[DialerEvent]:
    # Seen only when the AMI user may read the `dialplan` class; the sample manager.conf does not,
    # so the verdict arrives once, through the UserEvent.
    if message.get("Variable") != "AMDSTATUS":
        return []
    return [MachineDetected(call_id, at, status=message.get("Value"))]


def _queue_join(message: Message, call_id: str, at: datetime) -> list[DialerEvent]:
    return [CallerQueued(call_id, at, queue=message.get("Queue"))]


def _agent_connect(message: Message, call_id: str, at: datetime) -> list[DialerEvent]:
    return [
        AgentConnected(
            call_id,
            at,
            queue=message.get("Queue"),
            agent=message.get("MemberName"),
            interface=message.get("Interface"),
            hold_s=_number(message.get("HoldTime")),
        )
    ]


def _agent_complete(message: Message, call_id: str, at: datetime) -> list[DialerEvent]:
    return [
        AgentCompleted(
            call_id,
            at,
            queue=message.get("Queue"),
            agent=message.get("MemberName"),
            hold_s=_number(message.get("HoldTime")),
            talk_s=_number(message.get("TalkTime")),
            reason=message.get("Reason"),
        )
    ]


def _abandon(message: Message, call_id: str, at: datetime) -> list[DialerEvent]:
    return [CallerAbandoned(call_id, at, queue=message.get("Queue"), hold_s=_number(message.get("HoldTime")))]


def _hangup(message: Message, call_id: str, at: datetime) -> list[DialerEvent]:
    return [
        CallHungUp(
            call_id,
            at,
            channel=message.get("Channel"),
            cause=int(_number(message.get("Cause"))),
            cause_text=message.get("Cause-txt"),
            uniqueid=message.get("Uniqueid"),
        )
    ]


HANDLERS: dict[str, Handler] = {
    "OriginateResponse": _originate_response,
    "Newstate": _newstate,
    "DialBegin": _dial_begin,
    "DialEnd": _dial_end,
    "UserEvent": _user_event,
    "VarSet": _var_set,
    "QueueCallerJoin": _queue_join,
    "AgentConnect": _agent_connect,
    "AgentComplete": _agent_complete,
    "QueueCallerAbandon": _abandon,
    "Hangup": _hangup,
}


def events_from_message(
    message: Message, at: datetime, action_calls: Mapping[str, str] | None = None
) -> list[DialerEvent]:
    """The dialer events one AMI message means (often none); `action_calls` maps Originate ActionIDs to call ids."""
    if not message.fields or message.fields[0][0] != "Event":
        return []
    handler = HANDLERS.get(message.fields[0][1])
    if handler is None:
        return []
    call_id = call_id_of(message)
    if action_calls and message.fields[0][1] == "OriginateResponse":
        # A failed Originate may carry no Uniqueid; the ActionID we sent still names the call.
        call_id = action_calls.get(message.get("ActionID"), call_id)
    if not call_id:
        return []
    return handler(message, call_id, at)


def live_channel_from(message: Message) -> LiveChannel:
    """One `CoreShowChannel` list entry as a LiveChannel."""
    return LiveChannel(
        channel=message.get("Channel"),
        uniqueid=message.get("Uniqueid"),
        linkedid=message.get("Linkedid"),
        state=message.get("ChannelStateDesc"),
        duration_s=_duration(message.get("Duration")),
        bridge=message.get("BridgeId"),
    )


def _duration(text: str) -> float:
    """`HH:MM:SS` (CoreShowChannel) or plain seconds."""
    if ":" not in text:
        return _number(text)
    total = 0.0
    for part in text.split(":"):
        total = total * 60 + _number(part)
    return total
