"""Agent presence: logged out, available, on a call, in wrap-up, or paused with a reason. Pure.

Each change returns the new presence and the queue commands the engine must send to the PBX (the agent is a
dynamic member of the campaign's queue: QueueAdd at login, QueuePause for pauses and wrap-up, QueueRemove at
logout), recorded here rather than done, so the rules stay testable without a PBX.

A personal callback is kept for the agent who booked it (`keep_for`): paused in the queue while the dialer
dials it, so the queue hands them nothing else, and put through to them alone when the callee answers; unpaused
when that call ends without reaching them (`release`) or after it and its wrap-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from config.i18n import _

WRAP_UP_REASON = "wrap-up"
# The queue pause of an agent kept for their personal callback while it is dialled.
CALLBACK_REASON = "callback"


class Status(StrEnum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


class AgentNotLoggedIn(ValueError):
    """The agent must be logged in for this."""

    def __init__(self, login: str) -> None:
        super().__init__(_("Agent {login} is not logged in").format(login=login))


class AgentOnCall(ValueError):
    """The agent is on a call: log out after it."""

    def __init__(self, login: str, call_id: str) -> None:
        super().__init__(_("Agent {login} is on a call: log out after it").format(login=login))
        self.call_id = call_id


class AgentAlreadyOnCall(RuntimeError):
    """The PBX connected a second call to an agent who is on one: the queue gave one agent two calls."""

    def __init__(self, login: str, current: str, new: str) -> None:
        super().__init__(f"agent {login!r} on call {current!r} was also connected to {new!r}")


class MissingPauseReason(ValueError):
    """A pause needs a reason code (break, lunch, training …) for the supervisor's figures."""

    def __init__(self, login: str) -> None:
        super().__init__(_("A pause needs a reason code (agent {login})").format(login=login))


@dataclass(frozen=True)
class QueueAdd:
    queue: str
    interface: str
    member_name: str
    paused: bool = False


@dataclass(frozen=True)
class QueueRemove:
    queue: str
    interface: str


@dataclass(frozen=True)
class QueuePause:
    queue: str
    interface: str
    paused: bool
    reason: str = ""


QueueCommand = QueueAdd | QueueRemove | QueuePause


def interface_of(login: str) -> str:
    """The queue member interface of an agent (see DESIGN.md and the captures: `/n`, no optimisation)."""
    return f"Local/{login}@agents/n"


@dataclass(frozen=True)
class Agent:
    """One agent's presence in one campaign."""

    login: str
    campaign_id: int
    queue: str
    display_name: str = ""
    status: Status = Status.LOGGED_OUT
    since: datetime | None = None
    pause_reason: str = ""
    call_id: str = ""
    wrap_until: datetime | None = None
    # A pause asked for during a call starts when the call (and its wrap-up) is over.
    pause_after: str = ""
    # The personal callback this agent is kept for (dialled, then on it): paused in the queue meanwhile.
    kept_for: str = ""

    @property
    def free(self) -> bool:
        """Ready for a call: available and not kept for a personal callback being dialled."""
        return self.status is Status.AVAILABLE and not self.kept_for

    @property
    def interface(self) -> str:
        return interface_of(self.login)

    @property
    def logged_in(self) -> bool:
        return self.status is not Status.LOGGED_OUT

    def _pause_cmd(self, paused: bool, reason: str = "") -> QueuePause:
        return QueuePause(self.queue, self.interface, paused, reason)


Change = tuple[Agent, list[QueueCommand]]


def _move(agent: Agent, status: Status, now: datetime, **changes: Any) -> Agent:
    return replace(agent, status=status, since=now, **changes)


def log_in(agent: Agent, now: datetime) -> Change:
    """Join the campaign queue, ready for calls; logging in twice changes nothing."""
    if agent.logged_in:
        return agent, []
    return _move(agent, Status.AVAILABLE, now, pause_reason="", call_id="", wrap_until=None, pause_after=""), [
        QueueAdd(agent.queue, agent.interface, agent.login)
    ]


def log_out(agent: Agent, now: datetime) -> Change:
    """Leave the queue; refused while on a call."""
    if not agent.logged_in:
        return agent, []
    if agent.status is Status.ON_CALL or agent.kept_for:
        raise AgentOnCall(agent.login, agent.call_id or agent.kept_for)
    out = _move(agent, Status.LOGGED_OUT, now, pause_reason="", call_id="", wrap_until=None, pause_after="")
    return out, [QueueRemove(agent.queue, agent.interface)]


def pause(agent: Agent, now: datetime, reason: str) -> Change:
    """Stop taking calls for `reason`; during a call or wrap-up the pause starts after them."""
    if not reason.strip():
        raise MissingPauseReason(agent.login)
    if not agent.logged_in:
        raise AgentNotLoggedIn(agent.login)
    if agent.status in (Status.ON_CALL, Status.WRAP_UP) or agent.kept_for:
        return replace(agent, pause_after=reason), []
    if agent.status is Status.PAUSED and agent.pause_reason == reason:
        return agent, []
    return _move(agent, Status.PAUSED, now, pause_reason=reason), [agent._pause_cmd(True, reason)]


