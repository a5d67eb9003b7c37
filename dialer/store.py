"""Storage of the dialer's facts: attempt transitions and results, agents' presence, crashed dialers' leftovers.

Small functions over a caller's session (SQLAlchemy 2 `select()`); the engine commits. Writes are idempotent
where the PBX may repeat itself: a transition is stored once per attempt and state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import CursorResult, Insert, Table, Update, bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from campaigns.journal import claimed_leads, release_lead
from campaigns.models import Attempt, Campaign
from campaigns.outcomes import forget
from dialer import agents as presence
from dialer import calls
from dialer import domain_events as de
from dialer.models import AgentRecord, AttemptTransition

# The attempt column that records the time each phase was entered (others live in transitions only).
_PHASE_COLUMNS = {"originated": "originated_at", "answered": "answered_at", "connected": "connected_at"}


def record_transition(session: Session, attempt_id: int, event: de.CallTransitioned) -> None:
    """Store one transition and move the attempt's state forward (never backward)."""
    record_transitions(session, attempt_id, [event])


def record_transitions(session: Session, attempt_id: int, events: Sequence[de.CallTransitioned],
                       ended: de.CallEnded | None = None) -> None:
    """Store transitions once per attempt and state, move the attempt forward, and store an end's measures.

    Two statements whatever the number of events: one INSERT that skips the (attempt, state) pairs already
    stored, and one UPDATE of the attempt that only fills what is empty and leaves a finished attempt alone.
    No ORM load (the statements are built once, with bound parameters): the caller's session need not have
    seen the attempt; one it holds is expired.
    """
    if events:
        rows = [{"attempt_id": attempt_id, "state": e.state, "at": e.at, "detail": e.detail[:200]} for e in events]
        session.execute(_insert_once(session.get_bind().dialect.name), rows)
    # "created" is where every attempt starts, and "ended" is set by finish_attempt with the outcome.
    furthest = max((e.state for e in events if 0 < _RANK.get(e.state, 0) < _RANK["ended"]),
                   key=_RANK.__getitem__, default="")
    params: dict[str, Any] = {"p_id": attempt_id}
    for event in reversed(events):  # the first time a phase was seen is the one kept
        column = _PHASE_COLUMNS.get(event.state)
        if column:
            params[f"p_{column}"] = event.at
    phases = tuple(sorted(k[2:] for k in params if k != "p_id"))
    if ended is not None:
        params.update(p_ring=ended.ring_s, p_wait=ended.wait_s, p_talk=ended.talk_s,
                      p_channel=ended.channel[:200], p_agent=ended.agent, p_cause=ended.hangup_cause)
    if furthest or phases or ended is not None:
        session.execute(_advance(furthest, phases, ended is not None, getattr(ended, "hangup_cause", None) is not None),
                        params)
        forget(session, Attempt, attempt_id)


@cache
def _insert_once(dialect: str) -> Insert:
    """INSERT … ON CONFLICT (attempt_id, state) DO NOTHING, in the session's dialect."""
    table = cast(Table, AttemptTransition.__table__)
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=["attempt_id", "state"])
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=["attempt_id", "state"])


@cache
def _advance(furthest: str, phases: tuple[str, ...], measured: bool, with_cause: bool) -> Update:
    """The attempt's UPDATE for one shape of batch: state if further on, empty phase times, an end's measures."""
    a = _ATTEMPTS.c
    values: dict[str, Any] = {}
    if furthest:
        rank = case(_RANK, value=a.state, else_=-1)
        values["state"] = case((rank < _RANK[furthest], furthest), else_=a.state)
    for column in phases:
        values[column] = func.coalesce(a[column], bindparam(f"p_{column}", type_=a[column].type))
    if measured:
        values.update(
            ring_s=bindparam("p_ring", type_=a.ring_s.type), wait_s=bindparam("p_wait", type_=a.wait_s.type),
            talk_s=bindparam("p_talk", type_=a.talk_s.type),
            channel=case((a.channel == "", bindparam("p_channel", type_=a.channel.type)), else_=a.channel),
            agent=case((a.agent == "", bindparam("p_agent", type_=a.agent.type)), else_=a.agent),
        )
    if with_cause:
        values["hangup_cause"] = bindparam("p_cause", type_=a.hangup_cause.type)
    return update(_ATTEMPTS).where(a.id == bindparam("p_id"), a.outcome == "").values(values)


