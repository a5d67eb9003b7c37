"""Event sequences of one call, as the AMI adapter hands them over, for the state machine's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from dialer import calls, ports
from dialer import domain_events as de

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CID = "att-1"
LEG1 = "Local/+33612345678@rdv-outbound-00000001;1"
LEG2 = "Local/+33612345678@rdv-outbound-00000001;2"
AGENT_LEG = "Local/agent1@agents-00000002;1"

Maker = Callable[[datetime], calls.CallInput]


def _hangup(channel: str, cause: int, uniqueid: str) -> Maker:
    return lambda at: ports.CallHungUp(CID, at, channel=channel, cause=cause, uniqueid=uniqueid)


def answered_human(hold_s: float = 0.0, talk_s: float = 10.0) -> list[Maker]:
    return [
        lambda at: calls.OriginateSent(CID, at),
        lambda at: ports.CallRinging(CID, at),
        lambda at: ports.ChannelAnswered(CID, at),
        lambda at: ports.DialEnded(CID, at, status="ANSWER"),
        lambda at: ports.CallOriginated(CID, at, reason=4, channel=LEG1),
        lambda at: ports.MachineDetected(CID, at, status="HUMAN", cause="HUMAN-800-800"),
        lambda at: ports.CallerQueued(CID, at, queue="q1"),
        lambda at: ports.AgentConnected(CID, at, queue="q1", agent="agent1", interface="Local/agent1@agents/n",
                                        hold_s=hold_s),
        _hangup(LEG2, 0, f"{CID}-2"),
        lambda at: ports.AgentCompleted(CID, at, queue="q1", agent="agent1", hold_s=hold_s, talk_s=talk_s,
                                        reason="caller"),
        _hangup(AGENT_LEG, 16, "1795412590.2"),
        _hangup(LEG1, 16, CID),
    ]  # fmt: skip


def answered_machine() -> list[Maker]:
    return [
        lambda at: calls.OriginateSent(CID, at),
        lambda at: ports.CallRinging(CID, at),
        lambda at: ports.ChannelAnswered(CID, at),
        lambda at: ports.DialEnded(CID, at, status="ANSWER"),
        lambda at: ports.CallOriginated(CID, at, reason=4, channel=LEG1),
        lambda at: ports.MachineDetected(CID, at, status="MACHINE", cause="LONGGREETING-1500-1500"),
        _hangup(LEG1, 16, CID),
        _hangup(LEG2, 16, f"{CID}-2"),
    ]


def dropped() -> list[Maker]:
    return [
        lambda at: calls.OriginateSent(CID, at),
        lambda at: ports.CallRinging(CID, at),
        lambda at: ports.ChannelAnswered(CID, at),
        lambda at: ports.CallOriginated(CID, at, reason=4, channel=LEG1),
        lambda at: ports.MachineDetected(CID, at, status="HUMAN"),
        lambda at: ports.CallerQueued(CID, at, queue="q1"),
        lambda at: ports.CallerAbandoned(CID, at, queue="q1", hold_s=2.0),
        _hangup(LEG1, 16, CID),
        _hangup(LEG2, 16, f"{CID}-2"),
    ]


def unanswered(status: str, reason: int, cause: int) -> list[Maker]:
    """Busy, congestion and invalid numbers as captured: DialEnd, then OriginateResponse, then the hangups."""
    return [
        lambda at: calls.OriginateSent(CID, at),
        lambda at: ports.DialEnded(CID, at, status=status),
        lambda at: ports.CallOriginated(CID, at, reason=reason, channel="Local/+33612345678@rdv-outbound"),
        _hangup(LEG2, cause, f"{CID}-2"),
        _hangup(LEG1, 0, CID),
    ]


def no_answer() -> list[Maker]:
    """As captured: the hangups (cause 19) come before the OriginateResponse (Reason 3)."""
    return [
        lambda at: calls.OriginateSent(CID, at),
        lambda at: ports.CallRinging(CID, at),
        _hangup(LEG1, 19, CID),
        _hangup(LEG2, 19, f"{CID}-2"),
        lambda at: ports.CallOriginated(CID, at, reason=3, channel="Local/+33612345678@rdv-outbound"),
    ]


SCENARIOS: dict[str, tuple[Callable[[], list[Maker]], str]] = {
    "answered_human": (answered_human, "connected"),
    "answered_machine": (answered_machine, "machine"),
    "dropped": (dropped, "dropped"),
    "busy": (lambda: unanswered("BUSY", 5, 17), "busy"),
    "congestion": (lambda: unanswered("CONGESTION", 8, 34), "congestion"),
    "invalid": (lambda: unanswered("CHANUNAVAIL", 0, 1), "invalid"),
    "no_answer": (no_answer, "no_answer"),
}


def run(makers: Iterable[Maker], step_s: float = 1.0) -> tuple[calls.CallState, list[de.DomainEvent]]:
    """Apply the events one second apart, as they would arrive; returns the final state and all domain events."""
    call = calls.new_call(CID, T0)
    emitted: list[de.DomainEvent] = []
    for i, make in enumerate(makers, start=1):
        call, events = calls.apply(call, make(T0 + timedelta(seconds=i * step_s)))
        emitted.extend(events)
    return call, emitted
