"""The attempt state machine: PBX events in, one outcome and its durations out.

created → originated → ringing → answered (human or machine) → queued → connected → ended, or ended early
as busy / no answer / invalid / congestion / dropped / failed. Pure: no I/O, every time comes from an event.

`apply()` folds one event into facts that are only ever filled in, never overwritten, and derives the phase
and the outcome from those facts. That is what makes the machine indifferent to order and repetition: a
duplicate changes nothing, an OriginateResponse that arrives after DialEnd or after the hangups adds what it
knows, and once the call has ended nothing changes any more, so its outcome is counted exactly once.

Through a trunk the callee is a channel of its own, dialled by the `;2` half: that dial's DialEnd and that
channel's hangup cause say busy, congestion or unavailable (the OriginateResponse then says only Reason 0,
and the Originate's own DialEnd NOANSWER). A connected call ends when that channel hangs up: if Asterisk
optimised the Local pair away, `;1`/`;2` and AgentComplete (TalkTime 0) come seconds before the real end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from dialer import domain_events as de
from dialer import ports

PHASES = ("created", "originated", "ringing", "answered", "queued", "connected", "ended")
LIVE_PHASES = PHASES[:-1]
OUTCOMES = ("no_answer", "busy", "congestion", "invalid", "machine", "dropped", "connected", "failed")

# OriginateResponse Reason: 4 answered, 5 busy, 8 congestion, 3 no answer; 0/1 is a bare failure.
REASON_OUTCOME = {5: "busy", 8: "congestion", 3: "no_answer"}
DIAL_STATUS_OUTCOME = {"BUSY": "busy", "NOANSWER": "no_answer", "CONGESTION": "congestion", "CHANUNAVAIL": "invalid"}
# Q.850 causes of the callee leg; 0 (the `;1` half of a Local channel) and 16 (normal clearing) say nothing.
CAUSE_OUTCOME = {
    1: "invalid", 3: "invalid", 28: "invalid",
    17: "busy", 21: "busy",
    18: "no_answer", 19: "no_answer",
    34: "congestion", 38: "congestion", 42: "congestion",
}  # fmt: skip
HUMAN_VERDICTS = ("HUMAN", "NOTSURE")


@dataclass(frozen=True)
class OriginateSent:
    """The PBX accepted our Originate action."""

    call_id: str
    at: datetime


@dataclass(frozen=True)
class OriginateFailed:
    """Our Originate action failed or timed out; the call may still exist, so reconciliation decides."""

    call_id: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class ChannelsGone:
    """Reconciliation found none of the call's channels on the PBX: end it with what we know."""

    call_id: str
    at: datetime


CallInput = (
    ports.CallOriginated
    | ports.CallRinging
    | ports.CalleeDialed
    | ports.DialEnded
    | ports.ChannelAnswered
    | ports.MachineDetected
    | ports.CallerQueued
    | ports.AgentConnected
    | ports.AgentCompleted
    | ports.CallerAbandoned
    | ports.CallHungUp
    | OriginateSent
    | OriginateFailed
    | ChannelsGone
)


@dataclass(frozen=True)
class CallState:
    """Everything known about one call; built only by `new_call()` and `apply()`."""

    call_id: str
    created_at: datetime
    outcome: str = ""
    originated_at: datetime | None = None
    ringing_at: datetime | None = None
    answered_at: datetime | None = None
    queued_at: datetime | None = None
    connected_at: datetime | None = None
    ended_at: datetime | None = None
    human_at: datetime | None = None
    hung_up_at: datetime | None = None
    legs_down: frozenset[str] = frozenset()
    amd: str = ""
    # The callee's own channel (the trunk leg the `;2` half dialled), its pair if it is a Local channel.
    callee_legs: frozenset[str] = frozenset()
    callee_down: bool = False
    callee_outcome: str = ""
    dial_outcome: str = ""
    weak_outcome: str = ""
    abandoned: bool = False
    agent_done: bool = False
    forced: bool = False
    agent: str = ""
    channel: str = ""
    hangup_cause: int | None = None
    hold_s: float | None = None
    talk_s: float | None = None
    detail: str = ""
    ignored: int = 0
    late: int = 0
    # When the PBX last told us something new about the call: reconciliation looks at quiet calls first.
    last_at: datetime | None = None

    @property
    def state(self) -> str:
        """The furthest phase reached."""
        return next(p for p in reversed(PHASES) if p == "created" or self._stamp(p) is not None)

    @property
    def live(self) -> bool:
        return self.ended_at is None

    def _stamp(self, phase: str) -> datetime | None:
        return self.created_at if phase == "created" else getattr(self, f"{phase}_at")


