"""What one Asterisk server needs in a dialer process: its AMI link, engine, trunk, staffing, agents and feeds.

A process drives one or more servers (rdv.runtime.Runtime holds them and the process-wide parts: leadership,
shared jobs). Each server's engine claims leads and records attempts under the server's name, so that the
process that drives it next (the same one restarted, or a standby taking it over) adopts its live calls.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from config.servers import ServerSettings
from dialer.campaign_view import queue_name
from dialer.engine import Engine, EngineSettings
from dialer.recordings import Recorder
from dialer.trunk import Trunk, pbx_key
from rdv.agent_bus import AgentBus
from rdv.agent_desk_store import record_presence
from rdv.bootstrap import App, PbxLink
from rdv.campaign_control import ControlWatcher
from rdv.live_snapshot import SnapshotWriter
from rdv.sim_agents import SimulatedQualification
from rdv.staffing import Staffing, agent_logins, campaign_agent_logins, dialing_state
from rdv.wakeup import Notifier

log = logging.getLogger("rdv.runtime")


@dataclass(frozen=True)
class ServerOptions:
    """How one server is dialled: its name (the engine's dialer id), settings (None: the legacy single PBX or
    the embedded simulator), and the process's simulation and timing options."""

    name: str
    server: ServerSettings | None
    simulate: bool
    sim_agents: int
    seed: int
    tick_s: float
    ring_timeout_s: float
    screens: bool


