"""The running parts of rdv, shared by `rdv run` and `rdv demo`: PBX link, dialer engine, agents, job runners.

Whoever owns a Runtime decides when to `wake()` it: the service at its triggers' fire times (APScheduler, or
its scaled clock in tests), the demo from its accelerated loop that jumps over closed hours.
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

from campaigns.models import Campaign
from dialer import agents as presence
from dialer.campaign_view import queue_name
from dialer.engine import Engine, EngineSettings
from dialer.recordings import Recorder
from dialer.trunk import Trunk, pbx_key
from rdv.agent_bus import AgentBus
from rdv.agent_desk_store import record_presence
from rdv.bootstrap import App, PbxLink
from rdv.campaign_control import ControlWatcher
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
from rdv.live_snapshot import SnapshotWriter
from rdv.scheduler import JobRunner, JobSpec
from rdv.sim_agents import SimulatedQualification
from rdv.wakeup import Notifier, notifier_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RuntimeOptions:
    """How this process dials: its id, simulation (embedded PBX, simulated agents per campaign), seed, timings.

    Simulation is always explicit: without `simulate` the configured Asterisk is dialled, and without
    `sim_agents` only real teleoperators take calls.
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
    dialer than "main" prefixes its own (`b-agent1`), as two dialers' agents are different people."""
    if len(campaign_ids) == 1:
        prefix = "" if dialer_id == "main" else f"{dialer_id}-"
        return {campaign_ids[0]: [f"{prefix}agent{n}" for n in range(1, per_campaign + 1)]}
    return {cid: campaign_agent_logins(cid, per_campaign, dialer_id) for cid in campaign_ids}


def campaign_agent_logins(campaign_id: int, per_campaign: int, dialer_id: str = "main") -> list[str]:
    """The simulated agents of one campaign among several (or started while the dialer runs): agent<campaign>-1…"""
    prefix = "" if dialer_id == "main" else f"{dialer_id}-"
    return [f"{prefix}agent{campaign_id}-{n}" for n in range(1, per_campaign + 1)]


