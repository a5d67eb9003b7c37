"""The simulator's queue and listing actions: QueueAdd/Remove/Pause, QueueStatus, CoreShowChannels, Status, Ping."""

from __future__ import annotations

from collections.abc import Callable

from dialer.amiwire import Message
from dialer.simulator import control
from dialer.simulator import messages as m
from dialer.simulator.core import Responses, SimulatedPbx, _state_interface, _truthy
from dialer.simulator.members import NoSuchQueue
from dialer.simulator.messages import Chan, MemberView

Action = Callable[[SimulatedPbx, Message], Responses]


def _member_event(name: str, queue: str, view: MemberView) -> Message:
    status = m.queue_member_status(queue, view)
    return Message([("Event", name), *status.fields[1:]])


def queue_add(pbx: SimulatedPbx, action: Message) -> Responses:
    action_id, queue, interface = action.get("ActionID"), action.get("Queue"), action.get("Interface")
    if not queue or not interface:
        return [m.response(False, action_id, "'Queue' and 'Interface' not specified.")]
    view = MemberView(action.get("MemberName") or interface, interface,
                      action.get("StateInterface") or _state_interface(interface),
                      login_time=int(pbx.now_s()), paused=_truthy(action.get("Paused", "false")))
    try:
        pbx.queues.add(queue, view, pbx.now_s())
    except NoSuchQueue:
        return [m.response(False, action_id, "Unable to add interface to queue: No such queue")]
    except KeyError:
        return [m.response(False, action_id, "Unable to add interface: Already there")]
    return [m.response(True, action_id, "Added interface to queue"), _member_event("QueueMemberAdded", queue, view)]


def queue_remove(pbx: SimulatedPbx, action: Message) -> Responses:
    action_id, queue, interface = action.get("ActionID"), action.get("Queue"), action.get("Interface")
    if not pbx.queues.exists(queue):
        return [m.response(False, action_id, "Unable to remove interface from queue: No such queue")]
    member = pbx.queues.members.get(queue, {}).get(interface)
    if member is None:
        return [m.response(False, action_id, "Unable to remove interface: Not there")]
    pbx.queues.remove(queue, interface)
    return [m.response(True, action_id, "Removed interface from queue"),
            _member_event("QueueMemberRemoved", queue, member.view)]


def queue_pause(pbx: SimulatedPbx, action: Message) -> Responses:
    action_id, interface = action.get("ActionID"), action.get("Interface")
    paused = _truthy(action.get("Paused", "false"))
    touched = pbx.queues.pause(interface, paused, action.get("Reason"), action.get("Queue"))
    if not touched:
        return [m.response(False, action_id, "Interface not found")]
    text = "Interface paused successfully" if paused else "Interface unpaused successfully"
    return [m.response(True, action_id, text), *(_member_event("QueueMemberPause", t.queue, t.view) for t in touched)]


def _list(action_id: str, intro: str, items: list[Message], complete: str, *extra: tuple[str, str]) -> Responses:
    """A list action: ack, one event per item, then the `...Complete` event (Asterisk's EventList)."""
    ack = m.response(True, action_id, intro, ("EventList", "start"))
    tail = Message([("Event", complete), ("ActionID", action_id), ("EventList", "Complete"),
                    ("ListItems", str(len(items))), *extra])
    return [ack, *items, tail]


def _item(name: str, action_id: str, *parts: list[tuple[str, str]], id_last: bool = False) -> Message:
    """A list item; Asterisk 22 puts the ActionID first in some lists and last in QueueStatus's."""
    fields = [("Event", name)] if id_last else [("Event", name), ("ActionID", action_id)]
    for part in parts:
        fields.extend(part)
    return Message(fields + [("ActionID", action_id)] if id_last else fields)


def core_show_channels(pbx: SimulatedPbx, action: Message) -> Responses:
    action_id, now = action.get("ActionID"), pbx.clock.now()
    items = []
    for chan, _call in pbx.channels.values():
        seconds = max(0, int((now - chan.created).total_seconds()))
        duration = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        items.append(_item("CoreShowChannel", action_id, chan.snap(), [
            ("BridgeId", chan.bridge), ("Application", _application(chan)), ("ApplicationData", ""),
            ("Duration", duration)]))
    return _list(action_id, "Channels will follow", items, "CoreShowChannelsComplete")


