"""When may a callee be called: weekly windows in a zone, closures, public holidays, the centre's own hours.

Pure: every function takes the moment as an aware datetime; nothing here reads the clock or a database.
Windows are wall-clock times in the schedule's zone, so they follow daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import holidays

from campaigns.errors import InvalidWindow, NeverOpen

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
END_OF_DAY = time(23, 59, 59, 999999)
# Holidays of a department that the `holidays` package files under another code (Bas-Rhin, Haut-Rhin).
HOLIDAY_SUBDIVISIONS = {("FR", "67"): "6AE", ("FR", "68"): "6AE"}
SEARCH_DAYS = 800
# How long the dialer lets a callee's phone ring (its ring timeout, `dialer.engine.EngineSettings`): a call
# counts until its ring ends, so calls and plans stop this long before a window closes.
RING = timedelta(seconds=30)


@dataclass(frozen=True, order=True)
class Window:
    """A daily span [start, end) of wall-clock time; `24:00` is written as end of day."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidWindow(self.text())

    @classmethod
    def parse(cls, text: str) -> Window:
        """`10:00-13:00` (an en dash works too)."""
        try:
            start_text, end_text = text.replace("–", "-").split("-")
            return cls(_parse_time(start_text), _parse_time(end_text))
        except ValueError as exc:
            if isinstance(exc, InvalidWindow):
                raise
            raise InvalidWindow(text) from None

    def text(self) -> str:
        end = "24:00" if self.end == END_OF_DAY else self.end.strftime("%H:%M")
        return f"{self.start.strftime('%H:%M')}–{end}"


def _parse_time(text: str) -> time:
    text = text.strip()
    if text in {"24:00", "24"}:
        return END_OF_DAY
    hours, _sep, minutes = text.partition(":")
    return time(int(hours), int(minutes or 0))


def parse_windows(text: str) -> tuple[Window, ...]:
    """`10:00-13:00, 14:00-20:00` → sorted windows; empty text → no window (closed)."""
    parts = [p for p in text.replace(";", ",").split(",") if p.strip()]
    return normalise(Window.parse(p) for p in parts)


def windows_text(windows: Iterable[Window]) -> str:
    return ", ".join(w.text() for w in windows)


def normalise(windows: Iterable[Window]) -> tuple[Window, ...]:
    """Sorted, with overlapping or touching windows merged."""
    merged: list[Window] = []
    for window in sorted(windows):
        if merged and window.start <= merged[-1].end:
            merged[-1] = Window(merged[-1].start, max(merged[-1].end, window.end))
        else:
            merged.append(window)
    return tuple(merged)


def intersect(first: Iterable[Window], second: Iterable[Window]) -> tuple[Window, ...]:
    """The spans present in both lists."""
    result = []
    for a in first:
        for b in second:
            start, end = max(a.start, b.start), min(a.end, b.end)
            if start < end:
                result.append(Window(start, end))
    return normalise(result)


def subtract(first: Iterable[Window], second: Iterable[Window]) -> tuple[Window, ...]:
    """The spans of `first` not covered by `second` (what a stricter rule takes away)."""
    remaining = list(first)
    for cut in second:
        pieces: list[Window] = []
        for w in remaining:
            if cut.end <= w.start or cut.start >= w.end:
                pieces.append(w)
                continue
            if w.start < cut.start:
                pieces.append(Window(w.start, cut.start))
            if cut.end < w.end:
                pieces.append(Window(cut.end, w.end))
        remaining = pieces
    return normalise(remaining)


Weekly = tuple[tuple[Window, ...], ...]  # seven entries, Monday first
ALL_DAY: Weekly = tuple((Window(time(0), END_OF_DAY),) for _ in range(7))


def weekly_intersect(first: Weekly, second: Weekly) -> Weekly:
    return tuple(intersect(a, b) for a, b in zip(first, second, strict=True))


@cache
def zone_info(name: str) -> ZoneInfo:
    """A time zone by name, kept: ZoneInfo's own cache holds 8 zones and the callees of a campaign span more."""
    return ZoneInfo(name)


@cache
def holiday_dates(country: str, subdivision: str, year: int) -> frozenset[date]:
    """Public holidays of a country (and subdivision) in a year; unknown subdivisions fall back to the country."""
    if not country:
        return frozenset()
    subdiv = HOLIDAY_SUBDIVISIONS.get((country, subdivision), subdivision) or None
    try:
        national = holidays.country_holidays(country, years=year)
    except NotImplementedError:
        # A country the package does not know: better no holidays than no calls at all; `check` says so.
        return frozenset()
    if subdiv is None:
        return frozenset(national.keys())
    try:
        found = holidays.country_holidays(country, subdiv=subdiv, years=year)
    except (NotImplementedError, KeyError, ValueError):
        # Most départements have only the national holidays: the package knows just those with more.
        return frozenset(national.keys())
    return frozenset(found.keys())


