"""Call control: what an agent or a supervisor does to a connected call, as AMI actions through the PBX.

`CallControl(engine)` offers `hangup(login)`, `hold(login, on)`, `transfer(login, to_interface)` and
`listen(agent_login, supervisor_interface, whisper)`; the agent bus (`rdv.agent_bus`) dispatches the web's
commands to it. Each action the PBX accepts is stored as a `call_events` row (`dialer.call_models`: kind
hangup, hold, unhold, transfer, listen, whisper; the recorder adds `recorded`) with its attempt, time and who
asked, and is handed to every `on_event` listener (the bus notifies `agent:<login>` from there). A refusal
raises `CallControlRefused`; an agent without a connected call, `NoCallToControl`. Nothing is stored then.

A connected call's channels, all with the call id as Linkedid (config/asterisk/extensions.conf):

    callee ═ Local/<e164>@rdv-outbound;2 ~ ;1 ═(queue)═ Local/<login>@agents;1 ~ ;2 ═ phone

`═` a bridge, `~` the two halves of a Local channel. The choices, and why:
- hang up: Hangup of the callee's own channel, exactly what happens when the callee hangs up, so the state
  machine ends the call the usual way (its talk time up to that moment). The `;1` half if it is unknown.
- hold: Redirect the agent leg's far half (`;2`) to `rdv-hold,hold` (music on hold) and the phone with it
  to `rdv-hold,wait`; unhold: Redirect the far half to `rdv-hold,back`, which bridges it with the phone
  again. The queue's bridge is never touched, so the queue, the talk time and the recording go on and the
  callee hears the music through it. Moving the callee or `;1` instead would end Dial() or Queue() and with
  them the call. A softphone's own hold button (a re-INVITE: Asterisk plays music to the peer) still works
  and needs nothing from rdv; the PBX's hold is there so that the screen's button works with every phone.
- transfer to a supervisor (warm): Originate the supervisor's phone into `rdv-transfer,take`, whose
  BridgeAdd() puts it into the queue's bridge once the supervisor answers: the three talk, and the agent's
  next hang-up ends only the agent's leg (a bridge of three lets one leave), which frees the agent
  (`Engine.leave_call`) while the callee talks on with the supervisor. Atxfer was the other way: it needs
  the agent's phone to be the transferer and puts the callee on hold during the consultation.
- listen / whisper: Originate the supervisor's phone into `rdv-spy,listen|whisper`, ChanSpy of the agent's
  phone channel (options q: no beep, E: end with it; w: the agent hears the supervisor, the callee not).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from config.i18n import _
from config.orm import transaction
from dialer import ports
from dialer.call_models import CallControlEvent
from dialer.calls import CallState

log = logging.getLogger(__name__)
HOLD_CONTEXT, TRANSFER_CONTEXT, SPY_CONTEXT = "rdv-hold", "rdv-transfer", "rdv-spy"
# The supervisor's phone rings this long (seconds) before the action gives up.
SUPERVISOR_RING_S = 30.0
# TECH/resource, no separator that would end a Dial string or an AMI line (as `rdv asterisk config`).
_INTERFACE = re.compile(r"[A-Za-z][A-Za-z0-9]*/[^\s,;()|&]+")


class ControlPbx(Protocol):
    """What call control needs from the PBX (`dialer.ami.AmiPbx` has it)."""

    async def live_channels(self) -> list[ports.LiveChannel]: ...
    async def hangup(self, channel: str, cause: int = 16) -> None: ...
    async def redirect(self, channel: str, context: str, exten: str, extra_channel: str = "",
                       extra_exten: str = "") -> None: ...
    async def set_var(self, channel: str, name: str, value: str) -> None: ...
    async def originate_into(self, channel: str, context: str, exten: str, channel_id: str,
                             variables: dict[str, str], timeout_s: float = 30.0) -> None: ...


class NoCallToControl(LookupError):
    """The agent has no connected call right now."""

    def __init__(self, login: str) -> None:
        super().__init__(_("Agent {login} has no call in progress").format(login=login))
        self.login = login


class CallControlRefused(RuntimeError):
    """The PBX refused the action, or the call's channels are not there any more."""

    def __init__(self, what: str, why: str) -> None:
        super().__init__(_("The telephone system did not {what}: {why}").format(what=what, why=why))


