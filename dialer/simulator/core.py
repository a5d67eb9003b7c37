"""The simulated PBX's state and its AMI actions, independent of any connection.

Calls live here, not in a session: like Asterisk's channels, they survive a manager client's
disconnect and are listed by CoreShowChannels; only `reset()` (a PBX restart) loses them.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import uuid
from collections import Counter
from collections.abc import Callable

from config.clock import Clock
from dialer.amiwire import Message
from dialer.simulator import control
from dialer.simulator import messages as m
from dialer.simulator.dialplan import OriginateSpec, SimCall
from dialer.simulator.members import AgentProfile, Queues
from dialer.simulator.messages import Chan, MemberView
from dialer.simulator.outcomes import OutcomeModel, ScriptedOutcomes

log = logging.getLogger(__name__)
Responses = list[Message]


def _truthy(text: str) -> bool:
    return text.strip().lower() in {"1", "true", "yes", "on"}


def _caller_id(text: str) -> tuple[str, str]:
    """`Name <number>` → (number, name)."""
    if "<" in text and text.endswith(">"):
        name, _, number = text[:-1].partition("<")
        return number.strip(), name.strip().strip('"')
    return text.strip(), text.strip()


class SimulatedPbx:
    """Channels, calls and queues of one simulated Asterisk; `emit` broadcasts its events."""

    def __init__(
        self,
        clock: Clock,
        seed: int,
        emit: Callable[[Message], None],
        outcomes: OutcomeModel | ScriptedOutcomes | None = None,
        agent_profile: AgentProfile | None = None,
        default_queue: str = "rdv",
    ) -> None:
        self.clock = clock
        self.rng = random.Random(seed)
        self._emit = emit
        self.outcomes = outcomes or OutcomeModel()
        self.agent_profile = agent_profile or AgentProfile()
        self.default_queue = default_queue
        self.queues = Queues()
        self.static_members: list[tuple[str, MemberView]] = []
        self.originates: Counter[str] = Counter()
        # The most calls that had a channel up at once, what a trunk's capacity limits (kept across restarts).
        self.peak_live_calls = 0
        self.reset()

    def reset(self) -> None:
        """Forget every call, channel and dynamic member, as an Asterisk restart does."""
        for task in getattr(self, "tasks", set()):
            task.cancel()
        self.tasks: set[asyncio.Task[None]] = set()
        self.calls: dict[str, SimCall] = {}
        self.channels: dict[str, tuple[Chan, SimCall | None]] = {}
        self._channels_of: Counter[str] = Counter()  # channels up per call, the calls with one being live
        self._local = itertools.count(0)
        self._uid = itertools.count(1)
        self.queues = Queues(real_interfaces=self.queues.real_interfaces, callee_ends=self.queues.callee_ends,
                             configured=self.queues.configured)
        for queue, view in self.static_members:
            self.queues.add(queue, MemberView(**vars(view)), self.now_s())

    # -- what SimCall needs (dialplan.Core) --
    def emit(self, message: Message) -> None:
        self._emit(message)

    def add_channel(self, chan: Chan) -> None:
        call = self.calls.get(chan.linkedid)
        if chan.name not in self.channels and call is not None:
            self._channels_of[call.spec.call_id] += 1
            self.peak_live_calls = max(self.peak_live_calls, len(self._channels_of))
        self.channels[chan.name] = (chan, call)

    def drop_channel(self, chan: Chan) -> None:
        _chan, call = self.channels.pop(chan.name, (chan, None))
        if call is not None:
            self._channels_of[call.spec.call_id] -= 1
            if self._channels_of[call.spec.call_id] <= 0:
                del self._channels_of[call.spec.call_id]

    @property
    def live_calls(self) -> int:
        """Outbound calls with a channel up now."""
        return len(self._channels_of)

    def new_uniqueid(self) -> str:
        return f"{int(self.now_s())}.{next(self._uid)}"

    def next_local(self) -> str:
        return f"{next(self._local):08x}"

    def new_bridge_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def now_s(self) -> float:
        return self.clock.now().timestamp()

    def draw_talk(self) -> float:
        return self.agent_profile.talk(self.rng)

    def draw_wrap(self) -> float:
        return self.agent_profile.wrap(self.rng)

    # -- members --
    def add_static_member(self, queue: str, interface: str, name: str) -> None:
        """A member written in queues.conf: present from the start and after every restart."""
        view = MemberView(name, interface, _state_interface(interface), membership="static",
                          login_time=int(self.now_s()))
        self.static_members.append((queue, view))
        self.queues.add(queue, MemberView(**vars(view)), self.now_s())

    # -- actions --
    def originate(self, action: Message) -> Responses:
        action_id, channel = action.get("ActionID"), action.get("Channel")
        if not _truthy(action.get("Async", "false")):
            return [m.response(False, action_id, "The simulator only takes Async originates")]
        if action.get("Context") in control.CONTROL_CONTEXTS:  # a supervisor's phone, any technology
            return control.originate_into(self, action, self._variables(action))
        tech, _, resource = channel.partition("/")
        exten, _, context = resource.split("/")[0].partition("@")
        if tech != "Local" or not exten or not context:
            return [m.response(False, action_id, "Invalid channel")]
        call_id = action.get("ChannelId") or self.new_uniqueid()
        self.originates[call_id] += 1
        if call_id in self.calls:
            return [m.response(False, action_id, "Uniqueid already in use")]
        spec = self._spec(action, call_id, exten, context)
        spec.optimise, spec.channel = "n" not in resource.split("/")[1:], channel
        call = SimCall(self, spec, self.outcomes.draw(exten, self.clock.now(), self.rng))
        self.calls[call_id] = call
        task = asyncio.get_running_loop().create_task(self._run(call))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return [m.response(True, action_id, "Originate successfully queued")]

    @staticmethod
    def _variables(action: Message) -> dict[str, str]:
        variables: dict[str, str] = {}
        for line in action.get_all("Variable"):
            for pair in line.split(","):
                name, _, value = pair.partition("=")
                variables[name.strip()] = value
        return variables

    def _spec(self, action: Message, call_id: str, exten: str, context: str) -> OriginateSpec:
        variables = self._variables(action)
        number, name = _caller_id(action.get("CallerID", "Dialer <5551000>"))
        try:
            timeout_s = float(action.get("Timeout", "30000")) / 1000
            queue_timeout = float(variables.get("RDV_QUEUE_TIMEOUT", "2"))
        except ValueError:
            timeout_s, queue_timeout = 30.0, 2.0
        return OriginateSpec(
            action_id=action.get("ActionID"), call_id=call_id, other_id=action.get("OtherChannelId") or f"{call_id}-2",
            exten=exten, context=context, app_context=action.get("Context", "rdv-outbound"),
            app_exten=action.get("Exten", "s"), timeout_s=timeout_s, cid_num=number, cid_name=name,
            queue=variables.get("RDV_QUEUE", self.default_queue), queue_timeout_s=queue_timeout, variables=variables,
        )

    async def _run(self, call: SimCall) -> None:
        try:
            await call.run()
        except asyncio.CancelledError:
            raise
        except Exception:  # a simulator bug must not take the server down; say it loudly
            log.exception("simulated call %s failed", call.spec.call_id)
        finally:
            self.calls.pop(call.spec.call_id, None)

    def hangup(self, action: Message) -> Responses:
        action_id = action.get("ActionID")
        found = control.find_call(self, action.get("Channel"))  # by name or Uniqueid, as Asterisk
        if found is None:
            return [m.response(False, action_id, "No such channel")]
        name, call = found[0].name, found[1]
        if control.leave(call, found[0]):
            return [m.response(True, action_id, "Channel Hungup")]
        try:
            cause = int(action.get("Cause", "16"))
        except ValueError:
            cause = 16
        call.request_hangup(name, cause)
        return [m.response(True, action_id, "Channel Hungup")]


def _state_interface(interface: str) -> str:
    """`Local/agent1@agents/n` → `Local/agent1@agents`, the device whose state Asterisk watches."""
    return interface[:-2] if interface.startswith("Local/") and interface.endswith("/n") else interface
