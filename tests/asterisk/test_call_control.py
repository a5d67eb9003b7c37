"""Call control on the real Asterisk with the project's dialplan: hang up, listen and whisper (ChanSpy of the
agent's phone), hold and back, a warm transfer to a supervisor, and the call's recording (MixMonitor)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from campaigns.models import Attempt
from dialer.agents import Status
from dialer.call_control import CallControl
from dialer.call_models import CallControlEvent, Recording
from dialer.recordings import Recorder, wav_seconds
from tests.asterisk.harness import Asterisk, callee
from tests.asterisk.live_dialer import live_dialer
from tests.asterisk.scenario import prepare, queue_events

pytestmark = pytest.mark.asterisk
AGENT, CHEF = "agent1", "Local/chef@rdv-sim-phones"  # the supervisor's phone answers at once, as the agents'


def channels(asterisk: Asterisk) -> list[str]:
    """`core show channels concise`: name!context!exten!prio!state!application!data!…"""
    return [line for line in asterisk.rx("core show channels concise").splitlines() if "!" in line]


def attempt_of(sessions, call_id: str) -> Attempt:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return session.scalars(select(Attempt).where(Attempt.action_id == call_id)).one()


async def test_listen_whisper_hangup_and_the_recording_on_the_real_pbx(sqlite_url: str, asterisk: Asterisk,
                                                                        pbx_root: Path) -> None:
    campaign_id = prepare(sqlite_url, [callee("human", 1, ring_s=1, talk_s=90)], settings={"record_calls": "yes"})
    asterisk.configure(sqlite_url, ["--sim-agents", "1"])
    asterisk.start()
    recorders: list[Recorder] = []

    def attach(engine) -> None:  # type: ignore[no-untyped-def]
        recorders.append(Recorder(engine.sessions, engine.clock, pbx_root / "rdv-data").attach(engine))

    async with live_dialer(sqlite_url, asterisk, campaign_id, [AGENT], setup=attach) as live:
        call_id = await live.on_call(AGENT)
        control = CallControl(live.engine)
        await control.listen(AGENT, CHEF, by="chef")
        await live.until(lambda: bool(live.watcher.named("ChanSpyStart")), "the supervisor listening")
        spy = live.watcher.named("ChanSpyStart")[0]
        # The spy is the supervisor's phone; the spied channel is the agent's phone, in the agent leg's bridge.
        assert spy["SpyerChannel"].startswith(CHEF) and spy["SpyeeChannel"].startswith(f"Local/{AGENT}@rdv-sim-phones")
        assert any(line.startswith(CHEF) and "!ChanSpy!" in line for line in channels(asterisk)), channels(asterisk)
        await control.listen(AGENT, CHEF, whisper=True, by="chef")
        await live.until(lambda: len(live.watcher.named("ChanSpyStart")) == 2, "the supervisor whispering")
        assert live.engine.calls[call_id].call.live
        await asyncio.sleep(3)

        await control.hangup(AGENT)
        await live.until(lambda: call_id not in live.engine.calls, "the call ended by the agent's hang-up")
        # ChanSpy's E option: both spies end with the agent's channel, and nothing of the call is left.
        await live.until(lambda: len(live.watcher.named("ChanSpyStop")) == 2, "the spies stopped")
        await live.until(lambda: not channels(asterisk), "every channel gone")
        await live.until(lambda: recorders[0].stored == 1 or recorders[0].missing == 1, "the recording stored", 60)

    attempt = attempt_of(live.sessions, call_id)
    assert attempt.outcome == "connected" and attempt.talk_s is not None
    assert 3 <= attempt.talk_s < 60  # ended by the hang-up, long before the callee's 90 s
    with live.sessions() as session:
        recording = session.scalars(select(Recording)).one()
        kinds = [e.kind for e in session.scalars(select(CallControlEvent).order_by(CallControlEvent.id))]
    assert kinds == ["listen", "whisper", "hangup", "recorded"]
    path = pbx_root / "rdv-data" / recording.path
    assert path.stat().st_size > 8000 and recording.duration_s == pytest.approx(wav_seconds(path), abs=0.01)
    # MixMonitor starts when the agent is connected: the file is the conversation, within a second or two.
    assert abs(recording.duration_s - attempt.talk_s) <= 2.0, (recording.duration_s, attempt.talk_s)


async def test_hold_back_and_a_warm_transfer_on_the_real_pbx(sqlite_url: str, asterisk: Asterisk,
                                                              pbx_root: Path) -> None:
    campaign_id = prepare(sqlite_url, [callee("human", 2, ring_s=1, talk_s=30)])
    asterisk.configure(sqlite_url, ["--sim-agents", "1"])
    asterisk.start()
    async with live_dialer(sqlite_url, asterisk, campaign_id, [AGENT]) as live:
        call_id = await live.on_call(AGENT)
        control = CallControl(live.engine)
        far = f"Local/{AGENT}@agents-"
        await control.hold(AGENT, True)
        await live.until(lambda: bool(live.watcher.named("MusicOnHoldStart", Channel=far)), "the music on hold")
        await asyncio.sleep(2)
        # On hold, nothing ended: the callee, the queue's bridge and the agent's phone are all still there.
        assert live.engine.calls[call_id].call.live
        assert any(line.startswith(f"Local/{AGENT}@rdv-sim-phones") for line in channels(asterisk))
        entered = len(live.watcher.named("BridgeEnter", Channel=far))
        await control.hold(AGENT, False)
        await live.until(lambda: len(live.watcher.named("BridgeEnter", Channel=far)) > entered,
                         "the agent's leg bridged with the phone again")
        assert live.watcher.named("MusicOnHoldStop", Channel=far)

        await control.transfer(AGENT, CHEF, by=AGENT)
        await live.until(lambda: bool(live.watcher.named("BridgeEnter", Channel=CHEF)), "the supervisor joined")
        assert live.engine.agents[AGENT].status is Status.ON_CALL  # warm: the agent is still on the call
        await control.hangup(AGENT)  # the agent leaves; the callee stays with the supervisor
        await live.until(lambda: live.engine.agents[AGENT].status is not Status.ON_CALL, "the agent freed")
        await asyncio.sleep(1)
        assert live.engine.calls[call_id].call.live
        # The supervisor is in the queue's bridge with the dialer's `;1` half: the chain to the callee stands.
        assert any(line.startswith(CHEF) for line in channels(asterisk))
        assert any("@rdv-outbound-" in line.split("!")[0] and line.split("!")[0].endswith(";1")
                   for line in channels(asterisk)), channels(asterisk)
        await live.until(lambda: call_id not in live.engine.calls, "the callee hung up")
        await live.until(lambda: not channels(asterisk), "every channel gone")

    attempt = attempt_of(live.sessions, call_id)
    assert attempt.outcome == "connected" and attempt.talk_s is not None and attempt.talk_s >= 20
    # For Asterisk's queue too the call went on to the callee's hang-up (the supervisor took it in its bridge).
    assert queue_events(asterisk, call_id)[-1] == "COMPLETECALLER"