_RANK = {state: rank for rank, state in enumerate(calls.PHASES)}
_ATTEMPTS = cast(Table, Attempt.__table__)
_WRAP_UP = (update(_ATTEMPTS).where(_ATTEMPTS.c.action_id == bindparam("p_call"), _ATTEMPTS.c.wrap_s.is_(None))
            .values(wrap_s=bindparam("p_wrap", type_=_ATTEMPTS.c.wrap_s.type)))


def record_result(session: Session, attempt_id: int, ended: de.CallEnded) -> None:
    """Store what the call measured; the outcome itself is set by `campaigns.outcomes.finish_attempt`."""
    record_transitions(session, attempt_id, [], ended)


def record_wrap_up(session: Session, call_id: str, wrap_s: float) -> None:
    """The wrap-up time that followed a connected call (the first one measured stays)."""
    session.execute(_WRAP_UP, {"p_call": call_id, "p_wrap": wrap_s})


def transitions_of(session: Session, attempt_id: int) -> list[AttemptTransition]:
    """An attempt's stored transitions, in time order."""
    return list(
        session.scalars(
            select(AttemptTransition)
            .where(AttemptTransition.attempt_id == attempt_id)
            .order_by(AttemptTransition.at, AttemptTransition.id)
        )
    )


def live_attempts(session: Session, dialer_id: str, campaign_ids: Iterable[int]) -> list[Attempt]:
    """Attempts this dialer started and never finished (a previous process may have crashed)."""
    return list(
        session.scalars(
            select(Attempt)
            .where(Attempt.dialer_id == dialer_id, Attempt.outcome == "", Attempt.campaign_id.in_(list(campaign_ids)))
            .order_by(Attempt.id)
        )
    )


def call_from_attempt(session: Session, attempt: Attempt) -> calls.CallState:
    """Rebuild a call's state machine from what was stored, to adopt or end it after a restart."""
    rows = transitions_of(session, attempt.id)
    stamps = {t.state: t.at for t in rows}
    # The agent is stored on the attempt only at its end; the `connected` transition names them at once. Through
    # `/n` the `;2` half hangs up before AgentComplete, so an adopted call would otherwise end without its agent.
    agent = attempt.agent or next((t.detail for t in rows if t.state == "connected"), "")
    queued = stamps.get("queued")
    return calls.CallState(
        call_id=attempt.action_id,
        created_at=attempt.created_at,
        originated_at=stamps.get("originated", attempt.originated_at),
        ringing_at=stamps.get("ringing"),
        answered_at=stamps.get("answered", attempt.answered_at),
        queued_at=queued,
        human_at=queued,
        connected_at=stamps.get("connected", attempt.connected_at),
        agent=agent,
        channel=attempt.channel,
    )


def release_orphan_claims(session: Session, dialer_id: str, keep: Iterable[int] = ()) -> int:
    """Release the leads this dialer claimed but is not calling (claimed, then the process died)."""
    kept = set(keep)
    ids = claimed_leads(session, dialer_id)
    return sum(1 for lead_id in ids if lead_id not in kept and release_lead(session, lead_id, dialer_id))