def new_call(call_id: str, now: datetime) -> CallState:
    """A call created for an attempt, not yet sent to the PBX."""
    return CallState(call_id=call_id, created_at=now)


def apply(call: CallState, event: CallInput) -> tuple[CallState, list[de.DomainEvent]]:
    """Fold one event into the call; returns the new state and the domain events it caused."""
    if event.call_id != call.call_id:
        return replace(call, ignored=call.ignored + 1), []
    if call.ended_at is not None:
        return replace(call, late=call.late + 1), []
    handler = _HANDLERS.get(type(event))
    updated = _settle(handler(call, event), event.at) if handler else call
    if updated == call:
        return replace(call, ignored=call.ignored + 1), []
    last_at = event.at if call.last_at is None else max(event.at, call.last_at)
    return replace(updated, last_at=last_at), _domain_events(call, updated)


def _first(current: datetime | None, at: datetime) -> datetime:
    return current if current is not None else at


def _originate_sent(call: CallState, ev: OriginateSent) -> CallState:
    return replace(call, originated_at=_first(call.originated_at, ev.at))


def _originate_failed(call: CallState, ev: OriginateFailed) -> CallState:
    return replace(call, detail=call.detail or f"originate failed: {ev.reason}")


def _channels_gone(call: CallState, ev: ChannelsGone) -> CallState:
    return replace(call, forced=True, detail=call.detail or "no channel left on the PBX")


def _originate_response(call: CallState, ev: ports.CallOriginated) -> CallState:
    call = replace(call, originated_at=_first(call.originated_at, ev.at), channel=call.channel or ev.channel)
    if ev.reason == 4:
        return replace(call, answered_at=_first(call.answered_at, ev.at))
    if ev.reason in REASON_OUTCOME:
        return replace(call, dial_outcome=call.dial_outcome or REASON_OUTCOME[ev.reason])
    return replace(call, weak_outcome=call.weak_outcome or "failed", detail=call.detail or f"reason {ev.reason}")


def _ringing(call: CallState, ev: ports.CallRinging) -> CallState:
    return replace(call, originated_at=_first(call.originated_at, ev.at), ringing_at=_first(call.ringing_at, ev.at))


def _callee_dialed(call: CallState, ev: ports.CalleeDialed) -> CallState:
    if call.callee_legs or not ev.uniqueid:
        return call
    legs = {ev.uniqueid}
    if ev.channel.endswith(";1"):  # a Local trunk stand-in: its `;2` half is the callee too
        legs.add(ev.channel[:-1] + "2")
    return replace(call, callee_legs=frozenset(legs))


def _dial_ended(call: CallState, ev: ports.DialEnded) -> CallState:
    status = ev.status.upper()
    if status == "ANSWER":
        return _answered(call, ev)
    if ev.callee and status in DIAL_STATUS_OUTCOME:
        return replace(call, callee_outcome=call.callee_outcome or DIAL_STATUS_OUTCOME[status])
    if status in DIAL_STATUS_OUTCOME and status != "NOANSWER":
        return replace(call, dial_outcome=call.dial_outcome or DIAL_STATUS_OUTCOME[status])
    # CANCEL (the originating side gave up ringing), or the Originate's own NOANSWER, which a trunk's busy
    # line also gives: a Reason, the callee leg's DialEnd or a cause may still say better.
    return replace(call, weak_outcome=call.weak_outcome or "no_answer")


def _answered(call: CallState, ev: ports.PbxEvent) -> CallState:
    return replace(call, originated_at=_first(call.originated_at, ev.at), answered_at=_first(call.answered_at, ev.at))


def _machine_detected(call: CallState, ev: ports.MachineDetected) -> CallState:
    call = _answered(call, ev)
    if call.amd:
        return call
    status = ev.status.upper()
    if status in HUMAN_VERDICTS:
        return replace(call, amd=status, human_at=_first(call.human_at, ev.at))
    return replace(call, amd=status, detail=call.detail or ev.cause)