class Runtime:
    """PBX link, engine, staffing and job runners for some campaigns; `start()`, `wake()`s, then `stop()`."""

    def __init__(self, app: App, campaign_ids: list[int], options: RuntimeOptions,
                 notifier: Notifier | None = None) -> None:
        self.app, self.campaign_ids, self.options = app, campaign_ids, options
        # How this process wakes the web and is woken by it (rdv.wakeup); None: nobody listens (the demo's).
        self.notifier = notifier
        self._own_notifier = False
        self.bus: AgentBus | None = None
        self.console_tasks: list[asyncio.Task[None]] = []
        self.clock = app.clock
        self.link: PbxLink | None = None
        self.engine: Engine | None = None
        self.task: asyncio.Task[None] | None = None
        self.days: dict[int, CampaignDay] = {}
        self.qualification: SimulatedQualification | None = None
        self.recorder: Recorder | None = None
        self.leadership = Leadership(app.engine, options.dialer_id)
        # Told of the jobs of a campaign added while running (the waker schedules their fire times).
        self.job_listeners: list[Callable[[list[JobSpec]], None]] = []
        self._polled = False
        self._wake_lock = asyncio.Lock()

    async def start(self) -> None:
        """Connect the PBX, recover what a previous run left live, open the days that are open now, dial."""
        app, options, now = self.app, self.options, self.clock.now()
        centre = app.settings.centre_timezone
        with app.sessions() as session:
            self.days = {cid: campaign_day(session, cid, centre) for cid in self.campaign_ids}
        queues = [queue_name(cid) for cid in self.campaign_ids]
        self.link = await app.open_pbx(simulate=options.simulate, seed=options.seed, queues=queues)
        # The embedded simulator is this process's own PBX (its own port): a trunk no other dialer shares.
        line = Trunk(pbx_key(self.link.pbx.host, self.link.pbx.port), app.settings.trunk_channels)
        settings = EngineSettings(tick_s=options.tick_s, ring_timeout_s=options.ring_timeout_s, centre_timezone=centre,
                                  trunk=line)  # fmt: skip
        self.engine = Engine(self.clock, self.link.pbx, app.sessions, self.campaign_ids, options.dialer_id,
                             settings=settings)  # fmt: skip
        self.recorder = Recorder(app.sessions, self.clock, app.settings.data_dir).attach(self.engine)
        logins = agent_logins(self.campaign_ids, options.sim_agents, options.dialer_id)
        if options.sim_agents:
            self.qualification = SimulatedQualification(app.sessions, options.seed, centre,
                                                        [login for group in logins.values() for login in group])
            self.engine.on_call_finished(self.qualification)
        await self.engine.start()
        await self._start_bus(centre)
        if self.bus is None:  # the bus writes the presence history; without it the agent-time figures need it too
            self.engine.state.presence_hooks.append(record_presence)
        self.staffing = Staffing(self.engine, logins)
        for cid, day in self.days.items():
            self.staffing.set_open(cid, day.is_open(now))
        ctx = self.mail = MailContext(app.sessions, self.clock, app.settings.mail_from,
                                      app.transport(options.outbox_dir), centre, app.settings.data_dir / "exports",
                                      timedelta(seconds=app.settings.dialer_dead_grace_seconds), app.secret)
        self.local = JobRunner(app.sessions, [s for d in self.days.values()
                                              for s in day_jobs(d, self.staffing.set_open, options.dialer_id)],
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
        await self.staffing.apply(now)
        self.task = asyncio.create_task(self.engine.run(), name="dialer")
        self._start_console_feeds()

    async def pick_up_started(self) -> list[int]:
        """Serve the campaigns started since this process began (when it serves every running one, without
        `--campaign`): a supervisor who starts one from the console or the CLI sees it dialled without a
        restart. Returns the campaigns added."""
        if self.engine is None:
            return []
        running = await asyncio.to_thread(running_campaigns, self.app, [])
        added = [c.id for c in running if c.id not in self.engine.campaign_ids]
        for campaign_id in added:
            await self.add_campaign(campaign_id)
        return added

    async def add_campaign(self, campaign_id: int) -> None:
        """Dial one more campaign from now on, with its day, jobs, simulated agents and agents' commands."""
        app, options, now, engine = self.app, self.options, self.clock.now(), self.engine
        if engine is None or campaign_id in engine.campaign_ids:
            return
        with app.sessions() as session:
            day = campaign_day(session, campaign_id, app.settings.centre_timezone)
            reports = report_jobs(session, [campaign_id], self.mail)
        if self.link is not None and self.link.simulator is not None:  # as `rdv asterisk config` and a reload
            self.link.simulator.configure_queue(queue_name(campaign_id))
        self.days[campaign_id] = day
        await engine.add_campaign(campaign_id)
        logins = campaign_agent_logins(campaign_id, options.sim_agents, options.dialer_id)
        self.staffing.agents[campaign_id] = logins
        if self.qualification is not None:
            self.qualification.logins.update(logins)
        if self.bus is not None:
            self.bus.follow(campaign_id)
        self.staffing.set_open(campaign_id, day.is_open(now))
        added = self.local.add(day_jobs(day, self.staffing.set_open, options.dialer_id), now) \
            + self.shared.add([daily_mail_job(day, self.mail), *reports, monthly_review_job(day, self.mail)], now)
        for listener in self.job_listeners:
            listener(added)
        log.info("campaign %s started while running: dialled from now on", campaign_id)
        await self.staffing.apply(now)

    def _start_console_feeds(self) -> None:
        """The live figures for the supervisor's console, and the supervisor's orders (pause, pacing) back.

        Only with a notifier: without one no console can be told of anything (the demo without --web).
        """
        engine, staffing, notifier = self.engine, self.staffing, self.notifier
        if engine is None or notifier is None:
            return
        writer = SnapshotWriter(engine, self.app.sessions, self.clock, self.options.dialer_id, notifier,
                                lambda cid: dialing_state(engine, staffing, cid))  # fmt: skip
        watcher = ControlWatcher(engine.views, staffing, self.app.sessions, self.clock)
        self.console_tasks += [asyncio.create_task(writer.run(), name="live-figures"),
                               asyncio.create_task(watcher.run(notifier), name="campaign-orders")]

    async def _start_bus(self, centre: str) -> None:
        """Teleoperators' commands from the web, and their pops, through the database and a wake-up."""
        if self.engine is None or not self.options.screens:
            return
        if self.notifier is None:
            self.notifier, self._own_notifier = notifier_for(self.app), True
        from dialer.call_control import CallControl

        simulator = self.link.simulator if self.link is not None else None
        # With the simulator, a person's phone answers like a softphone with auto-answer, and their simulated
        # callee hangs up after a while if the person does not.
        on_phone = (lambda phone: simulator.declare_real_agent(phone, callee_ends=True)) if simulator else None
        self.bus = AgentBus(self.engine, self.notifier, CallControl(self.engine),
                            centre_timezone=centre, on_human_phone=on_phone)  # fmt: skip
        await self.bus.start()

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

    async def wake(self, now: datetime) -> None:
        """Run the due jobs (the shared ones only on the leader), then bring the agents in line."""
        async with self._wake_lock:
            self.local.run_due(now)
            if self.is_leader():  # in a thread: mail rendering and SMTP must not stall the dialer's event loop
                await asyncio.to_thread(self.shared.run_due, now)
            await self.staffing.apply(now)

    def next_fire(self, now: datetime) -> datetime | None:
        """The earliest coming fire time of any job."""
        times = [t for t in (self.local.next_fire(now), self.shared.next_fire(now)) if t is not None]
        return min(times) if times else None

    async def stop(self, drain_s: float) -> None:
        """Stop originating, let live calls finish for up to `drain_s` clock seconds, end the rest, disconnect."""
        if self.engine is not None:
            await self.engine.stop(drain_timeout=drain_s)
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)
        if self.recorder is not None and self.recorder.tasks:  # the last calls' files, as the PBX closes them
            await asyncio.wait(set(self.recorder.tasks), timeout=self.recorder.write_grace_s)
        for task in self.console_tasks:  # after the drain: the console follows it to the end
            task.cancel()
        await asyncio.gather(*self.console_tasks, return_exceptions=True)
        if self.bus is not None:  # after the drain: the pops of calls that ended during it are written
            await self.bus.stop()
        if self.notifier is not None and self._own_notifier:
            await self.notifier.close()
        if self.link is not None:
            await self.link.close()
        self.leadership.release()


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


def running_campaigns(app: App, names: list[str]) -> list[Campaign]:
    """The named campaigns (all running ones when none is named); a named one must be running."""
    from campaigns import store

    with app.sessions() as session:
        if not names:
            return list(session.scalars(select(Campaign).where(Campaign.status == "running").order_by(Campaign.id)))
        found = [store.get_campaign(session, name) for name in names]
    return found
