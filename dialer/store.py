"""Storage of the dialer's facts: attempt transitions and results, agents' presence, crashed dialers' leftovers.

Small functions over a caller's session (SQLAlchemy 2 `select()`); the engine commits. Writes are idempotent
where the PBX may repeat itself: a transition is stored once per attempt and state.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.hopper import claimed_leads, release_lead
from campaigns.models import Attempt
from dialer import agents as presence
from dialer import calls
from dialer import domain_events as de
from dialer.models import AgentRecord, AttemptTransition

# The attempt column that records the time each phase was entered (others live in transitions only).
_PHASE_COLUMNS = {"originated": "originated_at", "answered": "answered_at", "connected": "connected_at"}


def record_transition(session: Session, attempt_id: int, event: de.CallTransitioned) -> None:
    """Store one transition and move the attempt's state forward (never backward)."""
    known = session.scalar(
        select(AttemptTransition.id).where(
            AttemptTransition.attempt_id == attempt_id, AttemptTransition.state == event.state
        )
    )
    if known is None:
        session.add(AttemptTransition(attempt_id=attempt_id, state=event.state, at=event.at, detail=event.detail[:200]))
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or attempt.outcome:
        return
    if _rank(event.state) > _rank(attempt.state) and event.state != "ended":
        attempt.state = event.state
    column = _PHASE_COLUMNS.get(event.state)
    if column and getattr(attempt, column) is None:
        setattr(attempt, column, event.at)


def _rank(state: str) -> int:
    return calls.PHASES.index(state) if state in calls.PHASES else -1


def record_result(session: Session, attempt_id: int, ended: de.CallEnded) -> Attempt | None:
    """Store what the call measured; the outcome itself is set by `campaigns.outcomes.finish_attempt`."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or attempt.outcome:
        return None
    attempt.ring_s, attempt.wait_s, attempt.talk_s = ended.ring_s, ended.wait_s, ended.talk_s
    attempt.channel = attempt.channel or ended.channel[:200]
    attempt.agent = attempt.agent or ended.agent
    if ended.hangup_cause is not None:
        attempt.hangup_cause = ended.hangup_cause
    return attempt


def record_wrap_up(session: Session, call_id: str, wrap_s: float) -> None:
    """The wrap-up time that followed a connected call."""
    attempt = session.scalar(select(Attempt).where(Attempt.action_id == call_id))
    if attempt is not None and attempt.wrap_s is None:
        attempt.wrap_s = wrap_s


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
    stamps = {t.state: t.at for t in transitions_of(session, attempt.id)}
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
        agent=attempt.agent,
        channel=attempt.channel,
    )


def release_orphan_claims(session: Session, dialer_id: str, keep: Iterable[int] = ()) -> int:
    """Release the leads this dialer claimed but is not calling (claimed, then the process died)."""
    kept = set(keep)
    ids = claimed_leads(session, dialer_id)
    return sum(1 for lead_id in ids if lead_id not in kept and release_lead(session, lead_id, dialer_id))


def save_agent(session: Session, agent: presence.Agent, now: datetime) -> None:
    """Store an agent's presence (created on first sight)."""
    record = session.scalar(select(AgentRecord).where(AgentRecord.login == agent.login))
    if record is None:
        record = AgentRecord(login=agent.login)
        session.add(record)
    record.display_name = agent.display_name or record.display_name or agent.login
    record.campaign_id = agent.campaign_id
    record.interface = agent.interface
    record.state = agent.status.value
    record.since = agent.since
    record.pause_reason = agent.pause_reason
    record.call_id = agent.call_id if agent.status is presence.Status.ON_CALL else ""
    record.updated_at = now


def load_agent(session: Session, login: str) -> AgentRecord | None:
    return session.scalar(select(AgentRecord).where(AgentRecord.login == login))
