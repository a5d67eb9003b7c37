"""The running parts of rdv, shared by `rdv run` and `rdv demo`: the servers it dials through, job runners.

A process drives one or more Asterisk servers (rdv.server_runtime: one engine each) and keeps ONE scheduler
leadership and one set of job runners for them all. Whoever owns a Runtime decides when to `wake()` it: the
service at its triggers' fire times (APScheduler, or its scaled clock in tests), the demo from its accelerated
loop that jumps over closed hours.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.models import Campaign
from config.servers import ServerSettings
from dialer.engine import Engine
from dialer.ports import PbxAuthFailed, PbxUnreachable
from rdv.agent_bus import AgentBus
from rdv.bootstrap import App, PbxLink
from rdv.jobs import (
    CampaignDay,
    MailContext,
    campaign_day,
    daily_mail_job,
    day_jobs,
    maintenance_jobs,
    recordings_retention_job,
)
from rdv.jobs_monthly import monthly_review_job
from rdv.jobs_reports import report_jobs
from rdv.leader import CHECK_EVERY_S, Leadership
from rdv.scheduler import JobRunner, JobSpec
from rdv.server_runtime import ServerOptions, ServerRuntime
from rdv.staffing import Staffing, agent_logins, campaign_agent_logins, dialing_state
from rdv.takeover import Standby
from rdv.wakeup import Notifier, notifier_for

log = logging.getLogger(__name__)
# Imported from here by older callers; they live with the staffing now.
__all__ = ["Runtime", "RuntimeOptions", "Staffing", "agent_logins", "campaign_agent_logins", "dialing_state",
           "running_campaigns"]  # fmt: skip


@dataclass(frozen=True)
class RuntimeOptions:
    """How this process dials: its id, servers, simulation (embedded PBX, simulated agents per campaign), seed,
    timings.

    Simulation is always explicit: without `simulate` the configured Asterisk is dialled, and without
    `sim_agents` only real teleoperators take calls. Without `servers`, one server named after `dialer_id`: the
    single `[asterisk]` PBX, or the embedded simulator.
    """

    dialer_id: str = "main"
    simulate: bool = False
    sim_agents: int = 0
    seed: int = 0
    tick_s: float = 1.0
    ring_timeout_s: float = 30.0
    outbox_dir: Path | None = None  # where .eml files go without SMTP (default: the settings' outbox folder)
    # Teleoperators' screens: the agent bus takes their commands and writes their pops (off for the accelerated
    # demo, where nobody is at a screen).
    screens: bool = True
    servers: tuple[ServerSettings, ...] = ()  # the servers this process drives (`rdv run --server`)
    # The servers it takes over once their dialer has been dead `takeover_after_s` clock seconds (`--standby`).
    standby: tuple[ServerSettings, ...] = ()
    takeover_after_s: float = 30.0

    def server_options(self, server: ServerSettings | None) -> ServerOptions:
        """One server's part of these options."""
        return ServerOptions(server.name if server else self.dialer_id, server, self.simulate, self.sim_agents,
                             self.seed, self.tick_s, self.ring_timeout_s, self.screens)  # fmt: skip


