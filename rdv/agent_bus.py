"""The dialer's end of the agent bus: applies the web's agent commands to the engine and writes what screens read.

Runs in the dialer process, next to its engine. Commands (`dialer.desk_models.AgentCommand`) for this
dialer's campaigns are taken in id order, so each agent's commands apply in the order they were sent; each
ends with `done_at`, `ok` and a sentence the screen shows. The bus wakes on `dialer:<campaign>` and, as a
safety net for a lost wake-up, every `idle_s`. Presence changes are written by `PresenceWriter` (pops,
history, "unqualified" when a wrap-up runs out) inside the engine's transactions. An agent whose screen stopped
its heartbeat is paused "disconnected" (after the current call and its wrap-up): no new call is handed to them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import or_, select, update

from config.i18n import _
from config.orm import transaction
from dialer import agents as presence
from dialer.desk_models import AgentCommand, AgentSeat, PauseReason
from dialer.engine import Engine
from rdv.agent_desk import DISCONNECTED, pause_label, seat_present
from rdv.agent_desk_store import PresenceWriter, unqualified_call
from rdv.phone_book import PhoneBook, users_phone_book
from rdv.wakeup import Notifier, Subscription, agent_topic, dialer_topic, next_wake

log = logging.getLogger(__name__)
Status = presence.Status
# A command older than this (clock seconds) when the dialer first sees it is refused: sent while no dialer ran
# the campaign, it no longer says what the agent wants (a login from this morning, a pause long over).
COMMAND_TTL_S = 120.0


class CallControlPort(Protocol):
    """What the bus needs of call control (`dialer.call_control.CallControl`)."""

    async def hangup(self, login: str) -> Any: ...
    async def hold(self, login: str, on: bool) -> Any: ...
    async def transfer(self, login: str, to_interface: str, by: str = "") -> Any: ...
    async def listen(self, agent_login: str, supervisor_interface: str, whisper: bool = False,
                     by: str = "") -> Any: ...
    def on_event(self, listener: Callable[[Any], None]) -> None: ...


class Refused(Exception):
    """A command the bus does not apply, with the sentence for the screen."""


class AgentBus:
    """Consumes agent commands for `engine`'s campaigns and keeps the agent screens' tables up to date."""

    def __init__(self, engine: Engine, notifier: Notifier, call_control: CallControlPort, *,
                 phones: PhoneBook = users_phone_book, centre_timezone: str = "Europe/Paris",
                 seat_timeout_s: float | None = None, idle_s: float = 2.0, command_ttl_s: float = COMMAND_TTL_S,
                 on_human_phone: Callable[[str], None] | None = None) -> None:  # fmt: skip
        from rdv.agent_desk import SEAT_TIMEOUT_S

        self.engine, self.notifier, self.phones, self.call_control = engine, notifier, phones, call_control
        self.seat_timeout_s = SEAT_TIMEOUT_S if seat_timeout_s is None else seat_timeout_s
        self.idle_s, self.command_ttl_s = idle_s, command_ttl_s
        # The simulator is told a teleoperator's phone is a person's (its calls wait for a hangup).
        self.on_human_phone = on_human_phone
        self.humans: set[str] = set()
        self._to_ready: set[str] = set()
        self._poke = asyncio.Event()
        self.writer = PresenceWriter(notifier, self.humans, centre_timezone, self._wrapped_early)
        self._subs: list[Subscription] = []
        self._task: asyncio.Task[None] | None = None
        self.applied = 0

    # -- lifecycle --
    async def start(self) -> None:
        """Hook into the engine, listen for commands, and start applying them."""
        engine = self.engine
        engine.state.presence_hooks.append(self.writer)
        with engine.sessions() as session:
            seated = set(session.scalars(select(AgentSeat.login)))
        self.humans.update(seated & set(engine.agents))
        for login in self.humans:  # teleoperators still logged in across a restart of the dialer
            if self.on_human_phone is not None:
                self.on_human_phone(engine.agents[login].interface)
        self._subs = [self.notifier.subscribe(dialer_topic(cid)) for cid in engine.campaign_ids]
        self.call_control.on_event(self._call_controlled)
        self._task = asyncio.create_task(self._run(), name=f"agent-bus-{engine.dialer_id}")

    def follow(self, campaign_id: int) -> None:
        """Hear the commands of a campaign the engine started dialling after the bus started."""
        self._subs.append(self.notifier.subscribe(dialer_topic(campaign_id)))

    def _call_controlled(self, event: Any) -> None:
        """A hangup, hold, transfer or listen the PBX accepted (stored by call control): the screens re-read."""
        on_call = {login for login, agent in self.engine.agents.items() if agent.call_id == event.call_id}
        for login in on_call | {event.login}:
            self.notifier.notify(agent_topic(login), f"control:{event.kind}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for sub in self._subs:
            sub.close()
        with contextlib.suppress(ValueError):
            self.engine.state.presence_hooks.remove(self.writer)

    async def _run(self) -> None:
        while True:
            try:
                await self.step()
            except Exception:  # the database busy, a bug in one command: the next round tries again
                log.exception("agent bus step failed")
            poke = asyncio.ensure_future(self._poke.wait())
            try:
                await asyncio.wait([poke, asyncio.ensure_future(next_wake(self._subs, self._wall(self.idle_s)))],
                                   return_when=asyncio.FIRST_COMPLETED)
            finally:
                poke.cancel()
            self._poke.clear()

    def _wall(self, seconds: float) -> float:
        return seconds / float(getattr(self.engine.clock, "scale", 1.0))

    async def step(self) -> int:
        """Apply every pending command, end early wrap-ups, pause agents whose screen is gone; how many applied."""
        for login in list(self._to_ready):
            self._to_ready.discard(login)
            agent = self.engine.agents.get(login)
            if agent is not None and agent.status is Status.WRAP_UP:
                await self.engine.ready(login)
        done = 0
        for command_id in self._pending():
            done += await self._apply(command_id)
        await self._check_seats()
        return done

    def _wrapped_early(self, login: str) -> None:
        self._to_ready.add(login)
        self._poke.set()

    # -- commands --
    def _pending(self) -> list[int]:
        """The commands this engine takes: of its campaigns, for people whose phone is on its server (the
        engine's dialer id is the server's name) or on no server in particular (one server, or none named)."""
        from rdv.web.models import User  # the web's table (as in rdv.phone_book)

        mine = self.engine.dialer_id
        with self.engine.sessions() as session:
            return list(session.scalars(
                select(AgentCommand.id).outerjoin(User, User.login == AgentCommand.login)
                .where(AgentCommand.campaign_id.in_(self.engine.campaign_ids), AgentCommand.done_at.is_(None),
                       or_(AgentCommand.taken_by == "", AgentCommand.taken_by == mine),
                       or_(User.phone_server.is_(None), User.phone_server.in_(("", mine))))
                .order_by(AgentCommand.id)))

    async def _apply(self, command_id: int) -> int:
        engine, mine = self.engine, self.engine.dialer_id
        with transaction(engine.sessions) as session:
            taken = session.execute(update(AgentCommand).where(
                AgentCommand.id == command_id, or_(AgentCommand.taken_by == "", AgentCommand.taken_by == mine))
                .values(taken_by=mine))
            if not getattr(taken, "rowcount", 1):
                return 0  # another dialer took it
            command = session.get_one(AgentCommand, command_id)
            login, kind, args, by = command.login, command.kind, dict(command.args or {}), command.sent_by
            age = (engine.clock.now() - command.created_at).total_seconds()
        try:
            if age > self.command_ttl_s:
                raise Refused(_("Too late: the dialer was not running when this was asked; ask again"))
            message = await self._do(login, kind, args, by)
            ok = True
        except Refused as refusal:
            ok, message = False, str(refusal)
        except (ValueError, LookupError, RuntimeError) as error:  # the presence rules' and call control's refusals
            ok, message = False, str(error)
        with transaction(engine.sessions) as session:
            session.execute(update(AgentCommand).where(AgentCommand.id == command_id)
                            .values(done_at=engine.clock.now(), ok=ok, result=message[:500]))
            for who in {login, by} - {""}:
                self.notifier.notify(agent_topic(who), f"command:{command_id}", session=session)
        self.applied += 1
        return 1

    async def _do(self, login: str, kind: str, args: dict[str, Any], by: str) -> str:
        engine = self.engine
        agent = engine.agents.get(login)
        if kind == "login":
            return await self._log_in(login, int(args["campaign_id"]), args)
        if agent is None or not agent.logged_in:
            raise Refused(_("You are not logged in to a campaign"))
        if kind == "ready":
            return await self._ready(agent)
        if kind == "pause":
            reason = str(args["reason"])
            if not self._pause_code_exists(reason):
                raise Refused(_("Unknown pause reason: {code}").format(code=reason))
            await engine.pause(login, reason)
            if engine.agents[login].status is Status.PAUSED:
                return _("Paused: {reason}").format(reason=pause_label(reason))
            return _("Pause after this call: {reason}").format(reason=pause_label(reason))
        if kind == "logout":
            await engine.log_out(login)
            self.humans.discard(login)
            return _("Logged out")
        if kind == "wrapped":
            if agent.status is Status.WRAP_UP:
                await engine.ready(login)
            return _("Call qualified")
        return await self._call_control(login, kind, args, by)

    async def _log_in(self, login: str, campaign_id: int, args: dict[str, Any]) -> str:
        """Queue member `Local/<login>@agents/n`, as every agent: the `agents` context rings the user's phone
        (bound by `rdv asterisk config` from `users.phone`), so hold, transfer and recording see the same legs."""
        if campaign_id not in self.engine.campaign_ids:
            raise Refused(_("This campaign is not dialled by this dialer"))
        with self.engine.sessions() as session:
            _phone, name = self.phones(session, login, args)
        self.humans.add(login)
        if self.on_human_phone is not None:
            self.on_human_phone(presence.interface_of(login))
        await self.engine.log_in(login, campaign_id, name)
        return _("Logged in: ready for calls")

    async def _ready(self, agent: presence.Agent) -> str:
        engine = self.engine
        with engine.sessions() as session:
            waiting = unqualified_call(session, agent.login)
        if waiting is not None and agent.status in (Status.WRAP_UP, Status.PAUSED):
            raise Refused(_("Qualify your last call before taking the next one"))
        if agent.status is Status.WRAP_UP:
            await engine.ready(agent.login)
        elif agent.status is Status.PAUSED:
            await engine.resume(agent.login)
        elif agent.pause_after:
            await engine.resume(agent.login)  # cancels the pause asked for during the call
            return _("Pause cancelled")
        return _("Ready for calls")

    async def _call_control(self, login: str, kind: str, args: dict[str, Any], by: str) -> str:
        control = self.call_control
        if kind == "hangup":
            await control.hangup(login)
            return _("Call hung up")
        if kind in ("hold", "unhold"):
            await control.hold(login, kind == "hold")
            return _("Call on hold") if kind == "hold" else _("Call taken back")
        with self.engine.sessions() as session:
            target = str(args["to_login"]) if kind == "transfer" else by
            phone, _name = self.phones(session, target, {})
        if not phone:
            raise Refused(_("No phone is set for {login}: rdv user … --phone PJSIP/…").format(login=target))
        if kind == "transfer":
            await control.transfer(login, phone, by=by)
            return _("Transfer to {login} ringing").format(login=target)
        await control.listen(login, phone, whisper=kind == "whisper", by=by)
        return _("Your phone rings: answer it to listen") if kind == "listen" else _(
            "Your phone rings: answer it to speak to the agent")

    def _pause_code_exists(self, code: str) -> bool:
        with self.engine.sessions() as session:
            return session.scalar(select(PauseReason.code).where(PauseReason.code == code,
                                                                 PauseReason.active.is_(True))) is not None

    # -- screens gone --
    async def _check_seats(self) -> None:
        """Pause (after the current call) every teleoperator whose screen has not been seen for a while."""
        # An agent already paused (or pausing after the call) takes no new call anyway, and keeps their reason.
        taking = (Status.AVAILABLE, Status.ON_CALL, Status.WRAP_UP)
        watched = [a for login in self.humans if (a := self.engine.agents.get(login)) is not None
                   and a.status in taking and not a.pause_after]
        if not watched:
            return
        now = self.engine.clock.now()
        with self.engine.sessions() as session:
            rows = session.execute(select(AgentSeat.login, AgentSeat.seen_at)
                                   .where(AgentSeat.login.in_([a.login for a in watched])))
            seen: dict[str, datetime] = {login: at for login, at in rows}
        for agent in watched:
            if not seat_present(seen.get(agent.login), now, self.seat_timeout_s):
                log.info("agent screen silent: %s paused after the current call", agent.login)
                await self.engine.pause(agent.login, DISCONNECTED)
