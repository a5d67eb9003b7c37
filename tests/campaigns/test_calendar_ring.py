"""A call counts from the moment it is placed until its ring ends: both must fall inside one open span. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.calendar import Calendar, close_of, is_callable, may_ring, next_open
from campaigns.errors import NeverOpen
from tests.campaigns.test_calendar import at, calendars, moments, paris

RING = timedelta(seconds=30)
rings = st.integers(min_value=0, max_value=240).map(lambda s: timedelta(seconds=s))


def test_a_call_is_placed_before_the_lunch_break_only_if_its_whole_ring_fits_before_13_00() -> None:
    calendar = paris("fr-consumer")
    assert may_ring(at("2026-11-23T12:59:29+01:00"), calendar, RING)
    assert may_ring(at("2026-11-23T12:59:30+01:00"), calendar, RING)  # rings until 13:00:00, not past it
    assert not may_ring(at("2026-11-23T12:59:30.000001+01:00"), calendar, RING)
    assert not may_ring(at("2026-11-23T13:00:00+01:00"), calendar, RING)
    assert not may_ring(at("2026-11-23T09:59:59+01:00"), calendar, RING)
    assert may_ring(at("2026-11-23T10:00:00+01:00"), calendar, RING)
    assert may_ring(at("2026-11-23T12:59:59+01:00"), calendar, timedelta(0)) == is_callable(
        at("2026-11-23T12:59:59+01:00"), calendar)


def test_the_next_moment_to_place_a_call_skips_a_window_end_too_close_to_ring() -> None:
    calendar = paris("fr-consumer")
    assert next_open(at("2026-11-23T12:59:45+01:00"), calendar, RING) == at("2026-11-23T14:00+01:00")
    assert next_open(at("2026-11-23T12:59:45+01:00"), calendar) == at("2026-11-23T12:59:45+01:00")
    # Friday 18:59:40 in Paris: the campaign closes at 19:00, the next call is on Monday at 10:00.
    assert next_open(at("2026-11-27T18:59:40+01:00"), calendar, RING) == at("2026-11-30T10:00+01:00")


@settings(max_examples=200, deadline=None)
@given(moment=moments, calendar=calendars(), ring=rings, fraction=st.floats(min_value=0, max_value=1))
def test_a_call_may_ring_exactly_when_every_moment_of_its_ring_is_callable(
    moment: datetime, calendar: Calendar, ring: timedelta, fraction: float,
) -> None:
    allowed = may_ring(moment, calendar, ring)
    if allowed:
        assert is_callable(moment, calendar)
        probe = moment + ring * fraction
        assert probe >= moment + ring or is_callable(probe, calendar)
        assert ring == timedelta(0) or is_callable(moment + ring - timedelta(microseconds=1), calendar)
    elif is_callable(moment, calendar):
        # Then the span closes before the ring would end: its closing moment is inside the ring and closed.
        closing = close_of(moment, calendar)
        assert moment < closing < moment + ring and not is_callable(closing, calendar)


@settings(max_examples=150, deadline=None)
@given(moment=moments, calendar=calendars(), ring=rings, fraction=st.floats(min_value=0, max_value=1))
def test_the_next_moment_to_place_a_call_may_ring_and_no_earlier_one_may(
    moment: datetime, calendar: Calendar, ring: timedelta, fraction: float,
) -> None:
    try:
        found = next_open(moment, calendar, ring)
    except NeverOpen:
        return
    assert found >= moment and may_ring(found, calendar, ring)
    between = moment + (found - moment) * fraction
    assert between == found or not may_ring(between, calendar, ring)


def placed_calls(claimed_at: datetime, delay: timedelta, ring: timedelta, calendar: Calendar) -> list[datetime]:
    """What the dialer does with a lead claimed at `claimed_at` and reaching Originate `delay` later: the claim
    asks for a ring's room, Originate asks again at its own moment and a refused lead waits for the next one."""
    if not may_ring(claimed_at, calendar, ring):
        return []
    originate = claimed_at + delay
    return [originate] if may_ring(originate, calendar, ring) else []


@settings(max_examples=300, deadline=None)
@given(
    claimed=moments, calendar=calendars(), ring=rings,
    delay=st.integers(min_value=0, max_value=600_000).map(lambda ms: timedelta(milliseconds=ms)),
    fraction=st.floats(min_value=0, max_value=1),
)
def test_for_any_claim_to_dial_delay_and_ring_no_call_starts_or_rings_outside_the_window(
    claimed: datetime, calendar: Calendar, ring: timedelta, delay: timedelta, fraction: float,
) -> None:
    for started in placed_calls(claimed, delay, ring, calendar):
        assert is_callable(started, calendar)
        ringing = started + ring * fraction
        assert ringing >= started + ring or is_callable(ringing, calendar)
        if ring:
            assert is_callable(started + ring - timedelta(microseconds=1), calendar)


def test_a_lead_claimed_at_12_59_55_is_not_dialled_in_the_lunch_break_whatever_the_delay() -> None:
    calendar = paris("fr-consumer")
    claimed = at("2026-11-23T12:59:20+01:00")
    assert placed_calls(claimed, timedelta(seconds=5), RING, calendar) == [claimed + timedelta(seconds=5)]
    assert placed_calls(claimed, timedelta(seconds=14), RING, calendar) == []  # the 13:00:14 call
    assert placed_calls(at("2026-11-23T12:59:55+01:00"), timedelta(0), RING, calendar) == []
    assert next_open(datetime(2026, 11, 23, 11, 59, 34, tzinfo=UTC), calendar, RING) == at("2026-11-23T14:00+01:00")
