"""The engine places a call only if it rings inside the callee's window, checked at the moment of Originate
(manual clock; SQLite and PostgreSQL): time taken by the claim or by storing the dial never lets a call start or
ring after the window closes, and a lead refused then keeps no attempt and no dial."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.calendar import is_callable, may_ring
from campaigns.claimer import DialTarget
from campaigns.effective import CalleeZone, build_calendar
from campaigns.hopper import Hopper, hopper_for
from campaigns.models import Attempt, LeadClaim
from campaigns.profiles import get_profile
from campaigns.settings import campaign_settings
from config.clock import ManualClock
from dialer import ports
from dialer.engine import Engine, EngineSettings
from dialer.pacing import PacingMode, PacingPolicy
from leads.consent_store import Grant, record_grants
from leads.models import Lead
from rdv.db import transaction
from tests.campaigns.factories import campaign, leads

# Monday 23 November 2026 in Paris: fr-consumer closes for lunch at 13:00 (12:00 UTC) and, with the campaign's
# hours, for the day at 19:00 (18:00 UTC).
CLOSINGS = (datetime(2026, 11, 23, 12, 0, tzinfo=UTC), datetime(2026, 11, 23, 18, 0, tzinfo=UTC))
CALENDAR = build_calendar(campaign_settings({}), get_profile("fr-consumer"), CalleeZone("Europe/Paris"),
                          "Europe/Paris")
_names = itertools.count(1)


class RecordingPbx:
    """A PBX port that keeps every Originate with the clock's moment and answers nothing: what these tests look
    at is when the engine sends (the AMI path itself is tested against the simulator over TCP)."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.originated: list[tuple[datetime, ports.OriginateRequest]] = []
        self.members: dict[str, set[str]] = {}
        self._closed = asyncio.Event()

    async def originate(self, request: ports.OriginateRequest) -> None:
        self.originated.append((self.clock.now(), request))

    async def hangup(self, channel: str, cause: int = 16) -> None:
        return None

    async def queue_add(self, queue: str, interface: str, member_name: str, paused: bool = False) -> None:
        self.members.setdefault(queue, set()).add(interface)

    async def queue_remove(self, queue: str, interface: str) -> None:
        self.members.setdefault(queue, set()).discard(interface)

    async def queue_members(self, queue: str) -> set[str] | None:
        return set(self.members.get(queue, set()))  # every queue exists here

    async def queue_pause(self, queue: str, interface: str, paused: bool, reason: str = "") -> None:
        return None

    async def live_channels(self) -> list[ports.LiveChannel]:
        return []

    async def events(self) -> AsyncIterator[ports.DialerEvent]:
        await self._closed.wait()
        return
        yield  # an async generator that ends when the PBX is closed

    async def close(self) -> None:
        self._closed.set()


class SlowHopper(Hopper):
    """The database's hopper, whose claims take `delay` seconds of the clock."""

    def __init__(self, inner: Hopper, clock: ManualClock, delay: float) -> None:
        super().__init__(inner.claimer)
        self.clock, self.delay = clock, delay

    def claim(self, *args: Any, **kwargs: Any) -> list[DialTarget]:
        found = super().claim(*args, **kwargs)
        self.clock.advance(self.delay)
        return found


@dataclass
class Tick:
    """What one engine tick did: the Originates sent with their moments, and the campaign's leads after it."""

    originated: list[datetime]
    numbers: list[str]  # the numbers dialled, in the same order
    attempts: int
    dialled_leads: int
    claimed_leads: int
    journal_rows: int
    counters: dict[str, int]


async def one_tick(sessions: sessionmaker[Session], start: datetime, ring_s: float, claim_s: float,
                   commit_s: float, lead_count: int = 3, stored: dict[str, str] | None = None,
                   hours_exempt: int = 0) -> Tick:
    """A fresh fr-consumer campaign (with `stored` settings) with two agents, one engine tick at `start` with a
    slow claim and commits; the first `hours_exempt` leads' consent lifts the legal days and hours."""
    n = next(_names)
    with transaction(sessions) as session:
        made = campaign(session, name=f"Fenêtre {n}", client=f"Client {n}", settings=stored)
        cid = made.id
        exempt = leads(session, cid, lead_count, start=n * 100)[:hours_exempt]
        grant = Grant(datetime(2026, 9, 1, tzinfo=UTC), "formulaire web", "CGU-7", hours_exempt=True)
        record_grants(session, {lead.id: grant for lead in exempt}, "test", start, made.client_id)
    clock = ManualClock(start)
    pbx = RecordingPbx(clock)
    policy = PacingPolicy(mode=PacingMode.PROGRESSIVE)
    engine = Engine(clock, pbx, sessions, [cid], "d1", settings=EngineSettings(ring_timeout_s=ring_s,
                    policies={cid: policy}), hopper=SlowHopper(hopper_for(sessions.kw["bind"]), clock, claim_s))
    await engine.start()
    for agent in ("agent1", "agent2"):
        await engine.log_in(agent, cid, agent)
    bind = sessions.kw["bind"]

    def slow_commit(_connection: Any) -> None:
        clock.advance(commit_s)

    event.listen(bind, "commit", slow_commit)
    try:
        await engine.tick()
    finally:
        event.remove(bind, "commit", slow_commit)
        await pbx.close()
        if engine._consumer is not None:
            await asyncio.gather(engine._consumer, return_exceptions=True)
    with sessions() as session:
        mine = Lead.campaign_id == cid
        return Tick(
            originated=[at for at, _request in pbx.originated],
            numbers=[request.e164 for _at, request in pbx.originated],
            attempts=session.scalar(select(func.count(Attempt.id)).where(Attempt.campaign_id == cid)) or 0,
            dialled_leads=session.scalar(select(func.count(Lead.id)).where(mine, Lead.attempts > 0)) or 0,
            claimed_leads=session.scalar(select(func.count(Lead.id)).where(mine, Lead.claimed_by != "")) or 0,
            journal_rows=session.scalar(select(func.count(LeadClaim.lead_id)).join(Lead, Lead.id == LeadClaim.lead_id)
                                        .where(mine)) or 0,
            counters=dict(engine.counters),
        )