class InvalidInterface(ValueError):
    """A phone interface that is not TECHNOLOGY/resource."""

    def __init__(self, interface: str) -> None:
        super().__init__(_("Phone {interface!r} is not TECHNOLOGY/resource (e.g. PJSIP/1001)").format(
            interface=interface))


@dataclass(frozen=True)
class ControlEvent:
    """An action the PBX accepted on one call (also stored as a `call_events` row)."""

    attempt_id: int
    call_id: str
    at: Any
    kind: str
    login: str
    detail: str = ""


@dataclass(frozen=True)
class CallLegs:
    """The channel names of one connected call that call control acts on ("" if not found)."""

    one: str  # the dialer's `;1` half, in the queue's bridge
    callee: str  # the callee's own (trunk) channel
    agent_near: str  # Local/<login>@agents-…;1, in the queue's bridge
    agent_far: str  # Local/<login>@agents-…;2, in the phone's bridge
    phone: str  # the agent's phone channel

    @property
    def spied(self) -> str:
        """The channel a supervisor listens to: the phone's, else the agent leg (same audio, same whisper)."""
        return self.phone or self.agent_near


def legs_of(channels: Iterable[ports.LiveChannel], call: CallState, login: str) -> CallLegs:
    """Find a call's legs among the PBX's channels, by the call's ids and the agent's login. Pure."""
    mine = [c for c in channels if c.linkedid == call.call_id or c.uniqueid in (call.call_id, f"{call.call_id}-2")]
    one = next((c.channel for c in mine if c.uniqueid == call.call_id), "")
    callee = next((c.channel for c in mine if c.uniqueid in call.callee_legs and c.channel not in call.callee_legs),
                  next((c.channel for c in mine if c.channel in call.callee_legs), ""))
    prefix = f"Local/{login}@agents-"
    near = next((c for c in mine if c.channel.startswith(prefix) and c.channel.endswith(";1")), None)
    far = next((c for c in mine if c.channel.startswith(prefix) and c.channel.endswith(";2")), None)
    phone = ""
    if far is not None and far.bridge:
        phone = next((c.channel for c in mine if c.bridge == far.bridge and c.channel != far.channel), "")
    return CallLegs(one, callee, near.channel if near else "", far.channel if far else "", phone)


def check_interface(interface: str) -> str:
    if not _INTERFACE.fullmatch(interface):
        raise InvalidInterface(interface)
    return interface


