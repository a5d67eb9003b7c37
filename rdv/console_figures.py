"""What the supervisor's console shows of a campaign, read from the database in a few queries per screen.

The live part comes from `campaign_live` (every dialer's row, added up); the day's work per agent from the
attempts (calls, talk and wrap-up time, argued contacts, RDVs) and the presence history (`agent_events`:
logged-in time, occupancy, pauses by reason against `pause_reasons`). No query is made per agent.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from campaigns.dispositions import dispositions_for
from campaigns.errors import CampaignNotFound
from campaigns.models import Attempt, Campaign
from dialer.desk_models import AgentEvent, PauseReason
from dialer.models import AgentRecord
from rdv.console_presence import PauseTotal, PresenceEvent, PresenceLedger, PresenceTotals, occupancy
from rdv.live_models import CampaignLive

STATES = ("available", "on_call", "wrap_up", "paused", "logged_out")


@dataclass(frozen=True)
class Live:
    """The dialers' live figures for a campaign, added up (None of them: nothing is dialling it)."""

    ringing: int = 0
    answering: int = 0
    queued: int = 0
    talking: int = 0
    dial_level: float = 0.0
    pacing_mode: str = ""
    abandon_target: float = 0.0
    dialing: str = ""
    dials_today: int = 0
    resolved_today: int = 0
    answered_today: int = 0
    humans_today: int = 0
    dropped_today: int = 0
    humans_30d: int = 0
    dropped_30d: int = 0
    updated_at: datetime | None = None
    dialers: int = 0

    @property
    def answer_rate(self) -> float | None:
        """Answered by a person ÷ dials that ended today (the live ones have no outcome yet)."""
        return self.answered_today / self.resolved_today if self.resolved_today else None

    @property
    def abandon_today(self) -> float:
        return self.dropped_today / self.humans_today if self.humans_today else 0.0

    @property
    def abandon_30d(self) -> float:
        return self.dropped_30d / self.humans_30d if self.humans_30d else 0.0


@dataclass(frozen=True)
class AgentLine:
    """One row of the agent table."""

    login: str
    name: str
    state: str
    reason: str
    since: datetime | None
    calls: int = 0
    talk_s: float = 0.0
    wrap_s: float = 0.0
    argued: int = 0
    rdvs: int = 0
    logged_in_s: float = 0.0
    pauses: tuple[PauseTotal, ...] = ()

    @property
    def conversion(self) -> float | None:
        """RDVs ÷ argued contacts (the "taux de transformation")."""
        return self.rdvs / self.argued if self.argued else None

    @property
    def pause_over(self) -> bool:
        return any(p.over_s > 0 for p in self.pauses)

    @property
    def pausing_too_long(self) -> bool:
        """The pause going on now already lasts longer than its reason allows."""
        return self.state == "paused" and any(p.over_now and p.reason == self.reason for p in self.pauses)

    def in_state_s(self, now: datetime) -> float:
        return max(0.0, (now - self.since).total_seconds()) if self.since else 0.0


@dataclass(frozen=True)
class Floor:
    """A campaign's console: status, live figures, agents and the day's totals."""

    campaign_id: int
    name: str
    status: str
    timezone: str
    live: Live
    agents: list[AgentLine]
    argued: int
    rdvs: int
    connected: int
    occupancy: float | None
    pause_limits: dict[str, int] = field(default_factory=dict)

    def by_state(self) -> Counter[str]:
        """Agents by state; paused ones also as `paused:<reason>`."""
        counts: Counter[str] = Counter()
        for agent in self.agents:
            counts[agent.state] += 1
            if agent.state == "paused":
                counts[f"paused:{agent.reason}"] += 1
        return counts


def midnight(timezone: str, now: datetime) -> datetime:
    zone = ZoneInfo(timezone)
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)


def live_of(session: Session, campaign_id: int) -> Live:
    """Every dialer's row of the campaign added up; the day's counts (read by each from the attempts) once."""
    rows = list(session.scalars(select(CampaignLive).where(CampaignLive.campaign_id == campaign_id)
                                .order_by(CampaignLive.updated_at.desc())))  # fmt: skip
    if not rows:
        return Live()
    newest = rows[0]
    return Live(
        ringing=sum(r.ringing for r in rows), answering=sum(r.answering for r in rows),
        queued=sum(r.queued for r in rows), talking=sum(r.talking for r in rows),
        dial_level=newest.dial_level,
        pacing_mode=newest.pacing_mode, abandon_target=newest.abandon_target, dialing=newest.dialing,
        dials_today=newest.dials_today, resolved_today=newest.resolved_today, answered_today=newest.answered_today,
        humans_today=newest.humans_today, dropped_today=newest.dropped_today,
        humans_30d=newest.humans_30d, dropped_30d=newest.dropped_30d, updated_at=newest.updated_at,
        dialers=len(rows),
    )  # fmt: skip