def save_agent(session: Session, agent: presence.Agent, now: datetime, dialer_id: str | None = None) -> None:
    """Store an agent's presence (created on first sight): one UPDATE, an INSERT only the first time.

    With `dialer_id`, the engine that drives the agent's phone (its server's name): only that engine restores
    the agent after a restart or a takeover (dialer.recovery)."""
    values = {"p_login": agent.login, "p_name": agent.display_name, "p_campaign": agent.campaign_id,
              "p_dialer": dialer_id or "", "p_interface": agent.interface, "p_state": agent.status.value,
              "p_since": agent.since, "p_reason": agent.pause_reason, "p_now": now,
              "p_call": agent.call_id if agent.status is presence.Status.ON_CALL else ""}
    statement = _SAVE_AGENT if dialer_id is None else _SAVE_AGENT_OF
    if cast(CursorResult[Any], session.execute(statement, values)).rowcount == 0:
        session.add(AgentRecord(login=agent.login, dialer_id=values["p_dialer"],
                                display_name=agent.display_name or agent.login,
                                campaign_id=agent.campaign_id, interface=agent.interface, state=agent.status.value,
                                since=agent.since, pause_reason=agent.pause_reason, call_id=values["p_call"],
                                updated_at=now))  # fmt: skip
        session.flush()
        return
    for state in session.identity_map.all_states():  # a record the session holds is now stale
        held = state.obj()
        if isinstance(held, AgentRecord) and held.login == agent.login:
            session.expire(held)


def _save_agent(with_dialer: bool) -> Update:
    c = cast(Table, AgentRecord.__table__).c
    keys = [("campaign_id", "campaign"), ("interface", "interface"), ("state", "state"), ("since", "since"),
            ("pause_reason", "reason"), ("call_id", "call"), ("updated_at", "now")]
    typed: dict[str, Any] = {name: bindparam(f"p_{key}", type_=c[name].type)
                             for name, key in keys + ([("dialer_id", "dialer")] if with_dialer else [])}
    # The display name stays when the agent screen gives none (a restart restores agents without one).
    name = bindparam("p_name", type_=c.display_name.type)
    typed["display_name"] = case((name != "", name), (c.display_name != "", c.display_name),
                                 else_=bindparam("p_login", type_=c.login.type))
    return update(c.id.table).where(c.login == bindparam("p_login", type_=c.login.type)).values(typed)


_SAVE_AGENT = _save_agent(with_dialer=False)
_SAVE_AGENT_OF = _save_agent(with_dialer=True)


def load_agent(session: Session, login: str) -> AgentRecord | None:
    return session.scalar(select(AgentRecord).where(AgentRecord.login == login))


@dataclass(frozen=True)
class StoredDial:
    """One finished attempt as pacing measures it (times aware, durations in seconds)."""

    outcome: str
    originated_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime
    talk_s: float | None
    wrap_s: float | None


def finished_dials(session: Session, campaign_id: int, since: datetime, recent: int) -> tuple[list[StoredDial], ...]:
    """A campaign's answered dials since `since` (abandonment counts) and its `recent` last dials (rates).

    Two lists, each oldest first: human answers (connected or dropped) ended since `since`, and the last
    `recent` finished attempts of any outcome. Every dialer's attempts count: the abandonment rule is the
    campaign's, whichever process dialled.
    """
    a = Attempt
    columns = (a.outcome, a.originated_at, a.answered_at, a.ended_at, a.talk_s, a.wrap_s)
    humans = session.execute(
        select(*columns).where(a.campaign_id == campaign_id, a.outcome.in_(("connected", "dropped")),
                               a.ended_at >= since).order_by(a.ended_at))  # fmt: skip
    last = session.execute(
        select(*columns).where(a.campaign_id == campaign_id, a.outcome != "", a.ended_at.is_not(None))
        .order_by(a.ended_at.desc()).limit(recent))  # fmt: skip
    return [_dial(row) for row in humans], [_dial(row) for row in reversed(list(last))]


def _dial(row: Any) -> StoredDial:
    outcome, originated_at, answered_at, ended_at, talk_s, wrap_s = row
    return StoredDial(outcome, originated_at, answered_at, ended_at, talk_s, wrap_s)


def set_campaign_status(session: Session, campaign_id: int, status: str) -> str:
    """Set a running campaign's status (a paused or finished one keeps its own); returns the campaign's name."""
    campaign = session.get_one(Campaign, campaign_id)
    if campaign.status == "running":
        campaign.status = status
    return campaign.name
