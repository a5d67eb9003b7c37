"""The AMI wire parser and the mapping to dialer events, replayed over real Asterisk 22 captures."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dialer.amievents import call_id_of, events_from_message, live_channel_from
from dialer.amiwire import AmiParser, Message, parse_all, serialize
from dialer.ports import (
    AgentCompleted,
    AgentConnected,
    CallerAbandoned,
    CallerQueued,
    CallHungUp,
    CallOriginated,
    CallRinging,
    ChannelAnswered,
    DialEnded,
    MachineDetected,
)

CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ami"
AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def replay(name: str) -> list[object]:
    events: list[object] = []
    for message in parse_all((CAPTURES / name).read_bytes()):
        events.extend(events_from_message(message, AT))
    return events


def test_every_capture_parses_into_messages_that_serialize_back_to_the_same_bytes() -> None:
    for path in sorted(CAPTURES.glob("*.ami")):
        raw = path.read_bytes()
        messages = parse_all(raw)
        assert b"".join(serialize(m) for m in messages) == raw, path.name


def test_messages_split_at_any_byte_boundary_parse_the_same() -> None:
    raw = b"Asterisk Call Manager/10.0.0\r\n" + (CAPTURES / "busy.ami").read_bytes()
    whole = AmiParser().feed(raw)
    for size in (1, 2, 7, 64, 1000):
        parser = AmiParser()
        pieces = [parser.feed(raw[i : i + size]) for i in range(0, len(raw), size)]
        assert [m for piece in pieces for m in piece] == whole
    assert whole[0].kind == "banner" and whole[0].name == "Asterisk Call Manager/10.0.0"
    assert len(whole) == 20


def test_the_banner_gives_the_ami_version() -> None:
    parser = AmiParser()
    parser.feed(b"Asterisk Call Manager/10.0.0\r\nResponse: Success\r\n\r\n")
    assert parser.version == "10.0.0"


def test_repeated_keys_are_all_kept_in_order() -> None:
    raw = b"Action: Originate\r\nVariable: A=1\r\nVariable: B=x=y\r\nAsync: true\r\n\r\n"
    (message,) = AmiParser(expect_banner=False).feed(raw)
    assert message.get_all("Variable") == ["A=1", "B=x=y"]
    assert message.variables() == {"A": "1", "B": "x=y"}
    assert message.keys() == ["Action", "Variable", "Variable", "Async"]
    assert serialize(message) == raw


def test_empty_values_and_colons_inside_values_are_kept() -> None:
    (message,) = AmiParser(expect_banner=False).feed(b"Event: X\r\nAccountCode: \r\nCID-CallingPres: 0 (a: b)\r\n\r\n")
    assert message.get("AccountCode") == "" and message.get("CID-CallingPres") == "0 (a: b)"


def test_malformed_lines_are_skipped_and_the_stream_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    parser = AmiParser(expect_banner=False)
    raw = b"Event: A\r\n\x00\xff garbage\r\nKey: 1\r\n\r\nnot a pair\r\n\r\nEvent: B\r\n\r\n"
    messages = parser.feed(raw)
    assert [m.name for m in messages] == ["A", "B"]
    assert messages[0].fields == [("Event", "A"), ("Key", "1")]
    assert parser.skipped == 2
    assert "skipped malformed" in caplog.text


def test_an_endless_line_is_dropped_instead_of_filling_memory() -> None:
    parser = AmiParser(expect_banner=False)
    assert parser.feed(b"x" * 70_000) == []
    assert parser.skipped == 1
    assert [m.name for m in parser.feed(b"Event: After\r\n\r\n")] == ["After"]


def test_response_follows_keeps_the_command_output_as_body() -> None:
    raw = (
        b"Response: Follows\r\nActionID: 7\r\nName    State\r\nfoo: bar baz\r\n--END COMMAND--\r\n\r\n"
        b"Event: Next\r\n\r\n"
    )
    follows, following = AmiParser(expect_banner=False).feed(raw)
    assert follows.get("ActionID") == "7"
    assert follows.body == ["Name    State", "foo: bar baz"]
    assert following.name == "Next"


def test_lf_only_line_ends_are_tolerated() -> None:
    (message,) = AmiParser(expect_banner=False).feed(b"Event: Hangup\nCause: 16\n\n")
    assert message.get("Cause") == "16"


def test_a_value_with_a_line_break_cannot_be_serialized() -> None:
    with pytest.raises(ValueError, match="Variable"):
        serialize(Message.of(("Action", "Originate"), ("Variable", "A=1\r\nAction: Hangup")))


def test_an_answered_human_is_ringing_answered_queued_connected_completed_and_hung_up() -> None:
    cid = "dlr-answered_human-1795412586"
    assert replay("answered_human.ami") == [
        CallRinging(cid, AT),
        ChannelAnswered(cid, AT),
        DialEnded(cid, AT, "ANSWER"),
        CallOriginated(cid, AT, 4, "Local/human@callees-00000000;1"),
        MachineDetected(cid, AT, "HUMAN", "HUMAN-800-800"),
        CallerQueued(cid, AT, "agents"),
        AgentConnected(cid, AT, "agents", "Agent1", "Local/agent1@agents/n", 0.0),
        CallHungUp(cid, AT, "Local/human@callees-00000000;2", 0, "Unknown", f"{cid}-2"),
        AgentCompleted(cid, AT, "agents", "Agent1", 0.0, 10.0, "caller"),
        CallHungUp(cid, AT, "Local/agent1@agents-00000001;1", 16, "Normal Clearing", "1795412590.2"),
        CallHungUp(cid, AT, "Local/agent1@agents-00000001;2", 16, "Normal Clearing", "1795412590.3"),
        CallHungUp(cid, AT, "Local/human@callees-00000000;1", 16, "Normal Clearing", cid),
    ]


def test_an_answering_machine_is_detected_and_never_queued() -> None:
    cid = "dlr-answered_machine-1795412604"
    assert replay("answered_machine.ami") == [
        CallRinging(cid, AT),
        ChannelAnswered(cid, AT),
        DialEnded(cid, AT, "ANSWER"),
        CallOriginated(cid, AT, 4, "Local/machine@callees-00000002;1"),
        MachineDetected(cid, AT, "MACHINE", "LONGGREETING-1500-1500"),
        CallHungUp(cid, AT, "Local/machine@callees-00000002;1", 16, "Normal Clearing", cid),
        CallHungUp(cid, AT, "Local/machine@callees-00000002;2", 16, "Normal Clearing", f"{cid}-2"),
    ]


def test_busy_is_told_by_dial_status_and_reason_5_not_by_the_cause_0_of_the_first_half() -> None:
    cid = "dlr-busy-1795412609"
    assert replay("busy.ami") == [
        DialEnded(cid, AT, "BUSY"),
        CallOriginated(cid, AT, 5, "Local/busy@callees"),
        CallHungUp(cid, AT, "Local/busy@callees-00000003;2", 17, "User busy", f"{cid}-2"),
        CallHungUp(cid, AT, "Local/busy@callees-00000003;1", 0, "Unknown", cid),
    ]


def test_congestion_is_reason_8_with_cause_34_on_the_callee_leg() -> None:
    cid = "dlr-congestion-1795412611"
    assert replay("congestion.ami") == [
        DialEnded(cid, AT, "CONGESTION"),
        CallOriginated(cid, AT, 8, "Local/congestion@callees"),
        CallHungUp(cid, AT, "Local/congestion@callees-00000004;2", 34, "Circuit/channel congestion", f"{cid}-2"),
        CallHungUp(cid, AT, "Local/congestion@callees-00000004;1", 0, "Unknown", cid),
    ]


def test_no_answer_rings_then_hangs_up_with_cause_19_before_its_reason_3() -> None:
    cid = "dlr-noanswer-1795412614"
    assert replay("noanswer.ami") == [
        CallRinging(cid, AT),
        CallHungUp(cid, AT, "Local/noanswer@callees-00000005;1", 19, "User alerting, no answer", cid),
        CallHungUp(cid, AT, "Local/noanswer@callees-00000005;2", 19, "User alerting, no answer", f"{cid}-2"),
        CallOriginated(cid, AT, 3, "Local/noanswer@callees"),
    ]


def test_the_attempt_variable_wins_over_the_linkedid() -> None:
    message = Message.of(("Event", "Hangup"), ("Linkedid", "other"), ("ChanVariable", "RDV_ATTEMPT=a-17"))
    assert call_id_of(message) == "a-17"


def test_a_failed_originate_without_uniqueid_is_named_by_its_action_id() -> None:
    message = Message.of(("Event", "OriginateResponse"), ("ActionID", "rdv-9"), ("Response", "Failure"),
                         ("Reason", "0"), ("Uniqueid", "<null>"))
    assert events_from_message(message, AT) == []
    assert events_from_message(message, AT, {"rdv-9": "a-9"}) == [CallOriginated("a-9", AT, 0, "")]


def test_an_abandoned_caller_and_a_varset_verdict_become_events() -> None:
    abandon = Message.of(("Event", "QueueCallerAbandon"), ("Uniqueid", "a-1"), ("Linkedid", "a-1"),
                         ("Queue", "camp-3"), ("Position", "1"), ("OriginalPosition", "1"), ("HoldTime", "2"))
    varset = Message.of(("Event", "VarSet"), ("Uniqueid", "a-1"), ("Linkedid", "a-1"),
                        ("Variable", "AMDSTATUS"), ("Value", "NOTSURE"))
    assert events_from_message(abandon, AT) == [CallerAbandoned("a-1", AT, "camp-3", 2.0)]
    assert events_from_message(varset, AT) == [MachineDetected("a-1", AT, "NOTSURE")]


def test_responses_unknown_events_and_events_about_no_call_give_nothing() -> None:
    assert events_from_message(Message.of(("Response", "Success"), ("Uniqueid", "a")), AT) == []
    assert events_from_message(Message.of(("Event", "DeviceStateChange"), ("Device", "x")), AT) == []
    assert events_from_message(Message.of(("Event", "Hangup"), ("Cause", "16")), AT) == []


def test_a_core_show_channel_entry_becomes_a_live_channel() -> None:
    entry = Message.of(("Event", "CoreShowChannel"), ("Channel", "Local/x@y-1;1"), ("ChannelStateDesc", "Up"),
                       ("Uniqueid", "a-1"), ("Linkedid", "a-1"), ("Duration", "00:01:05"))
    live = live_channel_from(entry)
    assert (live.uniqueid, live.linkedid, live.state, live.duration_s) == ("a-1", "a-1", "Up", 65.0)
