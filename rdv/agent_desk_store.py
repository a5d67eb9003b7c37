"""What the dialer side of the bus writes for the agent screens, inside the engine's own transactions.

`presence_written` is an engine presence hook (`dialer.engine_state.PresenceHook`): every stored presence
change adds an `agent_events` row; a connected call adds its `call_pops` row, an ended one dates it; a wrap-up
that ends without the agent's disposition records "unqualified" (unless the agent's screen is gone: then the
call waits for them). The wake-ups go out when the engine's transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from campaigns.models import Attempt
from campaigns.outcomes import record_disposition
from dialer import agents as presence
from dialer.desk_models import AgentEvent, CallPop
from dialer.live import LiveCall
from rdv.agent_desk import DISCONNECTED
from rdv.wakeup import FLOOR, Notifier, agent_topic

Status = presence.Status
UNQUALIFIED = "unqualified"


def record_presence(session: Session, before: presence.Agent | None, after: presence.Agent,
                    live: LiveCall | None = None) -> None:
    """A presence hook on its own: one `agent_events` row per change of state, pause reason or campaign (what
    the agent-time figures read), nothing while the agent has no time yet."""
    at = after.since or _latest(before)
    if at is None:
        return
    if before is None or (before.status, before.pause_reason, before.campaign_id) != (
            after.status, after.pause_reason, after.campaign_id):
        session.add(AgentEvent(login=after.login, campaign_id=after.campaign_id, state=after.status.value,
                               reason=after.pause_reason, call_id=after.call_id, at=at))


class PresenceWriter:
    """The bus's presence hook: history, pops, the wrap-up's end; `humans` says whose screens need pops qualified."""

    def __init__(self, notifier: Notifier, humans: set[str], centre_timezone: str,
                 wrapped_early: Callable[[str], None]) -> None:  # fmt: skip
        self.notifier, self.humans, self.centre_timezone = notifier, humans, centre_timezone
        # Called with a login whose call was qualified before its wrap-up began: end the wrap-up at once.
        self.wrapped_early = wrapped_early

    def __call__(self, session: Session, before: presence.Agent | None, after: presence.Agent,
                 live: LiveCall | None) -> None:  # fmt: skip
        at = after.since or _latest(before)
        if at is None:
            return
        record_presence(session, before, after, live)
        was = before.status if before is not None else Status.LOGGED_OUT
        if after.status is Status.ON_CALL and was is not Status.ON_CALL and live is not None:
            self._pop(session, after, live, at)
        elif was is Status.ON_CALL and after.status is not Status.ON_CALL and live is not None:
            self._ended(session, after, live, at)
        elif was is Status.WRAP_UP and after.status is not Status.WRAP_UP and before is not None:
            self._wrap_up_over(session, before, after, at)
        self.notifier.notify(agent_topic(after.login), after.status.value, session=session)
        self.notifier.notify(FLOOR, after.login, session=session)

    def _pop(self, session: Session, agent: presence.Agent, live: LiveCall, at: datetime) -> None:
        phone = session.scalar(select(Attempt.phone_e164).where(Attempt.id == live.attempt_id)) or ""
        session.add(CallPop(login=agent.login, attempt_id=live.attempt_id, lead_id=live.lead_id,
                            campaign_id=live.campaign_id, call_id=live.call_id, phone_e164=phone, connected_at=at))
        session.flush()

    def _ended(self, session: Session, agent: presence.Agent, live: LiveCall, at: datetime) -> None:
        session.execute(update(CallPop).where(CallPop.attempt_id == live.attempt_id)
                        .values(ended_at=at, wrap_until=agent.wrap_until))
        qualified = session.scalar(select(CallPop.qualified_at).where(CallPop.attempt_id == live.attempt_id))
        if qualified is not None and agent.status is Status.WRAP_UP:
            self.wrapped_early(agent.login)

    def _wrap_up_over(self, session: Session, before: presence.Agent, after: presence.Agent, at: datetime) -> None:
        """The timer ran out (or the agent was let go): a call nobody qualified is "unqualified"."""
        if before.login not in self.humans or not before.call_id:
            return
        if after.status is Status.PAUSED and after.pause_reason == DISCONNECTED:
            return  # the screen is gone: the agent qualifies the call when back
        row = session.execute(select(CallPop.id, CallPop.attempt_id, CallPop.qualified_at, Attempt.disposition)
                              .join(Attempt, Attempt.id == CallPop.attempt_id)
                              .where(CallPop.call_id == before.call_id)).one_or_none()
        if row is None or row.qualified_at is not None or row.disposition:
            return
        record_disposition(session, row.attempt_id, UNQUALIFIED, at, before.login,
                           centre_timezone=self.centre_timezone)
        session.execute(update(CallPop).where(CallPop.id == row.id).values(qualified_at=at))


def _latest(agent: presence.Agent | None) -> datetime | None:
    return agent.since if agent is not None else None


def unqualified_call(session: Session, login: str) -> int | None:
    """The attempt of the agent's last call if it ended and is not qualified yet (the agent may not go ready)."""
    row = session.execute(select(CallPop.attempt_id, CallPop.ended_at, CallPop.qualified_at, Attempt.disposition)
                          .join(Attempt, Attempt.id == CallPop.attempt_id)
                          .where(CallPop.login == login).order_by(CallPop.id.desc()).limit(1)).one_or_none()
    if row is None or row.ended_at is None or row.qualified_at is not None or row.disposition:
        return None
    return int(row.attempt_id)
