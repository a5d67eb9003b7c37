"""Live campaign figures for the supervisor's console, written by the dialer process when they change.

The writer looks at the engine's memory every `check_every_s` (wall time: this is about the database and the
browsers, not the campaign's clock). A campaign whose figures differ from the ones last written is stored in
`campaign_live` at most once per `min_interval_s` (4 a second by default), and `campaign:<id>` then `floor`
are notified after the commit, so a console waiting on them reads the new row. The day's dial counts come from
the attempts table (every dialer's calls), read again only when this engine's live calls changed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from datetime import time as dtime
from typing import Protocol

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from campaigns.models import Attempt
from config.clock import Clock
from config.orm import transaction
from dialer import agents as presence
from dialer.campaign_view import CampaignView
from dialer.live import PRE_ANSWER, LiveCall
from rdv.live_models import CampaignLive
from rdv.wakeup import FLOOR, Notifier, campaign_topic

log = logging.getLogger(__name__)

HUMAN_OUTCOMES = ("connected", "dropped")


@dataclass(frozen=True)
class LiveFigures:
    """One campaign's figures as this dialer sees them now (the columns of `campaign_live`)."""

    ringing: int
    answering: int
    queued: int
    talking: int
    agents_ready: int
    agents_on_call: int
    agents_wrap_up: int
    agents_paused: int
    dial_level: float
    pacing_mode: str
    abandon_target: float
    dialing: str
    humans_today: int
    dropped_today: int
    abandon_today: float
    humans_30d: int
    dropped_30d: int
    abandon_30d: float
    dials_today: int = 0
    resolved_today: int = 0
    answered_today: int = 0


def live_figures(calls: Iterable[LiveCall], agents: Iterable[presence.Agent], view: CampaignView, dialing: str,
                 now: datetime) -> LiveFigures:
    """A campaign's live figures from the engine's calls and agents (pure; day counts left at zero)."""
    ringing = answering = queued = talking = 0
    for live in calls:
        state = live.call.state
        if state in PRE_ANSWER:
            ringing += 1
        elif state == "answered":
            answering += 1
        elif state == "queued":
            queued += 1
        elif state == "connected":
            talking += 1
    states = Counter(a.status for a in agents)
    in_service = sum(states[s] for s in (presence.Status.AVAILABLE, presence.Status.ON_CALL, presence.Status.WRAP_UP))
    waiting = ringing + answering + queued
    stats = view.stats.snapshot(view.day(now))
    return LiveFigures(
        ringing=ringing, answering=answering, queued=queued, talking=talking,
        agents_ready=states[presence.Status.AVAILABLE], agents_on_call=states[presence.Status.ON_CALL],
        agents_wrap_up=states[presence.Status.WRAP_UP], agents_paused=states[presence.Status.PAUSED],
        dial_level=round(waiting / in_service, 2) if in_service else 0.0,
        pacing_mode=str(view.policy.mode), abandon_target=view.policy.abandon_target, dialing=dialing,
        humans_today=stats.humans_today, dropped_today=stats.dropped_today, abandon_today=stats.abandon_rate_today,
        humans_30d=stats.humans_30d, dropped_30d=stats.dropped_30d,
        abandon_30d=stats.dropped_30d / stats.humans_30d if stats.humans_30d else 0.0,
    )  # fmt: skip


def local_midnight(view: CampaignView, now: datetime) -> datetime:
    """The start of the campaign's local day at `now` (abandonment and dials are counted per local day)."""
    return datetime.combine(view.day(now), dtime(0), tzinfo=view.timezone)


def day_counts(session: Session, campaign_id: int, since: datetime) -> tuple[int, int, int]:
    """(dials, ended with an outcome, of which answered by a person) of a campaign since `since`, from every
    dialer's attempts."""
    a = Attempt
    row = session.execute(
        select(func.count(a.id),
               func.coalesce(func.sum(case((a.outcome != "", 1), else_=0)), 0),
               func.coalesce(func.sum(case((a.outcome.in_(HUMAN_OUTCOMES), 1), else_=0)), 0))
        .where(a.campaign_id == campaign_id, a.created_at >= since)
    ).one()  # fmt: skip
    return int(row[0]), int(row[1]), int(row[2])


def store_figures(session: Session, campaign_id: int, dialer_id: str, figures: LiveFigures, now: datetime) -> None:
    """Write one campaign's row for this dialer (update, else insert: one writer per campaign and dialer)."""
    values = {**asdict(figures), "updated_at": now}
    done = session.execute(update(CampaignLive).where(CampaignLive.campaign_id == campaign_id,
                                                      CampaignLive.dialer_id == dialer_id).values(**values))
    if not done.rowcount:  # type: ignore[attr-defined]
        session.add(CampaignLive(campaign_id=campaign_id, dialer_id=dialer_id, **values))


