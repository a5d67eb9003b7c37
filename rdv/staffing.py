"""Each campaign's day on one engine: who is logged in, whether it dials, what the console says of it."""

from __future__ import annotations

import logging
from datetime import datetime

from dialer import agents as presence
from dialer.engine import Engine

log = logging.getLogger("rdv.runtime")


class Staffing:
    """Each campaign's day on this dialer: simulated agents log in at the opening, everyone leaves after the close.

    The day jobs only say whether a day is open (`set_open`); `apply()` makes the engine match, and after a
    close waits until the campaign's last calls are over before logging its agents out.
    """

    def __init__(self, engine: Engine, agents: dict[int, list[str]]) -> None:
        self.engine = engine
        self.agents = agents
        self.wanted: dict[int, bool] = dict.fromkeys(agents, False)
        self.opened: set[int] = set()  # campaigns whose current opening had its queue checked
        # Until when a campaign has no lead to dial (the demo knows, and spares the engine empty claims).
        self.nothing_due_until: dict[int, datetime] = {}
        # Campaigns a supervisor paused or stopped (rdv.campaign_control): paused dials nothing new and keeps
        # its agents; stopped also lets them leave once their calls are over.
        self.halted: dict[int, str] = {}

    def set_open(self, campaign_id: int, is_open: bool) -> None:
        """What a day job decided; applied at the next `apply()`."""
        if self.wanted.get(campaign_id) != is_open and campaign_id not in self.engine.stopped:
            log.info("campaign %s: calling day %s", campaign_id, "opens" if is_open else "closes")
        self.wanted[campaign_id] = is_open

    async def apply(self, now: datetime) -> None:
        """Bring the engine in line with the wanted days."""
        engine = self.engine
        for campaign_id, is_open in self.wanted.items():
            if campaign_id in engine.stopped:
                continue  # its queue is missing: nothing to staff until the supervisor starts it again
            halt = self.halted.get(campaign_id)
            if is_open and halt != "stopped":  # a stopped campaign's day is over: as after the close
                quiet = self.nothing_due_until.get(campaign_id)
                if halt == "paused" or (quiet is not None and quiet > now):
                    engine.held.add(campaign_id)
                else:
                    engine.held.discard(campaign_id)
                for n, login in enumerate(self.agents[campaign_id], start=1):
                    agent = engine.agents.get(login)
                    if agent is None or not agent.logged_in or agent.campaign_id != campaign_id:
                        await engine.log_in(login, campaign_id, f"Agent {n}")
                if campaign_id not in self.opened:  # each opening: is the queue there, with these agents in it?
                    self.opened.add(campaign_id)
                    await engine.check_queue(campaign_id)
                continue
            self.opened.discard(campaign_id)
            engine.held.add(campaign_id)
            if any(call.campaign_id == campaign_id for call in engine.calls.values()):
                continue  # ringing calls may still be answered: their agents stay until they end
            for login, agent in list(engine.agents.items()):
                if agent.campaign_id == campaign_id and agent.logged_in and agent.status is not presence.Status.ON_CALL:
                    await engine.log_out(login)

    def any_open(self) -> bool:
        return any(self.wanted.values())


def agent_logins(campaign_ids: list[int], per_campaign: int, dialer_id: str = "main") -> dict[int, list[str]]:
    """Simulated agents' logins: agent1… for one campaign, agent<campaign>-1… when there are several; another
    dialer (or server) than "main" prefixes its own (`b-agent1`), as two dialers' agents are different people."""
    if len(campaign_ids) == 1:
        prefix = "" if dialer_id == "main" else f"{dialer_id}-"
        return {campaign_ids[0]: [f"{prefix}agent{n}" for n in range(1, per_campaign + 1)]}
    return {cid: campaign_agent_logins(cid, per_campaign, dialer_id) for cid in campaign_ids}


def campaign_agent_logins(campaign_id: int, per_campaign: int, dialer_id: str = "main") -> list[str]:
    """The simulated agents of one campaign among several (or started while the dialer runs): agent<campaign>-1…"""
    prefix = "" if dialer_id == "main" else f"{dialer_id}-"
    return [f"{prefix}agent{campaign_id}-{n}" for n in range(1, per_campaign + 1)]


def dialing_state(engine: Engine, staffing: Staffing, campaign_id: int) -> str:
    """What the console shows of a campaign's dialling: no_queue, paused, stopped, held (day closed), trunk_full
    (running, with fewer lines than pacing wants: the PBX's trunk is full) or running."""
    if campaign_id in engine.stopped:
        return "no_queue"
    if campaign_id in staffing.halted:
        return staffing.halted[campaign_id]
    if campaign_id in engine.held:
        return "held"
    return "trunk_full" if campaign_id in engine.trunk_full else "running"
