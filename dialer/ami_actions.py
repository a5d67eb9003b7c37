"""The AMI actions the dialer sends, and how Asterisk 22's answers to them are read.

Pure helpers of the AMI adapter (`dialer.ami`): building an action from the dialer's request, telling a
refusal that only means "not now" (booting, shutting down) from a real one, and the queue memberships the
dialer wants, which the adapter re-applies after every (re)connection. The answer texts are Asterisk
22.10.1's, checked on the real PBX (tests/fixtures/ami/README.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from asterisk.ami import Action

from dialer.ports import OriginateRequest, PbxError
from leads.phone import mask

# What Asterisk answers an action it cannot take *yet*: between the login and FullyBooted the manager
# commands of app_queue are not registered and the dialplan is not loaded; while it shuts down it
# refuses new calls. Retried once Asterisk says FullyBooted again, never counted as a dial.
NOT_READY = (
    "Invalid/unknown command",
    "Asterisk is shutting down",
    "Extension does not exist",
)
# Answers that mean the PBX is already in the state asked for: success for an idempotent command.
ALREADY_DONE = {
    "QueueAdd": ("Already there",),
    "QueueRemove": ("Not there",),
}
LOCAL_NO_OPTIMISE = "/n"


def not_ready(message: str) -> bool:
    """True if a refusal says the PBX is booting or shutting down rather than that the action is wrong."""
    return any(message.startswith(text) or f": {text}" in message for text in NOT_READY)


def already_done(action: str, message: str) -> bool:
    """True if refusing `action` this way means the wanted state is already there."""
    return any(text in message for text in ALREADY_DONE.get(action, ()))


def clean(name: str, value: str) -> str:
    """`value`, refused if a line break would let it end the action early."""
    if any(c in value for c in "\r\n"):
        raise PbxError(f"{name}: value {value[:40]!r} contains a line break")
    return value


def originate_channel(e164: str, context: str = "rdv-outbound") -> str:
    """`Local/<e164>@<context>/n`: with `/n` Asterisk never optimises the pair away once both halves are
    bridged, so the `;1` half the dialer follows lives as long as the call, AgentComplete carries the real
    TalkTime and CoreShowChannels still lists the call after a reconnect (captured without `/n`: the pair
    vanished 20 ms after AgentConnect while the callee talked on)."""
    return clean("Originate", f"Local/{e164}@{context}{LOCAL_NO_OPTIMISE}")


def originate_action(request: OriginateRequest, context: str, exten: str) -> Action:
    """The asynchronous Originate of one call; its ids let every event name the call."""
    call_id = request.call_id
    variables = {"RDV_ATTEMPT": call_id, "RDV_QUEUE": request.queue, **request.variables}
    for name, value in variables.items():
        if "," in value or "," in name:
            raise PbxError(f"Originate for call {call_id}: variable {name} must not contain a comma")
        clean(f"Originate for call {call_id}", f"{name}={value}")
    keys = {
        "Channel": originate_channel(request.e164),
        "Context": context,
        "Exten": exten,
        "Priority": "1",
        "Async": "true",
        "Timeout": str(int(request.ring_timeout_s * 1000)),
        "CallerID": clean("Originate", request.caller_id),
        "ChannelId": clean("Originate", call_id),
        "OtherChannelId": f"{call_id}-2",
    }
    return Action("Originate", keys, variables)


def queue_add_action(queue: str, interface: str, member_name: str, paused: bool) -> Action:
    keys = {"Queue": clean("QueueAdd", queue), "Interface": clean("QueueAdd", interface),
            "MemberName": clean("QueueAdd", member_name), "Paused": str(paused).lower()}
    return Action("QueueAdd", keys)


def queue_pause_action(queue: str, interface: str, paused: bool, reason: str = "") -> Action:
    keys = {"Queue": clean("QueuePause", queue), "Interface": clean("QueuePause", interface),
            "Paused": str(paused).lower(), "Reason": clean("QueuePause", reason)}
    return Action("QueuePause", keys)


@dataclass
class Membership:
    """One member the dialer wants in one queue; `pending` until the PBX has confirmed it."""

    queue: str
    interface: str
    member_name: str
    paused: bool
    reason: str = ""
    pending: bool = True
    failures: int = 0


class Memberships:
    """The queue members the dialer asked for, re-applied after a reconnection and retried when refused."""

    def __init__(self) -> None:
        self._wanted: dict[tuple[str, str], Membership] = {}

    def want(self, queue: str, interface: str, member_name: str, paused: bool) -> Membership:
        member = Membership(queue, interface, member_name, paused)
        self._wanted[(queue, interface)] = member
        return member

    def drop(self, queue: str, interface: str) -> None:
        self._wanted.pop((queue, interface), None)

    def paused(self, queue: str, interface: str, paused: bool, reason: str) -> None:
        """Remember the pause state asked for, in one queue or (empty `queue`) in all."""
        for member in self._wanted.values():
            if member.interface == interface and (not queue or member.queue == queue):
                member.paused, member.reason = paused, reason

    def get(self, queue: str, interface: str) -> Membership | None:
        return self._wanted.get((queue, interface))

    def all(self) -> list[Membership]:
        return list(self._wanted.values())

    def pending(self) -> list[Membership]:
        return [m for m in self._wanted.values() if m.pending]

    def reset(self) -> None:
        """A new session: every member must be confirmed again (the PBX may have restarted)."""
        for member in self._wanted.values():
            member.pending = True


_NUMBER = re.compile(r"\+\d{6,15}")


def masked(text: str) -> str:
    """`text` with every E.164 number masked (a channel name is `Local/<number>@rdv-outbound…`)."""
    return _NUMBER.sub(lambda found: mask(found.group()), text)


# -- call control (dialer.call_control): the actions that act on a connected call's channels --
def redirect_action(channel: str, context: str, exten: str, extra_channel: str = "",
                    extra_exten: str = "") -> Action:
    """Redirect a channel (and, with ExtraChannel, its bridged peer at the same time) to a dialplan place."""
    keys = {"Channel": clean("Redirect", channel), "Context": clean("Redirect", context),
            "Exten": clean("Redirect", exten), "Priority": "1"}
    if extra_channel:
        keys.update({"ExtraChannel": clean("Redirect", extra_channel), "ExtraContext": keys["Context"],
                     "ExtraExten": clean("Redirect", extra_exten or exten), "ExtraPriority": "1"})
    return Action("Redirect", keys)


def setvar_action(channel: str, name: str, value: str) -> Action:
    return Action("Setvar", {"Channel": clean("Setvar", channel), "Variable": clean("Setvar", name),
                             "Value": clean("Setvar", value)})


def originate_into_action(channel: str, context: str, exten: str, channel_id: str,
                          variables: dict[str, str], timeout_s: float) -> Action:
    """An asynchronous Originate of a phone (a supervisor's) into one of rdv's dialplan contexts."""
    for name, value in variables.items():
        if "," in value or "," in name:
            raise PbxError(f"Originate of {channel}: variable {name} must not contain a comma")
        clean("Originate", f"{name}={value}")
    keys = {"Channel": clean("Originate", channel), "Context": clean("Originate", context),
            "Exten": clean("Originate", exten), "Priority": "1", "Async": "true",
            "Timeout": str(int(timeout_s * 1000)), "ChannelId": clean("Originate", channel_id)}
    return Action("Originate", keys, variables)
