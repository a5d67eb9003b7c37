"""Personal callback moments: only when the callee's calendar lets a call ring whole, after any wait."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from campaigns.calendar import RING, may_ring
from campaigns.callback_offer import callback_moments, is_offered, kept_for_agent_until
from campaigns.profiles import get_profile
from campaigns.rules import campaign_rules
from campaigns.settings import campaign_settings

RULES = campaign_rules(1, 1, "fr-consumer", {})
PARIS = RULES.calendar("Europe/Paris")
REUNION = RULES.calendar("Indian/Reunion", "FR", "974")


def test_moments_follow_the_lawful_hours_of_the_callee_with_the_ring_inside() -> None:
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # Friday 10:00 Paris
    offer = callback_moments(PARIS, now, days=3)
    assert [d.day.isoformat() for d in offer] == ["2026-11-27", "2026-11-30", "2026-12-01"]
    friday = [m.time() for m in offer[0].moments]
    assert friday[0] == time(10, 15)  # not within 15 minutes of now
    assert time(12, 45) in friday and time(13, 0) not in friday and time(14, 0) in friday
    assert friday[-1] == time(18, 45)  # 18:59:30 would ring into 19:00
    assert all(m.tzinfo is not None and m.utcoffset() == timedelta(hours=1) for m in offer[0].moments)


def test_a_reunion_callee_is_offered_reunion_hours_and_not_its_holidays() -> None:
    offer = callback_moments(REUNION, datetime(2026, 12, 18, 5, 0, tzinfo=UTC), days=3)
    assert offer[0].moments[0].tzname() == "+04"
    assert "2026-12-20" not in [d.day.isoformat() for d in offer]  # abolition of slavery in Réunion (a Sunday too)
    assert all(time(10) <= m.time() < time(19) for d in offer for m in d.moments)


def test_nothing_before_the_end_of_a_wait_is_offered() -> None:
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    earliest = datetime(2026, 12, 2, 12, 7, tzinfo=UTC)
    offer = callback_moments(PARIS, now, days=2, earliest=earliest)
    assert offer[0].moments[0] == datetime(2026, 12, 2, 14, 0, tzinfo=PARIS.callee.tz())  # 13:07 Paris: lunch
    assert is_offered(offer[1].moments[3], offer) and not is_offered(now, offer)


def test_a_callback_waits_for_its_agent_for_the_grace_period() -> None:
    due = datetime(2026, 11, 30, 10, tzinfo=UTC)
    grace = campaign_settings({}).callback_grace
    assert kept_for_agent_until(due, grace) == due + timedelta(minutes=10)
    assert get_profile("fr-consumer").name


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 1, 1), timezones=st.just(UTC)))
def test_every_moment_offered_may_ring_and_is_in_the_future(now: datetime) -> None:
    for day in callback_moments(PARIS, now, days=2):
        for moment in day.moments:
            assert moment > now and may_ring(moment, PARIS, RING)