def resume(agent: Agent, now: datetime) -> Change:
    """Back to taking calls after a pause (or cancel a pause asked for during a call)."""
    if not agent.logged_in:
        raise AgentNotLoggedIn(agent.login)
    if agent.status is not Status.PAUSED:
        return replace(agent, pause_after=""), []
    return _move(agent, Status.AVAILABLE, now, pause_reason=""), [agent._pause_cmd(False)]


def call_connected(agent: Agent, call_id: str, now: datetime) -> Change:
    """The queue handed `call_id` to the agent.

    Accepted from wrap-up or a pause as well: the queue may deliver a call in the instant before our
    QueuePause reaches it, and the agent is on that call whatever we wished.
    """
    if agent.status is Status.ON_CALL:
        if agent.call_id == call_id:
            return agent, []
        raise AgentAlreadyOnCall(agent.login, agent.call_id, call_id)
    return _move(agent, Status.ON_CALL, now, call_id=call_id, wrap_until=None), []


def call_ended(agent: Agent, call_id: str, now: datetime, wrap_up_s: float) -> Change:
    """The agent's call is over: wrap-up (paused in the queue) for the campaign's time, else ready."""
    if agent.status is not Status.ON_CALL or agent.call_id != call_id:
        return agent, []
    if wrap_up_s > 0:
        wrapping = _move(agent, Status.WRAP_UP, now, wrap_until=now + timedelta(seconds=wrap_up_s))
        return wrapping, [agent._pause_cmd(True, WRAP_UP_REASON)]
    return _after_work(agent, now, was_paused_in_queue=bool(agent.kept_for))


def end_wrap_up(agent: Agent, now: datetime) -> Change:
    """The agent is ready again before the wrap-up time ran out (the agent screen's "ready")."""
    if agent.status is not Status.WRAP_UP:
        return agent, []
    return _after_work(agent, now, was_paused_in_queue=True)


def tick(agent: Agent, now: datetime) -> Change:
    """Let time act: a wrap-up whose time has run out ends."""
    if agent.status is Status.WRAP_UP and agent.wrap_until is not None and now >= agent.wrap_until:
        return _after_work(agent, agent.wrap_until, was_paused_in_queue=True)
    return agent, []


def _after_work(agent: Agent, now: datetime, was_paused_in_queue: bool) -> Change:
    if agent.pause_after:
        paused = _move(agent, Status.PAUSED, now, pause_reason=agent.pause_after, pause_after="", call_id="",
                       wrap_until=None, kept_for="")  # fmt: skip
        return paused, [agent._pause_cmd(True, paused.pause_reason)]
    ready = _move(agent, Status.AVAILABLE, now, call_id="", wrap_until=None, kept_for="")
    return ready, [agent._pause_cmd(False)] if was_paused_in_queue else []


def keep_for(agent: Agent, call_id: str) -> Change:
    """Keep a free agent for their personal callback `call_id`, about to be dialled: paused in the queue."""
    if not agent.free:
        raise ValueError(f"agent {agent.login!r} is not free for callback {call_id!r}")
    return replace(agent, kept_for=call_id), [agent._pause_cmd(True, CALLBACK_REASON)]


def release(agent: Agent, call_id: str, now: datetime) -> Change:
    """The callback `call_id` ended without reaching the agent kept for it: back to the queue's calls, or to
    the pause asked for meanwhile."""
    if agent.kept_for != call_id or agent.status is not Status.AVAILABLE:
        return agent, []
    if agent.pause_after:
        return _after_work(agent, now, was_paused_in_queue=True)
    return replace(agent, kept_for=""), [agent._pause_cmd(False)]  # available all along: `since` stays


@dataclass(frozen=True)
class PresenceView:
    """What pacing needs to know about a campaign's agents now."""

    logged_in: int
    available: int
    talking_s: tuple[float, ...]
    wrapping_s: tuple[float, ...]


def presence_view(agents: Iterable[Agent], now: datetime) -> PresenceView:
    """Counts of logged-in and available agents, and how long each busy one has been talking or wrapping up."""
    logged_in = available = 0
    talking: list[float] = []
    wrapping: list[float] = []
    for agent in agents:
        if not agent.logged_in:
            continue
        logged_in += 1
        elapsed = max(0.0, (now - agent.since).total_seconds()) if agent.since else 0.0
        if agent.free:
            available += 1
        elif agent.status is Status.ON_CALL:
            talking.append(elapsed)
        elif agent.status is Status.WRAP_UP:
            wrapping.append(elapsed)
    return PresenceView(logged_in, available, tuple(talking), tuple(wrapping))
