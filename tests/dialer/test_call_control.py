"""Call control through the AMI adapter against the PBX simulator over TCP: hold, listen, whisper, transfer,
hang up — each an action the PBX acts on, and a `call_events` row the screens read."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from campaigns.models import Attempt
from dialer.agents import Status
from dialer.amiwire import Message
from dialer.call_control import CallControl, CallControlRefused, InvalidInterface, NoCallToControl
from dialer.call_models import CallControlEvent
from dialer.engine import Engine
from tests.dialer.engine_harness import Dialer, running_dialer

AGENT = "agent1"


@pytest.fixture
async def dialer(database_url: str) -> AsyncIterator[Dialer]:
    async with running_dialer(database_url, 40) as harness:
        # A person's phone: the call lasts until someone hangs up, not a drawn talk time.
        harness.sim.declare_real_agent(f"Local/{AGENT}@agents/n")
        seen: list[Message] = []
        harness.sim.observers.append(seen.append)
        harness.seen = seen  # type: ignore[attr-defined]
        yield harness


async def connected(dialer: Dialer) -> tuple[Engine, str]:
    engine = await dialer.start_engine(agents=1)
    await dialer.until(lambda: engine.agents[AGENT].status is Status.ON_CALL, clock_s=3600)
    call_id = engine.agents[AGENT].call_id
    await dialer.until(lambda: engine.calls[call_id].call.connected_at is not None, clock_s=60)
    return engine, call_id


def kinds(dialer: Dialer) -> list[tuple[str, str, str]]:
    with dialer.sessions() as session:
        rows = session.scalars(select(CallControlEvent).order_by(CallControlEvent.id))
        return [(r.kind, r.login, r.detail) for r in rows]


def events_named(dialer: Dialer, name: str) -> list[dict[str, str]]:
    seen: list[Message] = dialer.seen  # type: ignore[attr-defined]
    return [dict(m.fields) for m in seen if m.fields and m.fields[0] == ("Event", name)]


async def test_hold_listen_whisper_then_hangup_each_act_on_the_pbx_and_are_stored(dialer: Dialer) -> None:
    engine, call_id = await connected(dialer)
    control = CallControl(engine)
    heard: list[str] = []
    control.on_event(lambda event: heard.append(event.kind))

    await control.hold(AGENT, True)
    await dialer.until(lambda: bool(events_named(dialer, "MusicOnHoldStart")), clock_s=30)
    assert events_named(dialer, "MusicOnHoldStart")[-1]["Channel"].startswith(f"Local/{AGENT}@agents-")
    assert (await control.hold(AGENT, True)).detail == "already"  # asked twice: sent and stored once
    await control.hold(AGENT, False)
    await control.listen(AGENT, "PJSIP/chef1", by="chef")
    await control.listen(AGENT, "PJSIP/chef1", whisper=True, by="chef")
    await dialer.until(lambda: len(events_named(dialer, "ChanSpyStart")) == 2, clock_s=30)
    spy = events_named(dialer, "ChanSpyStart")[0]
    assert spy["SpyerChannel"].startswith("PJSIP/chef1-") and spy["SpyeeChannel"].startswith(f"Local/{AGENT}@agents-")
    assert engine.calls[call_id].call.live  # none of it ended the call

    await control.hangup(AGENT)
    await dialer.until(lambda: call_id not in engine.calls, clock_s=60)
    with dialer.sessions() as session:
        attempt = session.scalars(select(Attempt).where(Attempt.action_id == call_id)).one()
    assert attempt.outcome == "connected" and attempt.talk_s is not None
    # The spies end with the call (ChanSpy option E); nothing of the call is left on the PBX.
    await dialer.until(lambda: not [c for c in dialer.sim.live_channels if "chef1" in c], clock_s=30)
    assert [k for k, _login, _detail in kinds(dialer)] == ["hold", "unhold", "listen", "whisper", "hangup"]
    assert kinds(dialer)[2] == ("listen", "chef", "PJSIP/chef1")
    assert heard == ["hold", "unhold", "listen", "whisper", "hangup"]


async def test_a_transfer_brings_the_supervisor_in_and_the_agents_hangup_leaves_them_the_callee(
        dialer: Dialer) -> None:
    engine, call_id = await connected(dialer)
    control = CallControl(engine)
    await control.transfer(AGENT, "PJSIP/chef1", by=AGENT)
    await dialer.until(lambda: any(e.get("Channel", "").startswith("PJSIP/chef1-")
                                   for e in events_named(dialer, "BridgeEnter")), clock_s=30)
    assert engine.agents[AGENT].status is Status.ON_CALL  # warm: the agent stays until they leave
    await control.hangup(AGENT)
    await dialer.until(lambda: any(e.get("Reason") == "agent" for e in events_named(dialer, "AgentComplete")),
                       clock_s=30)
    assert not [c for c in dialer.sim.live_channels if c.startswith(f"Local/{AGENT}@agents-")]
    assert engine.calls[call_id].call.live  # the callee talks on, with the supervisor
    assert engine.agents[AGENT].status is Status.WRAP_UP  # free for the next call after the wrap-up
    await engine.pbx.hangup(call_id)  # the callee hangs up
    await dialer.until(lambda: call_id not in engine.calls, clock_s=60)
    with dialer.sessions() as session:
        attempt = session.scalars(select(Attempt).where(Attempt.action_id == call_id)).one()
    assert attempt.outcome == "connected"
    assert kinds(dialer) == [("transfer", AGENT, "PJSIP/chef1"), ("hangup", AGENT, "agent")]


async def test_no_call_bad_phone_and_a_refusal_are_clear_errors_and_store_nothing(dialer: Dialer) -> None:
    engine, _call_id = await connected(dialer)
    control = CallControl(engine)
    with pytest.raises(NoCallToControl, match="agent9"):
        await control.hangup("agent9")  # not logged in, so no call
    with pytest.raises(InvalidInterface):
        await control.listen(AGENT, "PJSIP/chef1,evil")
    await dialer.sim.stop()  # the PBX is gone: the adapter refuses to act
    with pytest.raises(CallControlRefused):
        await control.hold(AGENT, True)
    assert kinds(dialer) == []