def _work(session: Session, campaign: Campaign, since: datetime) -> dict[str, tuple[int, float, float, int, int]]:
    """Per agent, today's connected calls: (calls, talk s, wrap s, argued, RDVs)."""
    argued_codes = [code for code, d in dispositions_for(campaign.settings or {}).items() if d.argued]
    a = Attempt
    rows = session.execute(
        select(a.agent, func.count(a.id),
               func.coalesce(func.sum(a.talk_s), 0.0), func.coalesce(func.sum(a.wrap_s), 0.0),
               func.coalesce(func.sum(case((a.disposition.in_(argued_codes), 1), else_=0)), 0),
               func.coalesce(func.sum(case((a.disposition == "rdv", 1), else_=0)), 0))
        .where(a.campaign_id == campaign.id, a.created_at >= since, a.outcome == "connected")
        .group_by(a.agent)
    )  # fmt: skip
    return {agent: (int(n), float(talk), float(wrap), int(argued), int(rdvs))
            for agent, n, talk, wrap, argued, rdvs in rows}  # fmt: skip


# Presence events older than this (clock seconds) are settled into the ledger for good: commits arrive within
# milliseconds of their event, so none of that age can still be on its way.
SETTLE_AFTER_S = 60.0


@dataclass
class _Feed:
    """One campaign day's presence ledger in this process, and the moment up to which it is settled."""

    ledger: PresenceLedger
    limits: dict[str, int]
    settled_until: datetime


# By database and campaign: (the day's start, its feed).
_feeds: dict[tuple[str, int], tuple[datetime, _Feed]] = {}
_feeds_lock = threading.Lock()


def _events(session: Session, campaign_id: int, start: datetime, end: datetime | None = None) -> list[PresenceEvent]:
    query = select(AgentEvent.login, AgentEvent.state, AgentEvent.reason, AgentEvent.at).where(
        AgentEvent.campaign_id == campaign_id, AgentEvent.at >= start)
    if end is not None:
        query = query.where(AgentEvent.at < end)
    return [PresenceEvent(*row) for row in session.execute(query)]


def _presence(session: Session, campaign_id: int, since: datetime, now: datetime,
              limits: dict[str, int]) -> dict[str, PresenceTotals]:
    """The day's presence totals, reading only the events not yet settled in this process's ledger."""
    bind = session.get_bind()
    key = (str(bind.engine.url), campaign_id)
    with _feeds_lock:
        day, feed = _feeds.get(key, (None, None))
        if feed is None or day != since or feed.limits != limits:
            feed = _Feed(PresenceLedger(), dict(limits), since)
            _feeds[key] = (since, feed)
        settle_to = now - timedelta(seconds=SETTLE_AFTER_S)
        if settle_to > feed.settled_until:
            feed.ledger.settle(_events(session, campaign_id, feed.settled_until, settle_to), limits)
            feed.settled_until = settle_to
        return feed.ledger.totals(_events(session, campaign_id, feed.settled_until), now, limits)


def floor(session: Session, campaign_id: int, now: datetime) -> Floor:
    """The console of one campaign at `now` (its local day so far)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound(str(campaign_id))
    since = midnight(campaign.timezone, now)
    limits = {code: minutes for code, minutes in session.execute(select(PauseReason.code, PauseReason.max_minutes))}
    work = _work(session, campaign, since)
    presence = _presence(session, campaign_id, since, now, limits)
    agents: list[AgentLine] = []
    for record in session.scalars(select(AgentRecord).where(AgentRecord.campaign_id == campaign_id)
                                  .order_by(AgentRecord.login)):  # fmt: skip
        calls, talk, wrap, argued, rdvs = work.get(record.login, (0, 0.0, 0.0, 0, 0))
        totals = presence.get(record.login, PresenceTotals())
        agents.append(AgentLine(record.login, record.display_name or record.login, record.state,
                                record.pause_reason, record.since, calls, talk, wrap, argued, rdvs,
                                totals.logged_in_s, tuple(sorted(totals.pauses.values(), key=lambda p: p.reason))))
    live = live_of(session, campaign_id)
    if live.dialers > 1:  # each dialer's level counts its own lines only: the campaign's, over all its agents
        in_service = sum(1 for a in agents if a.state in ("available", "on_call", "wrap_up"))
        waiting = live.ringing + live.answering + live.queued
        live = replace(live, dial_level=round(waiting / in_service, 2) if in_service else 0.0)
    return Floor(
        campaign.id, campaign.name, campaign.status, campaign.timezone, live, agents,
        argued=sum(w[3] for w in work.values()), rdvs=sum(w[4] for w in work.values()),
        connected=sum(w[0] for w in work.values()), occupancy=occupancy(presence.values()), pause_limits=limits,
    )  # fmt: skip
