"""The dialer's small interface to a PBX, and the events it hands to the engine.

The engine sees only these types, never an AMI library's. The adapter (`dialer/ami.py`) turns AMI
messages into these events; the PBX simulator speaks AMI, so the same adapter runs against both.

Correlation: every originate carries the attempt's `call_id` as the channel's Uniqueid (AMI
`ChannelId`; the `;2` half gets `<call_id>-2` and every related channel has it as `Linkedid`), and
as the channel variable `RDV_ATTEMPT`; events are matched by those, never by their position.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from dialer.domain_events import CallEvent


@dataclass(frozen=True)
class OriginateRequest:
    """One outbound call: `Local/<e164>@rdv-outbound`, then the campaign's AMD + queue dialplan."""

    call_id: str
    e164: str
    queue: str
    caller_id: str = ""
    ring_timeout_s: float = 30.0
    variables: dict[str, str] = field(default_factory=dict)


# Events, named in the past tense. `at` is when the adapter received them (aware, from the Clock).
# They share `CallEvent` with the state machine's own facts (dialer.domain_events): one hierarchy, one
# name per fact. A PBX event says what Asterisk reported; a domain event what the dialer concluded.
@dataclass(frozen=True)
class PbxEvent(CallEvent):
    """Something the PBX reported about one call."""


@dataclass(frozen=True)
class CallOriginated(PbxEvent):
    """OriginateResponse: reason 4 answered, 5 busy, 8 congestion, 3 no answer, 0/1 failure."""

    reason: int
    channel: str = ""


@dataclass(frozen=True)
class CallRinging(PbxEvent):
    """The callee's phone rings (Newstate Ringing / DialBegin)."""


@dataclass(frozen=True)
class CalleeDialed(PbxEvent):
    """The `;2` half dialled the trunk (DialBegin): `uniqueid`/`channel` name the callee's own channel."""

    uniqueid: str
    channel: str = ""


@dataclass(frozen=True)
class DialEnded(PbxEvent):
    """DialEnd with its DialStatus: ANSWER, BUSY, NOANSWER, CONGESTION, CHANUNAVAIL, CANCEL.

    `callee` is True for the `;2` half's dial of the trunk, the one that knows why the callee did not
    answer; False for the Originate's own dial of `;1`, which through a trunk says NOANSWER even for a
    busy line (see tests/fixtures/ami/project-dialplan/busy_via_trunk.ami).
    """

    status: str
    callee: bool = False


@dataclass(frozen=True)
class ChannelAnswered(PbxEvent):
    """The callee leg went Up: someone or something picked up (the state machine then says CallAnswered)."""


@dataclass(frozen=True)
class MachineDetected(PbxEvent):
    """AMD verdict: status HUMAN, MACHINE or NOTSURE, with Asterisk's cause text."""

    status: str
    cause: str = ""


@dataclass(frozen=True)
class CallerQueued(PbxEvent):
    queue: str


@dataclass(frozen=True)
class AgentConnected(PbxEvent):
    """AgentConnect: `agent` is the member name (our agent login), `hold_s` the wait in queue."""

    queue: str
    agent: str
    interface: str
    hold_s: float


@dataclass(frozen=True)
class AgentCompleted(PbxEvent):
    queue: str
    agent: str
    hold_s: float
    talk_s: float
    reason: str


@dataclass(frozen=True)
class CallerAbandoned(PbxEvent):
    """No agent took the caller within the queue timeout: a dropped call."""

    queue: str
    hold_s: float


@dataclass(frozen=True)
class CallHungUp(PbxEvent):
    """Hangup of one of the call's channels; `cause` is the Q.850 cause (16, 17, 19, 21, 1, 34, 0 …)."""

    channel: str
    cause: int
    cause_text: str = ""
    # The channel's Uniqueid: `<call_id>` or `<call_id>-2` for the call's own legs, anything else for an
    # agent's leg (which shares the Linkedid); empty if the adapter does not know it.
    uniqueid: str = ""


@dataclass(frozen=True)
class ConnectionLost:
    at: datetime
    reason: str


@dataclass(frozen=True)
class ConnectionRestored:
    at: datetime


@dataclass(frozen=True)
class LiveChannel:
    """One channel the PBX reports as alive (CoreShowChannels), for reconciliation."""

    channel: str
    uniqueid: str
    linkedid: str
    state: str
    duration_s: float
    # The bridge it is in (CoreShowChannel BridgeId), empty when it is in none: call control finds the
    # agent's phone as the other channel of the agent leg's bridge.
    bridge: str = ""


DialerEvent = (
    CallOriginated
    | CallRinging
    | CalleeDialed
    | DialEnded
    | ChannelAnswered
    | MachineDetected
    | CallerQueued
    | AgentConnected
    | AgentCompleted
    | CallerAbandoned
    | CallHungUp
    | ConnectionLost
    | ConnectionRestored
)


class PbxError(RuntimeError):
    """The PBX refused an action or did not answer it in time; the message says which and why."""


class PbxNotConnected(PbxError):
    """No AMI session right now (connecting or reconnecting); the action was not sent."""


class PbxNotReady(PbxNotConnected):
    """The PBX was booting or shutting down and did not become ready in time; the action was not acted on."""


class PbxUnreachable(PbxNotConnected):
    """The first connection failed: nothing accepts it at the PBX's address, or no AMI banner came. `cause`:
    refused, timeout, unknown_host or no_banner, else the system's own words."""

    def __init__(self, where: str, cause: str) -> None:
        super().__init__(f"cannot reach the PBX at {where}: {cause}")
        self.where, self.cause = where, cause

    @classmethod
    def from_os_error(cls, where: str, error: OSError) -> PbxUnreachable:
        if isinstance(error, ConnectionRefusedError):
            return cls(where, "refused")
        if isinstance(error, TimeoutError):
            return cls(where, "timeout")
        if isinstance(error, socket.gaierror):
            return cls(where, "unknown_host")
        return cls(where, error.strerror or str(error))


class PbxTimeout(PbxError):
    """The PBX did not answer an action before its deadline; it may or may not have acted on it."""


class PbxRefused(PbxError):
    """The PBX answered an action with `Response: Error`; `pbx_message` is its own text."""

    def __init__(self, message: str, pbx_message: str = "") -> None:
        super().__init__(message)
        self.pbx_message = pbx_message


class PbxAuthFailed(PbxError):
    """The PBX rejected the AMI username or secret."""

    def __init__(self, message: str, where: str = "", username: str = "") -> None:
        super().__init__(message)
        self.where, self.username = where, username


class DuplicateOriginate(PbxError):
    """An Originate for this call_id was already sent: it is never sent twice."""


class Pbx(Protocol):
    """What the engine needs from a PBX."""

    async def originate(self, request: OriginateRequest) -> None:
        """Send one asynchronous Originate; never sent twice for the same call_id."""

    async def hangup(self, channel: str, cause: int = 16) -> None: ...

    async def queue_add(self, queue: str, interface: str, member_name: str, paused: bool = False) -> None: ...

    async def queue_remove(self, queue: str, interface: str) -> None: ...

    async def queue_pause(self, queue: str, interface: str, paused: bool, reason: str = "") -> None: ...

    async def queue_members(self, queue: str) -> set[str] | None:
        """The member interfaces of `queue`, or None if the PBX has no such queue."""
        ...

    async def live_channels(self) -> list[LiveChannel]: ...

    def events(self) -> AsyncIterator[DialerEvent]:
        """The event stream, in arrival order, including connection loss and restoration."""
        ...

    async def close(self) -> None: ...