class Runtime:
    """The servers' engines and the process's job runners for some campaigns; `start()`, `wake()`s, `stop()`."""

    def __init__(self, app: App, campaign_ids: list[int], options: RuntimeOptions,
                 notifier: Notifier | None = None) -> None:
        self.app, self.campaign_ids, self.options = app, campaign_ids, options
        # How this process wakes the web and is woken by it (rdv.wakeup); None: nobody listens (the demo's).
        self.notifier = notifier
        self._own_notifier = False
        self.clock = app.clock
        self.servers: list[ServerRuntime] = []
        # Servers of this process whose PBX could not be reached at start: tried again (rdv.takeover.retry).
        self.unreachable: list[ServerSettings] = []
        self.days: dict[int, CampaignDay] = {}
        self.names: dict[int, str] = {}  # campaign names, for the servers' `campaigns` settings
        self.leadership = Leadership(app.engine, options.dialer_id)
        # Told of the jobs of a campaign added while running (the waker schedules their fire times).
        self.job_listeners: list[Callable[[list[JobSpec]], None]] = []
        self._polled = False
        self._wake_lock = asyncio.Lock()
        self.standby = Standby(app.engine, options.standby, options.takeover_after_s)

    # The first server's parts: the demo, `rdv run` on one PBX and their tests know one server.
    @property
    def first(self) -> ServerRuntime | None:
        return self.servers[0] if self.servers else None

    @property
    def engine(self) -> Engine | None:
        return self.first.engine if self.first else None

    @property
    def link(self) -> PbxLink | None:
        return self.first.link if self.first else None

    @property
    def bus(self) -> AgentBus | None:
        return self.first.bus if self.first else None

    @property
    def staffing(self) -> Staffing:
        assert self.first is not None and self.first.staffing is not None, "started"
        return self.first.staffing

    async def start(self) -> None:
        """Connect the servers, recover what a previous run left live, open the days that are open now, dial."""
        app, options, now = self.app, self.options, self.clock.now()
        centre = app.settings.centre_timezone
        with app.sessions() as session:
            self.days = {cid: campaign_day(session, cid, centre) for cid in self.campaign_ids}
            self.names.update(campaign_names(session, self.campaign_ids))
        if options.screens and self.notifier is None:
            self.notifier, self._own_notifier = notifier_for(app), True
        failure: PbxUnreachable | PbxAuthFailed | None = None
        for server in options.servers or (None,):
            try:
                await self.drive(server, now)
            except (PbxUnreachable, PbxAuthFailed) as error:
                if server is None or len(options.servers) == 1:
                    raise  # nothing else to dial through: say so and stop (systemd starts it again)
                log.error("server %s: %s; the other servers dial, this one is tried again", server.name, error)
                self.unreachable.append(server)
                failure = error
        if failure is not None and not self.servers:
            raise failure  # not one server reachable
        ctx = self.mail = MailContext(app.sessions, self.clock, app.settings.mail_from,
                                      app.transport(options.outbox_dir), centre, app.settings.data_dir / "exports",
                                      timedelta(seconds=app.settings.dialer_dead_grace_seconds), app.secret)
        self.local = JobRunner(app.sessions, [s for d in self.days.values()
                                              for s in day_jobs(d, self.set_open, options.dialer_id)],
                               holder=options.dialer_id)  # fmt: skip
        with app.sessions() as session:
            reports = report_jobs(session, self.campaign_ids, ctx)
        self.shared = JobRunner(app.sessions, [daily_mail_job(d, ctx) for d in self.days.values()]
                                + maintenance_jobs(ctx) + reports
                                + [monthly_review_job(d, ctx) for d in self.days.values()]
                                + [recordings_retention_job(app.sessions, self.clock, app.settings.data_dir,
                                                            centre)],
                                 holder=options.dialer_id, may_run=lambda: self.leadership.held)  # fmt: skip
        self.local.register(now)
        self.shared.register(now)
        await self.apply_staffing(now)

    async def drive(self, server: ServerSettings | None, now: datetime) -> ServerRuntime:
        """Start dialling through one server (at start, or when taking it over): its engine adopts the calls
        still live on it under its name and ends those gone."""
        part = ServerRuntime(self.app, [cid for cid in self.campaign_ids
                                        if server is None or server.serves(cid, self.names.get(cid, ""))],
                             self.options.server_options(server), self.notifier)  # fmt: skip
        await part.start({cid: day.is_open(now) for cid, day in self.days.items()})
        self.servers.append(part)
        return part

    def set_open(self, campaign_id: int, is_open: bool) -> None:
        """What a campaign's day job decided, for every server that dials it."""
        for part in self.servers:
            part.set_open(campaign_id, is_open)

    async def apply_staffing(self, now: datetime) -> None:
        """Bring every server's agents in line with the days."""
        for part in list(self.servers):
            await part.apply(now)

    async def pick_up_started(self) -> list[int]:
        """Serve the campaigns started since this process began (when it serves every running one, without
        `--campaign`): a supervisor who starts one from the console or the CLI sees it dialled without a
        restart. Returns the campaigns added."""
        if not self.servers:
            return []
        running = await asyncio.to_thread(running_campaigns, self.app, [])
        added = [c for c in running if c.id not in self.days]
        for campaign in added:
            self.names[campaign.id] = campaign.name
            await self.add_campaign(campaign.id)
        return [c.id for c in added]

    async def add_campaign(self, campaign_id: int) -> None:
        """Dial one more campaign from now on, with its day, jobs, simulated agents and agents' commands."""
        app, options, now = self.app, self.options, self.clock.now()
        if not self.servers or campaign_id in self.days:
            return
        with app.sessions() as session:
            day = campaign_day(session, campaign_id, app.settings.centre_timezone)
            reports = report_jobs(session, [campaign_id], self.mail)
            self.names.update(campaign_names(session, [campaign_id]))
        self.days[campaign_id] = day
        self.campaign_ids.append(campaign_id)
        for part in self.servers:
            if part.serves(campaign_id, self.names.get(campaign_id, "")):
                await part.add_campaign(campaign_id, day.is_open(now))
        added = self.local.add(day_jobs(day, self.set_open, options.dialer_id), now) \
            + self.shared.add([daily_mail_job(day, self.mail), *reports, monthly_review_job(day, self.mail)], now)
        for listener in self.job_listeners:
            listener(added)
        log.info("campaign %s started while running: dialled from now on", campaign_id)
        await self.apply_staffing(now)

    @property
    def specs(self) -> list[JobSpec]:
        """Every job this process knows, local and shared."""
        return [*self.local.specs.values(), *self.shared.specs.values()]

    def is_leader(self) -> bool:
        """Whether this process runs the shared jobs (the first call tries the leadership; `watch_leadership`
        keeps it checked in service)."""
        if not self._polled:
            self._polled = True
            self.leadership.poll()
        return self.leadership.held

    async def watch_leadership(self, stop: asyncio.Event, every_s: float = CHECK_EVERY_S) -> None:
        """Every `every_s` wall seconds until `stop`: check the leadership or try to win it; a winner catches up
        at once on the shared jobs the previous leader left due."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(every_s):
                    await stop.wait()
            if stop.is_set():
                return
            was = self.leadership.held
            try:
                async with asyncio.timeout(max(every_s, 5.0)):  # a check that hangs is a lost connection
                    await asyncio.to_thread(self.leadership.poll)
            except TimeoutError:
                self.leadership.lost("the database did not answer the check in time")
            if self.leadership.held and not was:
                await self.wake(self.clock.now())

    async def watch_standby(self, stop: asyncio.Event) -> None:
        """Until `stop`, a few times per takeover delay (at most every CHECK_EVERY_S wall seconds): drive each
        standby server whose dialer has been dead long enough, adopting its live calls."""
        scale = float(getattr(self.clock, "scale", 1.0))
        every_s = min(CHECK_EVERY_S, max(0.1, self.options.takeover_after_s / scale / 4))
        while self.standby.waiting and not stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(every_s):
                    await stop.wait()
            if stop.is_set():
                return
            try:
                ready = await asyncio.to_thread(self.standby.poll, self.clock.now())
            except Exception:  # the database away a moment: the next round tries again
                log.exception("checking the standby servers failed")
                continue
            for server in ready:
                log.warning("taking over server %s: its dialer has been dead %.0f s", server.name,
                            self.options.takeover_after_s)  # fmt: skip
                try:
                    await self.drive(server, self.clock.now())
                except Exception:  # its PBX unreachable: give the server back, try again at a next round
                    log.exception("taking over server %s failed", server.name)
                    self.standby.give_back(server)
                    continue
                await self.apply_staffing(self.clock.now())

    async def wake(self, now: datetime) -> None:
        """Run the due jobs (the shared ones only on the leader), then bring the agents in line."""
        async with self._wake_lock:
            self.local.run_due(now)
            if self.is_leader():  # in a thread: mail rendering and SMTP must not stall the dialer's event loop
                await asyncio.to_thread(self.shared.run_due, now)
            await self.apply_staffing(now)

    def next_fire(self, now: datetime) -> datetime | None:
        """The earliest coming fire time of any job."""
        times = [t for t in (self.local.next_fire(now), self.shared.next_fire(now)) if t is not None]
        return min(times) if times else None

    async def stop(self, drain_s: float) -> None:
        """Stop originating on every server, let live calls finish for up to `drain_s` clock seconds, end the
        rest, disconnect."""
        await asyncio.gather(*(part.stop(drain_s) for part in self.servers))
        self.standby.release()
        if self.notifier is not None and self._own_notifier:
            await self.notifier.close()
        self.leadership.release()


def running_campaigns(app: App, names: list[str]) -> list[Campaign]:
    """The named campaigns (all running ones when none is named); a named one must be running."""
    from campaigns import store

    with app.sessions() as session:
        if not names:
            return list(session.scalars(select(Campaign).where(Campaign.status == "running").order_by(Campaign.id)))
        found = [store.get_campaign(session, name) for name in names]
    return found


def campaign_names(session: Session, campaign_ids: list[int]) -> dict[int, str]:
    """Campaigns' names by id."""
    rows = session.execute(select(Campaign.id, Campaign.name).where(Campaign.id.in_(campaign_ids)))
    return {row.id: row.name for row in rows}
