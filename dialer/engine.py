"""The dialer engine: pacing decides, the hopper gives leads, the PBX dials, events drive calls and agents.

One asyncio task ticks (every `tick_s` of clock time): agents' wrap-ups expire, quiet calls are checked
against the PBX, and each campaign dials `lines_to_dial` new leads, each checked again at the moment of its
Originate: a call counts until its ring ends, so it is placed only if all of its ring fits in the callee's window.
Another task consumes the PBX's event stream through the call state machine; every transition is stored with its
time, and an ended call finishes its attempt (retry policy, claim released) exactly once, committed before the
call leaves `calls`. A call's pre-answer transitions are written with its next one that matters, so a crash
loses at most those of calls still live (see `dialer.outcome_sink`). After a crash or a reconnection, calls the
PBX no longer has are ended with what is known (see `dialer.recovery`). A campaign whose queue the PBX lacks is
stopped rather than dialled into certain abandonment (see `dialer.queue_check`). Whoever wires the engine may
listen to finished calls (`on_call_finished`): simulated agents are such a listener, in `rdv`, never a part of
the dialer.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from campaigns.calendar import may_ring
from campaigns.claimer import DialTarget
from campaigns.hopper import Hopper, hopper_for
from campaigns.journal import release_lead
from campaigns.outcomes import start_attempt
from campaigns.withdraw import withdraw_attempt
from config.clock import Clock
from config.orm import transaction
from dialer import agents as presence
from dialer import calls, ports, queue_check, recovery, store
from dialer import domain_events as de
from dialer.calls import CallInput
from dialer.campaign_view import CampaignView, load_campaign_views
from dialer.engine_state import EngineState
from dialer.live import CallFinished, CallListener, LiveCall, pacing_state, quiet_for
from dialer.outcome_sink import OutcomeSink
from dialer.pacing import PacingPolicy, PacingState, lines_to_dial
from dialer.trunk import Trunk, room_on_trunk

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineSettings:
    tick_s: float = 1.0
    ring_timeout_s: float = 30.0
    caller_id: str = ""
    # How often (clock seconds) calls the PBX has been silent about are checked against its channel list.
    sweep_every_s: float = 10.0
    centre_timezone: str = "Europe/Paris"
    policies: Mapping[int, PacingPolicy] = field(default_factory=dict)
    # The PBX dialled through and its trunk's capacity, shared with the other dialers on that PBX.
    trunk: Trunk = field(default_factory=Trunk)


class Engine:
    """Dials the campaigns' leads through a PBX on behalf of their logged-in agents."""

    def __init__(
        self,
        clock: Clock,
        pbx: ports.Pbx,
        sessions: sessionmaker[Session],
        campaign_ids: Iterable[int],
        dialer_id: str,
        settings: EngineSettings | None = None,
        hopper: Hopper | None = None,
    ) -> None:
        self.clock, self.pbx, self.sessions, self.dialer_id = clock, pbx, sessions, dialer_id
        # The database's claimer is chosen here, once, not at each claim.
        self.hopper = hopper or hopper_for(sessions.kw["bind"])
        self.campaign_ids = list(campaign_ids)
        self.settings = settings or EngineSettings()
        self.state = EngineState(clock, sessions, dialer_id, self.campaign_ids, self.settings.centre_timezone)
        # The state's parts under the names the console, the runtime and tests read (never rebound).
        self.calls, self.agents, self.views, self.counters = (self.state.calls, self.state.agents,
                                                              self.state.views, self.state.counters)
        self.sink = OutcomeSink(self.state)
        self._listeners: list[CallListener] = []
        # Extra Originate variables per call (the recorder's RDV_RECORD), asked just before each Originate.
        self.variable_hooks: list[Callable[[LiveCall], Mapping[str, str]]] = []
        self.dialing = True
        # Campaigns whose calling day is closed: no new dials, live calls go on (the scheduler's close job).
        self.held: set[int] = set()
        # Campaigns whose last dial the trunk held back: pacing wanted more lines than its free channels.
        self.trunk_full: set[int] = set()
        self.pbx_up = True
        self._stopping = asyncio.Event()
        self._started = False
        self._consumer: asyncio.Task[None] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._commands: asyncio.Queue[list[presence.QueueCommand]] | None = None
        self._last_sweep: datetime | None = None
        self._first = 0  # the campaign that dials first this tick
        self._call_ended = asyncio.Event()

    def on_call_finished(self, listener: CallListener) -> None:
        """Tell `listener` of every call whose end is stored (simulated agents qualify their calls this way)."""
        self._listeners.append(listener)

    # -- lifecycle --
    async def start(self) -> None:
        """Load the campaigns, end or adopt what a crashed predecessor left live, then listen to the PBX."""
        if self._started:
            return
        self._started = True
        with transaction(self.sessions) as session:
            self.views.update(load_campaign_views(session, self.campaign_ids, self.settings.policies,
                                                  self.clock.now()))
        self._commands = asyncio.Queue()
        self._sender = asyncio.create_task(self._send_queued(), name=f"dialer-commands-{self.dialer_id}")
        self._consumer = asyncio.create_task(self._consume(), name=f"dialer-events-{self.dialer_id}")
        await recovery.recover_after_crash(self.state, self.pbx, self)
        for campaign_id in self.campaign_ids:
            await self.check_queue(campaign_id)

    async def add_campaign(self, campaign_id: int) -> None:
        """Dial one more campaign from now on (a supervisor started it while this dialer runs): its view, then its
        queue check. It stays held (no dial) until its calling day is opened, as every campaign at start."""
        if campaign_id in self.campaign_ids:
            return
        with transaction(self.sessions) as session:
            self.views.update(load_campaign_views(session, [campaign_id], self.settings.policies, self.clock.now()))
        self.held.add(campaign_id)
        self.campaign_ids.append(campaign_id)
        await self.check_queue(campaign_id)

    async def run(self) -> None:
        """Tick until `stop()`."""
        await self.start()
        while not self._stopping.is_set():
            try:
                await self.tick()
            except Exception:  # one failed tick (database busy, PBX hiccup) must not stop the dialer
                self.counters["tick_errors"] += 1
                log.exception("dialer tick failed")
            await self.clock.sleep(self.settings.tick_s)

    async def stop(self, drain_timeout: float = 60.0) -> None:
        """Stop dialling, let live calls finish for up to `drain_timeout` clock seconds, then end the rest."""
        self.dialing = False
        deadline = self.clock.now().timestamp() + drain_timeout
        while self.calls and self.clock.now().timestamp() < deadline:
            self._call_ended.clear()
            try:
                async with asyncio.timeout(self._wall(self.settings.tick_s)):
                    await self._call_ended.wait()
            except TimeoutError:
                pass
        if self.calls:
            await recovery.end_remaining(self.state, self.pbx, self)
        self._stopping.set()
        if self._consumer is not None:
            self._consumer.cancel()
            await asyncio.gather(self._consumer, return_exceptions=True)
        if self._sender is not None and self._commands is not None:
            try:  # what the last calls' ends asked of the queues, if the PBX takes it soon
                async with asyncio.timeout(self._wall(self.settings.tick_s * 5)):
                    await self._commands.join()
            except TimeoutError:
                log.warning("stopping with %d queue commands unsent", self._commands.qsize())
            self._sender.cancel()
            await asyncio.gather(self._sender, return_exceptions=True)
        with transaction(self.sessions) as session:
            store.release_orphan_claims(session, self.dialer_id)

    def _wall(self, seconds: float) -> float:
        return seconds / float(getattr(self.clock, "scale", 1.0))

    async def check_queue(self, campaign_id: int) -> bool:
        """Whether the campaign's queue is on the PBX (its agents made members); stops the campaign if not."""
        return await queue_check.check_queue(self.state, self.pbx, self, campaign_id)

    @property
    def stopped(self) -> dict[int, str]:
        """Campaigns stopped in this run because the PBX has no queue for them, with the supervisor's message."""
        return self.state.stopped

    # -- agents (the agent screen and the demo call these) --
    async def log_in(self, login: str, campaign_id: int, display_name: str = "") -> None:
        """Log an agent in to a campaign: member of its queue, available."""
        current = self.agents.get(login)
        if current is None or current.campaign_id != campaign_id:
            if current is not None and current.logged_in:
                await self.log_out(login)
            current = presence.Agent(login, campaign_id, self.views[campaign_id].queue, display_name)
        await self._change(login, presence.log_in(current, self.clock.now()))

    async def log_out(self, login: str) -> None:
        await self._change(login, presence.log_out(self.agents[login], self.clock.now()))

    async def pause(self, login: str, reason: str) -> None:
        await self._change(login, presence.pause(self.agents[login], self.clock.now(), reason))

    async def resume(self, login: str) -> None:
        await self._change(login, presence.resume(self.agents[login], self.clock.now()))

    async def ready(self, login: str) -> None:
        """The agent ends the wrap-up early (the agent screen's "ready" button)."""
        before = self.agents[login]
        change = presence.end_wrap_up(before, self.clock.now())
        self.sink.wrap_up_ended(before, change[0])
        await self._change(login, change)

    async def leave_call(self, login: str) -> None:
        """The agent left a call that goes on without them (handed to a supervisor): their wrap-up starts now."""
        agent = self.agents[login]
        wrap_s = self.views[agent.campaign_id].wrap_up_s
        await self._change(login, presence.call_ended(agent, agent.call_id, self.clock.now(), wrap_s))

    async def _change(self, login: str, change: presence.Change) -> None:
        agent, commands = change
        previous = self.agents.get(login)
        self.agents[login] = agent
        if previous != agent:
            with transaction(self.sessions) as session:
                store.save_agent(session, agent, self.clock.now(), self.dialer_id)
                self.state.agent_saved(session, previous, agent)
        await self.send(commands)

    async def send(self, commands: Iterable[presence.QueueCommand]) -> None:
        """Send queue commands to the PBX; a refusal is logged, the presence model stays the truth."""
        await queue_check.send_commands(self.state, self.pbx, commands)

    # -- the tick --
    async def tick(self) -> None:
        """One beat: wrap-ups, a check of quiet calls, and new dials."""
        now = self.clock.now()
        for login, agent in list(self.agents.items()):
            before = agent
            changed, commands = presence.tick(agent, now)
            if changed != before:
                self.sink.wrap_up_ended(before, changed)
                await self._change(login, (changed, commands))
        if self._last_sweep is None or (now - self._last_sweep).total_seconds() >= self.settings.sweep_every_s:
            self._last_sweep = now
            quiet = [c for c in self.calls.values() if quiet_for(c, now, self.settings.ring_timeout_s)]
            if quiet:
                await recovery.reconcile(self.state, self.pbx, self, quiet)
        # `booted` (the AMI adapter's): connected and past FullyBooted; a restarting PBX takes no new call.
        if self.dialing and self.pbx_up and getattr(self.pbx, "booted", True):
            # Each tick another campaign dials first: on a full trunk the first one takes the channels freed.
            ids, self._first = self.campaign_ids, (self._first + 1) % max(1, len(self.campaign_ids))
            for campaign_id in ids[self._first:] + ids[:self._first]:
                if campaign_id not in self.held and campaign_id not in self.state.stopped:
                    await self._dial(campaign_id, now)

    def pacing_state_of(self, campaign_id: int, now: datetime) -> PacingState:
        """The pacing snapshot of a campaign now (for the live console and tests)."""
        view = self.views[campaign_id]
        mine = [c for c in self.calls.values() if c.campaign_id == campaign_id]
        crew = [a for a in self.agents.values() if a.campaign_id == campaign_id]
        return pacing_state(mine, crew, view.stats, view.day(now), now)

    async def _dial(self, campaign_id: int, now: datetime) -> None:
        view = self.views[campaign_id]
        state = self.pacing_state_of(campaign_id, now)
        wanted = lines_to_dial(state, view.policy)
        if wanted <= 0:
            self.trunk_full.discard(campaign_id)
            return
        placed: list[tuple[LiveCall, DialTarget]] = []
        kept: set[str] = set()
        with transaction(self.sessions) as session:
            # On PostgreSQL this holds the trunk's lock until the attempts below are committed.
            room = room_on_trunk(session, self.settings.trunk, len(self.calls))
            self.trunk_full.discard(campaign_id)
            if room is not None and room < wanted:
                self.counters["capped_by_trunk"] += wanted - room
                self.trunk_full.add(campaign_id)
                wanted = room
            ready = {a.login for a in self.agents.values() if a.campaign_id == campaign_id and a.free}
            claimed = self.hopper.claim(session, campaign_id, now, wanted, self.dialer_id,
                                        centre_timezone=self.settings.centre_timezone, ring=self.ring,
                                        ready_agents=ready) if wanted > 0 else []  # fmt: skip
            # What counts is the moment the call starts ringing, not the claim's: the window may be closing.
            at = self.clock.now()
            for target in claimed:
                if not self._may_ring(target, at):
                    release_lead(session, target.lead_id, self.dialer_id)
                    self.counters["deferred_at_originate"] += 1
                    continue
                if target.preferred_agent and not self._free(target.preferred_agent, campaign_id, kept):
                    # Within its grace period a personal callback waits for the agent who booked it (the claim
                    # took it as they were ready; here a second callback of theirs in the same claim).
                    release_lead(session, target.lead_id, self.dialer_id)
                    self.counters["callbacks_waiting_for_agent"] += 1
                    continue
                kept.add(target.preferred_agent)
                call_id = f"rdv-{uuid.uuid4().hex}"
                attempt = start_attempt(session, target, at, self.dialer_id, call_id, self.settings.trunk.pbx)
                store.record_transition(session, attempt.id, de.CallTransitioned(call_id, at, "created"))
                live = LiveCall(calls.new_call(call_id, at), attempt.id, campaign_id, target.lead_id,
                                kept_for=target.preferred_agent)
                placed.append((live, target))
        for live, _target in placed:
            self.calls[live.call_id] = live
        self.counters["dialled"] += len(placed)
        await self._keep_agents(placed)
        await asyncio.gather(*(self._originate(live, target, view) for live, target in placed))

    def _free(self, login: str, campaign_id: int, kept: set[str]) -> bool:
        """Whether `login` is logged in to this campaign, ready, on no call and kept for no other callback."""
        agent = self.agents.get(login)
        return agent is not None and agent.campaign_id == campaign_id and agent.free and login not in kept

    async def _keep_agents(self, placed: list[tuple[LiveCall, DialTarget]]) -> None:
        """Keep each personal callback's agent for it (paused in the queue, so that the queue hands them nothing
        else) before it is dialled. Nothing awaited since `_free` said they were free: they still are."""
        kept: list[tuple[presence.Agent, presence.Agent]] = []
        commands: list[presence.QueueCommand] = []
        for live, _target in placed:
            if live.kept_for:
                agent = self.agents[live.kept_for]
                keeping, pause = presence.keep_for(agent, live.call_id)
                self.agents[agent.login] = keeping
                kept.append((agent, keeping))
                commands += pause
        if kept:
            with transaction(self.sessions) as session:
                for before, after in kept:
                    store.save_agent(session, after, self.clock.now(), self.dialer_id)
                    self.state.agent_saved(session, before, after)
            # Sent before the Originate: the queue must not hand the agent another call meanwhile.
            await self.send(commands)

    @property
    def ring(self) -> timedelta:
        return timedelta(seconds=self.settings.ring_timeout_s)

    def _may_ring(self, target: DialTarget, moment: datetime) -> bool:
        """Whether a call placed at `moment` rings its whole ring inside the callee's calling window."""
        return may_ring(moment, target.calendar, self.ring)

    def _withdraw(self, live: LiveCall, target: DialTarget) -> None:
        """Take back a dial recorded but not sent: no attempt, no dial counted, the lead free for the hopper."""
        self.calls.pop(live.call_id, None)
        with transaction(self.sessions) as session:
            withdraw_attempt(session, live.attempt_id, self.dialer_id, target.callback_id)
        self.counters["dialled"] -= 1
        self.counters["withdrawn_at_originate"] += 1

    async def _originate(self, live: LiveCall, target: DialTarget, view: CampaignView) -> None:
        sent = self.clock.now()
        if not self._may_ring(target, sent):
            # Storing the dial outlasted the room left before the window closes (a stalled database).
            self._withdraw(live, target)
            return
        variables = {
            "RDV_ATTEMPT": live.call_id,
            "RDV_ATTEMPT_ID": str(live.attempt_id),
            "RDV_CAMPAIGN": str(live.campaign_id),
            "RDV_QUEUE": view.queue,
        }
        if live.kept_for:  # answered, it goes to this agent's phone alone, not to the queue (extensions.conf)
            variables["RDV_AGENT"] = live.kept_for
        for hook in self.variable_hooks:
            variables.update(hook(live))
        request = ports.OriginateRequest(
            call_id=live.call_id,
            e164=target.phone_e164,
            queue=view.queue,
            caller_id=view.caller_id or self.settings.caller_id,
            ring_timeout_s=self.settings.ring_timeout_s,
            variables=variables,
        )
        # The call starts when its Originate is sent: folded first, so that the PBX's first event about it (which
        # may be handled before the Originate's response) cannot date its start later.
        self.fold(live, calls.OriginateSent(live.call_id, sent))
        try:
            # A clock that simulates time (the demo's) stands still while the Originate travels to the PBX, as
            # the adapter's listener does: it reaches the PBX at `sent`, not after the machine's thread latency.
            with getattr(self.clock, "working", nullcontext)():
                await self.pbx.originate(request)
        except ports.DuplicateOriginate:
            pass
        except ports.PbxNotConnected:
            # Certainly not sent (no connection, or the PBX was not up again in time to take it): nothing was
            # dialled, so nothing is counted; the lead goes back to the hopper.
            self.sink.pending.pop(live.call_id, None)
            self._withdraw(live, target)
        except ports.PbxRefused as error:
            # Refused by a PBX that is up: a real failure of this dial, which ends now.
            self.fold(live, calls.OriginateFailed(live.call_id, self.clock.now(), str(error)))
            self.fold(live, calls.ChannelsGone(live.call_id, self.clock.now()))
        except ports.PbxError as error:
            # A timeout: the call may exist; the sweep asks the PBX soon.
            self.fold(live, calls.OriginateFailed(live.call_id, self.clock.now(), str(error)))
        finally:
            live.sent_at = self.clock.now()

    # -- the event stream --
    async def _send_queued(self) -> None:
        assert self._commands is not None
        while True:
            batch = await self._commands.get()
            try:
                await self.send(batch)
            except Exception:  # a refusal is the presence model's business, never the sender's end
                self.counters["command_errors"] += 1
                log.exception("queue commands failed")
            finally:
                self._commands.task_done()

    async def _consume(self) -> None:
        async for event in self.pbx.events():
            try:
                await self.on_event(event)
            except Exception:  # one bad event must never stop the stream
                self.counters["event_errors"] += 1
                log.exception("dialer event %s failed", type(event).__name__)

    async def on_event(self, event: ports.DialerEvent) -> None:
        """Apply one PBX event."""
        if isinstance(event, ports.ConnectionLost):
            self.pbx_up = False
            self.counters["connection_lost"] += 1
            log.warning("PBX connection lost: %s", event.reason)
            return
        if isinstance(event, ports.ConnectionRestored):
            self.pbx_up = True
            await recovery.after_reconnect(self.state, self.pbx, self)
            for campaign_id in self.campaign_ids:  # a restarted PBX may have come back without our queues
                await self.check_queue(campaign_id)
            return
        live = self.calls.get(event.call_id)
        if live is None:
            # Teardown after the end (late OriginateResponse, hangups), or another dialer's call.
            self.counters["late_or_foreign_events"] += 1
            return
        commands = self.fold(live, event)
        if commands and self._commands is not None:
            # In order, but not inline: a queue command the PBX holds until it has booted again must not stop
            # the stream that brings the ConnectionLost and the hangups behind it.
            self._commands.put_nowait(list(commands))
        elif commands:
            await self.send(commands)

    def fold(self, live: LiveCall, event: CallInput) -> list[presence.QueueCommand]:
        """Apply an event to a live call; store and spread what it caused; returns queue commands to send."""
        before = live.call
        live.call, events = calls.apply(live.call, event)
        if not events:
            return []
        try:
            commands = self.sink.handle(live, events)
        except Exception:
            # Not stored (the database restarting): the call stays as the database knows it, so a later event,
            # the sweep or the stop ends it again; kept in its new state, an ended call would never be stored.
            live.call = before
            raise
        if not live.call.live:
            self.calls.pop(live.call_id, None)
            self._call_ended.set()
            ended = next((e for e in events if isinstance(e, de.CallEnded)), None)
            if ended is not None:
                self._tell(CallFinished(live.attempt_id, live.lead_id, live.campaign_id, ended))
        return commands

    async def end_gone(self, live: LiveCall) -> None:
        """End a call the PBX no longer has channels for (recovery's verdict), and send what it causes."""
        await self.send(self.fold(live, calls.ChannelsGone(live.call_id, self.clock.now())))

    def _tell(self, finished: CallFinished) -> None:
        for listener in self._listeners:
            try:
                listener(finished)
            except Exception:  # a listener's failure is its own: the call is stored, the engine goes on
                self.counters["listener_errors"] += 1
                log.exception("call listener failed on attempt %s", finished.attempt_id)