class ServerRuntime:
    """One server's engine and its companions; `start()`, then `stop()`."""

    def __init__(self, app: App, campaign_ids: list[int], options: ServerOptions, notifier: Notifier | None) -> None:
        self.app, self.campaign_ids, self.options, self.notifier = app, campaign_ids, options, notifier
        self.name = options.name
        self.link: PbxLink | None = None
        self.engine: Engine | None = None
        self.task: asyncio.Task[None] | None = None
        self.bus: AgentBus | None = None
        self.qualification: SimulatedQualification | None = None
        self.recorder: Recorder | None = None
        self.staffing: Staffing | None = None
        self.console_tasks: list[asyncio.Task[None]] = []

    def serves(self, campaign_id: int, campaign_name: str) -> bool:
        """Whether this server dials that campaign (its `campaigns` setting; none: every one)."""
        server = self.options.server
        return server is None or server.serves(campaign_id, campaign_name)

    async def start(self, open_days: dict[int, bool]) -> None:
        """Connect the PBX, recover what a previous driver of this server left live, open the days, dial.

        A start that fails midway (the database away during recovery) closes what it opened, and ends no call:
        the next driver of this server, or a takeover's next try, adopts them.
        """
        try:
            await self._start(open_days)
        except BaseException:
            await self._abandon()
            raise

    async def _abandon(self) -> None:
        tasks = [task for task in (self.task, *self.console_tasks) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        closers = [self.bus.stop] if self.bus is not None else []
        closers += [self.link.close] if self.link is not None else []
        for close in closers:
            try:
                await close()
            except Exception:  # closing after a failure: what matters is the failure, raised by start()
                log.exception("server %s: closing after a failed start", self.name)

    async def _start(self, open_days: dict[int, bool]) -> None:
        app, options, centre = self.app, self.options, self.app.settings.centre_timezone
        queues = [queue_name(cid) for cid in self.campaign_ids]
        self.link = await app.open_pbx(simulate=options.simulate, seed=options.seed, queues=queues,
                                       server=options.server)  # fmt: skip
        # The embedded simulator is this process's own PBX (its own port): a trunk no other dialer shares.
        channels = options.server.trunk_channels if options.server is not None else app.settings.trunk_channels
        line = Trunk(pbx_key(self.link.pbx.host, self.link.pbx.port), channels)
        settings = EngineSettings(tick_s=options.tick_s, ring_timeout_s=options.ring_timeout_s, centre_timezone=centre,
                                  trunk=line)  # fmt: skip
        engine = self.engine = Engine(app.clock, self.link.pbx, app.sessions, self.campaign_ids, self.name,
                                      settings=settings)  # fmt: skip
        self.recorder = Recorder(app.sessions, app.clock, app.settings.data_dir).attach(engine)
        logins = agent_logins(self.campaign_ids, options.sim_agents, self.name)
        if options.sim_agents:
            self.qualification = SimulatedQualification(app.sessions, options.seed, centre,
                                                        [login for group in logins.values() for login in group])
            engine.on_call_finished(self.qualification)
        await engine.start()
        await self._start_bus(centre)
        if self.bus is None:  # the bus writes the presence history; without it the agent-time figures need it too
            engine.state.presence_hooks.append(record_presence)
        self.staffing = Staffing(engine, logins)
        for cid, is_open in open_days.items():
            if cid in self.campaign_ids:
                self.staffing.set_open(cid, is_open)
        await self.staffing.apply(app.clock.now())
        self.task = asyncio.create_task(engine.run(), name=f"dialer-{self.name}")
        self._start_console_feeds()

    async def add_campaign(self, campaign_id: int, is_open: bool) -> None:
        """Dial one more campaign from now on, with its simulated agents and its agents' commands."""
        engine, staffing = self.engine, self.staffing
        if engine is None or staffing is None or campaign_id in engine.campaign_ids:
            return
        if self.link is not None and self.link.simulator is not None:  # as `rdv asterisk config` and a reload
            self.link.simulator.configure_queue(queue_name(campaign_id))
        await engine.add_campaign(campaign_id)
        logins = campaign_agent_logins(campaign_id, self.options.sim_agents, self.name)
        staffing.agents[campaign_id] = logins
        if self.qualification is not None:
            self.qualification.logins.update(logins)
        if self.bus is not None:
            self.bus.follow(campaign_id)
        staffing.set_open(campaign_id, is_open)

    def set_open(self, campaign_id: int, is_open: bool) -> None:
        """A day job's decision, for this server's staffing if it dials that campaign."""
        if self.staffing is not None and self.engine is not None and campaign_id in self.engine.campaign_ids:
            self.staffing.set_open(campaign_id, is_open)

    async def apply(self, now: datetime) -> None:
        if self.staffing is not None:
            await self.staffing.apply(now)

    def _start_console_feeds(self) -> None:
        """The live figures for the supervisor's console, and the supervisor's orders (pause, pacing) back.

        Only with a notifier: without one no console can be told of anything (the demo without --web).
        """
        engine, staffing, notifier = self.engine, self.staffing, self.notifier
        if engine is None or staffing is None or notifier is None:
            return
        writer = SnapshotWriter(engine, self.app.sessions, self.app.clock, self.name, notifier,
                                lambda cid: dialing_state(engine, staffing, cid))  # fmt: skip
        watcher = ControlWatcher(engine.views, staffing, self.app.sessions, self.app.clock)
        self.console_tasks += [asyncio.create_task(writer.run(), name=f"live-figures-{self.name}"),
                               asyncio.create_task(watcher.run(notifier), name=f"campaign-orders-{self.name}")]

    async def _start_bus(self, centre: str) -> None:
        """Teleoperators' commands from the web, and their pops, through the database and a wake-up."""
        if self.engine is None or not self.options.screens or self.notifier is None:
            return
        from dialer.call_control import CallControl

        simulator = self.link.simulator if self.link is not None else None
        # With the simulator, a person's phone answers like a softphone with auto-answer, and their simulated
        # callee hangs up after a while if the person does not.
        on_phone = (lambda phone: simulator.declare_real_agent(phone, callee_ends=True)) if simulator else None
        self.bus = AgentBus(self.engine, self.notifier, CallControl(self.engine),
                            centre_timezone=centre, on_human_phone=on_phone)  # fmt: skip
        await self.bus.start()

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
        if self.link is not None:
            await self.link.close()