class EngineView(Protocol):
    """What the writer reads of `dialer.engine.Engine`."""

    @property
    def calls(self) -> Mapping[str, LiveCall]: ...
    @property
    def agents(self) -> Mapping[str, presence.Agent]: ...
    @property
    def views(self) -> Mapping[int, CampaignView]: ...
    @property
    def campaign_ids(self) -> list[int]: ...


class SnapshotWriter:
    """Keeps `campaign_live` in step with one engine (see the module's docstring)."""

    def __init__(self, engine: EngineView, sessions: sessionmaker[Session], clock: Clock, dialer_id: str,
                 notifier: Notifier | None, dialing: Callable[[int], str],
                 min_interval_s: float = 0.25, check_every_s: float = 0.1) -> None:  # fmt: skip
        self.engine, self.sessions, self.clock, self.dialer_id = engine, sessions, clock, dialer_id
        self.notifier, self.dialing = notifier, dialing
        self.min_interval_s, self.check_every_s = min_interval_s, check_every_s
        self.written: dict[int, LiveFigures] = {}
        self.written_at: dict[int, float] = {}
        self.calls_seen: dict[int, frozenset[str]] = {}
        self.days: dict[int, tuple[int, int, int]] = {}
        self.writes = 0

    async def run(self) -> None:
        """Check and write until cancelled; a failed write is logged and tried again at the next check."""
        while True:
            try:
                await self.check()
            except Exception:  # the console's figures must never stop the dialer
                log.exception("live figures not written")
            await asyncio.sleep(self.check_every_s)

    async def check(self, wall: float | None = None) -> list[int]:
        """Write the campaigns whose figures changed and whose last write is old enough; returns their ids.

        The engine's memory is read on the event loop (the engine changes it there), the database in a thread.
        """
        wall = time.monotonic() if wall is None else wall
        now = self.clock.now()
        due: dict[int, tuple[LiveFigures, frozenset[str] | None]] = {}
        calls = list(self.engine.calls.values())
        agents = list(self.engine.agents.values())
        for campaign_id in self.engine.campaign_ids:
            view = self.engine.views.get(campaign_id)
            if view is None or wall - self.written_at.get(campaign_id, float("-inf")) < self.min_interval_s:
                continue
            mine = [c for c in calls if c.campaign_id == campaign_id]
            crew = [a for a in agents if a.campaign_id == campaign_id]
            seen = frozenset(c.call_id for c in mine)
            # The day's counts move only when one of this campaign's calls started or ended.
            stale = campaign_id not in self.days or self.calls_seen.get(campaign_id) != seen
            due[campaign_id] = (live_figures(mine, crew, view, self.dialing(campaign_id), now),
                                seen if stale else None)
        if not due:
            return []
        midnights = {cid: local_midnight(self.engine.views[cid], now)
                     for cid, (_f, seen) in due.items() if seen is not None}
        changed = await asyncio.to_thread(self._store, due, midnights, now)
        for campaign_id in changed:
            self.written_at[campaign_id] = wall
        self.writes += len(changed)
        return changed

    def _store(self, due: dict[int, tuple[LiveFigures, frozenset[str] | None]], midnights: dict[int, datetime],
               now: datetime) -> list[int]:
        """Refresh the stale day counts, then write the campaigns whose figures differ from the last written."""
        changed: dict[int, LiveFigures] = {}
        with self.sessions() as session:
            for campaign_id, (figures, seen) in due.items():
                if seen is not None:
                    self.days[campaign_id] = day_counts(session, campaign_id, midnights[campaign_id])
                    self.calls_seen[campaign_id] = seen
                dials, resolved, answered = self.days[campaign_id]
                full = replace(figures, dials_today=dials, resolved_today=resolved, answered_today=answered)
                if self.written.get(campaign_id) != full:
                    changed[campaign_id] = full
        if changed:
            with transaction(self.sessions) as session:
                for campaign_id, figures in changed.items():
                    store_figures(session, campaign_id, self.dialer_id, figures, now)
                    if self.notifier is not None:  # sent at the commit, with it on PostgreSQL and SQLite
                        self.notifier.notify(campaign_topic(campaign_id), "live", session=session)
                if self.notifier is not None:
                    self.notifier.notify(FLOOR, "live", session=session)
            self.written.update(changed)
        return list(changed)
