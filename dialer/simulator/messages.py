"""AMI messages shaped exactly like Asterisk 22's (tests/fixtures/ami): same names, keys and key order.

Each builder takes the channels involved and returns one `Message`; the call scenarios decide when.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from dialer.amiwire import Message

STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up", 7: "Busy"}
CAUSE_TEXT = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    19: "User alerting, no answer",
    21: "Call Rejected",
    34: "Circuit/channel congestion",
}
UNKNOWN = "<unknown>"
Pairs = list[tuple[str, str]]


@dataclass
class Chan:
    """A live channel's snapshot as Asterisk reports it in every channel event."""

    name: str
    uniqueid: str
    linkedid: str
    context: str
    exten: str
    created: datetime
    priority: int = 1
    state: int = 0
    cid_num: str = UNKNOWN
    cid_name: str = UNKNOWN
    con_num: str = UNKNOWN
    con_name: str = UNKNOWN
    application: str = ""
    bridge: str = ""
    variables: dict[str, str] = field(default_factory=dict)

    def snap(self, prefix: str = "") -> Pairs:
        """The channel snapshot keys, optionally prefixed (`Dest`, `LocalOne` …)."""
        return [
            (f"{prefix}Channel", self.name),
            (f"{prefix}ChannelState", str(self.state)),
            (f"{prefix}ChannelStateDesc", STATE_DESC.get(self.state, "Unknown")),
            (f"{prefix}CallerIDNum", self.cid_num),
            (f"{prefix}CallerIDName", self.cid_name),
            (f"{prefix}ConnectedLineNum", self.con_num),
            (f"{prefix}ConnectedLineName", self.con_name),
            (f"{prefix}Language", "en"),
            (f"{prefix}AccountCode", ""),
            (f"{prefix}Context", self.context),
            (f"{prefix}Exten", self.exten),
            (f"{prefix}Priority", str(self.priority)),
            (f"{prefix}Uniqueid", self.uniqueid),
            (f"{prefix}Linkedid", self.linkedid),
        ]


def event(name: str, privilege: str, *parts: Pairs) -> Message:
    """An event: name, privilege, then the given key groups in order."""
    fields: Pairs = [("Event", name), ("Privilege", f"{privilege},all")]
    for part in parts:
        fields.extend(part)
    return Message(fields)


def chan_event(name: str, chan: Chan, *extra: tuple[str, str], privilege: str = "call") -> Message:
    """An event about one channel, with extra keys after its snapshot."""
    return event(name, privilege, chan.snap(), list(extra))


def newcallerid(chan: Chan) -> Message:
    return chan_event("NewCallerid", chan, ("CID-CallingPres", "0 (Presentation Allowed, Not Screened)"))


def local_bridge(one: Chan, two: Chan, optimization: bool) -> Message:
    """Both halves of a Local channel, created together."""
    extra = [("Context", two.context), ("Exten", two.exten), ("LocalOptimization", "Yes" if optimization else "No")]
    return event("LocalBridge", "call", one.snap("LocalOne"), two.snap("LocalTwo"), extra)


def dial(name: str, dest: Chan, caller: Chan | None, *extra: tuple[str, str]) -> Message:
    """DialBegin/DialState/DialEnd; the Originate's own dial has no calling channel."""
    return event(name, "call", caller.snap() if caller else [], dest.snap("Dest"), list(extra))


def device_state(device: str, state: str) -> Message:
    return event("DeviceStateChange", "call", [("Device", device), ("State", state)])


def hangup(chan: Chan, cause: int) -> Message:
    return chan_event("Hangup", chan, ("Cause", str(cause)), ("Cause-txt", CAUSE_TEXT.get(cause, "Unknown")))


def originate_response(
    action_id: str, ok: bool, channel: str, chan: Chan, context: str, exten: str, reason: int
) -> Message:
    """The Async Originate's outcome; `channel` is the full name on success, the dialled resource on failure."""
    return event(
        "OriginateResponse",
        "call",
        [("ActionID", action_id)] if action_id else [],
        [
            ("Response", "Success" if ok else "Failure"),
            ("Channel", channel),
            ("Context", context),
            ("Exten", exten),
            ("Reason", str(reason)),
            ("Uniqueid", chan.uniqueid),
            ("CallerIDNum", chan.cid_num),
            ("CallerIDName", chan.cid_name),
        ],
    )


def agent_event(name: str, caller: Chan, agent: Chan, *extra: tuple[str, str]) -> Message:
    """AgentCalled/AgentConnect/AgentComplete: the caller, the agent leg as Dest, then the queue keys."""
    return event(name, "agent", caller.snap(), agent.snap("Dest"), list(extra))


def queue_member_status(queue: str, member: MemberView) -> Message:
    return event(
        "QueueMemberStatus",
        "agent",
        [
            ("Queue", queue),
            ("MemberName", member.name),
            ("Interface", member.interface),
            ("StateInterface", member.state_interface),
            ("Membership", member.membership),
            ("Penalty", "0"),
            ("CallsTaken", str(member.calls_taken)),
            ("LastCall", str(member.last_call)),
            ("LastPause", str(member.last_pause)),
            ("LoginTime", str(member.login_time)),
            ("InCall", "0"),
            ("Status", str(member.status)),
            ("Paused", "1" if member.paused else "0"),
            ("PausedReason", member.paused_reason),
            ("Ringinuse", "0"),
            ("Wrapuptime", "0"),
        ],
    )


@dataclass
class MemberView:
    """What QueueMemberStatus and QueueStatus report about one queue member."""

    name: str
    interface: str
    state_interface: str
    membership: str = "dynamic"
    calls_taken: int = 0
    last_call: int = 0
    last_pause: int = 0
    login_time: int = 0
    status: int = 1  # 1 not in use, 2 in use, 6 ringing (AST_DEVICE_*)
    paused: bool = False
    paused_reason: str = ""


def bridge(name: str, bridge_id: str, count: int, chan: Chan | None = None) -> Message:
    """BridgeCreate/Enter/Leave/Destroy of a basic two-party bridge."""
    fields: Pairs = [
        ("BridgeUniqueid", bridge_id),
        ("BridgeType", "basic"),
        ("BridgeTechnology", "simple_bridge"),
        ("BridgeCreator", UNKNOWN),
        ("BridgeName", UNKNOWN),
        ("BridgeNumChannels", str(count)),
        ("BridgeVideoSourceMode", "none"),
    ]
    return event(name, "call", fields, chan.snap() if chan else [])


def response(ok: bool, action_id: str, message: str, *extra: tuple[str, str]) -> Message:
    """`Response: Success|Error` to an action, ActionID echoed."""
    fields: Pairs = [("Response", "Success" if ok else "Error")]
    if action_id:
        fields.append(("ActionID", action_id))
    fields.extend(extra)
    fields.append(("Message", message))
    return Message(fields)
