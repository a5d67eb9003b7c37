"""The retry policy: delays, 20 attempts, spreading, frequency cap and refusal cool-off. Pure."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns import retry
from campaigns.calendar import Calendar, is_callable, may_ring, open_intervals
from campaigns.dispositions import dispositions_for
from campaigns.effective import CalleeZone, build_calendar
from campaigns.errors import UnknownOutcome
from campaigns.profiles import get_profile
from campaigns.retry import PastAttempt, RetryPolicy, next_attempt_at, plan_next_attempt
from campaigns.settings import campaign_settings

MONDAY_11 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 11:00 in Paris


def policy_and_calendar(profile: str = "fr-business", **stored: str) -> tuple[RetryPolicy, object]:
    settings_ = campaign_settings(stored)
    prof = get_profile(profile)
    dispositions = dispositions_for({"dispositions": {"refused": {"final": False, "retry": "7d"}}})
    calendar = build_calendar(settings_, prof, CalleeZone("Europe/Paris"), "Europe/Paris")
    return RetryPolicy.from_settings(settings_, dispositions, prof), calendar


def test_a_fresh_lead_is_due_now_and_a_busy_one_after_its_delay() -> None:
    policy, calendar = policy_and_calendar()
    assert next_attempt_at([], policy, calendar, MONDAY_11) == MONDAY_11  # type: ignore[arg-type]
    busy = [PastAttempt(MONDAY_11, "busy")]
    assert next_attempt_at(busy, policy, calendar, MONDAY_11) == MONDAY_11 + timedelta(minutes=15)  # type: ignore[arg-type]


def test_invalid_numbers_and_final_dispositions_stop_and_twenty_attempts_exhaust() -> None:
    policy, calendar = policy_and_calendar()
    assert plan_next_attempt([PastAttempt(MONDAY_11, "invalid")], policy, calendar, MONDAY_11).reason == "final"  # type: ignore[arg-type]
    rdv = [PastAttempt(MONDAY_11, "connected", "rdv")]
    assert next_attempt_at(rdv, policy, calendar, MONDAY_11) is None  # type: ignore[arg-type]
    twenty = [PastAttempt(MONDAY_11 + timedelta(hours=i), "busy") for i in range(20)]
    assert plan_next_attempt(twenty, policy, calendar, MONDAY_11).reason == "exhausted"  # type: ignore[arg-type]
    assert plan_next_attempt(twenty[:19], policy, calendar, MONDAY_11).at is not None  # type: ignore[arg-type]
    with pytest.raises(UnknownOutcome, match="ringing"):
        next_attempt_at([PastAttempt(MONDAY_11, "ringing")], policy, calendar, MONDAY_11)  # type: ignore[arg-type]


def test_someone_never_home_at_eleven_is_tried_in_other_hour_bands_and_on_other_days() -> None:
    policy, calendar = policy_and_calendar()
    history: list[PastAttempt] = [PastAttempt(MONDAY_11, "no_answer")]
    for _ in range(7):
        at = next_attempt_at(history, policy, calendar, history[-1].at)  # type: ignore[arg-type]
        assert at is not None and at >= history[-1].at + timedelta(hours=3)
        history.append(PastAttempt(at, "no_answer"))
    local = [a.at.astimezone(calendar.callee.tz()) for a in history]  # type: ignore[attr-defined]
    bands = {0 if t.hour < 12 else 1 if t.hour < 14 else 2 if t.hour < 17 else 3 for t in local}
    assert bands == {0, 1, 2, 3}
    assert len({t.weekday() for t in local}) >= 3
    assert local[1].hour >= 12 and local[1].date() != local[0].date()  # not another morning, nor the same day


def test_a_refusal_retried_by_the_campaign_still_waits_the_sixty_day_cool_off() -> None:
    policy, calendar = policy_and_calendar("fr-consumer")
    refused = [PastAttempt(MONDAY_11, "connected", "refused")]
    plan = plan_next_attempt(refused, policy, calendar, MONDAY_11, refused_at=MONDAY_11)  # type: ignore[arg-type]
    assert plan.reason == "cooloff" and plan.at is not None
    assert plan.at >= MONDAY_11 + timedelta(days=60)


def test_dials_by_the_client_s_other_campaigns_count_towards_the_cap() -> None:
    policy, calendar = policy_and_calendar("fr-consumer")
    others = [MONDAY_11 - timedelta(days=d) for d in (1, 2, 3)]
    plan = plan_next_attempt([PastAttempt(MONDAY_11, "busy")], policy, calendar, MONDAY_11,  # type: ignore[arg-type]
                             other_dials=others)
    # Four dials from 20 November: the fifth waits until 20 December, a Sunday, so Monday 21 at 10:00 in Paris.
    assert plan.reason == "cap" and plan.at == datetime(2026, 12, 21, 9, 0, tzinfo=UTC)


@settings(max_examples=60, deadline=None)
@given(
    outcomes=st.lists(st.sampled_from(["no_answer", "busy", "machine", "dropped", "congestion", "failed"]),
                      min_size=20, max_size=20),
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC)),
    saturday=st.booleans(),
)
def test_fr_consumer_leads_get_at_most_four_dials_in_any_thirty_days_and_only_when_callable(
    outcomes: list[str], start: datetime, saturday: bool
) -> None:
    policy, calendar = policy_and_calendar("fr-consumer", saturday="yes" if saturday else "no")
    history: list[PastAttempt] = []
    now = start
    for outcome in outcomes:
        at = next_attempt_at(history, policy, calendar, now)  # type: ignore[arg-type]
        assert at is not None and at >= now
        assert is_callable(at, calendar)  # type: ignore[arg-type]
        assert may_ring(at, calendar, policy.ring)  # type: ignore[arg-type]
        history.append(PastAttempt(at, outcome))
        now = at + timedelta(seconds=40)
    assert next_attempt_at(history, policy, calendar, now) is None  # type: ignore[arg-type]
    times = [a.at for a in history]
    for first in times:
        assert sum(first <= t < first + timedelta(days=30) for t in times) <= 4


def _spread_every_grid_point(opening: datetime, past: list[PastAttempt], policy: RetryPolicy,
                             calendar: Calendar) -> datetime:
    """The spreading rule as first written: every half-hour grid point of the week looked at."""
    used = [retry._band(a.at, calendar, policy.hour_bands) for a in past]
    pairs, days, bands = Counter(used), Counter(d for d, _b in used), Counter(b for _d, b in used)
    best, best_key = opening, None
    for lo, hi in open_intervals(opening, opening + retry.SPREAD_HORIZON, calendar):
        candidate = lo
        while candidate < hi and candidate + policy.ring <= hi:
            day, band = retry._band(candidate, calendar, policy.hour_bands)
            key = (pairs[(day, band)], bands[band], days[day])
            if best_key is None or key < best_key:
                best, best_key = candidate, key
            candidate = retry._ceil_grid(candidate + timedelta(seconds=1))
    return best


ZONES = ("Europe/Paris", "Indian/Reunion", "America/Martinique", "America/Santiago", "Australia/Lord_Howe")


@settings(max_examples=150, deadline=None)
@given(
    opening=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    offsets=st.lists(st.integers(min_value=0, max_value=60 * 24 * 20), max_size=8),
    zone=st.sampled_from(ZONES),
    profile=st.sampled_from(("fr-business", "fr-consumer", "us-tsr")),
    all_day=st.booleans(),
    bands=st.sampled_from(("12:00,14:00,17:00", "11:30,16:00", "")),
)
def test_spreading_looks_at_one_point_per_band_and_finds_what_every_grid_point_would(
    opening: datetime, offsets: list[int], zone: str, profile: str, all_day: bool, bands: str,
) -> None:
    stored = {"hour_bands": bands} if bands else {}
    if all_day:  # open across midnight: stretches end at local midnight too (DST at 00:00 in Santiago)
        stored |= {"weekday_windows": "00:00-24:00", "saturday": "yes", "centre_weekday_hours": "00:00-24:00",
                   "centre_saturday_hours": "00:00-24:00"}
    settings_ = campaign_settings(stored)
    prof = get_profile(profile)
    calendar = build_calendar(settings_, prof, CalleeZone(zone), "Europe/Paris")
    policy = RetryPolicy.from_settings(settings_, dispositions_for({}), prof)
    past = [PastAttempt(opening - timedelta(minutes=m), "no_answer") for m in offsets]
    assert retry._spread(opening, past, policy, calendar) == _spread_every_grid_point(opening, past, policy, calendar)


def test_a_retry_falling_in_the_last_ring_before_the_lunch_break_is_planned_after_it() -> None:
    policy, calendar = policy_and_calendar("fr-consumer")
    busy_at = datetime(2026, 11, 23, 11, 44, 45, tzinfo=UTC)  # 12:44:45 in Paris: busy retries 15 minutes later
    planned = plan_next_attempt([PastAttempt(busy_at, "busy")], policy, calendar, busy_at)  # type: ignore[arg-type]
    assert planned == retry.NextAttempt(datetime(2026, 11, 23, 13, 0, tzinfo=UTC), "calendar")  # 14:00 in Paris
    earlier = busy_at - timedelta(seconds=16)  # its retry rings from 12:59:29 until 12:59:59: it fits
    assert next_attempt_at([PastAttempt(earlier, "busy")], policy, calendar, earlier) == earlier + timedelta(minutes=15)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(
    last=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC)),
    outcome=st.sampled_from(retry.OUTCOMES[:-1]),
    ring_s=st.integers(min_value=0, max_value=300),
    profile=st.sampled_from(("fr-business", "fr-consumer", "us-tsr")),
)
def test_no_retry_is_planned_where_its_ring_would_cross_the_window_s_end(
    last: datetime, outcome: str, ring_s: int, profile: str,
) -> None:
    policy, calendar = policy_and_calendar(profile)
    policy = dataclasses.replace(policy, ring=timedelta(seconds=ring_s))
    at = next_attempt_at([PastAttempt(last, outcome)], policy, calendar, last)  # type: ignore[arg-type]
    assert at is None or may_ring(at, calendar, policy.ring)  # type: ignore[arg-type]
