"""The calling calendar: windows in the callee's zone, holidays, closures, centre hours, DST. Pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.calendar import (
    Calendar,
    Schedule,
    Window,
    _compute_intervals,
    close_of,
    holiday_dates,
    is_callable,
    next_open,
    open_intervals,
    parse_windows,
)
from campaigns.effective import CalleeZone, build_calendar, zone_for_postcode
from campaigns.errors import NeverOpen
from campaigns.profiles import get_profile
from campaigns.settings import campaign_settings

FR_CONSUMER = get_profile("fr-consumer")
WEEKDAYS_10_19 = campaign_settings({})
WITH_SATURDAY = campaign_settings({"saturday": "yes"})


def paris(profile: str = "fr-business", settings_: object = WEEKDAYS_10_19, subdivision: str = "",
          zone: str = "Europe/Paris") -> Calendar:
    return build_calendar(settings_, get_profile(profile), CalleeZone(zone, "FR", subdivision),  # type: ignore[arg-type]
                          "Europe/Paris")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_fr_consumer_keeps_the_lunch_break_and_the_campaign_keeps_its_19_00_close() -> None:
    calendar = paris("fr-consumer")
    assert is_callable(at("2026-11-23T12:59+01:00"), calendar)
    assert not is_callable(at("2026-11-23T13:30+01:00"), calendar)
    assert is_callable(at("2026-11-23T18:59+01:00"), calendar)
    assert not is_callable(at("2026-11-23T19:00+01:00"), calendar)
    assert next_open(at("2026-11-23T13:30+01:00"), calendar) == at("2026-11-23T14:00+01:00")


def test_saturday_is_called_only_when_switched_on_and_never_under_fr_consumer() -> None:
    saturday = at("2026-11-28T11:00+01:00")
    assert not is_callable(saturday, paris("fr-business"))
    assert is_callable(saturday, paris("fr-business", WITH_SATURDAY))
    assert not is_callable(saturday, paris("fr-consumer", WITH_SATURDAY))


def test_public_holidays_follow_the_callee_subdivision() -> None:
    good_friday, st_stephen = at("2026-04-03T11:00+02:00"), at("2026-12-26T11:00+01:00")
    assert is_callable(good_friday, paris())
    assert not is_callable(good_friday, paris(subdivision="57"))  # Moselle
    assert not is_callable(good_friday, paris(subdivision="67"))  # Bas-Rhin, filed under Alsace by `holidays`
    assert not is_callable(at("2026-12-25T11:00+01:00"), paris())
    assert not is_callable(st_stephen, paris(subdivision="68", settings_=WITH_SATURDAY))
    assert is_callable(st_stephen, paris(settings_=WITH_SATURDAY))
    # Réunion celebrates the abolition of slavery on 20 December (a Sunday in 2026; Friday in 2024).
    reunion = paris(subdivision="974", zone="Indian/Reunion")
    # 14:00 there is 11:00 at the centre in Paris, which opens at 09:00.
    assert not is_callable(at("2024-12-20T14:00+04:00"), reunion)
    assert is_callable(at("2024-12-20T14:00+04:00"), paris(zone="Indian/Reunion"))


def test_a_departement_without_holidays_of_its_own_keeps_the_national_ones() -> None:
    armistice = at("2026-11-11T11:00+01:00")
    for departement in ("51", "75", "2A", "13"):
        assert not is_callable(armistice, paris(subdivision=departement)), departement
    assert holiday_dates("FR", "51", 2026) == holiday_dates("FR", "", 2026)
    assert date(2026, 11, 11) in holiday_dates("FR", "51", 2026)
    assert holiday_dates("FR", "57", 2026) - holiday_dates("FR", "51", 2026) == {date(2026, 4, 3), date(2026, 12, 26)}
    assert holiday_dates("XX", "51", 2026) == frozenset()  # a country the package does not know


def test_closure_dates_close_the_whole_local_day() -> None:
    calendar = paris(settings_=campaign_settings({"closures": "2026-11-24"}))
    assert not is_callable(at("2026-11-24T11:00+01:00"), calendar)
    assert next_open(at("2026-11-24T09:00+01:00"), calendar) == at("2026-11-25T10:00+01:00")


def test_windows_are_local_to_the_callee_so_overseas_leads_open_at_their_own_ten_o_clock() -> None:
    calendar = paris(zone="America/Martinique", subdivision="972")
    # 10:00 in Martinique is 15:00 in Paris in winter.
    assert next_open(at("2026-11-23T09:00+01:00"), calendar) == at("2026-11-23T10:00-04:00")


def test_the_centre_hours_cut_the_callee_windows_in_the_centre_zone() -> None:
    settings_ = campaign_settings({"centre_timezone": "Africa/Casablanca", "centre_weekday_hours": "08:00-17:00"})
    calendar = paris(settings_=settings_)
    # Casablanca is UTC+1 all year round outside Ramadan: 17:00 there is 17:00 in Paris in November.
    assert is_callable(at("2026-11-23T16:59+01:00"), calendar)
    assert not is_callable(at("2026-11-23T17:00+01:00"), calendar)
    assert close_of(at("2026-11-23T16:00+01:00"), calendar) == at("2026-11-23T17:00+01:00")


def test_dst_moves_the_utc_opening_but_not_the_local_one() -> None:
    calendar = paris()
    # Friday evening before the last Sunday of March → Monday 10:00 CEST (08:00 UTC, was 09:00 UTC the week before).
    assert next_open(at("2026-03-27T20:00+01:00"), calendar) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert next_open(at("2026-10-23T20:00+02:00"), calendar) == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_a_window_ending_at_midnight_parses_and_prints() -> None:
    (window,) = parse_windows("18:00-24:00")
    assert window.text() == "18:00–24:00"
    assert parse_windows("14:00-20:00, 10:00–13:00") == (Window(time(10), time(13)), Window(time(14), time(20)))


# Around both 2026 DST changes in Paris, holidays included (Easter Monday 6 April, All Saints' 1 November).
moments = st.datetimes(
    min_value=datetime(2026, 3, 20), max_value=datetime(2026, 11, 10), timezones=st.just(UTC)
).filter(lambda m: not (datetime(2026, 4, 10, tzinfo=UTC) < m < datetime(2026, 10, 15, tzinfo=UTC)))
hours = st.integers(min_value=6, max_value=22)


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    weekly = []
    for _day in range(7):
        start = draw(hours)
        end = draw(st.integers(min_value=start + 1, max_value=24))
        weekly.append((Window(time(start), time(23, 59, 59, 999999) if end == 24 else time(end)),)
                      if draw(st.booleans()) else ())
    if not any(weekly):
        weekly[0] = (Window(time(10), time(12)),)
    zone = draw(st.sampled_from(["Europe/Paris", "Indian/Reunion", "America/New_York"]))
    subdivision = draw(st.sampled_from(["", "57"]))
    callee = Schedule(zone, tuple(weekly), holidays_country="FR", holidays_subdivision=subdivision)
    centre_hours = tuple((Window(time(8), time(21)),) for _ in range(7))
    centre = draw(st.sampled_from([None, Schedule("Europe/Paris", centre_hours)]))
    return Calendar(callee, centre)


@settings(max_examples=150, deadline=None)
@given(moment=moments, calendar=calendars(), fraction=st.floats(min_value=0, max_value=1))
def test_next_open_is_callable_and_nothing_before_it_is(moment: datetime, calendar: Calendar, fraction: float) -> None:
    try:
        opening = next_open(moment, calendar)
    except NeverOpen:
        # Callee windows and centre hours that never meet (e.g. New York evenings from Paris).
        assert open_intervals(moment, moment + timedelta(days=30), calendar) == []
        return
    assert opening >= moment
    assert is_callable(opening, calendar)
    if opening > moment:
        between = moment + (opening - moment) * fraction
        assert between == opening or not is_callable(between, calendar)


@settings(max_examples=150, deadline=None)
@given(moment=moments, calendar=calendars(), offset=st.integers(min_value=0, max_value=3 * 86400))
def test_open_intervals_agree_with_is_callable(moment: datetime, calendar: Calendar, offset: int) -> None:
    probe = moment + timedelta(seconds=offset)
    spans = open_intervals(moment, moment + timedelta(days=4), calendar)
    assert any(lo <= probe < hi for lo, hi in spans) == is_callable(probe, calendar)


@given(moment=moments)
def test_no_french_consumer_is_called_on_a_weekend_or_holiday_or_outside_the_decree_hours(moment: datetime) -> None:
    calendar = paris("fr-consumer", WITH_SATURDAY, subdivision="57")
    if is_callable(moment, calendar):
        local = moment.astimezone(calendar.callee.tz())
        assert local.weekday() < 5
        assert local.date() not in {date(2026, 4, 3), date(2026, 4, 6), date(2026, 11, 1)}
        assert time(10) <= local.time() < time(13) or time(14) <= local.time() < time(19)


def test_postcodes_give_the_overseas_zone_and_the_alsace_moselle_holidays() -> None:
    assert zone_for_postcode("97410", "FR", "Europe/Paris") == CalleeZone("Indian/Reunion", "FR", "974")
    assert zone_for_postcode("57000", "FR", "Europe/Paris") == CalleeZone("Europe/Paris", "FR", "57")
    assert zone_for_postcode("75011", "FR", "Europe/Paris") == CalleeZone("Europe/Paris", "FR", "")


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    minutes=st.integers(min_value=0, max_value=8 * 24 * 60),
    zone=st.sampled_from(("Europe/Paris", "Indian/Reunion", "America/Cayenne", "America/Santiago")),
    profile=st.sampled_from(("fr-business", "fr-consumer", "us-tsr")),
    subdivision=st.sampled_from(("", "57", "974")),
)
def test_the_cached_spans_of_a_week_are_the_spans_computed_for_the_moments_asked(
    start: datetime, minutes: int, zone: str, profile: str, subdivision: str,
) -> None:
    calendar = paris(profile, subdivision=subdivision, zone=zone)
    end = start + timedelta(minutes=minutes)
    assert open_intervals(start, end, calendar) == _compute_intervals(start, end, calendar)