class CallControl:
    """Hang up, hold, transfer and listen to the calls of one engine's agents."""

    def __init__(self, engine: Any, pbx: ControlPbx | None = None) -> None:
        self.engine = engine
        self.pbx: ControlPbx = pbx or engine.pbx
        self._listeners: list[Callable[[ControlEvent], None]] = []
        self.held: dict[str, CallLegs] = {}
        # Calls a supervisor was put through to: the agent's hang-up ends only the agent's leg.
        self.transferred: set[str] = set()

    def on_event(self, listener: Callable[[ControlEvent], None]) -> None:
        """Tell `listener` of every action stored (after its commit)."""
        self._listeners.append(listener)

    async def hangup(self, login: str) -> ControlEvent:
        """End the agent's call as if the callee had hung up; after a transfer, leave it to the supervisor."""
        live, legs = await self._legs(login)
        if live.call_id in self.transferred:
            if not legs.agent_near:
                raise CallControlRefused(_("hang up"), _("the agent's leg is gone"))
            await self._do(_("hang up"), self.pbx.hangup(legs.agent_near, 16))
            self.transferred.discard(live.call_id)
            await self.engine.leave_call(login)
            return self._store(live, "hangup", login, "agent")
        target = legs.callee or legs.one
        if not target:
            raise CallControlRefused(_("hang up"), _("the call's channels are gone"))
        await self._do(_("hang up"), self.pbx.hangup(target, 16))
        return self._store(live, "hangup", login)

    async def hold(self, login: str, on: bool) -> ControlEvent:
        """Put the callee on hold (music) or take them back; the agent's phone waits in silence meanwhile."""
        live, legs = await self._legs(login)
        held = self.held.get(live.call_id)
        if on:
            if held is not None:  # nothing sent, nothing stored: the screen already shows the hold
                return ControlEvent(live.attempt_id, live.call_id, self.engine.clock.now(), "hold", login, "already")
            if not legs.agent_far:
                raise CallControlRefused(_("put the call on hold"), _("the agent's leg is gone"))
            if legs.phone:  # each one knows the other: back bridges them, the phone ends if the far half does
                await self._do(_("put the call on hold"), self.pbx.set_var(legs.agent_far, "RDV_PHONE", legs.phone))
                await self._do(_("put the call on hold"), self.pbx.set_var(legs.phone, "RDV_HELD", legs.agent_far))
            await self._do(_("put the call on hold"), self.pbx.redirect(legs.agent_far, HOLD_CONTEXT, "hold",
                                                                         legs.phone, "wait"))
            self.held[live.call_id] = legs
            return self._store(live, "hold", login)
        if held is None:
            return ControlEvent(live.attempt_id, live.call_id, self.engine.clock.now(), "unhold", login, "not held")
        far = legs.agent_far or held.agent_far
        await self._do(_("take the call back"), self.pbx.redirect(far, HOLD_CONTEXT, "back"))
        del self.held[live.call_id]
        return self._store(live, "unhold", login)

    async def transfer(self, login: str, to_interface: str, by: str = "") -> ControlEvent:
        """Ring a supervisor's phone; when it answers it takes the callee and the agent's leg ends."""
        check_interface(to_interface)
        live, legs = await self._legs(login)
        if not legs.one:
            raise CallControlRefused(_("transfer the call"), _("the call's channels are gone"))
        self.held.pop(live.call_id, None)
        # The exact name, not the call id: BridgeAdd() also matches by prefix, and `<id>-2` is the callee's side.
        variables = {"RDV_TAKE": legs.one, "RDV_ATTEMPT": live.call_id}
        await self._do(_("transfer the call"), self.pbx.originate_into(
            to_interface, TRANSFER_CONTEXT, "take", _control_id("xfer"), variables, SUPERVISOR_RING_S))
        self.transferred.add(live.call_id)
        return self._store(live, "transfer", by or login, to_interface)

    async def listen(self, agent_login: str, supervisor_interface: str, whisper: bool = False,
                     by: str = "") -> ControlEvent:
        """Ring the supervisor's phone into a silent listen (or a whisper to the agent) of the agent's call."""
        check_interface(supervisor_interface)
        live, legs = await self._legs(agent_login)
        if not legs.spied:
            raise CallControlRefused(_("listen to the call"), _("the agent's leg is gone"))
        kind = "whisper" if whisper else "listen"
        await self._do(_("listen to the call"), self.pbx.originate_into(
            supervisor_interface, SPY_CONTEXT, kind, _control_id("spy"), {"RDV_SPY": legs.spied},
            SUPERVISOR_RING_S))
        return self._store(live, kind, by or agent_login, supervisor_interface)

    # -- helpers --
    async def _legs(self, login: str) -> tuple[Any, CallLegs]:
        agent = self.engine.agents.get(login)
        live = self.engine.calls.get(agent.call_id) if agent is not None and agent.call_id else None
        if live is None or live.call.connected_at is None:
            raise NoCallToControl(login)
        channels = await self._do(_("find the call"), self.pbx.live_channels())
        return live, legs_of(channels, live.call, login)

    async def _do(self, what: str, action: Any) -> Any:
        try:
            return await action
        except ports.PbxError as error:
            log.warning("call control refused: %s", error)
            raise CallControlRefused(what, str(error)) from None

    def _store(self, live: Any, kind: str, login: str, detail: str = "") -> ControlEvent:
        at = self.engine.clock.now()
        event = ControlEvent(live.attempt_id, live.call_id, at, kind, login, detail[:200])
        with transaction(self.engine.sessions) as session:
            session.add(CallControlEvent(attempt_id=live.attempt_id, call_id=live.call_id, at=at, kind=kind,
                                         login=login, detail=event.detail))
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a listener's failure is its own: the action is done and stored
                log.exception("call control listener failed on %s", kind)
        return event


def _control_id(kind: str) -> str:
    """The Uniqueid of a supervisor's leg: never a call id, so the engine takes its events as foreign."""
    return f"rdv-{kind}-{uuid.uuid4().hex}"
