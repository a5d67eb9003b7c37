"""The console's figures: time in states and pauses from the presence history, the day's work per agent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from campaigns.models import Attempt
from config.orm import transaction
from dialer.desk_models import AgentEvent
from dialer.models import AgentRecord
from rdv.console_figures import floor
from rdv.console_presence import PresenceEvent, PresenceLedger, occupancy, presence_totals
from rdv.live_models import CampaignLive
from tests.campaigns.factories import campaign, leads

TEN = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Paris
LIMITS = {"break": 15, "lunch": 60}


def _at(minutes: float) -> datetime:
    return TEN + timedelta(minutes=minutes)


def _alice() -> list[PresenceEvent]:
    return [PresenceEvent("alice", state, reason, _at(m)) for m, state, reason in [
        (0, "available", ""), (5, "on_call", ""), (10, "wrap_up", ""), (11, "paused", "break"),
        (30, "available", ""), (40, "paused", "lunch")]]  # fmt: skip


def test_each_state_lasts_until_the_next_event_and_pauses_beyond_their_length_count_their_excess() -> None:
    totals = presence_totals(reversed(_alice()), _at(110), LIMITS)["alice"]
    assert totals.seconds["available"] == 15 * 60 and totals.seconds["on_call"] == 5 * 60
    assert totals.seconds["wrap_up"] == 60 and totals.logged_in_s == 110 * 60
    brk, lunch = totals.pauses["break"], totals.pauses["lunch"]
    assert (brk.count, brk.seconds, brk.over_s, brk.over_now) == (1, 19 * 60, 4 * 60, False)
    assert (lunch.seconds, lunch.over_s, lunch.over_now) == (70 * 60, 10 * 60, True)
    # Busy (call and wrap-up) 6 minutes out of 21 worked: ready, on a call or in wrap-up.
    assert occupancy([totals]) == pytest.approx(6 / 21)


def test_a_pause_within_its_length_or_without_a_known_length_is_never_over() -> None:
    events = [PresenceEvent("bob", "paused", "break", _at(0)), PresenceEvent("bob", "paused", "odd", _at(10)),
              PresenceEvent("bob", "logged_out", "", _at(200))]
    totals = presence_totals(events, _at(300), LIMITS)["bob"]
    assert totals.pauses["break"].over_s == 0 and totals.pauses["odd"].over_s == 0
    assert totals.logged_in_s == 200 * 60 and occupancy([totals]) is None


def test_settling_the_history_step_by_step_gives_the_totals_of_one_full_reading() -> None:
    events = sorted([*_alice(), PresenceEvent("bob", "available", "", _at(3)),
                     PresenceEvent("bob", "paused", "break", _at(20)), PresenceEvent("bob", "available", "", _at(50))],
                    key=lambda e: e.at)  # fmt: skip
    whole = presence_totals(events, _at(110), LIMITS)
    for first in range(len(events) + 1):
        for second in range(first, len(events) + 1):
            ledger = PresenceLedger()
            ledger.settle(events[:first], LIMITS)
            ledger.settle(events[first:second], LIMITS)
            assert ledger.totals(events[second:], _at(110), LIMITS) == whole, (first, second)


def _attempt(session: Session, cid: int, lead_id: int, n: int, agent: str, disposition: str,
             outcome: str = "connected") -> None:
    session.add(Attempt(campaign_id=cid, lead_id=lead_id, attempt_no=1, phone_e164=f"+3361000{n:04d}",
                        callee_tz="Europe/Paris", action_id=f"a{n}", state="ended", outcome=outcome,
                        created_at=_at(n), ended_at=_at(n + 1), agent=agent, disposition=disposition,
                        talk_s=100.0 if outcome == "connected" else None, wrap_s=20.0 if agent else None))


def test_the_floor_gives_each_agent_s_day_and_the_campaign_s_totals(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        cid = campaign(session).id
        lead_ids = [lead.id for lead in leads(session, cid, 8)]
        for n, (agent, code) in enumerate([("alice", "rdv"), ("alice", "refused"), ("alice", "wrong_number"),
                                           ("bob", "rdv"), ("bob", "rdv")]):  # fmt: skip
            _attempt(session, cid, lead_ids[n], n, agent, code)
        _attempt(session, cid, lead_ids[6], 6, "", "", outcome="no_answer")
        # Yesterday's call is not today's work.
        session.add(Attempt(campaign_id=cid, lead_id=lead_ids[7], attempt_no=1, phone_e164="+33610009999",
                            callee_tz="Europe/Paris", action_id="old", state="ended", outcome="connected",
                            created_at=TEN - timedelta(days=1), agent="alice", disposition="rdv"))
        session.add_all([
            AgentRecord(login="alice", display_name="Alice Martin", campaign_id=cid, state="paused",
                        pause_reason="lunch", since=_at(40)),
            AgentRecord(login="bob", display_name="", campaign_id=cid, state="on_call", since=_at(100)),
        ])  # fmt: skip
        session.add_all([AgentEvent(login=e.login, campaign_id=cid, state=e.state, reason=e.reason, at=e.at)
                         for e in _alice()])  # fmt: skip
        session.add(CampaignLive(campaign_id=cid, dialer_id="d1", ringing=3, queued=1, talking=1, dial_level=4.0,
                                 pacing_mode="predictive", abandon_target=0.03, dialing="running", dials_today=6,
                                 resolved_today=6, answered_today=5, humans_today=5, dropped_today=0,
                                 humans_30d=40, dropped_30d=1,
                                 updated_at=_at(109)))  # fmt: skip
    with sessions() as session:
        board = floor(session, cid, _at(110))
    alice, bob = board.agents
    assert (alice.name, alice.calls, alice.talk_s, alice.wrap_s, alice.argued, alice.rdvs) == (
        "Alice Martin", 3, 300.0, 60.0, 2, 1)
    assert alice.conversion == 0.5 and alice.pause_over and alice.pausing_too_long
    assert (bob.name, bob.rdvs, bob.conversion, bob.pause_over) == ("bob", 2, 1.0, False)
    assert bob.in_state_s(_at(110)) == 600
    assert (board.connected, board.argued, board.rdvs) == (5, 4, 3)
    assert board.by_state() == {"paused": 1, "paused:lunch": 1, "on_call": 1}
    live = board.live
    assert (live.ringing, live.queued, live.dial_level, live.dialers) == (3, 1, 4.0, 1)
    assert live.answer_rate == pytest.approx(5 / 6) and live.abandon_30d == pytest.approx(1 / 40)
    assert board.occupancy == pytest.approx(6 / 21)
    # Later, with the older events settled in this process's ledger: the same day, two minutes on.
    with sessions() as session:
        later = floor(session, cid, _at(112))
    lunch = next(p for p in later.agents[0].pauses if p.reason == "lunch")
    assert lunch.seconds == 72 * 60 and lunch.over_s == 12 * 60