def _queued(call: CallState, ev: ports.CallerQueued, hold_s: float = 0.0) -> CallState:
    call = _answered(call, ev)
    joined = ev.at - timedelta(seconds=hold_s)
    return replace(call, queued_at=_first(call.queued_at, joined), human_at=_first(call.human_at, joined))


def _agent_connected(call: CallState, ev: ports.AgentConnected | ports.AgentCompleted) -> CallState:
    if call.abandoned:
        return call
    hold_s = max(0.0, ev.hold_s)
    talk_s = getattr(ev, "talk_s", 0.0)
    connected = ev.at - timedelta(seconds=talk_s)
    call = _queued(call, ports.CallerQueued(call.call_id, connected, ev.queue), hold_s)
    return replace(
        call,
        connected_at=_first(call.connected_at, connected),
        agent=call.agent or ev.agent,
        hold_s=call.hold_s if call.hold_s is not None else hold_s,
    )


def _agent_completed(call: CallState, ev: ports.AgentCompleted) -> CallState:
    if call.callee_legs:
        # The callee's channel is known: its hangup ends the call and the talk is measured up to it.
        # AgentComplete may come from an optimised-away Local pair while the callee talks on (TalkTime 0).
        ev = replace(ev, talk_s=0.0)
        return replace(_agent_connected(call, ev), agent_done=True) if not call.abandoned else call
    call = _agent_connected(call, ev)
    if call.abandoned:
        return call
    return replace(call, agent_done=True, talk_s=call.talk_s if call.talk_s is not None else max(0.0, ev.talk_s))


def _abandoned(call: CallState, ev: ports.CallerAbandoned) -> CallState:
    if call.connected_at is not None:
        return call
    call = _queued(call, ports.CallerQueued(call.call_id, ev.at, ev.queue), max(0.0, ev.hold_s))
    return replace(call, abandoned=True, hold_s=call.hold_s if call.hold_s is not None else max(0.0, ev.hold_s))


def _hung_up(call: CallState, ev: ports.CallHungUp) -> CallState:
    callee = bool(call.callee_legs) and (ev.uniqueid in call.callee_legs or ev.channel in call.callee_legs)
    if callee:
        call = _callee_hung_up(call, ev)
    if not callee and not _own_leg(call.call_id, ev):
        return call
    cause = ev.cause if ev.cause else None
    call = replace(
        call,
        hung_up_at=_first(call.hung_up_at, ev.at),
        legs_down=call.legs_down | {ev.uniqueid or ev.channel},
        hangup_cause=call.hangup_cause if call.hangup_cause is not None else cause,
        channel=call.channel or ev.channel,
    )
    if call.answered_at is None and cause in CAUSE_OUTCOME:
        call = replace(call, dial_outcome=call.dial_outcome or CAUSE_OUTCOME[cause])
    return call


def _callee_hung_up(call: CallState, ev: ports.CallHungUp) -> CallState:
    """The trunk leg is gone: a connected call is over; before an answer its cause tells why."""
    call = replace(call, callee_down=True)
    if call.answered_at is None and ev.cause in CAUSE_OUTCOME:
        call = replace(call, callee_outcome=call.callee_outcome or CAUSE_OUTCOME[ev.cause])
    return call


def _own_leg(call_id: str, ev: ports.CallHungUp) -> bool:
    """The dialer's Local channel halves, not an agent's or the trunk's leg that share the call's Linkedid."""
    if ev.uniqueid:
        return ev.uniqueid in (call_id, f"{call_id}-2")
    return "@agents" not in ev.channel


_HANDLERS: dict[type, Callable[[CallState, Any], CallState]] = {
    OriginateSent: _originate_sent,
    OriginateFailed: _originate_failed,
    ChannelsGone: _channels_gone,
    ports.CallOriginated: _originate_response,
    ports.CallRinging: _ringing,
    ports.CalleeDialed: _callee_dialed,
    ports.DialEnded: _dial_ended,
    ports.ChannelAnswered: _answered,
    ports.MachineDetected: _machine_detected,
    ports.CallerQueued: _queued,
    ports.AgentConnected: _agent_connected,
    ports.AgentCompleted: _agent_completed,
    ports.CallerAbandoned: _abandoned,
    ports.CallHungUp: _hung_up,
}