def _application(chan: Chan) -> str:
    if chan.bridge:
        return "Queue" if chan.name.endswith(";1") and chan.uniqueid == chan.linkedid else "AppDial"
    return "AppDial2" if chan.state != 6 else "Wait"


def status(pbx: SimulatedPbx, action: Message) -> Responses:
    action_id, wanted, now = action.get("ActionID"), action.get("Channel"), pbx.clock.now()
    if wanted and wanted not in pbx.channels:
        return [m.response(False, action_id, "No such channel")]
    items = []
    for chan, _call in pbx.channels.values():
        if wanted and chan.name != wanted:
            continue
        seconds = str(max(0, int((now - chan.created).total_seconds())))
        items.append(_item("Status", action_id, chan.snap(), [
            ("Type", "Local"), ("Application", _application(chan)), ("Data", ""), ("BridgeID", chan.bridge),
            ("Seconds", seconds)]))
    return _list(action_id, "Channel status will follow", items, "StatusComplete", ("Items", str(len(items))))


def queue_status(pbx: SimulatedPbx, action: Message) -> Responses:
    action_id, wanted = action.get("ActionID"), action.get("Queue")
    items = []
    for queue in pbx.queues.names():
        if wanted and queue != wanted:
            continue
        members = pbx.queues.members.get(queue, {})
        waiting = pbx.queues.waiting.get(queue, [])
        items.append(_item("QueueParams", action_id, [
            ("Queue", queue), ("Max", "0"), ("Strategy", "leastrecent"), ("Calls", str(len(waiting))),
            ("Holdtime", "0"), ("TalkTime", "0"), ("Completed", "0"), ("Abandoned", "0"), ("ServiceLevel", "0"),
            ("ServicelevelPerf", "0.0"), ("ServicelevelPerf2", "0.0"), ("Weight", "0")], id_last=True))
        for member in members.values():
            v = member.view
            items.append(_item("QueueMember", action_id, [
                ("Queue", queue), ("Name", v.name), ("Location", v.interface), ("StateInterface", v.state_interface),
                ("Membership", v.membership), ("Penalty", "0"), ("CallsTaken", str(v.calls_taken)),
                ("LastCall", str(v.last_call)), ("LastPause", str(v.last_pause)), ("LoginTime", str(v.login_time)),
                ("InCall", "1" if member.busy else "0"), ("Status", "2" if member.busy else "1"),
                ("Paused", "1" if v.paused else "0"), ("PausedReason", v.paused_reason), ("Wrapuptime", "0")],
                id_last=True))
        for position, call_id in enumerate(waiting, start=1):
            call = pbx.calls.get(call_id)
            if call is not None:
                items.append(_item("QueueEntry", action_id, [
                    ("Queue", queue), ("Position", str(position)), ("Channel", call.one.name),
                    ("Uniqueid", call.one.uniqueid), ("CallerIDNum", call.one.cid_num),
                    ("CallerIDName", call.one.cid_name), ("Wait", "0"), ("Priority", "0")], id_last=True))
    return _list(action_id, "Queue status will follow", items, "QueueStatusComplete")


def ping(pbx: SimulatedPbx, action: Message) -> Responses:
    return [Message([("Response", "Success"), ("ActionID", action.get("ActionID")), ("Ping", "Pong"),
                     ("Timestamp", f"{pbx.now_s():.6f}")])]


ACTIONS: dict[str, Action] = {
    "originate": SimulatedPbx.originate,
    "hangup": SimulatedPbx.hangup,
    "queueadd": queue_add,
    "queueremove": queue_remove,
    "queuepause": queue_pause,
    "queuestatus": queue_status,
    "coreshowchannels": core_show_channels,
    "status": status,
    "ping": ping,
    "redirect": control.redirect,
    "setvar": control.setvar,
}
