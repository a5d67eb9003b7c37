"""Pacing's abandonment counts and rates survive a restart: seeded from the stored attempts at start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from campaigns.models import Attempt
from config.orm import transaction
from dialer.campaign_view import load_campaign_views
from dialer.pacing import PacingMode, PacingPolicy
from tests.campaigns.factories import MONDAY_3PM, campaign, leads
from tests.dialer.engine_harness import Dialer, running_dialer

NOW = MONDAY_3PM  # 15:00 in Paris


def _store(session: Session, campaign_id: int, lead_id: int, ended: datetime, outcomes: dict[str, int]) -> None:
    for outcome, count in outcomes.items():
        for _ in range(count):
            answered = ended - timedelta(seconds=60) if outcome in ("connected", "dropped", "machine") else None
            session.add(Attempt(campaign_id=campaign_id, lead_id=lead_id, attempt_no=1, phone_e164="+33100000000",
                                callee_tz="Europe/Paris", state="ended", outcome=outcome,
                                action_id=f"call-{outcome}-{ended.timestamp()}-{_}",
                                created_at=ended - timedelta(seconds=90), originated_at=ended - timedelta(seconds=80),
                                answered_at=answered, ended_at=ended,
                                talk_s=45.0 if outcome == "connected" else None))  # fmt: skip


def test_a_restart_starts_from_the_stored_days_abandonment_and_the_rolling_30_days(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        cid = campaign(session).id
        lead = leads(session, cid, 1)[0].id
        # This morning, 10 days ago, and 31 days ago (outside the rolling window).
        _store(session, cid, lead, NOW - timedelta(hours=4), {"connected": 38, "dropped": 2, "no_answer": 60})
        _store(session, cid, lead, NOW - timedelta(days=10), {"connected": 95, "dropped": 5, "machine": 20})
        _store(session, cid, lead, NOW - timedelta(days=31), {"connected": 30, "dropped": 20})
    # 00:30 in Paris is still yesterday in UTC: the campaign's own calendar day counts.
    just_after_midnight = NOW.replace(hour=23, minute=30) - timedelta(days=1)
    with transaction(sessions) as session:
        _store(session, cid, lead, just_after_midnight, {"dropped": 1})
    with sessions() as session:
        view = load_campaign_views(session, [cid], {}, NOW)[cid]
    measured = view.stats.snapshot(view.day(NOW))
    assert (measured.humans_today, measured.dropped_today) == (41, 3)
    assert (measured.humans_30d, measured.dropped_30d) == (141, 8)
    # Rates come from the last 1,000 finished dials whatever their age, as the live window keeps them.
    assert measured.dials == 271 and measured.answer_rate == pytest.approx(191 / 271)
    assert measured.talk.count == 163 and measured.talk.mean == 45.0


@pytest.fixture
async def dialer(database_url: str) -> AsyncIterator[Dialer]:
    async with running_dialer(database_url, 2000) as harness:
        yield harness


async def test_after_a_restart_mid_day_the_days_and_30_day_abandonment_carry_on(dialer: Dialer) -> None:
    # A tight target for 3 agents: predictive pacing drops some calls, which the restart must remember.
    policy = PacingPolicy(mode=PacingMode.PREDICTIVE)
    first = await dialer.start_engine(agents=3, policy=policy)
    await dialer.until(lambda: first.counters["outcome_connected"] >= 20, clock_s=3 * 3600)
    await first.stop(drain_timeout=600)
    before = first.pacing_state_of(dialer.campaign_id, dialer.clock.now()).measured
    assert before.humans_today >= 20

    second = await dialer.start_engine(agents=3, dialer_id="d1", policy=policy)
    after = second.pacing_state_of(dialer.campaign_id, dialer.clock.now()).measured
    assert (after.humans_today, after.dropped_today) == (before.humans_today, before.dropped_today)
    assert (after.humans_30d, after.dropped_30d) == (before.humans_30d, before.dropped_30d)
    assert after.dials == before.dials and after.answer_rate == pytest.approx(before.answer_rate)
    await dialer.until(lambda: second.counters["outcome_connected"] >= 5, clock_s=3600)
    later = second.pacing_state_of(dialer.campaign_id, dialer.clock.now()).measured
    assert later.humans_today > before.humans_today, "the day's count went on from where it was"
