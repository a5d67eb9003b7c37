"""One simulated call through the project's dialplan (config/asterisk/extensions.conf), emitting Asterisk 22's events.

`Local/<number>@rdv-outbound[/n]` is originated; its `;2` half dials the trunk, here a Local channel
`Local/<number>@default` whose `;2` half plays the callee in context `callees` (ring, answer, busy …),
as in the test bed of tests/fixtures/ami/project-dialplan; the `;1` half runs the Originate's
Context/Exten: answering-machine detection, then the queue with a 2-second limit for humans, else the
information message and hangup. Each channel's messages follow those captures in order; paths with no
capture (invalid, rejected, hangup by action) follow the same patterns.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Protocol

from config.clock import Clock
from dialer.amiwire import Message
from dialer.simulator import control, queueing
from dialer.simulator import messages as m
from dialer.simulator.members import AgentProfile, Member, Queues
from dialer.simulator.messages import Chan
from dialer.simulator.outcomes import CallPlan, Outcome

FAIL_STATUS = {Outcome.BUSY: "BUSY", Outcome.CONGESTION: "CONGESTION"}
FAIL_CAUSE = {Outcome.BUSY: 17, Outcome.CONGESTION: 34, Outcome.INVALID: 1, Outcome.REJECTED: 21}
# The callee application of each outcome in the test bed's `callees` context.
CALLEE_EXTEN = {Outcome.INVALID: "unavail", Outcome.REJECTED: "unavail"}
TRUNK_CONTEXT, CALLEE_CONTEXT = "default", "callees"


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
    # Originated without `/n`: Asterisk optimises the Local pair away once both halves are bridged.
    optimise: bool = True
    channel: str = ""  # the Originate's Channel, as a failed OriginateResponse repeats it
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
        trunk = f"Local/{spec.exten}@{TRUNK_CONTEXT}"
        self.trunk_device = trunk
        tname = f"{trunk}-{core.next_local()}"
        self.t1 = Chan(f"{tname};1", core.new_uniqueid(), spec.call_id, TRUNK_CONTEXT, spec.exten, now, state=0)
        self.t2 = Chan(f"{tname};2", core.new_uniqueid(), spec.call_id, TRUNK_CONTEXT, spec.exten, now, state=4)
        self.agent_legs: tuple[Chan, Chan] | None = None
        self.member: Member | None = None
        self.hangup_cause: int | None = None
        self.hangup_channel = ""
        self.answered = False
        self.outer_bridge = ""
        self.gone: set[str] = set()
        self._wake = asyncio.Event()
        # Call control (dialer.simulator.control): hold, supervisors' legs, a transfer, the recording.
        self.on_hold = False
        self.extra_legs: list[Chan] = []
        self.spies: list[tuple[Chan, Chan]] = []
        self.transferred = False
        self.connected_s = 0.0
        # A personal callback: Dial() put the callee through to one agent's phone, no queue (no AgentComplete).
        self.personal = False

    @property
    def channels(self) -> list[Chan]:
        legs = list(self.agent_legs) if self.agent_legs else []
        return [c for c in (self.one, self.two, self.t1, self.t2, *legs, *self.extra_legs) if c.name not in self.gone]

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

    def hang(self, chan: Chan, cause: int) -> None:
        """A channel's Hangup event; it is gone from CoreShowChannels at once."""
        self.emit(m.hangup(chan, cause))
        self.gone.add(chan.name)
        self.core.drop_channel(chan)

    async def run(self) -> None:
        """Play the plan to its end; channels are dropped whatever happens."""
        try:
            self._start()
            outcome = self.plan.outcome
            if outcome in (Outcome.BUSY, Outcome.CONGESTION, Outcome.INVALID):
                await self.wait(self.plan.ring_s)
                self._refused() if outcome is Outcome.INVALID else self._fail()
                return
            self._ringing()
            if outcome is Outcome.REJECTED and self.plan.ring_s < self.spec.timeout_s:
                await self.wait(self.plan.ring_s)
                self._refused()
            elif outcome in (Outcome.HUMAN, Outcome.MACHINE) and self.plan.ring_s < self.spec.timeout_s:
                await self.wait(self.plan.ring_s)
                await self._answered()
            else:
                await self.wait(self.spec.timeout_s)
                self._no_answer()
        except HungUpByAction:
            self._hung_up_by_action()
        finally:
            control.end_extra_legs(self)
            record = self.spec.variables.get("RDV_RECORD", "")
            if record and self.connected_s:
                control.write_recording(record, self.core.now_s() - self.connected_s)
            for chan in self.channels:
                self.core.drop_channel(chan)
            if self.member is not None:
                await self._wrap_up(self.member)

    def _callee(self, exten: str, priority: int) -> None:
        """The trunk's far half runs the callee's application (the test bed's `callees` context)."""
        self.t2.context, self.t2.exten, self.t2.priority = CALLEE_CONTEXT, exten, priority

    def _start(self) -> None:
        one, two, t1, t2, emit = self.one, self.two, self.t1, self.t2, self.emit
        for chan in (one, two):
            self.core.add_channel(chan)
            emit(m.chan_event("Newchannel", chan))
        emit(m.local_bridge(one, two, optimization=self.spec.optimise))
        emit(m.dial("DialBegin", one, None, ("DialString", f"{self.spec.exten}@{self.spec.context}")))
        for chan in (t1, t2):
            self.core.add_channel(chan)
            emit(m.chan_event("Newchannel", chan))
        t1.cid_num = self.spec.exten
        emit(m.newcallerid(t1))
        t2.con_num = self.spec.exten
        emit(m.chan_event("NewConnectedLine", t2))
        emit(m.local_bridge(t1, t2, optimization=True))
        two.priority = 2
        emit(m.dial("DialBegin", t1, two, ("DialString", self.spec.exten)))

    def _ringing(self) -> None:
        one, two, t1, emit = self.one, self.two, self.t1, self.emit
        self._callee({Outcome.HUMAN: "human", Outcome.MACHINE: "machine"}.get(self.plan.outcome, "noanswer"), 1)
        t1.state = one.state = 5
        emit(m.chan_event("Newstate", t1))
        emit(m.device_state(self.trunk_device, "RINGING"))
        emit(m.chan_event("Newstate", one))
        emit(m.dial("DialState", one, None, ("DialStatus", "RINGING")))
        emit(m.dial("DialState", t1, two, ("DialStatus", "RINGING")))

    def _originate_response(self, ok: bool, reason: int) -> None:
        channel = self.one.name if ok else self.spec.channel
        spec = self.spec
        self.emit(m.originate_response(spec.action_id, ok, channel, self.one, spec.app_context, spec.app_exten, reason))

    def _fail(self) -> None:
        """The callee is busy, congested or unreachable: the `;2` half's DialEnd says it, Reason says 0."""
        outcome, one, two, t1, t2, emit = self.plan.outcome, self.one, self.two, self.t1, self.t2, self.emit
        status = FAIL_STATUS[outcome]
        self._callee(outcome.value, 2)
        if outcome is Outcome.CONGESTION:
            t2.state = 7
            emit(m.chan_event("Newstate", t2))
        emit(m.dial("DialEnd", t1, two, ("DialStatus", status)))
        emit(m.chan_event("HangupRequest", t2, ("Cause", "0")))
        two.priority = 3
        emit(m.chan_event("SoftHangupRequest", two, ("Cause", "16")))
        emit(m.chan_event("HangupRequest", one, ("Cause", "16")))
        self.hang(t1, 0)
        if outcome is not Outcome.CONGESTION:
            t2.state = 7
            emit(m.chan_event("Newstate", t2))
        emit(m.chan_event("SoftHangupRequest", t2, ("Cause", "16")))
        self.hang(t2, FAIL_CAUSE[outcome])
        emit(m.dial("DialEnd", one, None, ("DialStatus", "NOANSWER")))
        self.hang(two, 16)
        self._originate_response(False, 0)
        self.hang(one, 16)
        emit(m.device_state(self.device, "NOT_INUSE"))

    def _refused(self) -> None:
        """The network refuses the number (`Hangup(1)`, 21 after ringing): NOANSWER on both dials, the cause
        on every leg, Reason 0 (captured: invalid_number_via_trunk.ami)."""
        one, two, t1, t2, emit = self.one, self.two, self.t1, self.t2, self.emit
        cause = str(FAIL_CAUSE[self.plan.outcome])
        self._callee(CALLEE_EXTEN[self.plan.outcome], 2)
        emit(m.chan_event("SoftHangupRequest", t2, ("Cause", "16")))
        emit(m.chan_event("HangupRequest", t1, ("Cause", cause)))
        self.hang(t2, int(cause))
        emit(m.dial("DialEnd", t1, two, ("DialStatus", "NOANSWER")))
        self.hang(t1, int(cause))
        two.priority = 3
        emit(m.chan_event("SoftHangupRequest", two, ("Cause", "16")))
        emit(m.chan_event("HangupRequest", one, ("Cause", cause)))
        self.hang(two, int(cause))
        emit(m.dial("DialEnd", one, None, ("DialStatus", "NOANSWER")))
        self._originate_response(False, 0)
        self.hang(one, int(cause))
        emit(m.device_state(self.device, "NOT_INUSE"))

    def _no_answer(self) -> None:
        """Rings until the Originate's timeout: Reason 3, cause 19 everywhere."""
        one, two, t1, t2, emit = self.one, self.two, self.t1, self.t2, self.emit
        emit(m.chan_event("HangupRequest", two, ("Cause", "19")))
        self._originate_response(False, 3)
        self.hang(one, 19)
        emit(m.dial("DialEnd", t1, two, ("DialStatus", "CANCEL")))
        self._callee("noanswer", 2)
        emit(m.chan_event("HangupRequest", t2, ("Cause", "19")))
        self.hang(t1, 19)
        emit(m.chan_event("SoftHangupRequest", t2, ("Cause", "16")))
        self.hang(t2, 19)
        emit(m.chan_event("SoftHangupRequest", two, ("Cause", "16")))
        self.hang(two, 19)
        emit(m.device_state(self.device, "NOT_INUSE"))

    async def _answered(self) -> None:
        one, two, t1, t2, emit = self.one, self.two, self.t1, self.t2, self.emit
        human = self.plan.outcome is Outcome.HUMAN
        self._callee("human" if human else "machine", 4 if human else 3)
        t2.state = t1.state = 6
        emit(m.chan_event("Newstate", t2))
        emit(m.chan_event("Newstate", t1))
        emit(m.dial("DialEnd", t1, two, ("DialStatus", "ANSWER")))
        two.state = 6
        emit(m.chan_event("Newstate", two))
        self.outer_bridge = self.core.new_bridge_id()
        emit(m.bridge("BridgeCreate", self.outer_bridge, 0))
        t1.exten = ""
        emit(m.bridge("BridgeEnter", self.outer_bridge, 1, t1))
        self.answered = True
        self._originate_response(True, 4)
        one.state = 6
        emit(m.chan_event("Newstate", one))
        emit(m.dial("DialEnd", one, None, ("DialStatus", "ANSWER")))
        emit(m.bridge("BridgeEnter", self.outer_bridge, 2, two))
        one.context, one.exten = self.spec.app_context, self.spec.app_exten
        await self.wait(self.plan.amd_s)
        one.priority = 3
        status, cause = ("HUMAN", "HUMAN-818-800") if human else ("MACHINE", "LONGGREETING-1500-1500")
        emit(m.chan_event("UserEvent", one, ("UserEvent", "AMDResult"), ("Status", status), ("Cause", cause),
                          ("Chan", one.name), privilege="user"))
        if human and self.spec.variables.get("RDV_AGENT"):
            await queueing.personal_caller(self, self.spec.variables["RDV_AGENT"])
        elif human:
            await queueing.queue_caller(self)
        else:
            self.hang_up_from_dialplan()

    def hang_up_from_dialplan(self) -> None:
        """The `;1` half ends the call itself (after a machine, or after the dropped-call message)."""
        one, two, t1, t2, emit = self.one, self.two, self.t1, self.t2, self.emit
        one.priority = 7
        emit(m.chan_event("SoftHangupRequest", one, ("Cause", "16")))
        emit(m.chan_event("HangupRequest", two, ("Cause", "16")))
        self.hang(one, 16)
        emit(m.bridge("BridgeLeave", self.outer_bridge, 1, two))
        emit(m.bridge("BridgeLeave", self.outer_bridge, 0, t1))
        emit(m.bridge("BridgeDestroy", self.outer_bridge, 0))
        emit(m.chan_event("SoftHangupRequest", two, ("Cause", "16")))
        t2.priority += 2
        emit(m.chan_event("HangupRequest", t2, ("Cause", "16")))
        self.hang(two, 16)
        self.hang(t1, 16)
        emit(m.chan_event("SoftHangupRequest", t2, ("Cause", "16")))
        self.hang(t2, 16)
        emit(m.device_state(self.device, "NOT_INUSE"))

    def _hung_up_by_action(self) -> None:
        queueing.hang_up_by_action(self)

    async def _wrap_up(self, member: Member) -> None:
        await queueing.wrap_up(self, member)