@dataclass(frozen=True)
class Schedule:
    """Weekly windows in one zone, minus closure dates and the public holidays of a country/subdivision."""

    zone: str
    weekly: Weekly = ALL_DAY
    closures: frozenset[date] = field(default_factory=frozenset)
    holidays_country: str = ""
    holidays_subdivision: str = ""

    def tz(self) -> ZoneInfo:
        return zone_info(self.zone)

    def closed_on(self, day: date) -> bool:
        """Whether the whole local day is closed (closure or public holiday)."""
        return day in self.closures or day in holiday_dates(
            self.holidays_country, self.holidays_subdivision, day.year
        )

    def windows_on(self, day: date) -> tuple[Window, ...]:
        return () if self.closed_on(day) else self.weekly[day.weekday()]

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.tz())
        wall = local.time().replace(tzinfo=None)
        return any(w.start <= wall < w.end for w in self.windows_on(local.date()))

    def intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The open spans between two moments, as aware UTC datetimes."""
        tz = self.tz()
        day = start.astimezone(tz).date() - timedelta(days=1)
        last = end.astimezone(tz).date()
        spans: list[tuple[datetime, datetime]] = []
        while day <= last:
            for w in self.windows_on(day):
                opens = _instant(day, w.start, tz)
                closes = _instant(day, w.end, tz) if w.end != END_OF_DAY else _instant(day + timedelta(1), time(0), tz)
                lo, hi = max(opens, start.astimezone(UTC)), min(closes, end.astimezone(UTC))
                if lo < hi:
                    spans.append((lo, hi))
            day += timedelta(days=1)
        return spans


def _instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    # A wall time in a spring-forward gap maps past the gap (fold=0), never before the real opening.
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Calendar:
    """The callee's schedule, intersected with the call centre's own opening hours when known."""

    callee: Schedule
    centre: Schedule | None = None

    def schedules(self) -> tuple[Schedule, ...]:
        return (self.callee,) if self.centre is None else (self.callee, self.centre)


def is_callable(moment: datetime, calendar: Calendar) -> bool:
    """Whether a call may be placed at this moment (both the callee's and the centre's calendars allow it)."""
    return all(s.is_open(moment) for s in calendar.schedules())


def open_intervals(start: datetime, end: datetime, calendar: Calendar) -> list[tuple[datetime, datetime]]:
    """The spans between two moments when calling is allowed, in UTC."""
    if end - start <= CACHED_RANGE - timedelta(days=1):
        # Every dial plans its lead's next attempt over the coming week, with few distinct calendars: the
        # spans of the UTC day's window are computed once, then cut to the moments asked for.
        first = start.astimezone(UTC).date()
        return _clip(_cached_spans(calendar, first), start, end)
    return _compute_intervals(start, end, calendar)


# How far the cached spans of a day reach, and how many (calendar, day) entries are kept.
CACHED_RANGE = timedelta(days=9)
CACHED_DAYS = 4096


@lru_cache(maxsize=CACHED_DAYS)
def _cached_spans(calendar: Calendar, first: date) -> list[tuple[datetime, datetime]]:
    start = datetime.combine(first, time(0), tzinfo=UTC)
    return _compute_intervals(start, start + CACHED_RANGE, calendar)


def _clip(spans: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    clipped = []
    for lo, hi in spans:
        lo, hi = max(lo, start), min(hi, end)
        if lo < hi:
            clipped.append((lo, hi))
    return clipped


def _compute_intervals(start: datetime, end: datetime, calendar: Calendar) -> list[tuple[datetime, datetime]]:
    spans = calendar.callee.intervals(start, end)
    if calendar.centre is not None:
        spans = _intersect_spans(spans, calendar.centre.intervals(start, end))
    return _merge_spans(spans)


def may_ring(moment: datetime, calendar: Calendar, ring: timedelta) -> bool:
    """Whether a call placed at `moment` may start and ring for all of `ring` inside one open span.

    The law counts the attempt, answered or not: a call placed at 12:59:50 that rings until 13:00:20 is a call
    in the lunch break. So the dialer stops placing calls `ring` before each closing.
    """
    if ring <= timedelta(0):
        return is_callable(moment, calendar)
    spans = open_intervals(moment, moment + ring, calendar)
    return len(spans) == 1 and spans[0][0] <= moment and spans[0][1] >= moment + ring


def next_open(moment: datetime, calendar: Calendar, ring: timedelta = timedelta(0)) -> datetime:
    """The first moment at or after `moment` when a call may be placed (and ring for `ring`, see `may_ring`);
    raises NeverOpen if none within two years."""
    if may_ring(moment, calendar, ring):
        return moment
    step = timedelta(days=14)
    start = moment
    while start - moment < timedelta(days=SEARCH_DAYS):
        # Looking `ring` further than the step, a span that starts within the step is seen long enough to judge.
        for lo, hi in open_intervals(start, start + step + ring, calendar):
            if lo < start + step and hi - lo >= ring:
                return lo
        start += step
    raise NeverOpen(calendar.callee.zone)


def close_of(moment: datetime, calendar: Calendar) -> datetime:
    """The end of the open span containing `moment` (itself when closed)."""
    spans = open_intervals(moment, moment + timedelta(days=2), calendar)
    return spans[0][1] if spans and spans[0][0] <= moment else moment


def _intersect_spans(
    a: list[tuple[datetime, datetime]], b: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    result = []
    for a_start, a_end in a:
        for b_start, b_end in b:
            lo, hi = max(a_start, b_start), min(a_end, b_end)
            if lo < hi:
                result.append((lo, hi))
    return sorted(result)


def _merge_spans(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged
