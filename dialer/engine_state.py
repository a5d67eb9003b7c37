"""What the engine knows right now, as one explicit object the outcome sink and recovery read and change.

The engine owns it; `dialer.outcome_sink` (what a call's events cause) and `dialer.recovery` (reconciliation
with the PBX) get this and nothing else of the engine, so each reads alone: every field they may touch is here.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from config.clock import Clock
from dialer import agents as presence
from dialer.campaign_view import CampaignView
from dialer.live import LiveCall

log = logging.getLogger(__name__)
# Told of every stored presence change, in its transaction: (session, before, after, the call if one caused it).
# Whoever wires the engine writes what the agent screens need (the bus's pops and presence history) with it.
PresenceHook = Callable[[Session, "presence.Agent | None", presence.Agent, LiveCall | None], None]


@dataclass
class EngineState:
    """Live calls, agents and campaign views of one dialer, with its storage, clock and counters."""

    clock: Clock
    sessions: sessionmaker[Session]
    dialer_id: str
    campaign_ids: list[int]
    centre_timezone: str = "Europe/Paris"
    calls: dict[str, LiveCall] = field(default_factory=dict)
    agents: dict[str, presence.Agent] = field(default_factory=dict)
    views: dict[int, CampaignView] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=Counter)
    # Campaigns stopped for good in this run (their queue is missing), with the supervisor's message.
    stopped: dict[int, str] = field(default_factory=dict)
    presence_hooks: list[PresenceHook] = field(default_factory=list)

    def agent_saved(self, session: Session, before: presence.Agent | None, after: presence.Agent,
                    live: LiveCall | None = None) -> None:
        """Tell the presence hooks of a change just stored in `session`'s transaction.

        Each in its own savepoint: a hook's failure is logged and undone alone, never the call's end or the
        presence change it was told of.
        """
        for hook in self.presence_hooks:
            try:
                with session.begin_nested():
                    hook(session, before, after, live)
            except Exception:
                self.counters["presence_hook_errors"] += 1
                log.exception("presence hook failed for agent %s", after.login)
