"""The engine's live view: calls in flight and what pacing is told about them. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from dialer import agents as presence
from dialer import domain_events as de
from dialer.calls import CallState
from dialer.pacing import PacingState, PacingStats
from dialer.ports import LiveChannel

PRE_ANSWER = ("created", "originated", "ringing")
IN_PROGRESS = (*PRE_ANSWER, "answered", "queued")


@dataclass
class LiveCall:
    """A call this engine placed (or adopted after a restart) and has not seen end."""

    call: CallState
    attempt_id: int
    campaign_id: int
    lead_id: int
    # When our Originate action returned (accepted or not); None while it is in flight.
    sent_at: datetime | None = None
    # A personal callback: the agent it is kept for (and put through to alone), else "".
    kept_for: str = ""

    @property
    def call_id(self) -> str:
        return self.call.call_id


@dataclass(frozen=True)
class CallFinished:
    """A call whose end is committed, as the engine's listeners hear of it (see `Engine.on_call_finished`)."""

    attempt_id: int
    lead_id: int
    campaign_id: int
    ended: de.CallEnded


# Told of every finished call, after its end is stored; whoever wires the engine decides what listens.
CallListener = Callable[[CallFinished], None]


def pacing_state(
    calls: Iterable[LiveCall], agents: Iterable[presence.Agent], stats: PacingStats, day: date, now: datetime
) -> PacingState:
    """The snapshot `lines_to_dial` reads for one campaign."""
    view = presence.presence_view(agents, now)
    in_progress = [c for c in calls if c.call.state in IN_PROGRESS]
    ringing = tuple(
        max(0.0, (now - (c.call.originated_at or c.call.created_at)).total_seconds())
        for c in in_progress
        if c.call.state in PRE_ANSWER
    )
    return PacingState(
        now=now.timestamp(),
        agents_logged_in=view.logged_in,
        agents_available=view.available,
        talking_s=view.talking_s,
        wrapping_s=view.wrapping_s,
        lines_in_progress=len(in_progress),
        ringing_ages_s=ringing,
        calls_waiting=sum(1 for c in in_progress if c.call.state == "queued"),
        answering=sum(1 for c in in_progress if c.call.state == "answered" and not c.call.amd),
        measured=stats.snapshot(day),
    )


def alive_call_ids(channels: Iterable[LiveChannel]) -> set[str]:
    """Every call id the PBX still has a channel for (Uniqueid, `<id>-2` half, Linkedid of agent legs)."""
    alive: set[str] = set()
    for channel in channels:
        alive.update({channel.uniqueid, channel.linkedid})
        if channel.uniqueid.endswith("-2"):
            alive.add(channel.uniqueid[:-2])
    alive.discard("")
    return alive


def quiet_for(call: LiveCall, now: datetime, ring_timeout_s: float) -> bool:
    """Whether the PBX has been silent about a call for longer than its phase explains: time to ask it."""
    if call.sent_at is None:
        return False
    last = call.call.last_at or call.sent_at
    silent = (now - max(last, call.sent_at)).total_seconds()
    if call.call.weak_outcome or call.call.detail:
        limit = 5.0
    elif call.call.state == "connected":
        limit = 900.0
    elif call.call.state in ("answered", "queued"):
        limit = 60.0
    else:
        limit = ring_timeout_s + 30.0
    return silent > limit