def assert_only_calls_that_ring_inside_the_window(tick: Tick, ring_s: float) -> None:
    ring = timedelta(seconds=ring_s)
    for started in tick.originated:
        assert is_callable(started, CALENDAR) and may_ring(started, CALENDAR, ring), started
        assert not any(started < closing < started + ring for closing in CLOSINGS), started
    # Every lead the engine did not originate is as it was: no attempt, no dial counted, not claimed.
    assert tick.attempts == tick.dialled_leads == tick.claimed_leads == tick.journal_rows == len(tick.originated)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    closing=st.sampled_from(CLOSINGS),
    before_s=st.floats(min_value=0, max_value=150),
    ring_s=st.floats(min_value=1, max_value=60),
    claim_s=st.floats(min_value=0, max_value=60),
    commit_s=st.floats(min_value=0, max_value=30),
)
def test_for_any_claim_and_commit_delay_and_ring_no_call_starts_or_rings_after_the_window_closes(
    sessions: sessionmaker[Session], closing: datetime, before_s: float, ring_s: float, claim_s: float,
    commit_s: float,
) -> None:
    start = closing - timedelta(seconds=before_s)
    tick = asyncio.run(one_tick(sessions, start, ring_s, claim_s, commit_s))
    assert_only_calls_that_ring_inside_the_window(tick, ring_s)


def test_a_lead_claimed_before_the_lunch_break_whose_claim_ends_too_late_goes_back_untouched(
    sessions: sessionmaker[Session],
) -> None:
    # Claimed at 12:59:20 with a 30-second ring: room for it, but the claim takes 15 s (the 13:00:14).
    tick = asyncio.run(one_tick(sessions, CLOSINGS[0] - timedelta(seconds=40), 30.0, 15.0, 0.0))
    assert tick.originated == [] and tick.counters.get("deferred_at_originate", 0) >= 1
    assert_only_calls_that_ring_inside_the_window(tick, 30.0)


def test_a_dial_stored_too_slowly_before_the_window_closes_is_withdrawn_uncounted(
    sessions: sessionmaker[Session],
) -> None:
    # Checked at 12:59:20 (room for a 30-second ring), but the commit that stores the dial takes 20 s.
    tick = asyncio.run(one_tick(sessions, CLOSINGS[0] - timedelta(seconds=40), 30.0, 0.0, 20.0))
    assert tick.originated == [] and tick.counters.get("withdrawn_at_originate", 0) >= 1
    assert tick.counters.get("dialled", 0) == 0
    assert_only_calls_that_ring_inside_the_window(tick, 30.0)


def test_with_room_for_the_ring_the_calls_are_placed_and_start_when_sent(sessions: sessionmaker[Session]) -> None:
    start = CLOSINGS[0] - timedelta(minutes=5)
    tick = asyncio.run(one_tick(sessions, start, 30.0, 2.0, 1.0))
    assert len(tick.originated) >= 1
    # The claim took 2 s and the commit 1 s: the call starts at the Originate, three seconds after the tick.
    assert set(tick.originated) == {start + timedelta(seconds=3)}
    assert_only_calls_that_ring_inside_the_window(tick, 30.0)


# The contract's hours (seed 001: 10h-19h, Saturdays on request), of which fr-consumer takes 13:00-14:00 and Saturdays.
CONTRACT = {"weekday_windows": "10:00-19:00", "saturday": "yes", "saturday_windows": "10:00-13:00"}


def test_a_consent_outside_hours_is_dialled_in_the_legal_lunch_break_and_no_other(
    sessions: sessionmaker[Session],
) -> None:
    lunch = CLOSINGS[0] + timedelta(minutes=30)  # 13:30 in Paris: the campaign's window is open, the law's is not
    tick = asyncio.run(one_tick(sessions, lunch, 30.0, 1.0, 0.0, stored=CONTRACT, hours_exempt=1))
    with sessions() as session:
        exempt = session.scalars(select(Lead.phone_e164).where(Lead.attempts > 0)).all()
    assert len(tick.numbers) == 1 and tick.numbers == list(exempt)
    assert tick.originated == [lunch + timedelta(seconds=1)]
    assert tick.attempts == tick.dialled_leads == tick.claimed_leads == 1


def test_the_campaigns_own_closing_still_stops_a_call_to_a_consent_outside_hours_at_originate(
    sessions: sessionmaker[Session],
) -> None:
    # Saturday 28 November, 12:59:20 in Paris: open only to them, until 13:00; the claim takes 15 s, so a
    # 30-second ring placed at 12:59:35 would run into 13:00:05.
    saturday_close = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    late = asyncio.run(one_tick(sessions, saturday_close - timedelta(seconds=40), 30.0, 15.0, 0.0, stored=CONTRACT,
                                hours_exempt=3))
    assert late.originated == [] and late.counters.get("deferred_at_originate", 0) >= 1
    assert late.attempts == late.claimed_leads == 0
    early = asyncio.run(one_tick(sessions, saturday_close - timedelta(seconds=60), 30.0, 15.0, 0.0, stored=CONTRACT,
                                 hours_exempt=3))
    assert len(early.originated) >= 1 and set(early.originated) == {saturday_close - timedelta(seconds=45)}
