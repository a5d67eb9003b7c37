"""What the call state machine records as it goes, named in the past tense.

These are the dialer's own facts; the PBX events of `dialer.ports` (what the PBX reported) derive from the
same `CallEvent`, so there is one hierarchy and one name per fact.
The engine stores them, feeds pacing and agent presence from them, and finishes attempts on
`CallEnded`. Each one is emitted at most once per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CallEvent:
    """A fact about one call, at an aware moment."""

    call_id: str
    at: datetime


@dataclass(frozen=True)
class CallTransitioned(CallEvent):
    """The call entered `state` (created, originated, ringing, answered, queued, connected, ended)."""

    state: str
    detail: str = ""


@dataclass(frozen=True)
class CallAnswered(CallEvent):
    """Someone or something picked up."""


@dataclass(frozen=True)
class HumanAnswered(CallEvent):
    """A person picked up (AMD human or not sure, or the call reached the queue): the abandonment base."""


@dataclass(frozen=True)
class MachineAnswered(CallEvent):
    """An answering machine picked up."""


@dataclass(frozen=True)
class CallDropped(CallEvent):
    """A person answered and no agent took the call in time (abandoned, "chute" of the dialer)."""

    wait_s: float


@dataclass(frozen=True)
class CallConnected(CallEvent):
    """The caller is talking to `agent` after waiting `wait_s` in the queue."""

    agent: str
    wait_s: float


@dataclass(frozen=True)
class CallEnded(CallEvent):
    """The call is over, with its one outcome and its measured durations (seconds, None if not reached)."""

    outcome: str
    agent: str
    channel: str
    hangup_cause: int | None
    ring_s: float | None
    wait_s: float | None
    talk_s: float | None
    detail: str = ""


DomainEvent = (
    CallTransitioned | CallAnswered | HumanAnswered | MachineAnswered | CallDropped | CallConnected | CallEnded
)
