"""A personal callback on the real Asterisk with the project's dialplan: the callee, once answered, is put
through to the phone of the agent who booked it (Dial() of their queue interface, [rdv-personal]), not to the
queue, though another agent is free; that agent is paused in the queue meanwhile and unpaused after."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from campaigns.models import Attempt
from campaigns.outcomes import book_callback
from config.orm import transaction
from dialer.agents import CALLBACK_REASON, Status
from dialer.call_control import CallControl
from leads.models import Lead
from rdv import db
from tests.asterisk.harness import Asterisk, callee
from tests.asterisk.live_dialer import live_dialer
from tests.asterisk.scenario import MONDAY_3PM, prepare

pytestmark = pytest.mark.asterisk
BOOKED_BY = "agent2"
PHONE = "Local/agent2@agents/n"


async def test_a_personal_callback_reaches_the_phone_of_the_agent_who_booked_it(sqlite_url: str, asterisk: Asterisk,
                                                                                 pbx_root: Path) -> None:
    number = callee("human", 1, ring_s=1, talk_s=12)
    campaign_id = prepare(sqlite_url, [number])
    sessions = db.session_factory(db.make_engine(sqlite_url))
    with transaction(sessions) as session:
        lead_id = session.scalars(select(Lead.id).where(Lead.campaign_id == campaign_id)).one()
        book_callback(session, lead_id, MONDAY_3PM + timedelta(seconds=3), MONDAY_3PM - timedelta(hours=1),
                      agent=BOOKED_BY, note="rappeler")
    asterisk.configure(sqlite_url, ["--sim-agents", "2"])
    asterisk.start()
    # agent1 joins the queue first: the queue would hand the call to them.
    async with live_dialer(sqlite_url, asterisk, campaign_id, ["agent1", BOOKED_BY]) as live:
        call_id = await live.on_call(BOOKED_BY)
        assert live.engine.agents["agent1"].status is Status.AVAILABLE
        await live.until(lambda: call_id not in live.engine.calls, "the callee hung up")
        await live.until(lambda: live.engine.agents[BOOKED_BY].free, "the agent ready again")
        await live.until(lambda: any(e.get("Paused") == "0" for e in live.watcher.named("QueueMemberPause",
                                                                                          Interface=PHONE)),
                         "the agent unpaused in the queue")
        said = live.watcher.named("UserEvent", UserEvent="RDVAgentConnect")
        pauses = live.watcher.named("QueueMemberPause", Interface=PHONE)
        queued = live.watcher.named("QueueCallerJoin")

    with sessions() as session:
        attempt = session.scalars(select(Attempt).where(Attempt.action_id == call_id)).one()
    assert (attempt.outcome, attempt.agent) == ("connected", BOOKED_BY)
    assert attempt.talk_s is not None and attempt.talk_s >= 5
    # Who took it came from the agent's leg; the queue never saw the caller.
    assert [(e["Agent"], e["Linkedid"]) for e in said] == [(BOOKED_BY, call_id)]
    assert not queued
    assert (pauses[0]["Paused"], pauses[0]["PausedReason"]) == ("1", CALLBACK_REASON)


async def test_call_control_works_on_a_personal_callback_as_on_a_queue_call(sqlite_url: str, asterisk: Asterisk,
                                                                           pbx_root: Path) -> None:
    """The chain is the queue's (the agent leg's `;1` bridged with the dialer's `;1`), so hold and hang-up find it."""
    campaign_id = prepare(sqlite_url, [callee("human", 2, ring_s=1, talk_s=60)])
    sessions = db.session_factory(db.make_engine(sqlite_url))
    with transaction(sessions) as session:
        lead_id = session.scalars(select(Lead.id).where(Lead.campaign_id == campaign_id)).one()
        book_callback(session, lead_id, MONDAY_3PM + timedelta(seconds=3), MONDAY_3PM - timedelta(hours=1),
                      agent=BOOKED_BY)
    asterisk.configure(sqlite_url, ["--sim-agents", "2"])
    asterisk.start()
    async with live_dialer(sqlite_url, asterisk, campaign_id, ["agent1", BOOKED_BY]) as live:
        call_id = await live.on_call(BOOKED_BY)
        control = CallControl(live.engine)
        far = f"Local/{BOOKED_BY}@agents-"
        await control.hold(BOOKED_BY, True)
        await live.until(lambda: bool(live.watcher.named("MusicOnHoldStart", Channel=far)), "the music on hold")
        await control.hold(BOOKED_BY, False)
        await live.until(lambda: bool(live.watcher.named("MusicOnHoldStop", Channel=far)), "back from hold")
        assert live.engine.calls[call_id].call.live
        await control.hangup(BOOKED_BY)
        await live.until(lambda: call_id not in live.engine.calls, "the call ended by the agent's hang-up")

    with sessions() as session:
        attempt = session.scalars(select(Attempt).where(Attempt.action_id == call_id)).one()
    assert (attempt.outcome, attempt.agent) == ("connected", BOOKED_BY)
    assert attempt.talk_s is not None and attempt.talk_s < 50  # ended by the hang-up, before the callee's 60 s
