"""One simulated call, as config/asterisk/extensions.conf runs it, emitting Asterisk 22's events in its order.

`Local/<number>@<context>` is originated; its `;2` half plays the callee (ring, answer, busy …), its
`;1` half runs the Originate's Context/Exten: answering-machine detection, then the queue with a
2-second limit for humans, else a short message and hangup. The message order of each path copies
tests/fixtures/ami; paths with no capture (abandon, invalid, rejected, hangup by action) follow the
same patterns.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Protocol

from config.clock import Clock
from dialer.amiwire import Message
from dialer.simulator import messages as m
from dialer.simulator import queueing
from dialer.simulator.members import AgentProfile, Member, Queues
from dialer.simulator.messages import Chan
from dialer.simulator.outcomes import CallPlan, Outcome

FAIL_REASON = {Outcome.BUSY: 5, Outcome.CONGESTION: 8, Outcome.INVALID: 1, Outcome.REJECTED: 1}
FAIL_STATUS = {Outcome.BUSY: "BUSY", Outcome.CONGESTION: "CONGESTION", Outcome.INVALID: "CHANUNAVAIL",
               Outcome.REJECTED: "CHANUNAVAIL"}
FAIL_CAUSE = {Outcome.BUSY: 17, Outcome.CONGESTION: 34, Outcome.INVALID: 1, Outcome.REJECTED: 21}
# Trailing DeviceStateChange events differ per outcome in the captures; copied as seen.
FAIL_DEVICE_TAIL = {Outcome.BUSY: 2, Outcome.CONGESTION: 3, Outcome.INVALID: 2, Outcome.REJECTED: 2}


class Core(Protocol):
    clock: Clock
    queues: Queues
    agent_profile: AgentProfile

    def emit(self, message: Message) -> None: ...
    def add_channel(self, chan: Chan) -> None: ...
    def drop_channel(self, chan: Chan) -> None: ...
    def new_uniqueid(self) -> str: ...
    def next_local(self) -> str: ...
    def now_s(self) -> float: ...
    def new_bridge_id(self) -> str: ...
    def draw_talk(self) -> float: ...
    def draw_wrap(self) -> float: ...


class HungUpByAction(Exception):
    """A Hangup action ended the call; `cause` is the one it asked for."""


@dataclass
class OriginateSpec:
    """What an Originate asked for, already validated."""

    action_id: str
    call_id: str
    other_id: str
    exten: str
    context: str
    app_context: str
    app_exten: str
    timeout_s: float
    cid_num: str
    cid_name: str
    queue: str
    queue_timeout_s: float = 2.0
    message_s: float = 4.0
    variables: dict[str, str] = field(default_factory=dict)


class SimCall:
    """The life of one originated call on the simulated PBX."""

    def __init__(self, core: Core, spec: OriginateSpec, plan: CallPlan) -> None:
        self.core, self.spec, self.plan = core, spec, plan
        now = core.clock.now()
        name = f"Local/{spec.exten}@{spec.context}-{core.next_local()}"
        self.one = Chan(f"{name};1", spec.call_id, spec.call_id, spec.context, spec.exten, now, state=0)
        self.two = Chan(f"{name};2", spec.other_id, spec.call_id, spec.context, spec.exten, now, state=4)
        self.device = f"Local/{spec.exten}@{spec.context}"
        self.agent_legs: tuple[Chan, Chan] | None = None
        self.member: Member | None = None
        self.hangup_cause: int | None = None
        self.hangup_channel = ""
        self.answered = False
        self._wake = asyncio.Event()

    @property
    def channels(self) -> list[Chan]:
        legs = list(self.agent_legs) if self.agent_legs else []
        return [self.one, self.two, *legs]

    def request_hangup(self, channel: str, cause: int) -> None:
        """A Hangup action on one of this call's channels."""
        if self.hangup_cause is None:
            self.hangup_cause, self.hangup_channel = cause, channel
            self._wake.set()

    async def wait(self, seconds: float) -> None:
        """Sleep `seconds` of clock time, unless a Hangup action comes first."""
        if self.hangup_cause is None and seconds > 0:
            sleeper = asyncio.ensure_future(self.core.clock.sleep(seconds))
            waker = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeper.cancel()
                waker.cancel()
        if self.hangup_cause is not None:
            raise HungUpByAction()

    def emit(self, message: Message) -> None:
        self.core.emit(message)

    async def run(self) -> None:
        """Play the plan to its end; channels are dropped whatever happens."""
        try:
            self._start()
            if self.plan.outcome in FAIL_REASON and self.plan.outcome is not Outcome.REJECTED:
                await self.wait(self.plan.ring_s)
                self._fail()
                return
            self._ringing(device_first=self.plan.outcome is not Outcome.HUMAN)
            if self.plan.outcome is Outcome.REJECTED and self.plan.ring_s < self.spec.timeout_s:
                await self.wait(self.plan.ring_s)
                self._fail()
            elif self.plan.outcome in (Outcome.HUMAN, Outcome.MACHINE) and self.plan.ring_s < self.spec.timeout_s:
                await self.wait(self.plan.ring_s)
                await self._answered()
            else:
                await self.wait(self.spec.timeout_s)
                self._no_answer()
        except HungUpByAction:
            self._hung_up_by_action()
        finally:
            for chan in self.channels:
                self.core.drop_channel(chan)
            if self.member is not None:
                await self._wrap_up(self.member)

    def _start(self) -> None:
        one, two, emit = self.one, self.two, self.emit
        for chan in (one, two):
            self.core.add_channel(chan)
            emit(m.chan_event("Newchannel", chan))
        one.cid_num, one.cid_name = self.spec.cid_num, self.spec.cid_name
        emit(m.newcallerid(one))
        one.con_num, one.con_name = one.cid_num, one.cid_name
        emit(m.chan_event("NewConnectedLine", one))
        two.cid_num, two.cid_name, two.con_num, two.con_name = one.cid_num, one.cid_name, one.cid_num, one.cid_name
        emit(m.newcallerid(two))
        emit(m.chan_event("NewConnectedLine", two))
        emit(m.local_bridge(one, two, optimization=True))
        emit(m.dial("DialBegin", one, None, ("DialString", f"{self.spec.exten}@{self.spec.context}")))

    def _ringing(self, device_first: bool) -> None:
        self.one.state = 5
        self.emit(m.chan_event("Newstate", self.one))
        state = m.dial("DialState", self.one, None, ("DialStatus", "RINGING"))
        device = m.device_state(self.device, "INUSE")
        for message in (device, state) if device_first else (state, device):
            self.emit(message)

    def _originate_response(self, ok: bool, reason: int) -> None:
        channel = self.one.name if ok else self.device
        spec = self.spec
        self.emit(m.originate_response(spec.action_id, ok, channel, self.one, spec.app_context, spec.app_exten, reason))

    def _fail(self) -> None:
        outcome, one, two, emit = self.plan.outcome, self.one, self.two, self.emit
        if outcome in (Outcome.BUSY, Outcome.CONGESTION):
            two.state, two.priority = 7, 2
            emit(m.chan_event("Newstate", two))
        emit(m.dial("DialEnd", one, None, ("DialStatus", FAIL_STATUS[outcome])))
        self._originate_response(False, FAIL_REASON[outcome])
        emit(m.chan_event("HangupRequest", two, ("Cause", "0")))
        if outcome is Outcome.BUSY:
            emit(m.device_state(self.device, "INUSE"))
        emit(m.chan_event("SoftHangupRequest", two, ("Cause", "16")))
        emit(m.hangup(two, FAIL_CAUSE[outcome]))
        emit(m.hangup(one, 0))
        for _ in range(FAIL_DEVICE_TAIL[outcome]):
            emit(m.device_state(self.device, "NOT_INUSE"))

    def _no_answer(self) -> None:
        one, two, emit = self.one, self.two, self.emit
        two.priority = 2
        emit(m.chan_event("HangupRequest", two, ("Cause", "19")))
        emit(m.hangup(one, 19))
        emit(m.chan_event("SoftHangupRequest", two, ("Cause", "16")))
        emit(m.hangup(two, 19))
        emit(m.device_state(self.device, "NOT_INUSE"))
        emit(m.device_state(self.device, "NOT_INUSE"))
        self._originate_response(False, 3)

    async def _answered(self) -> None:
        one, two, emit, human = self.one, self.two, self.emit, self.plan.outcome is Outcome.HUMAN
        two.state, two.priority = 6, 4 if human else 3
        emit(m.chan_event("Newstate", two))
        if human:
            emit(m.device_state(self.device, "INUSE"))
        one.state = 6
        emit(m.chan_event("Newstate", one))
        emit(m.dial("DialEnd", one, None, ("DialStatus", "ANSWER")))
        self.answered = True
        self._originate_response(True, 4)
        one.context, one.exten = self.spec.app_context, self.spec.app_exten
        for _ in range(1 if human else 2):
            emit(m.device_state(self.device, "INUSE"))
        await self.wait(self.plan.amd_s)
        one.priority = 3
        status, cause = ("HUMAN", "HUMAN-800-800") if human else ("MACHINE", "LONGGREETING-1500-1500")
        emit(m.chan_event("UserEvent", one, ("UserEvent", "AMDResult"), ("Status", status), ("Cause", cause),
                          ("Chan", one.name), privilege="user"))
        if human:
            await queueing.queue_caller(self)
        else:
            self.hang_up_from_dialplan()

    def hang_up_from_dialplan(self) -> None:
        """The `;1` half ends the call itself (after a machine, or after the dropped-call message)."""
        one, two, emit = self.one, self.two, self.emit
        one.priority = 7
        emit(m.chan_event("SoftHangupRequest", one, ("Cause", "16")))
        two.priority = 4
        emit(m.chan_event("HangupRequest", two, ("Cause", "16")))
        emit(m.hangup(one, 16))
        emit(m.device_state(self.device, "NOT_INUSE"))
        emit(m.chan_event("SoftHangupRequest", two, ("Cause", "16")))
        emit(m.hangup(two, 16))
        emit(m.device_state(self.device, "NOT_INUSE"))

    def _hung_up_by_action(self) -> None:
        queueing.hang_up_by_action(self)

    async def _wrap_up(self, member: Member) -> None:
        await queueing.wrap_up(self, member)