def conclusion(call: CallState) -> str:
    """The outcome if what is known ends the call now, else an empty string."""
    closing = call.forced or call.hung_up_at is not None
    if call.connected_at is not None:
        if call.callee_legs:
            # The callee may talk on after `;1`/`;2` and AgentComplete (an optimised Local pair).
            return "connected" if call.forced or call.callee_down else ""
        return "connected" if closing or call.agent_done else ""
    if call.abandoned or call.amd == "MACHINE":
        return ("dropped" if call.abandoned else "machine") if closing else ""
    if call.answered_at is not None:
        if not closing:
            return ""
        # A person who picked up and hung up (or was hung up on) before an agent is a dropped call.
        return "dropped" if call.human_at is not None else "failed"
    if call.callee_outcome or call.dial_outcome:
        return call.callee_outcome or call.dial_outcome
    # A bare failure (Reason 0/1, DialEnd CANCEL) waits until both halves are down or reconciliation: the
    # DialEnd or the callee leg's cause that says "invalid number" may still be on its way. With no word at
    # all, the OriginateResponse that Asterisk always sends (after the hangups, for a no-answer) decides.
    if call.forced or (call.weak_outcome and len(call.legs_down) >= 2):
        return call.weak_outcome or "failed"
    return ""


def _settle(call: CallState, at: datetime) -> CallState:
    outcome = conclusion(call)
    if not outcome:
        return call
    # Out-of-order stamps may be later than the closing event: an ending never precedes what it ends.
    ended = max([at, *(t for t in (call.originated_at, call.answered_at, call.connected_at) if t is not None)])
    return replace(call, outcome=outcome, ended_at=ended)


def durations(call: CallState) -> tuple[float | None, float | None, float | None]:
    """Ring, wait (queue hold) and talk seconds; None for a phase the call never reached."""
    end = call.ended_at
    start = call.ringing_at or call.originated_at
    stop = call.answered_at or end
    ring = _seconds(start, stop)
    wait = call.hold_s if call.hold_s is not None else _seconds(call.queued_at, call.connected_at or end)
    talk = call.talk_s if call.talk_s is not None else _seconds(call.connected_at, end)
    return ring, (wait if call.queued_at is not None else None), talk


def _seconds(start: datetime | None, stop: datetime | None) -> float | None:
    if start is None or stop is None:
        return None
    return max(0.0, (stop - start).total_seconds())


def _domain_events(old: CallState, new: CallState) -> list[de.DomainEvent]:
    events: list[de.DomainEvent] = []
    for phase in PHASES[1:-1]:
        stamp = new._stamp(phase)
        if stamp is not None and old._stamp(phase) is None:
            events.append(de.CallTransitioned(new.call_id, stamp, phase, _phase_detail(new, phase)))
            if phase == "answered":
                events.append(de.CallAnswered(new.call_id, stamp))
    if new.human_at is not None and old.human_at is None:
        events.append(de.HumanAnswered(new.call_id, new.human_at))
    if new.amd == "MACHINE" and old.amd != "MACHINE" and new.human_at is None:
        events.append(de.MachineAnswered(new.call_id, new.answered_at or new.created_at))
    if new.connected_at is not None and old.connected_at is None:
        events.append(de.CallConnected(new.call_id, new.connected_at, new.agent, new.hold_s or 0.0))
    if new.ended_at is not None:
        events.extend(_end_events(old, new))
    return events


def _end_events(old: CallState, new: CallState) -> list[de.DomainEvent]:
    assert new.ended_at is not None
    ring, wait, talk = durations(new)
    events: list[de.DomainEvent] = []
    if new.outcome == "dropped":
        events.append(de.CallDropped(new.call_id, new.ended_at, wait or 0.0))
    detail = new.detail if new.outcome == "failed" else ""
    events.append(de.CallTransitioned(new.call_id, new.ended_at, "ended", new.outcome))
    events.append(
        de.CallEnded(
            new.call_id, new.ended_at, new.outcome, new.agent, new.channel, new.hangup_cause, ring, wait, talk, detail
        )
    )
    return events


def _phase_detail(call: CallState, phase: str) -> str:
    if phase == "answered":
        return call.amd.lower()
    if phase == "connected":
        return call.agent
    return ""
